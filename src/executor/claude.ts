/**
 * The Claude Code executor: runs Claude Code headless on a task and turns its
 * event stream into progress reports and a result with turns, duration and
 * cost.
 *
 * It runs `claude -p <prompt> --output-format stream-json --verbose` (plus
 * `--max-turns`, `--model`, `--permission-mode`, `--allowedTools`,
 * `--disallowedTools`, `--append-system-prompt` when configured) in the task's
 * directory, in a process group of its own that is stopped as a whole on
 * timeout or abort.
 *
 * The stream format, as documented for headless mode
 * (https://docs.anthropic.com/en/docs/claude-code/sdk/sdk-headless, "Streaming
 * JSON output") and typed in the Agent SDK reference
 * (https://docs.anthropic.com/en/docs/claude-code/sdk/sdk-typescript, `SDKMessage`):
 * one JSON object per line; the run starts with a `system` message of subtype
 * `init` (model, tools, session id), continues with `assistant` messages
 * (Messages API content blocks: `text`, `tool_use`) and `user` messages
 * (`tool_result` blocks), and ends with one `result` message carrying
 * `subtype` (`success`, `error_max_turns`, `error_during_execution`, …),
 * `is_error`, `num_turns`, `duration_ms`, `total_cost_usd` and, on success, the
 * final `result` text.
 *
 * @module
 */
import type { PlanTask } from "../protocol/types.ts";
import { describeEnd, SUMMARY_TAIL_CHARS } from "./command.ts";
import type { ExecContext, ExecOutcome, Executor } from "./port.ts";
import { describeReason, OutputTail, type ProcessGroupResult, runProcessGroup } from "./process.ts";
import { redactor, tailText } from "./redact.ts";
import { resolveWorkDir } from "./workdir.ts";

/**
 * Options of {@linkcode claudeExecutor}.
 *
 * @example
 * ```ts
 * const opts: ClaudeExecutorOptions = { workRoot: "/tmp/p2p", maxTurns: 30, model: "sonnet" };
 * ```
 */
export interface ClaudeExecutorOptions {
  /** Directory under which each task attempt gets a working directory (without `ctx.workDir`). */
  workRoot: string;
  /** The `claude` executable; default `claude` (looked up on `PATH`). */
  claudePath?: string;
  /** `--max-turns`: stop the agent after this many turns (the attempt then fails). */
  maxTurns?: number;
  /** `--model`, e.g. `sonnet` or a full model name. */
  model?: string;
  /**
   * `--permission-mode`; default `acceptEdits` (file edits allowed, other tools
   * only as `allowedTools` permits). `bypassPermissions` lets the agent run
   * anything: use it only in a disposable environment such as an Actions job.
   */
  permissionMode?: string;
  /** `--allowedTools`, e.g. `["Bash(npm test)", "Read", "Edit"]`. */
  allowedTools?: readonly string[];
  /** `--disallowedTools`. */
  disallowedTools?: readonly string[];
  /** `--append-system-prompt`. */
  appendSystemPrompt?: string;
  /** Further arguments, appended as given. */
  extraArgs?: readonly string[];
  /** Stop Claude Code (its whole process group) after this long. */
  timeoutMs?: number;
  /** Time between `SIGTERM` and `SIGKILL` when stopping; default 3 s. */
  killGraceMs?: number;
  /** Extra environment variables (the process environment is inherited). */
  env?: Readonly<Record<string, string>>;
  /** Strings redacted from summaries and progress notes. */
  secrets?: readonly string[];
  /** Builds the prompt; default {@linkcode buildClaudePrompt}. */
  prompt?: (task: PlanTask, ctx: ExecContext) => string;
  /** Receives every stream message as it is parsed (for a live view or a log). */
  onMessage?: (message: ClaudeStreamMessage) => void;
}

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
  | { type: "system"; subtype?: string; model?: string; session_id?: string; tools?: string[] }
  | { type: "assistant"; message?: { id?: string; content?: ClaudeContentBlock[] } }
  | { type: "user"; message?: { content?: ClaudeContentBlock[] | string } }
  | {
    type: "result";
    subtype?: string;
    is_error?: boolean;
    num_turns?: number;
    duration_ms?: number;
    total_cost_usd?: number;
    result?: string;
  }
  | { type: string };

