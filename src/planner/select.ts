/**
 * Picks the planner for an issue from `--planner` and the environment.
 *
 * @module
 */
import type { Containment } from "../process/containment.ts";
import { claudePlanner } from "./claude.ts";
import { commandPlanner } from "./command.ts";
import { hasTaskList, markdownPlanner } from "./markdown.ts";
import { type IssueInput, type Planner, PlannerError } from "./planner.ts";
import { singleTaskPlanner } from "./single.ts";

/**
 * Values of `--planner`.
 *
 * @example
 * ```ts
 * const kind: PlannerKind = "auto";
 * ```
 */
export type PlannerKind = "markdown" | "command" | "claude" | "auto";

/**
 * The values of {@linkcode PlannerKind}, for help text and flag checks.
 *
 * @example
 * ```ts
 * PLANNER_KINDS.includes("claude"); // true
 * ```
 */
export const PLANNER_KINDS: readonly PlannerKind[] = ["auto", "markdown", "command", "claude"];

/**
 * Options of {@linkcode choosePlanner}.
 *
 * @example
 * ```ts
 * const opts: ChoosePlannerOptions = {
 *   planner: "auto",
 *   issue: { number: 3, title: "Search", body: "" },
 * };
 * ```
 */
export interface ChoosePlannerOptions {
  /** `--planner` (default `auto`). */
  planner?: PlannerKind;
  /** `--planner-cmd`: the command for the command planner. */
  plannerCmd?: string;
  /** The issue to plan; `auto` looks at its body. */
  issue: IssueInput;
  /** The `claude` executable (default `"claude"`). */
  claudePath?: string;
  /** Passed to Claude Code as `--model`. */
  model?: string;
  /** The Claude Code planner's turn limit (`--max-turns`). */
  plannerMaxTurns?: number;
  /** Timeout of the command or Claude Code planner. */
  timeoutMs?: number;
  /** Working directory for the command or Claude Code planner. */
  cwd?: string;
  /** The `PATH` to look `claude` up in (default: this process's). */
  path?: string;
  /** Environment of a planner command (nothing else is inherited; see `childEnv`). */
  env?: Readonly<Record<string, string>>;
  /** Environment of Claude Code as planner (`childEnv(env, { agent: "claude" })`). */
  claudeEnv?: Readonly<Record<string, string>>;
  /** Tags, records and sweeps planner processes (`src/process/containment.ts`). */
  containment?: Containment;
}

/**
 * What {@linkcode choosePlanner} picked, and why (for logs and the plan comment).
 *
 * @example
 * ```ts
 * const { name, reason } = await choosePlanner({ issue: { number: 3, title: "x", body: "" } });
 * ```
 */
export interface PlannerChoice {
  /** The planner to run. */
  planner: Planner;
  /** The planner's name: `markdown`, `command`, `claude` or `single`. */
  name: string;
  /** One sentence on why this planner was chosen. */
  reason: string;
}

/**
 * Whether `name` is an executable file: a path when it holds a `/`, else
 * looked up in the directories of `path` (colon-separated).
 *
 * @example
 * ```ts
 * await findExecutable("sh", "/usr/bin:/bin"); // "/usr/bin/sh" or "/bin/sh"
 * ```
 */
export async function findExecutable(
  name: string,
  path: string = Deno.env.get("PATH") ?? "",
): Promise<string | undefined> {
  const candidates = name.includes("/")
    ? [name]
    : path.split(":").filter((d) => d !== "").map((d) => `${d.replace(/\/+$/, "")}/${name}`);
  for (const file of candidates) {
    try {
      const st = await Deno.stat(file);
      if (st.isFile && st.mode !== null && (st.mode & 0o111) !== 0) return file;
    } catch {
      // Not there, or not readable: try the next directory.
    }
  }
  return undefined;
}

/**
 * Chooses the planner. `markdown`, `command` and `claude` are taken as asked
 * (`command` needs `plannerCmd`). `auto` (the default) picks, in order: the
 * command planner when `plannerCmd` is given; the Markdown planner when the
 * issue body holds a task list; Claude Code when `claude` is found; else the
 * single-task planner (the whole issue as one task).
 *
 * @example
 * ```ts
 * const { planner, name, reason } = await choosePlanner({
 *   issue: { number: 3, title: "Search", body: "- [ ] Add API" },
 * });
 * // name === "markdown"
 * const tasks = await planner.plan({ number: 3, title: "Search", body: "- [ ] Add API" });
 * ```
 */
export async function choosePlanner(opts: ChoosePlannerOptions): Promise<PlannerChoice> {
  const kind = opts.planner ?? "auto";
  const claudePath = opts.claudePath ?? "claude";
  const command = (cmd: string, reason: string): PlannerChoice => ({
    planner: commandPlanner({
      command: cmd,
      ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
      ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
      ...(opts.env !== undefined ? { env: opts.env } : {}),
      ...(opts.containment !== undefined ? { containment: opts.containment } : {}),
    }),
    name: "command",
    reason,
  });
  const claude = (reason: string, exe = claudePath): PlannerChoice => ({
    planner: claudePlanner({
      claudePath: exe,
      ...(opts.model !== undefined ? { model: opts.model } : {}),
      ...(opts.plannerMaxTurns !== undefined ? { maxTurns: opts.plannerMaxTurns } : {}),
      ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
      ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
      ...(opts.claudeEnv !== undefined ? { env: opts.claudeEnv } : {}),
      ...(opts.containment !== undefined ? { containment: opts.containment } : {}),
    }),
    name: "claude",
    reason,
  });
  const markdown = (reason: string): PlannerChoice => ({
    planner: markdownPlanner(),
    name: "markdown",
    reason,
  });

  switch (kind) {
    case "markdown":
      return markdown("--planner markdown was given.");
    case "claude":
      return claude("--planner claude was given.");
    case "command":
      if (!opts.plannerCmd?.trim()) {
        throw new PlannerError(
          "command",
          "--planner command needs the command to run: pass --planner-cmd CMD.",
        );
      }
      return command(opts.plannerCmd, "--planner command was given.");
    case "auto":
      break;
    default:
      throw new PlannerError(
        String(kind),
        `Unknown planner ${JSON.stringify(kind)}: use one of ${
          PLANNER_KINDS.map((k) => JSON.stringify(k)).join(", ")
        }.`,
      );
  }
  if (opts.plannerCmd?.trim()) {
    return command(opts.plannerCmd, "--planner-cmd was given.");
  }
  if (hasTaskList(opts.issue.body)) {
    return markdown(`Issue #${opts.issue.number} has a task list.`);
  }
  const found = await findExecutable(claudePath, opts.path);
  if (found !== undefined) {
    return claude(
      `Issue #${opts.issue.number} has no task list and Claude Code is installed (${found}).`,
      found,
    );
  }
  return {
    planner: singleTaskPlanner(),
    name: "single",
    reason: `Issue #${opts.issue.number} has no task list and ${
      JSON.stringify(claudePath)
    } was not found: the whole issue is one task.`,
  };
}
