/**
 * The Claude Code executor: runs Claude Code headless on a task and turns its
 * event stream into progress reports and a result that tells the truth:
 * turns, duration, cost, denied tool calls, and why a run failed.
 *
 * It runs `claude -p <prompt> --output-format stream-json --verbose` with
 * `--permission-mode` (default `acceptEdits`), `--allowedTools` (default
 * `Bash`), and `--max-turns`, `--max-budget-usd`, `--model`,
 * `--disallowedTools`, `--append-system-prompt` and extra arguments when
 * configured, in the task's directory, in a process group of its own that is
 * stopped as a whole on timeout or abort. The stream is read by
 * `claude_stream.ts`; what may run is decided in `claude_permissions.ts`.
 *
 * @module
 */
import type { Containment } from "../process/containment.ts";
import type { PlanTask, TaskResult } from "../protocol/types.ts";
import {
  DEFAULT_ALLOWED_TOOLS,
  DEFAULT_PERMISSION_MODE,
  isBlockingDenial,
  isRootRefusal,
} from "./claude_permissions.ts";
import { type ClaudeResult, ClaudeStream, type ClaudeStreamMessage } from "./claude_stream.ts";
import { describeEnd, SUMMARY_TAIL_CHARS } from "./command.ts";
import type { ExecContext, ExecOutcome, Executor } from "./port.ts";
import { describeReason, OutputTail, type ProcessGroupResult, runProcessGroup } from "./process.ts";
import { buildClaudePrompt } from "./prompt.ts";
import { redactor, tailText } from "./redact.ts";
import { resolveWorkDir } from "./workdir.ts";