/**
 * The final `result` message's fields.
 *
 * @example
 * ```ts
 * const f: ClaudeFinal = { subtype: "error_max_turns", isError: false, turns: 11 };
 * ```
 */
export interface ClaudeFinal {
  subtype: string;
  isError: boolean;
  turns?: number;
  durationMs?: number;
  costUsd?: number;
  text?: string;
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

function oneLine(text: string, max = NOTE_CHARS): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > max ? line.slice(0, max - 1) + "…" : line;
}

/** A short description of a tool call: `Edit src/a.ts`, `Bash npm test`. */
function describeToolUse(block: ClaudeContentBlock): string {
  const name = block.name ?? "tool";
  const input = block.input ?? {};
  for (const key of ["file_path", "path", "command", "pattern", "url", "description", "query"]) {
    const value = input[key];
    if (typeof value === "string" && value.trim() !== "") return oneLine(`${name} ${value}`);
  }
  return name;
}

/**
 * Follows Claude Code's stream-json output line by line: counts turns, keeps
 * the latest activity, the assistant's text (for a summary when the run ends
 * without a result) and the final result.
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
  /** Assistant turns seen (distinct assistant message ids). */
  turns = 0;
  /** Model named by the `init` message. */
  model: string | undefined;
  /** The `result` message, once seen. */
  final: ClaudeFinal | undefined;
  /** Assistant text and lines that were not JSON, newest last. */
  readonly transcript: OutputTail = new OutputTail();
  readonly #maxTurns: number | undefined;
  readonly #seen = new Set<string>();
  #percent = 0;

  /** `maxTurns` scales the progress percentage (see {@linkcode turnPercent}). */
  constructor(maxTurns?: number) {
    this.#maxTurns = maxTurns;
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
    if (
      typeof value !== "object" || value === null ||
      typeof (value as { type?: unknown }).type !== "string"
    ) {
      this.transcript.push(line + "\n");
      return {};
    }
    const message = value as ClaudeStreamMessage;
    const progress = this.#handle(message);
    return progress ? { message, progress } : { message };
  }

  #handle(message: ClaudeStreamMessage): ClaudeProgress | undefined {
    switch (message.type) {
      case "system": {
        const m = message as Extract<ClaudeStreamMessage, { type: "system"; subtype?: string }>;
        if (m.subtype !== "init") return undefined;
        if (typeof m.model === "string") this.model = m.model;
        return {
          percent: this.#percent,
          note: this.model ? `Claude Code started (${this.model})` : "Claude Code started",
        };
      }
      case "assistant": {
        const m = message as Extract<ClaudeStreamMessage, { type: "assistant" }>;
        const id = m.message?.id;
        // One API response can arrive as several assistant lines (one per
        // content block) sharing its id: count it once.
        if (id === undefined || !this.#seen.has(id)) {
          if (id !== undefined) this.#seen.add(id);
          this.turns++;
        }
        let note: string | undefined;
        for (const block of m.message?.content ?? []) {
          if (block.type === "tool_use") note = describeToolUse(block);
          else if (block.type === "text" && typeof block.text === "string" && block.text.trim()) {
            this.transcript.push(block.text.trim() + "\n");
            note ??= oneLine(block.text);
          }
        }
        this.#percent = Math.max(this.#percent, turnPercent(this.turns, this.#maxTurns));
        return { percent: this.#percent, note: note ?? `turn ${this.turns}` };
      }
      case "result": {
        const m = message as Extract<ClaudeStreamMessage, { type: "result"; subtype?: string }>;
        this.final = {
          subtype: typeof m.subtype === "string" ? m.subtype : "unknown",
          isError: m.is_error === true,
          ...(typeof m.num_turns === "number" ? { turns: m.num_turns } : {}),
          ...(typeof m.duration_ms === "number" ? { durationMs: m.duration_ms } : {}),
          ...(typeof m.total_cost_usd === "number" ? { costUsd: m.total_cost_usd } : {}),
          ...(typeof m.result === "string" ? { text: m.result } : {}),
        };
        return undefined;
      }
      default:
        return undefined;
    }
  }
}

