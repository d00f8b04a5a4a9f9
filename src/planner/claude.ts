/**
 * The Claude Code planner: asks `claude` in headless mode to break the issue
 * into a task graph.
 *
 * It runs `claude -p <prompt> --output-format json --max-turns N
 * [--json-schema S] [--model M]` in the repository checkout. In headless
 * (print) mode with `--output-format json`, Claude Code prints one JSON object
 * when the run ends: `type: "result"`, `subtype` (`"success"` or an error
 * kind such as `"error_max_turns"` / `"error_during_execution"`), `is_error`,
 * `result` (the final answer text, on success), `session_id`, `num_turns`,
 * `duration_ms`, `total_cost_usd` and `usage`. See Claude Code's "Headless
 * mode" documentation (docs.claude.com/en/docs/claude-code/sdk/sdk-headless,
 * "Output formats: JSON output") and the Agent SDK's result-message schema.
 * Where the CLI offers structured output (`--json-schema`, listed by
 * `claude --help` since 2.1.19x), the plan's JSON Schema is passed and the
 * answer is the result's `structured_output`; otherwise, or when that is
 * missing, the answer is extracted from `result` (a fenced `json` block, or
 * the bare JSON). It is checked like a command planner's output, and on an
 * invalid answer Claude is asked once more with the validation error
 * appended. An error result (`is_error`, `error_max_turns`, an API error)
 * says what went wrong in Claude Code's words (`errors`, `result`,
 * `api_error_status`, `terminal_reason`).
 *
 * @module
 */
import type { Containment } from "../process/containment.ts";
import { assertValidGraph, GraphValidationError } from "../protocol/graph.ts";
import type { PlanTask } from "../protocol/types.ts";
import { formatMs, tail } from "./command.ts";
import { describeJsonValue, parseJsonText, TaskJsonError, tasksFromJson } from "./json.ts";
import { type IssueInput, type Planner, PlannerError } from "./planner.ts";
import { runProcess } from "./process.ts";
import { buildPlanPrompt, buildRetryPrompt } from "./prompt.ts";

export { buildPlanPrompt } from "./prompt.ts";

/**
 * Options of {@linkcode claudePlanner}.
 *
 * @example
 * ```ts
 * const opts: ClaudePlannerOptions = { claudePath: "/usr/local/bin/claude", model: "sonnet" };
 * ```
 */
export interface ClaudePlannerOptions {
  /** The `claude` executable (default `"claude"`, looked up on `PATH`). */
  claudePath?: string;
  /** Passed as `--model`. */
  model?: string;
  /** Stop one `claude` run after this long (default 10 minutes). */
  timeoutMs?: number;
  /** How many answers to ask for in all before giving up (default 2: one retry). */
  maxAttempts?: number;
  /** `--max-turns` of one `claude` run (default {@linkcode DEFAULT_PLANNER_MAX_TURNS}). */
  maxTurns?: number;
  /**
   * Structured output: `auto` (the default) passes `--json-schema` when
   * `claude --help` lists it; `true` always; `false` never (parse the text).
   */
  jsonSchema?: boolean | "auto";
  /** More arguments for `claude`, after ours. */
  extraArgs?: string[];
  /** Working directory of `claude`: the repository checkout it may read. */
  cwd?: string;
  /**
   * Claude Code's whole environment: nothing of this process's is inherited.
   * Build it with `childEnv(env, { agent: "claude" })` (`src/process/child_env.ts`).
   */
  env?: Readonly<Record<string, string>>;
  /** Tags, records and sweeps Claude Code's processes (`src/process/containment.ts`). */
  containment?: Containment;
}

/** Prompts longer than this (UTF-8 bytes) go on stdin: one argv string is capped at 128 KiB on Linux. */
const MAX_ARG_BYTES = 100_000;

/**
 * Turns one planner run may take (reading the repository takes a turn per
 * tool call; the structured answer takes one).
 *
 * @example
 * ```ts
 * claudePlanner({ maxTurns: DEFAULT_PLANNER_MAX_TURNS * 2 });
 * ```
 */
export const DEFAULT_PLANNER_MAX_TURNS = 30;

