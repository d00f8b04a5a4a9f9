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
 * Whether a task id can be used as it is as one git ref component and one
 * file name: only ASCII letters, digits, `_`, `-` and `.`, not starting or
 * ending with `.`, no `..`, not ending with `.lock`
 * (https://git-scm.com/docs/git-check-ref-format).
 */
function isPlainId(id: string): boolean {
  return /^[A-Za-z0-9_.-]+$/.test(id) && !id.startsWith(".") && !id.endsWith(".") &&
    !id.includes("..") && !id.endsWith(".lock");
}

/**
 * The name of a task id as one git ref component and one path component.
 * Injective: two different ids never get the same name, so no two tasks share
 * a branch or a working directory.
 *
 * - A plain id (letters, digits, `_`, `-`, `.`, and none of the forms git
 *   refuses: a leading or trailing `.`, `..`, a `.lock` ending) is its own
 *   name: `T1`, `api-2`, `T1.2`, `task_3`.
 * - Any other id is encoded: each `.` becomes `+`, and each character
 *   outside `A-Z a-z 0-9 _ -` and `.` becomes `=` and two hexadecimal digits
 *   per UTF-8 byte (`=` alone for the empty id). `T1.lock` -> `T1+lock`,
 *   `.x` -> `+x`, `a..b` -> `a++b`.
 *
 * Plain names hold neither `+` nor `=`, encoded ones always hold one of
 * them, and the encoding can be undone: so the mapping is one-to-one, and
 * every name is a valid ref component (no `.` at all in encoded names).
 *
 * @example
 * ```ts
 * safeComponent("T1.2"); // "T1.2"
 * safeComponent("T1.lock"); // "T1+lock"
 * safeComponent("T1_lock"); // "T1_lock"
 * ```
 */
export function safeComponent(id: string): string {
  if (isPlainId(id)) return id;
  if (id === "") return "=";
  let out = "";
  for (const ch of id) {
    if (/[A-Za-z0-9_-]/.test(ch)) out += ch;
    else if (ch === ".") out += "+";
    else {
      for (const b of new TextEncoder().encode(ch)) {
        out += "=" + b.toString(16).toUpperCase().padStart(2, "0");
      }
    }
  }
  return out;
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