export { buildClaudePrompt } from "./prompt.ts";

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
  /** `--max-budget-usd`: stop the agent once it spent this much (the attempt then fails). */
  maxBudgetUsd?: number;
  /** `--model`, e.g. `sonnet` or a full model name. */
  model?: string;
  /**
   * `--permission-mode`; default `acceptEdits` (file edits in the task's
   * directory allowed, other tools only as `allowedTools` permits).
   * `bypassPermissions` lets the agent run anything, and Claude Code refuses
   * it as root outside a declared sandbox (see `claude_permissions.ts`).
   */
  permissionMode?: string;
  /**
   * `--allowedTools`, e.g. `["Bash(npm test:*)", "WebFetch"]`; default
   * `["Bash"]` (every shell command). An empty list passes none.
   */
  allowedTools?: readonly string[];
  /** `--disallowedTools` (deny rules win over allow rules). */
  disallowedTools?: readonly string[];
  /** `--append-system-prompt`. */
  appendSystemPrompt?: string;
  /** Further arguments, appended as given. */
  extraArgs?: readonly string[];
  /**
   * Count an attempt as completed although shell commands or file changes
   * were denied (they stay listed in the result). Default: such an attempt
   * fails, since its checks or changes did not all happen.
   */
  acceptDenials?: boolean;
  /** Stop Claude Code (its whole process group) after this long. */
  timeoutMs?: number;
  /** Time between `SIGTERM` and `SIGKILL` when stopping; default 3 s. */
  killGraceMs?: number;
  /**
   * Claude Code's whole environment: nothing of this process's is inherited.
   * Build it with `childEnv(env, { agent: "claude" })` (`src/process/child_env.ts`).
   */
  env?: Readonly<Record<string, string>>;
  /** Tags, records and sweeps Claude Code's processes (`src/process/containment.ts`). */
  containment?: Containment;
  /** Strings redacted from summaries and progress notes. */
  secrets?: readonly string[];
  /** Builds the prompt; default {@linkcode buildClaudePrompt}. */
  prompt?: (task: PlanTask, ctx: ExecContext) => string;
  /** Receives every stream message as it is parsed (for a live view or a log). */
  onMessage?: (message: ClaudeStreamMessage) => void;
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
 * // ["-p", "Fix it", "--output-format", "stream-json", "--verbose", "--max-turns", "5",
 * //  "--permission-mode", "acceptEdits", "--allowedTools", "Bash"]
 * ```
 */
export function claudeArgs(prompt: string, opts: ClaudeExecutorOptions): string[] {
  const args = ["-p", prompt, "--output-format", "stream-json", "--verbose"];
  if (opts.maxTurns !== undefined) args.push("--max-turns", String(opts.maxTurns));
  if (opts.maxBudgetUsd !== undefined) args.push("--max-budget-usd", String(opts.maxBudgetUsd));
  if (opts.model !== undefined) args.push("--model", opts.model);
  args.push("--permission-mode", opts.permissionMode ?? DEFAULT_PERMISSION_MODE);
  const allowed = opts.allowedTools ?? DEFAULT_ALLOWED_TOOLS;
  if (allowed.length) args.push("--allowedTools", allowed.join(","));
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
 * How the `claude` process ended, as {@linkcode claudeOutcome} needs it.
 *
 * @example
 * ```ts
 * const run: ClaudeRunEnd = { code: 0, durationMs: 5_120 };
 * ```
 */
export interface ClaudeRunEnd {
  code: number;
  signal?: Deno.Signal | null;
  stopped?: ProcessGroupResult["stopped"];
  abortReason?: unknown;
  /** Wall time of the process, start-up included. */
  durationMs: number;
}

/** The options {@linkcode claudeOutcome} reads. */
export type ClaudeOutcomeOptions = Pick<
  ClaudeExecutorOptions,
  "maxTurns" | "maxBudgetUsd" | "timeoutMs" | "acceptDenials" | "secrets"
>;

/** Most denied calls named in a summary line. */
const DENIALS_NAMED = 5;

/**
 * Judges a finished Claude Code run from its stream, its end and its
 * standard error: the attempt's outcome and result.
 *
 * It is `ok` when the process exited 0, every `result` is a `success` that
 * is not an error (`is_error`), and no shell command or file change was
 * denied (unless `acceptDenials`). The result carries `turns` (the session's,
 * summed over its results; a subagent's turns are its own), `durationMs` (the
 * process's wall time, start-up included), `costUsd` (the session's total),
 * `exitCode`, the denied calls (`denied`, as permission rules), a `failure`
 * kind, and a summary: the agent's final text on success, else a sentence
 * saying what went wrong and what to do, then the tail of what the agent
 * wrote and printed. All text is redacted. A run that could not start
 * (a refused permission mode, a bad argument) or had no API key is `local`:
 * the node's failure, not the task's.
 *
 * @example
 * ```ts
 * const stream = new ClaudeStream();
 * for (const line of lines) stream.push(line);
 * const { ok, result } = claudeOutcome(stream, { code: 0, durationMs: 900 }, "", {});
 * ```
 */
export function claudeOutcome(
  stream: ClaudeStream,
  run: ClaudeRunEnd,
  stderr: string,
  opts: ClaudeOutcomeOptions,
): ExecOutcome {
  const secrets = opts.secrets ?? [];
  const clean = redactor(secrets);
  const verdict = judge(stream, run, stderr, opts, clean);
  const texts = [...new Set(stream.results.map((r) => r.text?.trim() ?? ""))]
    .filter((t) => t !== "");
  const finalText = clean(texts.join("\n"));
  const denied = stream.denials.map((d) => clean(d.rule));
  let summary: string;
  if (verdict.failure === undefined) {
    const note = denied.length
      ? `\n(Denied, accepted: ${denied.slice(0, DENIALS_NAMED).join(", ")}${
        denied.length > DENIALS_NAMED ? ", …" : ""
      }.)`
      : "";
    summary = (tailText(finalText, SUMMARY_TAIL_CHARS) || "(no output)") + note;
  } else {
    const transcript = stream.transcript.text(secrets, SUMMARY_TAIL_CHARS / 2);
    // The transcript usually ends with the final text, and the header may
    // quote it: say everything once.
    const body = [
      finalText && !transcript.includes(finalText)
        ? tailText(finalText, SUMMARY_TAIL_CHARS / 2)
        : "",
      transcript,
      tailText(clean(stderr.trim()), SUMMARY_TAIL_CHARS / 2),
    ].filter((s) => s !== "" && !verdict.header.includes(s));
    summary = [verdict.header, ...body].join("\n");
  }
  const result: TaskResult = {
    summary,
    exitCode: run.code,
    turns: stream.reportedTurns,
    durationMs: Math.max(0, Math.round(run.durationMs)),
  };
  const cost = stream.costUsd;
  if (cost !== undefined) result.costUsd = cost;
  if (denied.length) result.denied = denied;
  if (verdict.failure !== undefined) result.failure = verdict.failure;
  // The same allowed and denied tools on every node deny the same calls again:
  // a retry would repeat the cost (docs/CLAUDE_CODE.md).
  if (verdict.failure === "permission_denied") result.retryable = false;
  // Claude Code could not run here at all (it refused its settings, or has
  // no key): the node's fault, not the task's; another node may run it.
  const local = verdict.failure === "startup" || verdict.failure === "not_logged_in";
  return { ok: verdict.failure === undefined, result, ...(local ? { local } : {}) };
}

/** Why a run failed (`failure` kind and a sentence), or nothing when it did not. */
function judge(
  stream: ClaudeStream,
  run: ClaudeRunEnd,
  stderr: string,
  opts: ClaudeOutcomeOptions,
  clean: (text: string) => string,
): { failure?: string; header: string } {
  const ended = describeEnd(
    "Claude Code",
    {
      code: run.code,
      signal: run.signal ?? null,
      ...(run.stopped ? { stopped: run.stopped } : {}),
      abortReason: run.abortReason,
      pid: 0,
      durationMs: run.durationMs,
    },
    opts.timeoutMs,
    clean,
  );
  if (run.stopped === "timeout") return { failure: "timeout", header: ended! };
  if (run.stopped === "abort") return { failure: "stopped", header: ended! };
  const firstLine = clean(stderr.trim().split("\n")[0] ?? "").trim();
  if (stream.results.length === 0) {
    if (isRootRefusal(stderr)) {
      return {
        failure: "startup",
        header: "Claude Code refused to start: it does not allow --permission-mode " +
          "bypassPermissions (--dangerously-skip-permissions) as root. Run p2p-dev as a normal " +
          "user, keep the default --permission-mode acceptEdits, or set IS_SANDBOX=1 in a " +
          "disposable container.",
      };
    }
    const how = run.signal ? `was killed by ${run.signal}` : `exited with code ${run.code}`;
    if (stream.inits === 0) {
      return {
        failure: "startup",
        header: `Claude Code ${how} before it started a session${
          firstLine ? `: ${firstLine}` : " and printed nothing on standard error"
        }. Check the Claude Code version and the arguments p2p-dev passes (--claude-args).`,
      };
    }
    return {
      failure: "no_result",
      header: `Claude Code ${how} without a result message${
        firstLine ? `: ${firstLine}` : ""
      }; see its output below.`,
    };
  }
  // An error result: `is_error`, or not a `success`; also a `success` that
  // only repeats the CLI's own synthetic error message (no tokens produced,
  // `stop_sequence`), should a CLI leave `is_error` out.
  const bad = stream.results.find((r) =>
    r.isError || r.subtype !== "success" ||
    (stream.assistantError !== undefined && r.outputTokens === 0 &&
      r.stopReason === "stop_sequence")
  );
  if (bad) return describeErrorResult(bad, stream, run, opts, clean);
  if (run.code !== 0) {
    return {
      failure: "error",
      header: `Claude Code reported success but ${ended ?? `exited with code ${run.code}`}`,
    };
  }
  const blocking = stream.denials.filter((d) => isBlockingDenial(d.tool));
  if (blocking.length > 0 && !opts.acceptDenials) {
    const named = blocking.slice(0, DENIALS_NAMED).map((d) => clean(d.rule)).join(", ") +
      (blocking.length > DENIALS_NAMED ? ", …" : "");
    return {
      failure: "permission_denied",
      header:
        `Claude Code was denied ${blocking.length} tool call${
          blocking.length === 1 ? "" : "s"
        } the task needed: ${named}. The task failed, since its checks or changes did not all ` +
        `happen, and is not retried: every node would be denied the same. Allow them with ` +
        `--allowed-tools (e.g. "Bash(npm test:*)"; deny rules of --disallowed-tools and of the ` +
        `repository's .claude/settings.json win) and run again with --retry-failed, or pass ` +
        `--accept-denials to count such attempts as completed.`,
    };
  }
  return { header: "" };
}

