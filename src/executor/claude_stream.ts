/**
 * Reads Claude Code's `--output-format stream-json --verbose` output line by
 * line: turns, progress notes, denied tool calls, API retries and every
 * `result` message, for both the 2.1.19x CLIs and the newer ones.
 *
 * The format (headless mode, "Streaming JSON output",
 * https://docs.anthropic.com/en/docs/claude-code/sdk/sdk-headless, and the
 * Agent SDK's `SDKMessage` types,
 * https://docs.anthropic.com/en/docs/claude-code/sdk/sdk-typescript) is one
 * JSON object per line:
 *
 * - `system` / `init`: model, tools, `permissionMode`, `cwd`,
 *   `claude_code_version`. Newer CLIs (2.1.3xx) write a second `init` mid-run
 *   when the session goes on after a background task finished; it starts no
 *   new run.
 * - `assistant` and `user`: Messages API content (`text`, `tool_use`,
 *   `tool_result`). A message with a non-null `parent_tool_use_id` comes from
 *   a subagent (the `Agent`/`Task` tool): it is not a turn of the session.
 *   One API response may arrive as several lines sharing its `message.id`.
 *   An assistant message with an `error` field (`authentication_failed`,
 *   `unknown`, ...) and model `<synthetic>` is the CLI's own report of an
 *   API failure, not a model turn.
 * - `system` / `permission_denied` (2.1.3xx): a tool call the permission
 *   rules denied, as it happens; `system` / `api_retry`: the CLI retries the
 *   API (`error_status`, `attempt`, `max_retries`); `system` / `task_*`:
 *   a subagent's life.
 * - `result`: `subtype` (`success`, `error_max_turns`,
 *   `error_max_budget_usd`, `error_during_execution`), `is_error`,
 *   `num_turns`, `duration_ms`, `total_cost_usd`, `result` (text),
 *   `permission_denials` (`tool_name`, `tool_use_id`, `tool_input`),
 *   `errors` (strings), `api_error_status`, `stop_reason`, `terminal_reason`
 *   (`completed`, `max_turns`, `api_error`, `budget_exhausted`), `usage`, and
 *   with `--json-schema` `structured_output`. Since 2.1.3xx a session with a
 *   background subagent writes one result per turn of the session
 *   (`result_index` 0, 1, ...): `num_turns` and `duration_ms` are per result,
 *   `total_cost_usd` is the session's running total. A result with
 *   `is_error: true` is an error whatever its subtype (an API error or a
 *   missing key comes as `subtype: "success"`, `is_error: true`).
 *
 * @module
 */
import { OutputTail } from "./process.ts";

/**
 * A content block of an assistant or user message (the fields we read).
 *
 * @example
 * ```ts
 * const block: ClaudeContentBlock = { type: "tool_use", name: "Edit", input: { file_path: "a.ts" } };
 * ```
 */
export interface ClaudeContentBlock {
  type: string;
  id?: string;
  text?: string;
  name?: string;
  input?: Record<string, unknown>;
  is_error?: boolean;
}

/**
 * One line of Claude Code's stream-json output, with the fields we read; the
 * rest is kept but not typed.
 *
 * @example
 * ```ts
 * const m: ClaudeStreamMessage = { type: "result", subtype: "success", num_turns: 3 };
 * ```
 */
export type ClaudeStreamMessage =
  | {
    type: "system";
    subtype?: string;
    model?: string;
    session_id?: string;
    tools?: string[];
    [key: string]: unknown;
  }
  | {
    type: "assistant";
    message?: { id?: string; model?: string; content?: ClaudeContentBlock[] };
    parent_tool_use_id?: string | null;
    error?: string;
  }
  | {
    type: "user";
    message?: { content?: ClaudeContentBlock[] | string };
    parent_tool_use_id?: string | null;
  }
  | {
    type: "result";
    subtype?: string;
    is_error?: boolean;
    num_turns?: number;
    duration_ms?: number;
    total_cost_usd?: number;
    result?: string;
    [key: string]: unknown;
  }
  | { type: string };

/**
 * One `result` message, read.
 *
 * @example
 * ```ts
 * const r: ClaudeResult = { index: 0, subtype: "error_max_turns", isError: true, errors: [] };
 * ```
 */
export interface ClaudeResult {
  /** `result_index` (newer CLIs), else the position among results. */
  index: number;
  subtype: string;
  isError: boolean;
  /** `num_turns` of this result. */
  turns?: number;
  /** `duration_ms` of this result. */
  durationMs?: number;
  /** `total_cost_usd`: the session's cost so far. */
  costUsd?: number;
  /** The final text (`result`). */
  text?: string;
  /** HTTP status of the API error that ended the run, if one did. */
  apiErrorStatus?: number;
  /** Why the run ended (`completed`, `max_turns`, `api_error`, `budget_exhausted`, ...). */
  terminalReason?: string;
  /** The last API response's stop reason (`end_turn`, `tool_use`, ...). */
  stopReason?: string;
  /** `errors`: what went wrong, in the CLI's words. */
  errors: string[];
  /** `structured_output` (with `--json-schema`). */
  structuredOutput?: unknown;
  /** `usage.input_tokens` and `usage.output_tokens` of this result. */
  inputTokens?: number;
  outputTokens?: number;
}