/**
 * The JSON Schema of a plan, passed as `--json-schema`: the shape the prompt
 * asks for. The graph rules (unique ids, known dependencies, no cycle) are
 * checked after, as for any planner.
 *
 * @example
 * ```ts
 * JSON.stringify(PLAN_SCHEMA);
 * ```
 */
export const PLAN_SCHEMA = {
  type: "object",
  properties: {
    tasks: {
      type: "array",
      items: {
        type: "object",
        properties: {
          id: { type: "string", description: 'letters, digits, "-", "_" or ".", 1 to 64' },
          title: { type: "string" },
          body: { type: "string" },
          priority: { type: "string", enum: ["critical", "high", "medium", "low"] },
          deps: { type: "array", items: { type: "string" } },
          group: { type: "string" },
          estimateHours: { type: "number" },
        },
        required: ["id", "title", "body", "priority", "deps"],
        additionalProperties: false,
      },
    },
  },
  required: ["tasks"],
  additionalProperties: false,
} as const;

/**
 * Whether this `claude` offers `--json-schema` (its `--help` lists it).
 * False when the help cannot be read.
 *
 * @example
 * ```ts
 * if (await offersJsonSchema("claude")) args.push("--json-schema", schema);
 * ```
 */
export async function offersJsonSchema(
  claudePath: string,
  options: {
    env?: Readonly<Record<string, string>>;
    cwd?: string;
    signal?: AbortSignal;
    containment?: Containment;
  } = {},
): Promise<boolean> {
  try {
    const r = await runProcess({
      cmd: claudePath,
      args: ["--help"],
      timeoutMs: 30_000,
      ...(options.env ? { env: options.env } : {}),
      ...(options.containment ? { containment: options.containment } : {}),
      label: "Claude Code --help",
      ...(options.cwd ? { cwd: options.cwd } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return r.code === 0 && /(^|\s)--json-schema\b/.test(r.stdout);
  } catch (e) {
    if (options.signal?.aborted && e === options.signal.reason) throw e;
    return false;
  }
}

/**
 * Finds the JSON value in an answer: the first fenced code block that parses
 * (a `json` block first), else the whole text, else the span from the first
 * `{` or `[` to the last `}` or `]`. Throws a {@linkcode TaskJsonError}
 * quoting the answer's start when there is none.
 *
 * @example
 * ```ts
 * extractJsonAnswer('Here it is:\n```json\n{"tasks": []}\n```'); // { tasks: [] }
 * ```
 */
export function extractJsonAnswer(answer: string): unknown {
  const candidates: string[] = [];
  const fences = [...answer.matchAll(/```[ \t]*([A-Za-z0-9_-]*)[^\n]*\n([\s\S]*?)```/g)];
  for (const m of fences) if (m[1]!.toLowerCase() === "json") candidates.push(m[2]!);
  for (const m of fences) if (m[1]!.toLowerCase() !== "json") candidates.push(m[2]!);
  candidates.push(answer);
  const start = answer.search(/[[{]/);
  const end = Math.max(answer.lastIndexOf("}"), answer.lastIndexOf("]"));
  if (start !== -1 && end > start) candidates.push(answer.slice(start, end + 1));
  for (const c of candidates) {
    try {
      return JSON.parse(c);
    } catch {
      // Try the next candidate.
    }
  }
  const t = answer.trim();
  throw new TaskJsonError(
    "",
    t === ""
      ? "The answer is empty: expected a JSON task list."
      : `The answer holds no JSON task list; it begins: ${
        JSON.stringify(t.length > 200 ? `${t.slice(0, 200)}…` : t)
      }.`,
  );
}

/** Validates an answer text; returns tasks or the reason it is invalid. */
function checkAnswer(answer: Answer): { tasks: PlanTask[] } | { error: string } {
  try {
    const tasks = tasksFromJson(
      answer.structured !== undefined ? answer.structured : extractJsonAnswer(answer.text),
    );
    assertValidGraph(tasks);
    return { tasks };
  } catch (e) {
    if (e instanceof TaskJsonError || e instanceof GraphValidationError) {
      return { error: e.message };
    }
    throw e;
  }
}

/**
 * The argument list of one planner run (without the executable); without a
 * prompt, it goes on standard input.
 *
 * @example
 * ```ts
 * claudePlannerArgs("Plan #7", { maxTurns: 30 }, true);
 * // ["-p", "Plan #7", "--output-format", "json", "--max-turns", "30", "--json-schema", "{...}"]
 * ```
 */
export function claudePlannerArgs(
  prompt: string | undefined,
  opts: Pick<ClaudePlannerOptions, "maxTurns" | "model" | "extraArgs">,
  jsonSchema: boolean,
): string[] {
  return [
    "-p",
    ...(prompt === undefined ? [] : [prompt]),
    "--output-format",
    "json",
    "--max-turns",
    String(opts.maxTurns ?? DEFAULT_PLANNER_MAX_TURNS),
    ...(jsonSchema ? ["--json-schema", JSON.stringify(PLAN_SCHEMA)] : []),
    ...(opts.model ? ["--model", opts.model] : []),
    ...(opts.extraArgs ?? []),
  ];
}

/**
 * A planner that asks Claude Code.
 *
 * @example
 * ```ts
 * const planner = claudePlanner({ model: "sonnet", timeoutMs: 300_000 });
 * const tasks = await planner.plan({ number: 7, title: "Add search", body: "..." });
 * ```
 */
export function claudePlanner(opts: ClaudePlannerOptions = {}): Planner {
  const claude = opts.claudePath ?? "claude";
  const timeoutMs = opts.timeoutMs ?? 10 * 60 * 1000;
  const maxAttempts = Math.max(1, opts.maxAttempts ?? 2);
  const maxTurns = opts.maxTurns ?? DEFAULT_PLANNER_MAX_TURNS;
  let structured: Promise<boolean> | undefined;

  async function ask(prompt: string, signal: AbortSignal | undefined): Promise<Answer> {
    const viaStdin = new TextEncoder().encode(prompt).length > MAX_ARG_BYTES;
    const mode = opts.jsonSchema ?? "auto";
    structured ??= mode === "auto"
      ? offersJsonSchema(claude, {
        ...(opts.env ? { env: opts.env } : {}),
        ...(opts.containment ? { containment: opts.containment } : {}),
        ...(opts.cwd ? { cwd: opts.cwd } : {}),
        ...(signal ? { signal } : {}),
      })
      : Promise.resolve(mode);
    const probe = structured;
    const schema = await probe.catch((e) => {
      if (structured === probe) structured = undefined; // aborted: ask again next time
      throw e;
    });
    const args = claudePlannerArgs(viaStdin ? undefined : prompt, { ...opts, maxTurns }, schema);
    let r;
    try {
      r = await runProcess({
        cmd: claude,
        args,
        ...(viaStdin ? { stdin: prompt } : {}),
        timeoutMs,
        ...(signal ? { signal } : {}),
        ...(opts.cwd ? { cwd: opts.cwd } : {}),
        ...(opts.env ? { env: opts.env } : {}),
        ...(opts.containment ? { containment: opts.containment } : {}),
        label: "Claude Code planner",
      });
    } catch (e) {
      if (signal?.aborted && e === signal.reason) throw e;
      if (e instanceof Deno.errors.NotFound) {
        throw new PlannerError(
          "claude",
          `Claude Code executable ${
            JSON.stringify(claude)
          } was not found: install Claude Code or pass its path, or choose another planner.`,
          { cause: e },
        );
      }
      if (e instanceof DOMException && e.name === "TimeoutError") {
        throw new PlannerError(
          "claude",
          `Claude Code did not answer within ${
            formatMs(timeoutMs)
          } and was stopped: raise the planner timeout or choose another planner.`,
          { cause: e },
        );
      }
      throw new PlannerError("claude", `Claude Code could not be run: ${(e as Error).message}`, {
        cause: e,
      });
    }
    const envelope = parseEnvelope(r.stdout);
    if (
      r.code !== 0 || envelope === undefined || envelope.is_error === true ||
      (typeof envelope.subtype === "string" && envelope.subtype !== "success")
    ) {
      const why = envelope ? describeResultKind(envelope) : "";
      const detail = envelope && Array.isArray(envelope.errors) && envelope.errors.length
        ? envelope.errors.join("; ")
        : envelope && typeof envelope.result === "string"
        ? envelope.result
        : r.stderr || r.stdout;
      const how = r.code !== 0 ? `exited with code ${r.code}` : "reported an error";
      if (envelope?.subtype === "error_max_turns" || envelope?.terminal_reason === "max_turns") {
        throw new PlannerError(
          "claude",
          `Claude Code stopped planning after ${maxTurns} turns without an answer: raise the ` +
            `planner's turn limit (--planner-max-turns) or choose another planner.`,
        );
      }
      if (envelope === undefined && r.code === 0) {
        const t = r.stdout.trim();
        throw new PlannerError(
          "claude",
          `Claude Code's output is not the JSON result of --output-format json; it begins: ${
            JSON.stringify(t.length > 200 ? `${t.slice(0, 200)}…` : t)
          }.`,
        );
      }
      throw new PlannerError(
        "claude",
        `Claude Code ${how}${why}${detail.trim() ? `: ${tail(detail)}` : "."}`,
      );
    }
    const output = envelope.structured_output;
    if (schema && output !== undefined && output !== null) {
      return {
        text: typeof envelope.result === "string" ? envelope.result : "",
        structured: output,
      };
    }
    if (typeof envelope.result !== "string") {
      throw new PlannerError(
        "claude",
        `Claude Code's JSON result has no "result" text (got ${
          describeJsonValue(envelope.result)
        }): check the Claude Code version.`,
      );
    }
    return { text: envelope.result };
  }

  return {
    name: "claude",
    async plan(issue: IssueInput, signal?: AbortSignal): Promise<PlanTask[]> {
      const base = buildPlanPrompt(issue);
      let prompt = base;
      let error = "";
      for (let attempt = 1; attempt <= maxAttempts; attempt++) {
        signal?.throwIfAborted();
        const answer = await ask(prompt, signal);
        const checked = checkAnswer(answer);
        if ("tasks" in checked) return checked.tasks;
        error = checked.error;
        const said = answer.structured !== undefined
          ? JSON.stringify(answer.structured, null, 2)
          : answer.text;
        prompt = buildRetryPrompt(base, error, said);
      }
      throw new PlannerError(
        "claude",
        `Claude Code's plan was still invalid after ${maxAttempts} ${
          maxAttempts === 1 ? "attempt" : "attempts"
        }: ${error}`,
      );
    },
  };
}

/** An answer: the result's text, and its `structured_output` when there was one. */
interface Answer {
  text: string;
  structured?: unknown;
}

/** ` (error_max_turns, API error 400, terminal reason api_error)`: what kind of error result. */
function describeResultKind(envelope: Record<string, unknown>): string {
  const parts: string[] = [];
  if (typeof envelope.subtype === "string" && envelope.subtype !== "success") {
    parts.push(envelope.subtype);
  }
  if (typeof envelope.api_error_status === "number") {
    parts.push(`API error ${envelope.api_error_status}`);
  }
  if (typeof envelope.terminal_reason === "string" && envelope.terminal_reason !== "completed") {
    parts.push(`terminal reason ${envelope.terminal_reason}`);
  }
  return parts.length ? ` (${parts.join(", ")})` : "";
}

/** The result object Claude Code prints with `--output-format json`, if stdout holds one. */
function parseEnvelope(stdout: string): Record<string, unknown> | undefined {
  const tryParse = (s: string) => {
    try {
      const v: unknown = parseJsonText(s);
      return typeof v === "object" && v !== null && !Array.isArray(v)
        ? v as Record<string, unknown>
        : undefined;
    } catch {
      return undefined;
    }
  };
  // One object is printed; tolerate stray lines before it (warnings).
  const whole = tryParse(stdout);
  if (whole) return whole;
  const lines = stdout.trim().split("\n");
  return lines.length > 1 ? tryParse(lines[lines.length - 1]!) : undefined;
}