function describeErrorResult(
  r: ClaudeResult,
  stream: ClaudeStream,
  run: ClaudeRunEnd,
  opts: ClaudeOutcomeOptions,
  clean: (text: string) => string,
): { failure: string; header: string } {
  const said = clean(
    (r.errors.length ? r.errors.join("; ") : r.text ?? "").replace(/\s+/g, " ").trim(),
  );
  if (r.subtype === "error_max_turns" || r.terminalReason === "max_turns") {
    return {
      failure: "max_turns",
      header: `Claude Code stopped after ${stream.reportedTurns} turns: the maximum of ${
        opts.maxTurns ?? "?"
      } turns was reached before the task was finished. Raise the maximum turns or split the task.`,
    };
  }
  if (r.subtype === "error_max_budget_usd" || r.terminalReason === "budget_exhausted") {
    const spent = stream.costUsd !== undefined ? ` after spending $${stream.costUsd}` : "";
    return {
      failure: "max_budget",
      header: `Claude Code stopped${spent}: the task's budget of $${
        opts.maxBudgetUsd ?? "?"
      } (--max-budget-usd) was reached before the task was finished. Raise it or split the task.`,
    };
  }
  if (
    stream.assistantError === "authentication_failed" ||
    /not logged in|invalid api key|authentication/i.test(r.text ?? "")
  ) {
    return {
      failure: "not_logged_in",
      header: `Claude Code could not authenticate${said ? ` ("${said}")` : ""}: set ` +
        `ANTHROPIC_API_KEY (or CLAUDE_CODE_OAUTH_TOKEN) in the environment p2p-dev runs in.`,
    };
  }
  if (r.apiErrorStatus !== undefined || r.terminalReason === "api_error") {
    const status = r.apiErrorStatus !== undefined ? ` (HTTP ${r.apiErrorStatus})` : "";
    return {
      failure: "api_error",
      header: `Claude Code stopped on an API error${status}${said ? `: ${said}` : ""}${
        /[.!?]$/.test(said) ? "" : "."
      }`,
    };
  }
  const details = [
    r.subtype,
    ...(r.isError ? ["is_error"] : []),
    ...(r.terminalReason ? [`terminal reason ${r.terminalReason}`] : []),
    `exit code ${run.code}`,
  ].join(", ");
  return {
    failure: "error",
    header: `Claude Code failed (${details})${said ? `: ${said}` : "."}`,
  };
}

