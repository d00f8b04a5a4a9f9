/**
 * The command executor: runs any shell command for a task.
 *
 * The command gets the task twice: as JSON on standard input
 * ({@linkcode CommandInput}) and as `P2P_*` environment variables. It runs in a
 * working directory of its own (or the task's git worktree when delivery
 * prepared one), in a process group of its own that is stopped as a whole on
 * timeout or abort. A line `P2P_PROGRESS <percent> [note]` on its standard
 * output reports progress. The redacted tail of its output becomes the
 * result's summary; exit code 0 means success.
 *
 * @module
 */
import type { Containment } from "../process/containment.ts";
import type { PlanTask } from "../protocol/types.ts";
import { stripHidden } from "../text/hidden.ts";
import type { ExecContext, ExecOutcome, Executor } from "./port.ts";
import { describeReason, OutputTail, type ProcessGroupResult, runProcessGroup } from "./process.ts";
import { redactor } from "./redact.ts";
import { resolveWorkDir } from "./workdir.ts";

/**
 * Characters of output kept in a result's summary.
 *
 * @example
 * ```ts
 * summary.length <= SUMMARY_TAIL_CHARS + 200; // a header line plus the tail
 * ```
 */
export const SUMMARY_TAIL_CHARS = 2_000;

/**
 * Options of {@linkcode commandExecutor}.
 *
 * @example
 * ```ts
 * const opts: CommandExecutorOptions = { command: "make", timeoutMs: 600_000, workRoot: "/tmp/p2p" };
 * ```
 */
export interface CommandExecutorOptions {
  /** Shell command, run as `sh -c <command>`. */
  command: string;
  /** Stop the command (its whole process group) after this long. */
  timeoutMs?: number;
  /** Directory under which each task attempt gets a working directory of its own. */
  workRoot: string;
  /**
   * The command's environment besides the task's `P2P_*` variables: nothing
   * of this process's is inherited. Build it with `childEnv`
   * (`src/process/child_env.ts`).
   */
  env?: Readonly<Record<string, string>>;
  /** Strings redacted from summaries and progress notes (tokens, keys). */
  secrets?: readonly string[];
  /** Tags, records and sweeps the command's processes (`src/process/containment.ts`). */
  containment?: Containment;
  /** Time between `SIGTERM` and `SIGKILL` when stopping; default 3 s. */
  killGraceMs?: number;
  /** Receives every output line as it comes, redacted, with the stream it came from. */
  onOutput?: (line: string, stream: "stdout" | "stderr") => void;
}

/**
 * The JSON document a command reads on standard input.
 *
 * @example
 * ```ts
 * const input: CommandInput = {
 *   task: { id: "T1", title: "Add API", priority: "high", deps: [] },
 *   context: {
 *     issue: 7, issueTitle: "Build it", issueBody: "", attempt: 1, node: "n1",
 *     depBranches: [], workDir: "/tmp/w",
 *   },
 * };
 * ```
 */
export interface CommandInput {
  task: PlanTask;
  context: {
    issue: number;
    issueTitle: string;
    issueBody: string;
    attempt: number;
    node: string;
    depBranches: string[];
    workDir: string;
  };
}

/**
 * A parsed `P2P_PROGRESS` line.
 *
 * @example
 * ```ts
 * const p: ProgressLine = { percent: 40, note: "tests pass" };
 * ```
 */
export interface ProgressLine {
  percent: number;
  note?: string;
}

const PROGRESS_LINE = /^\s*P2P_PROGRESS\s+(\d+(?:\.\d+)?)%?(?:\s+(.*?))?\s*$/;

/**
 * Parses a `P2P_PROGRESS <percent> [note]` line; the percentage is clamped to
 * 0–100. Other lines give `undefined`.
 *
 * @example
 * ```ts
 * parseProgressLine("P2P_PROGRESS 40 tests pass"); // { percent: 40, note: "tests pass" }
 * parseProgressLine("hello"); // undefined
 * ```
 */
export function parseProgressLine(line: string): ProgressLine | undefined {
  const m = PROGRESS_LINE.exec(line);
  if (!m) return undefined;
  const percent = Math.min(100, Math.max(0, Number(m[1])));
  return m[2] ? { percent, note: m[2] } : { percent };
}

/**
 * The `P2P_*` environment variables a task's command sees.
 *
 * @example
 * ```ts
 * taskEnv(task, ctx, "/tmp/w").P2P_TASK_ID; // "T1"
 * ```
 */
export function taskEnv(task: PlanTask, ctx: ExecContext, workDir: string): Record<string, string> {
  return {
    P2P_TASK_ID: task.id,
    P2P_TASK_TITLE: task.title,
    P2P_TASK_BODY: task.body ?? task.title,
    P2P_TASK_PRIORITY: task.priority,
    P2P_TASK_DEPS: task.deps.join(","),
    P2P_ISSUE: String(ctx.issue),
    P2P_ISSUE_TITLE: stripHidden(ctx.issueTitle),
    P2P_ATTEMPT: String(ctx.attempt),
    P2P_NODE_ID: ctx.node,
    P2P_WORKDIR: workDir,
    P2P_DEP_BRANCHES: ctx.depBranches.join(","),
  };
}