/**
 * A tool call the permission rules denied.
 *
 * @example
 * ```ts
 * const d: ClaudeDenial = { tool: "Bash", rule: "Bash(npm test)", toolUseId: "toolu_1" };
 * ```
 */
export interface ClaudeDenial {
  tool: string;
  /** The call in Claude Code's permission-rule syntax, e.g. `Bash(npm test)`. */
  rule: string;
  toolUseId?: string;
  /** The CLI's explanation, when it gave one. */
  message?: string;
  /** Whether a subagent made the call. */
  subagent?: boolean;
}

/**
 * A progress report derived from the stream.
 *
 * @example
 * ```ts
 * const p: ClaudeProgress = { percent: 40, note: "Edit src/api.ts" };
 * ```
 */
export interface ClaudeProgress {
  percent: number;
  note: string;
}

/**
 * Progress percentage after `turns` turns: proportional to `maxTurns` when
 * set (capped at 95: the last percent belongs to completion), else growing
 * towards 90 as `90·t/(t+10)`.
 *
 * @example
 * ```ts
 * turnPercent(5, 10); // 50
 * turnPercent(10); // 45
 * ```
 */
export function turnPercent(turns: number, maxTurns?: number): number {
  if (turns <= 0) return 0;
  if (maxTurns !== undefined && maxTurns > 0) {
    return Math.min(95, Math.floor((turns * 100) / maxTurns));
  }
  return Math.floor((90 * turns) / (turns + 10));
}

const NOTE_CHARS = 100;
const RULE_CHARS = 200;
/** Tool calls remembered for naming a later denial (a run makes few; a runaway many). */
const MAX_REMEMBERED_CALLS = 1_000;

function oneLine(text: string, max = NOTE_CHARS): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > max ? line.slice(0, max - 1) + "…" : line;
}

/** A short description of a tool call: `Edit src/a.ts` (relative to `cwd`), `Bash npm test`. */
function describeToolUse(
  name: string | undefined,
  input: Record<string, unknown> = {},
  cwd?: string,
): string {
  const tool = name ?? "tool";
  for (const key of ["file_path", "path", "command", "pattern", "url", "description", "query"]) {
    const value = input[key];
    if (typeof value === "string" && value.trim() !== "") {
      return oneLine(`${tool} ${key.endsWith("path") ? relative(value, cwd) : value}`);
    }
  }
  return tool;
}

/** `path` relative to `cwd` when it lies inside. */
function relative(path: string, cwd: string | undefined): string {
  const dir = cwd?.replace(/\/+$/, "");
  return dir && path.startsWith(dir + "/") ? path.slice(dir.length + 1) : path;
}

/**
 * A tool call in Claude Code's permission-rule syntax (the form
 * `--allowedTools` takes, https://docs.anthropic.com/en/docs/claude-code/iam,
 * "Tool-specific permission rules"): `Bash(<command>)`, `Edit(<path>)` with
 * the path relative to `cwd` when it lies inside, `WebFetch(domain:<host>)`,
 * else the tool's name.
 *
 * @example
 * ```ts
 * permissionRule("Bash", { command: "npm test" }); // "Bash(npm test)"
 * permissionRule("Write", { file_path: "/w/a.txt" }, "/w"); // "Write(a.txt)"
 * ```
 */
