/**
 * The worker's claims: pick the next ready task (judged as the state will be
 * once a carried completion lands, so both share one comment), take the
 * strict lock if asked, post the claim, confirm it after the settle window
 * (or one re-read under a lock) and run it; release attempts this process
 * holds but does not run.
 *
 * @module
 */
import { budgetReached } from "../protocol/cost.ts";
import { doneDurations } from "../protocol/admission.ts";
import { applyComment } from "../protocol/fold.ts";
import { leaseFor, leaseOf } from "../protocol/leases.ts";
import { claimStamp, firstWave, readyTasks } from "../protocol/schedule.ts";
import { taskPhase } from "../protocol/view.ts";
import { candidateStaggerMs } from "./admission.ts";
import type { SwarmState } from "../protocol/state.ts";
import type { ProtocolEvent } from "../protocol/types.ts";
import { errorText, isTransientApiError } from "./api_errors.ts";
import type { NodeContext } from "./context.ts";
import type { Execution } from "./execution.ts";
import type { StrictLocks } from "./locks.ts";

/**
 * Claiming and working.
 *
 * @example
 * ```ts
 * const claims = new Claims(ctx, locks, new Execution(ctx));
 * const { carry } = await claims.claimAndWork([]);
 * ```
 */
export class Claims {
  readonly #ctx: NodeContext;
  readonly #locks: StrictLocks;
  readonly #execution: Execution;
  /** Claims this node posted or tried that another won. */
  claimsLost = 0;
  /** Whether this node posted a claim yet (the first wave's seats). */
  #claimed = false;
  /** Nonces of this process's claims confirmed without a settle window. */
  readonly #unread = new Set<string>();

  constructor(ctx: NodeContext, locks: StrictLocks, execution: Execution) {
    this.#ctx = ctx;
    this.#locks = locks;
    this.#execution = execution;
  }

  /** Flushes `carry` when there is any; returns the carry left. */
  async flush(carry: ProtocolEvent[]): Promise<ProtocolEvent[]> {
    if (carry.length === 0) return carry;
    await this.#ctx.post(carry);
    return [];
  }

  /** Releases attempts held under this node id by an earlier process (a restart). */
  async releaseOrphans(): Promise<void> {
    const ctx = this.#ctx;
    try {
      await ctx.releaseLive(
        (a) =>
          a.node === ctx.config.node && a.author === ctx.login &&
          !ctx.nonces.has(a.claimNonce),
        "restarted",
      );
    } catch (error) {
      if (!isTransientApiError(error)) throw error;
      // The attempts lapse with their leases instead.
      ctx.emit({ type: "api_error", message: errorText(error), serverTime: ctx.now() });
    }
  }

