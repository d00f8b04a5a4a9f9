/**
 * Strict mode's atomic git-ref locks: creating a ref that exists fails with
 * 422 "Reference already exists", so of all nodes trying one lock, one wins
 * (https://docs.github.com/rest/git/refs#create-a-reference).
 *
 * - Locks live outside `refs/heads/`, as `refs/p2p-lock/issue-N/<kind>`: the
 *   create-a-reference endpoint takes any fully qualified name that starts
 *   with `refs` and has at least two slashes, and such a ref is neither a
 *   branch nor a tag, so it does not show among branches and is not a
 *   `create`, `delete` or `push` of a branch or tag that workflows listen to.
 * - Every lock of a process points at a commit object of its own (made once
 *   through the git data API, its message naming the issue, node and
 *   process), so after an unknown outcome a re-read of the ref says whose it
 *   is.
 * - A lock held by another is not retried at every poll: its retry waits
 *   double, and after a whole timeout with nothing in the log the holder is
 *   presumed dead and the attempt is claimed through the log alone.
 * - A node deletes its locks when it stops, one at a time (no burst of
 *   deletions), and a lock at once when its claim did not land.
 *
 * @module
 */
import { isTransientApiError } from "./api_errors.ts";
import type { NodeContext } from "./context.ts";

/** Pause between two lock deletions of one node (at most 50 a minute). */
export const LOCK_DELETE_SPACING_MS = 1_200;

/** The outcome of trying a lock. */
export type LockOutcome = "mine" | "theirs" | "unknown";

/**
 * The strict-mode locks of one node process.
 *
 * @example
 * ```ts
 * const locks = new StrictLocks(ctx);
 * if ((await locks.take("T1/attempt-1")) === "mine") {
 *   // post the claim
 * }
 * ```
 */
export class StrictLocks {
  readonly #ctx: NodeContext;
  #target?: string;
  /** Locks this process created (or found at its own object), until deleted. */
  readonly #mine = new Set<string>();
  /** Kinds whose create had an unknown outcome: a later 422 may be our own lock. */
  readonly #unsure = new Set<string>();
  /** Locks found held by another: when first seen, tries so far, next try (local time). */
  readonly #theirs = new Map<string, { since: number; tries: number; next: number }>();

  constructor(ctx: NodeContext) {
    this.#ctx = ctx;
  }

  /** The full ref name of lock `kind`. */
  ref(kind: string): string {
    return `refs/p2p-lock/issue-${this.#ctx.config.issue}/${kind}`;
  }

  /** Whether this process holds lock `kind`. */
  holds(kind: string): boolean {
    return this.#mine.has(kind);
  }

  /** Number of locks this process holds. */
  get size(): number {
    return this.#mine.size;
  }

  /**
   * Whether to leave lock `kind` alone for now: another node held it when
   * this node last tried, and its retry time has not come.
   */
  waiting(kind: string): boolean {
    const t = this.#theirs.get(kind);
    return t !== undefined && this.#ctx.deps.clock.now() < t.next;
  }

  /**
   * Whether another node has held lock `kind` for longer than `timeoutMs`
   * while nothing in the log used it: its holder is presumed dead.
   */
  stale(kind: string, timeoutMs: number): boolean {
    const t = this.#theirs.get(kind);
    return t !== undefined && this.#ctx.deps.clock.now() - t.since > timeoutMs;
  }

  /**
   * Tries to create lock `kind` (`term-3`, `T1/attempt-2`). `mine` when this
   * process holds it, `theirs` when another does, `unknown` when GitHub's
   * answers did not tell (try again later). Throws errors that retrying
   * cannot fix.
   */
  async take(kind: string): Promise<LockOutcome> {
    if (this.#mine.has(kind)) return "mine";
    try {
      const sha = await this.#ownTarget();
      const ref = this.ref(kind);
      let created: boolean;
      try {
        created = await this.#ctx.github.createRef(ref, sha);
      } catch (error) {
        if (!isTransientApiError(error)) throw error;
        this.#unsure.add(kind);
        return await this.#whose(kind, sha);
      }
      if (!created && this.#unsure.has(kind)) return await this.#whose(kind, sha);
      if (created) return this.#won(kind);
      this.#lost(kind);
      return "theirs";
    } catch (error) {
      if (!isTransientApiError(error)) throw error;
      return "unknown";
    }
  }

  /** Deletes lock `kind` now (a claim that did not land under it). */
  async release(kind: string): Promise<void> {
    if (!this.#mine.delete(kind)) return;
    await this.#delete(kind);
  }

  /** Deletes every lock this process holds, one at a time (the node stops). */
  async releaseAll(): Promise<void> {
    let first = true;
    for (const kind of [...this.#mine]) {
      // Not aborted by the stop signal: the pause is what keeps this from a burst.
      if (!first) await this.#ctx.deps.clock.sleep(LOCK_DELETE_SPACING_MS);
      first = false;
      this.#mine.delete(kind);
      await this.#delete(kind);
    }
  }

  async #delete(kind: string): Promise<void> {
    try {
      await this.#ctx.github.deleteRef(this.ref(kind));
    } catch {
      // Left behind: a stale lock is passed over by others after a timeout.
    }
  }

  /** Reads the ref to learn whose lock `kind` is after an unknown outcome. */
  async #whose(kind: string, sha: string): Promise<LockOutcome> {
    const found = await this.#ctx.github.getRef(this.ref(kind));
    if (found === undefined) return "unknown";
    this.#unsure.delete(kind);
    if (found === sha) return this.#won(kind);
    this.#lost(kind);
    return "theirs";
  }

  #won(kind: string): LockOutcome {
    this.#mine.add(kind);
    this.#theirs.delete(kind);
    return "mine";
  }

  #lost(kind: string): void {
    const now = this.#ctx.deps.clock.now();
    const t = this.#theirs.get(kind) ?? { since: now, tries: 0, next: now };
    t.tries++;
    // The holder may delete it at once (its claim did not land): look again
    // after a poll, then less and less often.
    t.next = now + this.#ctx.config.pollMinMs * 2 ** Math.min(t.tries - 1, 6);
    this.#theirs.set(kind, t);
  }

  /** This process's lock object: a commit on the default branch's tree, made once. */
  async #ownTarget(): Promise<string> {
    if (this.#target) return this.#target;
    const ctx = this.#ctx;
    const { github } = ctx;
    const tip = await github.branchSha(await github.defaultBranch());
    const tree = await github.commitTree(tip);
    this.#target = await github.createCommit({
      message: `p2p-dev lock target: issue #${ctx.config.issue}, node ${ctx.config.node}, ` +
        `process ${ctx.nonce()}`,
      tree,
      parents: [tip],
    });
    return this.#target;
  }
}
