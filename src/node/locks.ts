/**
 * Strict mode's atomic git-ref locks: creating a ref that exists fails with
 * 422, so of all nodes trying one lock, one wins. A node takes a lock before
 * it campaigns for a term or claims an attempt, keeps the locks it won until
 * the swarm has finished, then deletes them.
 *
 * @module
 */
import type { NodeContext } from "./context.ts";

/**
 * The strict-mode locks of one node.
 *
 * @example
 * ```ts
 * const locks = new StrictLocks(ctx);
 * if (await locks.take("T1/attempt-1")) locks.keep("T1/attempt-1");
 * ```
 */
export class StrictLocks {
  readonly #ctx: NodeContext;
  #sha?: string;
  /** Locks this node holds, kept until the swarm ends. */
  readonly #held = new Set<string>();
  /** When this node first found a claim lock held by another (local time). */
  readonly #heldByOther = new Map<string, number>();

  constructor(ctx: NodeContext) {
    this.#ctx = ctx;
  }

  /**
   * Tries to create the lock `kind` (`term-3`, `T1/attempt-2`): true when
   * this call created it, false when it existed. Throws on an unknown outcome.
   */
  async take(kind: string): Promise<boolean> {
    const { github } = this.#ctx.deps;
    this.#sha ??= await github.branchSha(await github.defaultBranch());
    return await github.createRef(`refs/heads/${this.#name(kind)}`, this.#sha);
  }

  /** Remembers a lock this node won, to delete it when the swarm ends. */
  keep(kind: string): void {
    this.#held.add(kind);
  }

  /** Notes that another node held the claim lock `kind` when this node last tried it. */
  noteHeldByOther(kind: string): void {
    this.#heldByOther.set(kind, this.#ctx.deps.clock.now());
  }

  /**
   * Whether a claim lock held by another node has been held for a whole lease
   * with no claim in the log: its holder died between locking and claiming,
   * so the attempt is claimed through the log alone.
   */
  expired(kind: string): boolean {
    const since = this.#heldByOther.get(kind);
    return since !== undefined &&
      this.#ctx.deps.clock.now() - since > this.#ctx.view.state.settings.leaseMs;
  }

  /** Deletes every lock this node took (the swarm has ended). */
  async releaseAll(): Promise<void> {
    for (const kind of this.#held) await this.#unlock(kind);
    this.#held.clear();
  }

  /** Deletes one of this node's lock refs; a missing ref is fine. */
  async #unlock(kind: string): Promise<void> {
    await this.#ctx.deps.github.deleteRef(`heads/${this.#name(kind)}`).catch(() => {});
  }

  #name(kind: string): string {
    return `p2p-lock/issue-${this.#ctx.config.issue}/${kind}`;
  }
}