  /**
   * Claims the next ready task (posting `carry` events in the same comment),
   * confirms it after the settle window and runs it. Returns the events to
   * carry into the next write (a completion to combine with the next claim).
   *
   * `onCarried` is called once `carry` is in the log (with the claim, or
   * alone when nothing is claimed).
   *
   * In strict mode the claim is posted only under the attempt's lock; a held
   * lock sends the node to the next ready task, and a lock whose claim did
   * not land is claimed again under it (same nonce) or deleted at once.
   */
  async claimAndWork(
    carry: ProtocolEvent[],
    onCarried?: () => void,
  ): Promise<{ carry: ProtocolEvent[]; posted: boolean; lost?: boolean }> {
    const ctx = this.#ctx;
    const strict = ctx.config.strict;
    // A conditional re-read before claiming: free (304) when nothing changed,
    // and it spares a lost race when another node claimed in the meantime.
    if (ctx.deps.clock.now() - ctx.lastRead >= ctx.config.pollMinMs / 2) {
      await ctx.refresh();
    }
    await this.#releaseStray(carry);
    const state = ctx.view.state;
    const now = ctx.now();
    const leaseMs = state.settings.leaseMs;
    const { picks, after } = this.#picksAfter(state, carry, now);
    const kindOf = (p: { task: string; attempt: number }) => `${p.task}/attempt-${p.attempt}`;
    const pick = strict
      ? picks.find((p) => !this.#locks.waiting(kindOf(p)) || this.#locks.stale(kindOf(p), leaseMs))
      : picks[0];
    const flushed = async () => {
      const left = await this.flush(carry);
      onCarried?.();
      return left;
    };
    if (!pick) return { carry: await flushed(), posted: carry.length > 0 };
    const lockKind = kindOf(pick);
    // The comment that makes the task ready carries this claim: the result
    // its last dependency waited for. Nobody could see the task ready before
    // that comment existed, so no rival claim can come first and there is no
    // list lag to wait out, as long as nobody else can have posted that
    // result too (`#soleResults`).
    const task = state.tasks[pick.task];
    const unlocks = task !== undefined && taskPhase(state, task, now) === "blocked" &&
      this.#soleResults(state, carry, now);
    // A lock held for a whole lease with no claim in the log: its holder died
    // between locking and claiming, so the attempt is claimed through the log.
    const locked = strict && !this.#locks.stale(lockKind, leaseMs);
    if (locked) {
      const outcome = await this.#locks.take(lockKind);
      if (outcome !== "mine") {
        if (outcome === "theirs") {
          this.claimsLost++;
          ctx.emit({ ...pick, type: "claim_lost", winner: "(lock held)", serverTime: now });
        }
        // Not a tight loop: the next try waits a poll.
        return { carry: await flushed(), posted: false };
      }
    }
    ctx.emit({ type: "claim", ...pick, serverTime: now });
    ctx.admission.noteClaim();
    this.#claimed = true;
    const nonce = ctx.nonce();
    // A lease sized from the tasks done so far: no renewal for a task as
    // long as the longest yet (leases.ts, `leaseFor`).
    const asked = leaseFor(doneDurations(after), leaseMs);
    const claim: ProtocolEvent = asked === undefined
      ? { type: "claim", ...pick }
      : { type: "claim", ...pick, leaseMs: asked };
    const events: ProtocolEvent[] = [...carry, claim];
    let sure = await this.#tryPost(events, nonce);
    if (!sure) {
      // The outcome is unknown: wait out list lag and look for the nonce.
      await ctx.settle();
      if (locked && !Object.hasOwn(ctx.view.state.nonces, nonce)) {
        // Under the lock nobody else claims this attempt: claim again, same nonce.
        sure = await this.#tryPost(events, nonce);
      }
    } else if (locked) {
      // One re-read confirms: only the lock holder claims this attempt.
      await ctx.refresh();
    } else if (!unlocks) {
      await ctx.settle();
    }
    const landed = Object.hasOwn(ctx.view.state.nonces, nonce);
    if (landed) onCarried?.();
    // Confirmed without a read: its own result never unlocks without one.
    if (unlocks && sure) this.#unread.add(nonce);
    const kept = landed ? [] : carry;
    const attempt = ctx.view.state.tasks[pick.task]?.attempts[pick.attempt - 1];
    if (!attempt || attempt.claimNonce !== nonce) {
      this.claimsLost++;
      // A claim that did not land (or lost) frees its lock at once, so the
      // attempt is not stranded; a late landing is released as stray.
      if (locked) await this.#locks.release(lockKind);
      ctx.emit({
        type: "claim_lost",
        ...pick,
        winner: attempt?.node ?? "(none)",
        serverTime: ctx.now(),
      });
      return { carry: kept, posted: true, lost: true };
    }
    const next = await this.#execution.run(pick.task, pick.attempt, nonce);
    return { carry: [...kept, ...next], posted: true };
  }

  /**
   * A node's first claim while the plan is young (two settle windows, as
   * the candidate seats' stagger): seat `s` tries the `s`-th task of the
   * plan's first wave ({@linkcode firstWave}, modulo its length) before the
   * rest. Every admitted node is idle at the plan's start and they all
   * claim within a poll of it; ranked by each node's own rendezvous weight,
   * two of them often chose the same task and one claim was lost (written
   * for nothing). Seats spread over the wave instead, so only seats beyond
   * its length meet another. Nobody waits for a seat: a task goes to the
   * first valid claim, as ever.
   */
  #firstWavePicks(
    state: SwarmState,
    now: number,
    picks: { task: string; attempt: number }[],
  ): { task: string; attempt: number }[] {
    const ctx = this.#ctx;
    if (this.#claimed || !state.plan) return picks;
    if (now - state.plan.at >= candidateStaggerMs(ctx.config)) return picks;
    const view = ctx.admission.view();
    if (view.seat === undefined) return picks;
    const wave = firstWave(state);
    if (wave.length === 0) return picks;
    // A seat past the wave's end would only meet the seat `s mod length`
    // that claims the same task now: it holds back for a settle window, by
    // when the wave's claims show, and then claims what is still free (a
    // seat whose node is gone leaves its task to it).
    if (view.seat >= wave.length && now - state.plan.at < ctx.config.settleMs) return [];
    const mine = picks.find((p) => p.task === wave[view.seat! % wave.length]);
    return mine ? [mine, ...picks.filter((p) => p !== mine)] : picks;
  }

  /**
   * Whether `carry` holds completions only this process can have posted: of
   * attempts it claimed and confirmed after a settle window (or under a
   * lock), the first and only attempt of their tasks, and live for a whole
   * settle ceiling more. Otherwise another process may have completed the
   * same task meanwhile (an owner whose earlier attempt lapsed and that
   * finishes late, one that took over this attempt after a pause longer
   * than its lease, a twin under the same node id) and claimed the task it
   * unblocks with it: that claim would come first, and this one must wait
   * the settle window to see it.
   */
  #soleResults(state: SwarmState, carry: ProtocolEvent[], now: number): boolean {
    const ctx = this.#ctx;
    if (!state.plan || carry.length === 0) return false;
    for (const e of carry) {
      if (e.type !== "progress" || e.status !== "completed") return false;
      const t = state.tasks[e.task];
      const a = t?.attempts[e.attempt - 1];
      if (!t || !a || t.attempts.length !== 1 || a.end) return false;
      if (!ctx.nonces.has(a.claimNonce) || this.#unread.has(a.claimNonce)) return false;
      if (now + ctx.config.settleMs > a.lastBeat + leaseOf(state, a)) return false;
    }
    return true;
  }

  /** Posts a message; false when its outcome is unknown (a transient error). */
  async #tryPost(events: ProtocolEvent[], nonce: string): Promise<boolean> {
    const ctx = this.#ctx;
    try {
      await ctx.post(events, nonce);
      return true;
    } catch (error) {
      if (!isTransientApiError(error)) throw error;
      ctx.emit({ type: "api_error", message: errorText(error), serverTime: ctx.now() });
      return false;
    }
  }

