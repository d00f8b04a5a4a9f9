/**
 * Stale git lock files: what a killed git process leaves behind.
 *
 * Git takes a lock on a ref, the index or `packed-refs` by creating
 * `<file>.lock` exclusively, and removes it when it is done. A git process
 * killed in between (a node stopped with SIGKILL, a runner shut down) leaves
 * the file, and every later command that needs that lock fails with
 * "Unable to create '….lock': File exists" until someone removes it. Git
 * cannot tell a stale lock from a live one (the file holds no process id),
 * so it never removes one by itself.
 *
 * Delivery knows more: its own git commands on a repository are serialised
 * in the process, so while it holds that lock, a lock on the task's own
 * branch (`refs/heads/p2p/issue-<N>/<task>`, which no other writer touches)
 * is stale whatever its age. Locks a person's git could hold too (a
 * remote-tracking ref, `packed-refs`, `shallow`) are removed only once they
 * are older than any git operation that takes them lasts, so a command
 * running in the same clone at that moment is never disturbed.
 *
 * @module
 */
import { join } from "node:path";

/**
 * How old a shared lock must be before it is taken as stale: git holds
 * these for the length of one ref update or one fetch's bookkeeping, well
 * under a second.
 */
export const SHARED_LOCK_STALE_MS = 60_000;

/**
 * What {@linkcode clearStaleGitLocks} looks at.
 *
 * @example
 * ```ts
 * const req: StaleLockRequest = {
 *   commonDir: "/work/repo/.git",
 *   ownRefs: ["refs/heads/p2p/issue-7/T3"],
 *   sharedRefs: ["refs/remotes/origin/main"],
 * };
 * ```
 */
export interface StaleLockRequest {
  /** The repository's common git directory (`git rev-parse --git-common-dir`). */
  commonDir: string;
  /** Refs only this delivery writes: their locks are removed at any age. */
  ownRefs: readonly string[];
  /** Refs others may update too: their locks are removed once stale. */
  sharedRefs: readonly string[];
  /** The current time in milliseconds; default `Date.now()`. */
  now?: number;
  /** Age from which a shared lock is stale; default {@linkcode SHARED_LOCK_STALE_MS}. */
  staleAfterMs?: number;
}

/**
 * Removes the stale lock files that would stop delivery's git commands, and
 * returns their paths relative to the git directory (empty when there was
 * none). Call it while holding the repository's delivery lock.
 *
 * @example
 * ```ts
 * const removed = await clearStaleGitLocks({
 *   commonDir: "/work/repo/.git",
 *   ownRefs: ["refs/heads/p2p/issue-7/T3"],
 *   sharedRefs: ["refs/remotes/origin/main"],
 * });
 * removed; // ["refs/heads/p2p/issue-7/T3.lock"] after a killed `git worktree add`
 * ```
 */
export async function clearStaleGitLocks(req: StaleLockRequest): Promise<string[]> {
  const now = req.now ?? Date.now();
  const staleAfter = req.staleAfterMs ?? SHARED_LOCK_STALE_MS;
  const candidates: { path: string; own: boolean }[] = [
    ...req.ownRefs.map((ref) => ({ path: `${ref}.lock`, own: true })),
    ...req.sharedRefs.map((ref) => ({ path: `${ref}.lock`, own: false })),
    { path: "packed-refs.lock", own: false },
    { path: "shallow.lock", own: false },
  ];
  const removed: string[] = [];
  for (const { path, own } of candidates) {
    const full = join(req.commonDir, path);
    let info: Deno.FileInfo;
    try {
      info = await Deno.lstat(full);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) continue;
      throw error;
    }
    if (!info.isFile) continue;
    const age = now - (info.mtime?.getTime() ?? now);
    if (!own && age < staleAfter) continue;
    try {
      await Deno.remove(full);
      removed.push(path);
    } catch (error) {
      // Its owner finished meanwhile and removed it: nothing stale is left.
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  return removed;
}