/** Longest issue body quoted in a prompt; the agent can read the rest on GitHub. */
const MAX_ISSUE_BODY_CHARS = 20_000;

/**
 * The default prompt for a task: the task, its issue for context, and how the
 * work is delivered.
 *
 * @example
 * ```ts
 * const prompt = buildClaudePrompt(task, ctx);
 * ```
 */
export function buildClaudePrompt(task: PlanTask, ctx: ExecContext): string {
  const issueBody = ctx.issueBody.length > MAX_ISSUE_BODY_CHARS
    ? ctx.issueBody.slice(0, MAX_ISSUE_BODY_CHARS) + "\n[… issue description truncated …]"
    : ctx.issueBody;
  const parts = [
    `You are one worker of a team of coding agents working on GitHub issue #${ctx.issue}: "${ctx.issueTitle}".`,
    `Your task is ${task.id} (priority ${task.priority}): ${task.title}`,
    "",
    task.body?.trim() ? task.body.trim() : task.title,
    "",
    "Issue description, for context (other workers do the other parts):",
    "<issue>",
    issueBody.trim() || "(empty)",
    "</issue>",
    "",
    "Work in the current directory, a checkout of the repository.",
    ...(task.deps.length > 0
      ? [
        `It already contains the work of the tasks this one depends on (${task.deps.join(", ")}).`,
      ]
      : []),
    "Make the changes this task needs and nothing beyond it; run the project's relevant checks if there are any.",
    "You need not commit or push: the runner commits and delivers what you leave in the directory.",
    "End with a short summary of what you changed.",
  ];
  return parts.join("\n");
}

/**
 * The argument list for `claude` (without the executable).
 *
 * The prompt comes right after `-p`: `--allowedTools` takes several values
 * and would swallow a prompt placed after it. Tool lists are passed as one
 * comma-separated value for the same reason.
 *
 * @example
 * ```ts
 * claudeArgs("Fix it", { workRoot: "/tmp", maxTurns: 5 });
 * // ["-p", "Fix it", "--output-format", "stream-json", "--verbose", "--max-turns", "5", "--permission-mode", "acceptEdits"]
 * ```
 */
export function claudeArgs(prompt: string, opts: ClaudeExecutorOptions): string[] {
  const args = ["-p", prompt, "--output-format", "stream-json", "--verbose"];
  if (opts.maxTurns !== undefined) args.push("--max-turns", String(opts.maxTurns));
  if (opts.model !== undefined) args.push("--model", opts.model);
  args.push("--permission-mode", opts.permissionMode ?? "acceptEdits");
  if (opts.allowedTools?.length) args.push("--allowedTools", opts.allowedTools.join(","));
  if (opts.disallowedTools?.length) {
    args.push("--disallowedTools", opts.disallowedTools.join(","));
  }
  if (opts.appendSystemPrompt !== undefined) {
    args.push("--append-system-prompt", opts.appendSystemPrompt);
  }
  args.push(...(opts.extraArgs ?? []));
  return args;
}

/**
 * Creates the Claude Code executor.
 *
 * The outcome never rejects. It is `ok` when Claude Code exits 0 and its
 * final message is a `success` that is not an error. The result records
 * `turns`, `durationMs` and `costUsd` from the final message, `exitCode`, and a
 * summary: the agent's final text on success; otherwise a sentence saying what
 * went wrong (maximum turns reached, an error, a timeout, an abort, no final
 * message) followed by the tail of what the agent wrote and printed. All text
 * is redacted.
 *
 * @example
 * ```ts
 * const exec = claudeExecutor({ workRoot: "/tmp/p2p", maxTurns: 30, model: "sonnet" });
 * const outcome = await exec.run(task, ctx);
 * outcome.result.costUsd;
 * ```
 */
