/**
 * The command planner (`--planner-cmd CMD`): any program that reads the issue
 * as JSON on stdin and prints the task graph as JSON on stdout.
 *
 * The command runs as `sh -c CMD` with stdin
 * `{"number": 12, "title": "...", "body": "..."}` (hidden HTML comments and
 * invisible characters removed) and the environment variable
 * `P2P_DEV_ISSUE_NUMBER` on top of the allowlisted environment it is given. It prints `[{...}]` or `{"tasks": [...]}`
 * in the shape described in `json.ts`, and exits 0.
 *
 * @module
 */
import type { Containment } from "../process/containment.ts";
import { assertValidGraph, GraphValidationError } from "../protocol/graph.ts";
import { stripHidden } from "../text/hidden.ts";
import type { PlanTask } from "../protocol/types.ts";
import { parseJsonText, TaskJsonError, tasksFromJson } from "./json.ts";
import { type IssueInput, type Planner, PlannerError } from "./planner.ts";
import { runProcess } from "./process.ts";

/**
 * Options of {@linkcode commandPlanner}.
 *
 * @example
 * ```ts
 * const opts: CommandPlannerOptions = { command: "./plan.sh", timeoutMs: 60_000 };
 * ```
 */
export interface CommandPlannerOptions {
  /** Shell command line, run with `sh -c`. */
  command: string;
  /** Stop the command after this long (default 10 minutes). */
  timeoutMs?: number;
  /** Working directory of the command (default: ours). */
  cwd?: string;
  /**
   * The command's environment besides `P2P_DEV_ISSUE_NUMBER`: nothing of
   * this process's is inherited. Build it with `childEnv`
   * (`src/process/child_env.ts`).
   */
  env?: Readonly<Record<string, string>>;
  /** Tags, records and sweeps the command's processes (`src/process/containment.ts`). */
  containment?: Containment;
  /** Shell to run the command with (default `sh`). */
  shell?: string;
}

/**
 * Default planner-command timeout: 10 minutes.
 *
 * @example
 * ```ts
 * commandPlanner({ command: "./plan.sh", timeoutMs: DEFAULT_COMMAND_TIMEOUT_MS / 2 });
 * ```
 */
export const DEFAULT_COMMAND_TIMEOUT_MS = 10 * 60 * 1000;

/**
 * The last `n` characters of `text`, trimmed, with an ellipsis when cut.
 *
 * @example
 * ```ts
 * tail("a".repeat(600) + "END", 3); // "…END"
 * ```
 */
export function tail(text: string, n = 500): string {
  const t = text.trim();
  return t.length > n ? `…${t.slice(t.length - n)}` : t;
}

/**
 * Turns a planner's printed text into a validated graph, or throws a
 * {@linkcode PlannerError} whose message names the problem (`what` names the
 * source, for example `Planner command "./plan.sh"`).
 *
 * @example
 * ```ts
 * const tasks = tasksFromOutput("command", "Planner command", '[{"id":"T1","title":"Add API"}]');
 * ```
 */
export function tasksFromOutput(planner: string, what: string, text: string): PlanTask[] {
  try {
    const tasks = tasksFromJson(parseJsonText(text));
    assertValidGraph(tasks);
    return tasks;
  } catch (e) {
    if (e instanceof TaskJsonError) {
      throw new PlannerError(planner, `${what} printed an invalid task list: ${e.message}`, {
        cause: e,
      });
    }
    if (e instanceof GraphValidationError) {
      throw new PlannerError(planner, `${what} printed an invalid task graph: ${e.message}`, {
        cause: e,
      });
    }
    throw e;
  }
}

/**
 * A planner that runs an external command.
 *
 * @example
 * ```ts
 * const planner = commandPlanner({ command: "./scripts/plan.sh", timeoutMs: 60_000 });
 * const tasks = await planner.plan({ number: 12, title: "Add search", body: "..." });
 * ```
 */
export function commandPlanner(opts: CommandPlannerOptions): Planner {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  const shown = opts.command.length > 80 ? `${opts.command.slice(0, 80)}…` : opts.command;
  const what = `Planner command ${JSON.stringify(shown)}`;
  return {
    name: "command",
    async plan(issue: IssueInput, signal?: AbortSignal): Promise<PlanTask[]> {
      if (opts.command.trim() === "") {
        throw new PlannerError("command", "The planner command is empty: pass --planner-cmd CMD.");
      }
      let result;
      try {
        result = await runProcess({
          cmd: opts.shell ?? "sh",
          args: ["-c", opts.command],
          stdin: JSON.stringify({
            number: issue.number,
            title: stripHidden(issue.title),
            body: stripHidden(issue.body),
          }),
          timeoutMs,
          ...(signal ? { signal } : {}),
          ...(opts.cwd ? { cwd: opts.cwd } : {}),
          env: { ...opts.env, P2P_DEV_ISSUE_NUMBER: String(issue.number) },
          ...(opts.containment ? { containment: opts.containment } : {}),
          label: `planner command for issue #${issue.number}`,
        });
      } catch (e) {
        if (signal?.aborted && e === signal.reason) throw e;
        if (e instanceof DOMException && e.name === "TimeoutError") {
          throw new PlannerError(
            "command",
            `${what} did not finish within ${
              formatMs(timeoutMs)
            } and was stopped: make it faster or raise the planner timeout.`,
            { cause: e },
          );
        }
        if (e instanceof RangeError) {
          throw new PlannerError("command", `${what} failed: ${e.message}`, { cause: e });
        }
        throw new PlannerError("command", `${what} could not be started: ${(e as Error).message}`, {
          cause: e,
        });
      }
      if (result.code !== 0) {
        const how = result.signal
          ? `was killed by signal ${result.signal}`
          : `exited with code ${result.code}`;
        const err = tail(result.stderr);
        throw new PlannerError(
          "command",
          `${what} ${how}${err ? `; stderr ends with: ${err}` : " and printed nothing on stderr"}`,
        );
      }
      return tasksFromOutput("command", what, result.stdout);
    },
  };
}

/**
 * Formats a duration for a message: `750 ms`, `30 s`, `10 min`.
 *
 * @example
 * ```ts
 * formatMs(90_000); // "90 s"
 * ```
 */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 120_000 || ms % 60_000 !== 0) return `${Math.round(ms / 100) / 10} s`;
  return `${ms / 60_000} min`;
}