/**
 * Creates the Claude Code executor.
 *
 * The outcome never rejects; it is {@linkcode claudeOutcome} of the run. A
 * `claude` that cannot be started at all (not installed, not executable) is a
 * failed outcome whose summary says how to fix it.
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
          result: {
            summary: `Not started: ${clean(describeReason(ctx.signal.reason))}`,
            failure: "stopped",
          },
        };
      }
      const workDir = await resolveWorkDir(opts.workRoot, task, ctx);
      const prompt = (opts.prompt ?? buildClaudePrompt)(task, ctx);
      const stream = new ClaudeStream(opts.maxTurns);
      const stderr = new OutputTail();
      const started = Date.now();
      let run: ProcessGroupResult;
      try {
        run = await runProcessGroup({
          command: claudePath,
          args: claudeArgs(prompt, opts),
          cwd: workDir,
          ...(opts.env ? { env: opts.env } : {}),
          ...(opts.containment ? { containment: opts.containment } : {}),
          label: `Claude Code for task ${task.id} attempt ${ctx.attempt} of issue #${ctx.issue}`,
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
            durationMs: Date.now() - started,
            failure: "startup",
          },
        };
      }
      return claudeOutcome(stream, run, stderr.text(secrets, SUMMARY_TAIL_CHARS), opts);
    },
  };
}