export function permissionRule(
  tool: string,
  input: Record<string, unknown> = {},
  cwd?: string,
): string {
  const str = (k: string) => typeof input[k] === "string" ? (input[k] as string) : undefined;
  let spec: string | undefined;
  const path = str("file_path") ?? str("notebook_path") ?? str("path");
  if (tool === "Bash" || tool === "PowerShell") spec = str("command");
  else if (path) spec = relative(path, cwd);
  else if (str("url")) {
    try {
      spec = `domain:${new URL(str("url")!).hostname}`;
    } catch {
      spec = undefined;
    }
  }
  if (spec === undefined || spec.trim() === "") return tool;
  return `${tool}(${oneLine(spec, RULE_CHARS)})`;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Follows Claude Code's stream-json output: counts the session's turns (not
 * a subagent's), keeps the latest activity, the assistant's text, every
 * `result` and every denied tool call.
 *
 * @example
 * ```ts
 * const stream = new ClaudeStream(10);
 * stream.push('{"type":"assistant","message":{"id":"m1","content":[{"type":"tool_use","name":"Edit","input":{"file_path":"a.ts"}}]}}');
 * // { percent: 10, note: "Edit a.ts" }
 * stream.turns; // 1
 * ```
 */
export class ClaudeStream {
  /** The session's assistant turns seen (distinct message ids, subagents left out). */
  turns = 0;
  /** Assistant messages of subagents seen. */
  subagentMessages = 0;
  /** Model named by the first `init` message. */
  model: string | undefined;
  /** `claude_code_version` of the first `init` message. */
  version: string | undefined;
  /** `permissionMode` of the first `init` message. */
  permissionMode: string | undefined;
  /** Working directory named by the first `init` message. */
  cwd: string | undefined;
  /** `init` messages seen (newer CLIs write a second one mid-run). */
  inits = 0;
  /** Every `result` message, in order. */
  readonly results: ClaudeResult[] = [];
  /** Denied tool calls, without repeats. */
  readonly denials: ClaudeDenial[] = [];
  /** API retries the CLI reported (`system`/`api_retry`). */
  apiRetries = 0;
  /** The `error` of a synthetic assistant message (`authentication_failed`, ...), if any. */
  assistantError: string | undefined;
  /** Assistant text and lines that were not JSON, newest last. */
  readonly transcript: OutputTail = new OutputTail();
  readonly #maxTurns: number | undefined;
  readonly #seen = new Set<string>();
  readonly #calls = new Map<
    string,
    { name: string; input: Record<string, unknown>; subagent: boolean }
  >();
  #percent = 0;

  /** `maxTurns` scales the progress percentage (see {@linkcode turnPercent}). */
  constructor(maxTurns?: number) {
    this.#maxTurns = maxTurns;
  }

  /** The session's turns: the sum over results of `num_turns`, else the turns counted. */
  get reportedTurns(): number {
    const counted = this.results.filter((r) => r.turns !== undefined);
    return counted.length ? counted.reduce((n, r) => n + r.turns!, 0) : this.turns;
  }

  /** The session's cost: the largest `total_cost_usd` reported (it is a running total). */
  get costUsd(): number | undefined {
    const costs = this.results.map((r) => r.costUsd).filter((c): c is number => c !== undefined);
    return costs.length ? Math.max(...costs) : undefined;
  }

  /**
   * Feeds one line of standard output; returns a progress report when the line
   * is worth one. Lines that are not stream messages go to the transcript.
   */
  push(line: string): ClaudeProgress | undefined {
    return this.pushParsed(line).progress;
  }

  /** Like {@linkcode ClaudeStream.push}, also returning the parsed message. */
  pushParsed(line: string): { message?: ClaudeStreamMessage; progress?: ClaudeProgress } {
    const trimmed = line.trim();
    if (trimmed === "") return {};
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch {
      this.transcript.push(line + "\n");
      return {};
    }
    if (!isObject(value) || typeof value.type !== "string") {
      this.transcript.push(line + "\n");
      return {};
    }
    const message = value as ClaudeStreamMessage;
    const progress = this.#handle(value);
    return progress ? { message, progress } : { message };
  }

  #progress(note: string): ClaudeProgress {
    return { percent: this.#percent, note };
  }

  #handle(m: Record<string, unknown>): ClaudeProgress | undefined {
    switch (m.type) {
      case "system":
        return this.#system(m);
      case "assistant":
        return this.#assistant(m);
      case "result":
        this.#result(m);
        return undefined;
      default:
        return undefined;
    }
  }

  #system(m: Record<string, unknown>): ClaudeProgress | undefined {
    const str = (k: string) => typeof m[k] === "string" ? (m[k] as string) : undefined;
    switch (m.subtype) {
      case "init": {
        this.inits++;
        if (this.inits > 1) return undefined; // the session goes on: no new start
        this.model = str("model");
        this.version = str("claude_code_version");
        this.permissionMode = str("permissionMode");
        this.cwd = str("cwd");
        return this.#progress(
          this.model ? `Claude Code started (${this.model})` : "Claude Code started",
        );
      }
      case "permission_denied": {
        const id = str("tool_use_id");
        const call = id ? this.#calls.get(id) : undefined;
        const tool = str("tool_name") ?? call?.name ?? "tool";
        const denial = this.#deny(tool, call?.input, id, str("message"));
        return this.#progress(`denied: ${oneLine(denial.rule)}`);
      }
      case "api_retry": {
        this.apiRetries++;
        const status = typeof m.error_status === "number" ? ` (HTTP ${m.error_status})` : "";
        return this.#progress(`API retry ${this.apiRetries}${status}`);
      }
      case "task_started": {
        const what = str("description");
        return what ? this.#progress(oneLine(`subagent started: ${what}`)) : undefined;
      }
      default:
        return undefined;
    }
  }

  #assistant(m: Record<string, unknown>): ClaudeProgress | undefined {
    const message = isObject(m.message) ? m.message : {};
    const content = Array.isArray(message.content) ? message.content as ClaudeContentBlock[] : [];
    const subagent = typeof m.parent_tool_use_id === "string";
    for (const block of content) {
      if (block?.type === "tool_use" && typeof block.id === "string") {
        if (this.#calls.size >= MAX_REMEMBERED_CALLS) {
          this.#calls.delete(this.#calls.keys().next().value!);
        }
        this.#calls.set(block.id, {
          name: block.name ?? "tool",
          input: isObject(block.input) ? block.input : {},
          subagent,
        });
      }
    }
    if (typeof m.error === "string") {
      // The CLI's own message about a failed API call, not a model turn.
      this.assistantError ??= m.error;
      for (const block of content) {
        if (block?.type === "text" && typeof block.text === "string") {
          this.transcript.push(block.text.trim() + "\n");
        }
      }
      return undefined;
    }
    let note: string | undefined;
    for (const block of content) {
      if (block?.type === "tool_use") note = describeToolUse(block.name, block.input, this.cwd);
      else if (block?.type === "text" && typeof block.text === "string" && block.text.trim()) {
        if (!subagent) this.transcript.push(block.text.trim() + "\n");
        note ??= oneLine(block.text);
      }
    }
    if (subagent) {
      // A subagent's step: worth a note, not a turn of the session.
      this.subagentMessages++;
      return note ? this.#progress(oneLine(`subagent: ${note}`)) : undefined;
    }
    const id = typeof message.id === "string" ? message.id : undefined;
    // One API response can arrive as several lines sharing its id: count it once.
    if (id === undefined || !this.#seen.has(id)) {
      if (id !== undefined) this.#seen.add(id);
      this.turns++;
    }
    this.#percent = Math.max(this.#percent, turnPercent(this.turns, this.#maxTurns));
    return this.#progress(note ?? `turn ${this.turns}`);
  }

  #result(m: Record<string, unknown>): void {
    const num = (k: string) =>
      typeof m[k] === "number" && Number.isFinite(m[k]) ? (m[k] as number) : undefined;
    const str = (k: string) => typeof m[k] === "string" ? (m[k] as string) : undefined;
    const result: ClaudeResult = {
      index: num("result_index") ?? this.results.length,
      subtype: str("subtype") ?? "unknown",
      isError: m.is_error === true,
      errors: Array.isArray(m.errors)
        ? m.errors.filter((e): e is string => typeof e === "string")
        : [],
    };
    const set = <K extends keyof ClaudeResult>(k: K, v: ClaudeResult[K] | undefined) => {
      if (v !== undefined) result[k] = v;
    };
    set("turns", num("num_turns"));
    set("durationMs", num("duration_ms"));
    set("costUsd", num("total_cost_usd"));
    set("text", str("result"));
    set("apiErrorStatus", num("api_error_status"));
    set("terminalReason", str("terminal_reason"));
    set("stopReason", str("stop_reason"));
    if (m.structured_output !== undefined) result.structuredOutput = m.structured_output;
    const usage = isObject(m.usage) ? m.usage : {};
    if (typeof usage.input_tokens === "number") result.inputTokens = usage.input_tokens;
    if (typeof usage.output_tokens === "number") result.outputTokens = usage.output_tokens;
    this.results.push(result);
    if (Array.isArray(m.permission_denials)) {
      for (const d of m.permission_denials) {
        if (!isObject(d)) continue;
        const id = typeof d.tool_use_id === "string" ? d.tool_use_id : undefined;
        const tool = typeof d.tool_name === "string" ? d.tool_name : "tool";
        this.#deny(tool, isObject(d.tool_input) ? d.tool_input : undefined, id);
      }
    }
  }

  #deny(
    tool: string,
    input: Record<string, unknown> | undefined,
    toolUseId: string | undefined,
    message?: string,
  ): ClaudeDenial {
    const call = this.#calls.get(toolUseId ?? "");
    const rule = permissionRule(tool, input ?? call?.input, this.cwd);
    const known = this.denials.find((d) =>
      toolUseId !== undefined ? d.toolUseId === toolUseId : d.rule === rule
    );
    if (known) {
      if (known.rule === known.tool && rule !== tool) known.rule = rule;
      return known;
    }
    const denial: ClaudeDenial = { tool, rule };
    if (toolUseId !== undefined) denial.toolUseId = toolUseId;
    if (message !== undefined) denial.message = message;
    if (call?.subagent) denial.subagent = true;
    this.denials.push(denial);
    return denial;
  }
}