  /**
   * Releases live attempts this process claimed but is not running (a claim
   * whose write failed yet landed, seen only later).
   */
  async #releaseStray(carry: ProtocolEvent[]): Promise<void> {
    const ctx = this.#ctx;
    const reported = new Set(carry.map((e) => "task" in e ? e.task : ""));
    await ctx.releaseLive((a) => ctx.nonces.has(a.claimNonce), "claim not confirmed", reported);
  }

  /**
   * The tasks to claim, best first, judged on the state as it will be once
   * `carry` (a completion) is folded, and that state: so a completion and
   * the next claim can share one comment, and the completion's run time
   * counts in the claim's lease.
   */
  #picksAfter(
    state: SwarmState,
    carry: ProtocolEvent[],
    now: number,
  ): { picks: { task: string; attempt: number }[]; after: SwarmState } {
    const ctx = this.#ctx;
    if (carry.length === 0) {
      const picks = budgetReached(state, ctx.config.maxCostUsd)
        ? []
        : this.#firstWavePicks(state, now, readyTasks(state, ctx.config.node, now));
      return { picks, after: state };
    }
    const future = structuredClone(state);
    const body = ctx.encode(carry, "preview");
    applyComment(
      future,
      {
        id: state.lastId + 1,
        body,
        author: ctx.login,
        authorType: "User",
        // Stamped to the second, as GitHub stamps it (schedule.ts, `claimStamp`).
        createdAt: Math.max(claimStamp(now), state.lastTime),
        updatedAt: Math.max(claimStamp(now), state.lastTime),
      },
      ctx.view.policy,
      ctx.view.facts,
    );
    // A completion that spends the rest of the budget claims nothing more.
    if (budgetReached(future, ctx.config.maxCostUsd)) return { picks: [], after: future };
    // (The plan's last part, carried by a leader, starts its first wave.)
    const picks = this.#firstWavePicks(future, now, readyTasks(future, ctx.config.node, now));
    return { picks, after: future };
  }
}