export function claudeExecutor(opts: ClaudeExecutorOptions): Executor {
  const secrets = opts.secrets ?? [];
  const clean = redactor(secrets);
  const claudePath = opts.claudePath ?? "claude";
  return {
    name: "claude",
    async run(task: PlanTask, ctx: ExecContext): Promise<ExecOutcome> {
      if (ctx.signal.aborted) {
        return {
          ok: false,
          result: { summary: `Not started: ${clean(describeReason(ctx.signal.reason))}` },
        };
      }
      const workDir = await resolveWorkDir(opts.workRoot, task, ctx);
      const prompt = (opts.prompt ?? buildClaudePrompt)(task, ctx);
      const stream = new ClaudeStream(opts.maxTurns);
      const stderr = new OutputTail();
      let run: ProcessGroupResult;
      try {
        run = await runProcessGroup({
          command: claudePath,
          args: claudeArgs(prompt, opts),
          cwd: workDir,
          ...(opts.env ? { env: opts.env } : {}),
          signal: ctx.signal,
          ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
          ...(opts.killGraceMs !== undefined ? { killGraceMs: opts.killGraceMs } : {}),
          onStdoutLine: (line) => {
            const { message, progress } = stream.pushParsed(line);
            if (message) opts.onMessage?.(message);
            if (progress) ctx.onProgress(progress.percent, clean(progress.note));
          },
          onStderrLine: (line) => stderr.push(line + "\n"),
        });
      } catch (error) {
        const hint = error instanceof Deno.errors.NotFound
          ? "Install Claude Code (npm install -g @anthropic-ai/claude-code) or set the path to claude."
          : "Check that it is executable.";
        return {
          ok: false,
          local: true,
          result: {
            summary: clean(
              `Could not start Claude Code "${claudePath}": ${describeReason(error)}. ${hint}`,
            ),
          },
        };
      }
      return { ok: isSuccess(run, stream.final), result: resultOf(run, stream, stderr) };

      function resultOf(run: ProcessGroupResult, stream: ClaudeStream, stderr: OutputTail) {
        const final = stream.final;
        const header = describeFailure(run, final);
        const body = header === undefined && final?.text?.trim()
          ? tailText(clean(final.text.trim()), SUMMARY_TAIL_CHARS)
          : [
            final?.text?.trim() ? tailText(clean(final.text.trim()), SUMMARY_TAIL_CHARS / 2) : "",
            stream.transcript.text(secrets, SUMMARY_TAIL_CHARS / 2),
            stderr.text(secrets, SUMMARY_TAIL_CHARS / 2),
          ].filter((s) => s !== "").join("\n");
        const summary = [header, body].filter((s) => s !== undefined && s !== "").join("\n") ||
          "(no output)";
        return {
          summary,
          exitCode: run.code,
          turns: final?.turns ?? stream.turns,
          durationMs: final?.durationMs ?? run.durationMs,
          ...(final?.costUsd !== undefined ? { costUsd: final.costUsd } : {}),
        };
      }

      function describeFailure(run: ProcessGroupResult, final: ClaudeFinal | undefined) {
        const ended = describeEnd("Claude Code", run, opts.timeoutMs, clean);
        if (run.stopped !== undefined) return ended;
        if (final === undefined) {
          return `Claude Code ended without a final result message (exit code ${run.code}); see its output below.`;
        }
        if (final.subtype === "error_max_turns") {
          return `Claude Code stopped after ${final.turns ?? stream.turns} turns: the maximum of ${
            opts.maxTurns ?? "?"
          } turns was reached before the task was finished. Raise the maximum turns or split the task.`;
        }
        if (final.subtype !== "success" || final.isError) {
          return `Claude Code failed (${final.subtype}${
            final.isError ? ", is_error" : ""
          }, exit code ${run.code}).`;
        }
        return ended;
      }
    },
  };
}

function isSuccess(run: ProcessGroupResult, final: ClaudeFinal | undefined): boolean {
  return run.stopped === undefined && run.code === 0 && final !== undefined &&
    final.subtype === "success" && !final.isError;
}
