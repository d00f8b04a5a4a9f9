/**
 * The election role: announcing the node, campaigning for a term, and
 * confirming a win (after the settle window, or one re-read under a strict
 * lock).
 *
 * @module
 */
import { budgetReached } from "../protocol/cost.ts";
import type { SwarmState } from "../protocol/state.ts";
import { canCampaign, isFinished } from "../protocol/view.ts";
import type { NodeContext } from "./context.ts";
import type { StrictLocks } from "./locks.ts";

/**
 * Announcing and campaigning.
 *
 * @example
 * ```ts
 * const election = new Election(ctx, locks);
 * if (canCampaign(state, now)) await election.campaign(state.terms.length + 1);
 * ```
 */
export class Election {
  readonly #ctx: NodeContext;
  readonly #locks: StrictLocks;
  /** Terms this node won. */
  readonly terms: number[] = [];

  constructor(ctx: NodeContext, locks: StrictLocks) {
    this.#ctx = ctx;
    this.#locks = locks;
  }

  /**
   * Announces this node unless it is about to campaign (the election message
   * carries the announcement), the swarm has ended, or its cost cap is
   * reached (the node is about to stop). Every node's announcement is what
   * lets the others size their poll budget.
   */
  async announce(): Promise<void> {
    const ctx = this.#ctx;
    const state: SwarmState = ctx.view.state;
    if (state.ended || isFinished(state, ctx.now())) return;
    if (state.plan && budgetReached(state, ctx.config.maxCostUsd)) return;
    // A node that does not know its login yet (an installation token neither
    // GET /user nor GraphQL named) sees no message as its swarm's; in strict
    // mode a held lock could keep it from ever writing, so it announces first.
    const knowsItself = ctx.login !== "" || !ctx.config.strict;
    if (ctx.config.role !== "work" && canCampaign(state, ctx.now()) && knowsItself) return;
    await ctx.post([]);
  }

  /** Campaigns for `term`. Returns true when the loop should re-evaluate at once. */
  async campaign(term: number): Promise<boolean> {
    const ctx = this.#ctx;
    const strict = ctx.config.strict;
    const kind = `term-${term}`;
    // A term lock held for a whole election timeout with no election in the
    // log: its holder died between locking and campaigning; campaign through
    // the log alone.
    const locked = strict && !this.#locks.stale(kind, ctx.config.electionTimeoutMs);
    if (locked) {
      if (this.#locks.waiting(kind)) return false;
      // Unknown (a 5xx whose re-read did not tell): never campaign without
      // knowing the lock is ours; try again at the next poll.
      if ((await this.#locks.take(kind)) !== "mine") return false;
    }
    ctx.emit({ type: "campaign", term, serverTime: ctx.now() });
    const { comment } = await ctx.post([{
      type: "election",
      term,
      timeoutMs: ctx.config.electionTimeoutMs,
    }]);
    if (locked) {
      await ctx.refresh(); // only the lock holder campaigns for this term
    } else {
      await ctx.settle();
    }
    const winner = ctx.view.state.terms[term - 1];
    if (winner && winner.token === comment.id) {
      this.terms.push(term);
      ctx.emit({ type: "elected", term, token: winner.token, serverTime: ctx.now() });
    }
    return true;
  }
}