/**
 * A one-line explanation of how a process ended, or `undefined` for a clean
 * exit 0. `what` names the process at the start of the sentence.
 *
 * @example
 * ```ts
 * describeEnd("Command", run, 1000, (s) => s); // "Command exited with code 2."
 * ```
 */
export function describeEnd(
  what: string,
  run: ProcessGroupResult,
  timeoutMs: number | undefined,
  clean: (text: string) => string,
): string | undefined {
  if (run.stopped === "timeout") {
    return `${what} timed out after ${timeoutMs} ms and was stopped (with its whole process group).`;
  }
  if (run.stopped === "abort") {
    return `${what} was stopped: ${clean(describeReason(run.abortReason))}`;
  }
  if (run.signal) return `${what} was killed by ${run.signal} (exit code ${run.code}).`;
  if (run.code !== 0) return `${what} exited with code ${run.code}.`;
  return undefined;
}

/**
 * Creates an executor that runs `sh -c <command>` for each task.
 *
 * The command's standard input is a {@linkcode CommandInput} JSON document;
 * its environment is `env` (nothing inherited) plus `P2P_TASK_ID`, `P2P_TASK_TITLE`, `P2P_TASK_BODY`,
 * `P2P_TASK_PRIORITY`, `P2P_TASK_DEPS`, `P2P_ISSUE`, `P2P_ISSUE_TITLE`,
 * `P2P_ATTEMPT`, `P2P_NODE_ID`, `P2P_WORKDIR` and `P2P_DEP_BRANCHES`
 * (comma-separated). It runs in `ctx.workDir` when set, else in
 * `<workRoot>/issue-<N>/<task>/attempt-<a>` (created, and left in place).
 *
 * The outcome never rejects: a command that cannot start, fails, times out or
 * is aborted (`ctx.signal`) gives `ok: false` with a summary that says so,
 * followed by the redacted tail of its output.
 *
 * @example
 * ```ts
 * const exec = commandExecutor({ command: "make test", timeoutMs: 600_000, workRoot: "/tmp/p2p" });
 * const outcome = await exec.run(task, ctx);
 * ```
 */
export function commandExecutor(opts: CommandExecutorOptions): Executor {
  const secrets = opts.secrets ?? [];
  const clean = redactor(secrets);
  return {
    name: "command",
    async run(task: PlanTask, ctx: ExecContext): Promise<ExecOutcome> {
      if (ctx.signal.aborted) {
        return {
          ok: false,
          result: { summary: `Not started: ${clean(describeReason(ctx.signal.reason))}` },
        };
      }
      const workDir = await resolveWorkDir(opts.workRoot, task, ctx);
      const input: CommandInput = {
        task,
        context: {
          issue: ctx.issue,
          issueTitle: stripHidden(ctx.issueTitle),
          issueBody: stripHidden(ctx.issueBody),
          attempt: ctx.attempt,
          node: ctx.node,
          depBranches: [...ctx.depBranches],
          workDir,
        },
      };
      const tail = new OutputTail();
      const onOutput = opts.onOutput;
      let run: ProcessGroupResult;
      try {
        run = await runProcessGroup({
          command: "sh",
          args: ["-c", opts.command],
          cwd: workDir,
          env: { ...opts.env, ...taskEnv(task, ctx, workDir) },
          ...(opts.containment ? { containment: opts.containment } : {}),
          label: `task ${task.id} attempt ${ctx.attempt} of issue #${ctx.issue}`,
          stdin: JSON.stringify(input) + "\n",
          signal: ctx.signal,
          ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
          ...(opts.killGraceMs !== undefined ? { killGraceMs: opts.killGraceMs } : {}),
          onStdoutLine: (line) => {
            tail.push(line + "\n");
            onOutput?.(clean(line), "stdout");
            const progress = parseProgressLine(line);
            if (progress) {
              ctx.onProgress(
                progress.percent,
                ...(progress.note !== undefined ? [clean(progress.note)] : []),
              );
            }
          },
          onStderrLine: (line) => {
            tail.push(line + "\n");
            onOutput?.(clean(line), "stderr");
          },
        });
      } catch (error) {
        return {
          ok: false,
          local: true,
          result: {
            summary: clean(
              `Could not start "sh -c ${opts.command}" in "${workDir}": ${
                describeReason(error)
              }. Check that sh is installed and the directory is writable.`,
            ),
          },
        };
      }
      const header = describeEnd("Command", run, opts.timeoutMs, clean);
      const output = tail.text(secrets, SUMMARY_TAIL_CHARS);
      const summary = [header, output].filter((s) => s !== undefined && s !== "").join("\n") ||
        "(no output)";
      return {
        ok: run.code === 0 && run.stopped === undefined,
        result: { summary, exitCode: run.code, durationMs: run.durationMs },
      };
    },
  };
}
