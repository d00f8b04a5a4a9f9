/**
 * Where a task runs: the directory the caller prepared (a git worktree) or
 * one of the executor's own, per issue, task and attempt.
 *
 * @module
 */
import { join } from "node:path";
import type { PlanTask } from "../protocol/types.ts";
import type { ExecContext } from "./port.ts";

/**
 * Makes a task id safe as one path component or git ref component: anything
 * outside `A-Z a-z 0-9 - _ .` becomes `_`, and the forms git and file systems
 * reject (leading `.`, `..`, trailing `.` or `.lock`) are defused.
 *
 * @example
 * ```ts
 * safeComponent("T1.2"); // "T1.2"
 * safeComponent("../x"); // "_._x"
 * ```
 */
export function safeComponent(id: string): string {
  let out = id.replace(/[^A-Za-z0-9._-]/g, "_").replace(/\.\./g, "_.");
  if (out.startsWith(".")) out = "_" + out.slice(1);
  if (out.endsWith(".lock")) out = out.slice(0, -".lock".length) + "_lock";
  if (out.endsWith(".")) out = out.slice(0, -1) + "_";
  return out.length > 0 ? out : "_";
}

/**
 * The executor's own directory for one attempt of a task:
 * `<workRoot>/issue-<N>/<task>/attempt-<a>`.
 *
 * @example
 * ```ts
 * ownWorkDir("/tmp/w", 7, "T1", 2); // "/tmp/w/issue-7/T1/attempt-2"
 * ```
 */
export function ownWorkDir(
  workRoot: string,
  issue: number,
  taskId: string,
  attempt: number,
): string {
  return join(workRoot, `issue-${issue}`, safeComponent(taskId), `attempt-${attempt}`);
}

/**
 * The directory a run works in: `ctx.workDir` when the caller prepared one,
 * else a fresh directory of the executor's own under `workRoot`. Created if
 * missing.
 *
 * @example
 * ```ts
 * const dir = await resolveWorkDir("/tmp/w", task, ctx);
 * ```
 */
export async function resolveWorkDir(
  workRoot: string,
  task: PlanTask,
  ctx: ExecContext,
): Promise<string> {
  const dir = ctx.workDir ?? ownWorkDir(workRoot, ctx.issue, task.id, ctx.attempt);
  await Deno.mkdir(dir, { recursive: true });
  return dir;
}
