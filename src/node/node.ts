/**
 * One swarm node: it announces itself, takes part in the election, plans and
 * publishes if it leads, then claims and runs tasks until every task is
 * finished or failed, or a limit is reached. `p2p-dev run`, `elect`, `plan`
 * and `work` all run this with a different `role`.
 *
 * The node never trusts its memory over the log: it acts, then re-reads to
 * confirm, and stops when a later read shows it lost. The roles live in
 * their own modules: `election.ts`, `leading.ts`, `claims.ts` (claims and
 * leases), `execution.ts`, `locks.ts` (strict mode), over the shared
 * `context.ts` (writing, reading, waiting).
 *
 * @module
 */
import type { ApiStats } from "../github/port.ts";
import { budgetReached, costCap, spentUsd } from "../protocol/cost.ts";
import { readyTasks } from "../protocol/schedule.ts";
import { emptyState, type SwarmState, type TermInfo } from "../protocol/state.ts";
import type { ProtocolEvent } from "../protocol/types.ts";
import { canCampaign, currentLeader, isFinished, taskPhase } from "../protocol/view.ts";
import { errorText, isTransientApiError } from "./api_errors.ts";
import { Claims } from "./claims.ts";
import { type NodeConfig, validateTiming } from "./config.ts";
import { NodeContext, type NodeDeps } from "./context.ts";
import { Election } from "./election.ts";
import type { StopReason } from "./events.ts";
import { Execution, LATE_CHECK_SETTLES } from "./execution.ts";
import { issueDigest, lead, resign } from "./leading.ts";
import { Steering } from "./steering.ts";
import { StrictLocks } from "./locks.ts";
import { LogView } from "./log_view.ts";

export { errorText, isFatalApiError, isTransientApiError } from "./api_errors.ts";
export type { NodeDeps } from "./context.ts";

/**
 * The list lag a node waits out before it takes a comment's absence for a
 * deletion, or finishes: lists lag 5–20 s on GitHub; three configured settle
 * windows, at least 10 s.
 *
 * @example
 * ```ts
 * listLagMs(defaultConfig(1, "n1")); // 30000
 * ```
 */
export function listLagMs(config: NodeConfig): number {
  return Math.max(10_000, 3 * config.settleMs);
}

/** Attempts in a row failing for this node's own reasons before it stops claiming. */
export const LOCAL_FAILURE_LIMIT = 3;

/** What a node did, returned when it stops. */
export interface NodeReport {
  node: string;
  login: string;
  reason: StopReason;
  /** Terms this node won. */
  terms: number[];
  completed: string[];
  failed: string[];
  claimsLost: number;
  /** Comments this node wrote. */
  writes: number;
  /** List reads this node made. */
  reads: number;
  api: ApiStats;
  /** The node's final view of the swarm. */
  state: SwarmState;
  /** The node's final estimate of server time. */
  serverTime: number;
  /** What went wrong, for the stop reasons that are failures (`plan_failed`, `local_failures`). */
  detail?: string;
}

/**
 * Runs one node until it stops; see the module docs.
 *
 * @example
 * ```ts
 * const report = await runNode(deps, defaultConfig(7, "laptop-1"));
 * report.completed;
 * ```
 */
export function runNode(deps: NodeDeps, config: NodeConfig): Promise<NodeReport> {
  validateTiming(config);
  return new SwarmNode(deps, config).run();
}

class SwarmNode {
  readonly #ctx: NodeContext;
  readonly #locks: StrictLocks;
  readonly #election: Election;
  readonly #execution: Execution;
  readonly #claims: Claims;
  readonly #steering: Steering;
  #seenPlan = false;
  /** Local time this node first saw task messages without a plan in force (none now: undefined). */
  #unplannedSince: number | undefined;
  /** Whether this node saw the swarm with work left (so it took part). */
  #sawWork = false;
  #orphansReleased = false;
  /** `lastId` of the state the last check before stopping looked at. */
  #finalCheckAt = -1;
  #followed = 0;
  /** Terms that existed when this node started: a resignation in a later term happened while it ran. */
  #termsAtStart = 0;
  #detail?: string;

  constructor(deps: NodeDeps, config: NodeConfig) {
    this.#ctx = new NodeContext(deps, config);
    this.#locks = new StrictLocks(this.#ctx);
    this.#election = new Election(this.#ctx, this.#locks);
    this.#execution = new Execution(this.#ctx);
    this.#claims = new Claims(this.#ctx, this.#locks, this.#execution);
    this.#steering = new Steering(this.#ctx);
    this.#ctx.onPolled = () => this.#steering.answerStatus();
  }

  async run(): Promise<NodeReport> {
    const ctx = this.#ctx;
    const { clock } = ctx.deps;
    const config = ctx.config;
    ctx.startedAt = clock.now();
    // An installation token learns its login from its first write (context.ts).
    const known = await this.#patiently(async () => ({ identity: await ctx.github.identity() }));
    if (!known) return this.#stop("interrupted");
    const identity = known.identity;
    const view = new LogView({
      github: ctx.github,
      clock,
      issue: config.issue,
      self: identity?.login,
      allow: ctx.deps.allow ?? [],
      secret: ctx.deps.secret,
      sinceSlackMs: config.sinceSlackMs,
      fullReadMs: () => ctx.fullReadMs(),
      lagMs: listLagMs(config),
      // Each read's server time against what it first shows: the settle window.
      onRead: (read) => ctx.observeRead(read),
    });
    ctx.attach(view, identity?.login ?? "");
    await ctx.admission.measure();
    ctx.lastRead = clock.now();
    const read = await this.#patiently(() => view.refresh().then(() => true));
    ctx.lastGoodRead = ctx.lastRead;
    if (!read) return this.#stop("interrupted");
    this.#termsAtStart = view.state.terms.length;
    ctx.emit({ type: "start", node: config.node, login: ctx.login, serverTime: ctx.now() });
    return this.#stop(await this.#loop());
  }

  #stop(reason: StopReason): NodeReport {
    const ctx = this.#ctx;
    ctx.emit({
      type: "stop",
      reason,
      ...(this.#detail !== undefined ? { detail: this.#detail } : {}),
      serverTime: ctx.now(),
    });
    const view = ctx.attached ? ctx.view : undefined;
    return {
      node: ctx.config.node,
      login: ctx.login,
      reason,
      terms: this.#election.terms,
      completed: this.#execution.completed,
      failed: this.#execution.failed,
      claimsLost: this.#claims.claimsLost,
      writes: ctx.writes,
      reads: view?.reads ?? 0,
      api: ctx.deps.github.stats(),
      state: view?.state ?? emptyState(),
      serverTime: ctx.now(),
      ...(this.#detail !== undefined ? { detail: this.#detail } : {}),
    };
  }

  /**
   * Runs a start-up call until it succeeds, backing off on transient errors
   * (a rate limit waits as long as GitHub asked). Undefined when stopped.
   */
  async #patiently<T>(call: () => Promise<T>): Promise<T | undefined> {
    const ctx = this.#ctx;
    for (let failures = 1; !ctx.deps.signal.aborted; failures++) {
      try {
        return await call();
      } catch (error) {
        if (!isTransientApiError(error)) throw error;
        ctx.emit({ type: "api_error", message: errorText(error), serverTime: ctx.now() });
        await ctx.backOff(failures);
      }
    }
    return undefined;
  }

  /**
   * The main loop. Transient API errors (5xx, timeouts, unknown outcomes,
   * rate limits) never escape: the node backs off (as long as GitHub asks,
   * for a rate limit) and goes on. Errors retrying cannot fix are thrown.
   */
  async #loop(): Promise<StopReason> {
    const ctx = this.#ctx;
    let carry: ProtocolEvent[] = [];
    let failures = 0;
    while (true) {
      try {
        const step = await this.#step(carry);
        failures = 0;
        carry = step.carry;
        if (step.stop) {
          // Whatever the reason, a stopping node deletes the locks it holds.
          await this.#locks.releaseAll();
          return step.stop;
        }
        // An idle node still announces itself on time, whatever its poll
        // interval. An announcement already due was tried in this step: one it
        // declined (the node is about to campaign, under a strict lock held
        // by another; the swarm finished) must not cut the wait to zero.
        if (step.idle) {
          const due = ctx.admission.announceDueInMs();
          await ctx.wait("idle", Math.min(due > 0 ? due : Infinity, step.waitMs ?? Infinity));
        }
      } catch (error) {
        if (!isTransientApiError(error)) throw error;
        failures++;
        ctx.emit({ type: "api_error", message: errorText(error), serverTime: ctx.now() });
        await ctx.backOff(failures);
      }
    }
  }

  /** One turn of the loop. */
  async #step(
    carry: ProtocolEvent[],
  ): Promise<{ stop?: StopReason; carry: ProtocolEvent[]; idle?: boolean; waitMs?: number }> {
    const ctx = this.#ctx;
    const config = ctx.config;
    const claims = this.#claims;
    if (ctx.deps.signal.aborted) {
      // One try each: a node told to stop does not wait out errors (its
      // leases lapse instead). A leader stopped before its plan is out gives
      // its term up, so the others campaign at once instead of waiting out
      // its timeout.
      try {
        const leader = currentLeader(ctx.view.state);
        if (leader && this.#isMe(leader)) {
          await resign(
            ctx,
            leader,
            "interrupted",
            "the leader was stopped before its plan was out",
          );
        }
        await claims.flush(carry);
      } catch (error) {
        if (!isTransientApiError(error)) throw error;
        ctx.emit({ type: "api_error", message: errorText(error), serverTime: ctx.now() });
      }
      return { stop: "interrupted", carry: [] };
    }
    if (ctx.deps.clock.now() >= ctx.deadline()) {
      return { stop: "max_runtime", carry: await claims.flush(carry) };
    }
    if (ctx.localFailures >= LOCAL_FAILURE_LIMIT) {
      this.#detail = `Stopped claiming after ${ctx.localFailures} attempts in a row failed on ` +
        `this node, not for the tasks' sake (${this.#execution.lastLocalFailure}). ` +
        "Their tasks were released for other nodes; fix this node and start it again.";
      return { stop: "local_failures", carry: await claims.flush(carry) };
    }
    // Attempts an earlier process of this node id held (once the login is known).
    if (!this.#orphansReleased && ctx.login) {
      this.#orphansReleased = true;
      await this.#claims.releaseOrphans();
    }
    // Due with a claim to post in this step, the claim carries the
    // announcement (one comment, not two).
    if (!ctx.announced && ctx.admission.shouldAnnounce() && !this.#claimsNow()) {
      await this.#election.announce();
    }
    await ctx.postRestores();
    const state = ctx.view.state;
    const now = ctx.now();
    if (state.ended) return { stop: "ended", carry: await claims.flush(carry) };
    if (!state.plan) {
      // Messages about tasks and no plan: the plan lags (seconds), or people
      // deleted or edited it and no node that folded it was there to restore
      // it. Nobody may plan again over those messages (view.ts,
      // `canCampaign`); after an election timeout, say so and stop.
      if (state.unplanned > 0) {
        const local = ctx.deps.clock.now();
        this.#unplannedSince ??= local;
        if (local - this.#unplannedSince > config.electionTimeoutMs) {
          this.#detail = `The log holds ${state.unplanned} message(s) about tasks but no plan ` +
            "in force: its plan comment was deleted or edited, and no node that had read it " +
            "ran to restore it. This swarm cannot go on: post /p2p-dev stop on the issue, " +
            "and open a new issue for the work left.";
          return { stop: "plan_missing", carry };
        }
      } else {
        this.#unplannedSince = undefined;
      }
      const leader = currentLeader(state);
      if (leader?.resigned?.cause === "plan_failed") {
        const failed = leader.resigned.reason ?? "Planning failed.";
        if (leader.term > this.#termsAtStart) {
          // Seen while running: the same issue would fail the next leader too.
          this.#detail = failed;
          return { stop: "plan_failed", carry };
        }
        // Found at start: plan again only if the issue changed since (or
        // --retry-failed says to), else say why at once instead of failing again.
        if (!config.retryFailed && leader.resigned.issue === await issueDigest(await ctx.issue())) {
          this.#detail = `${failed} (earlier, and the issue has not changed since; ` +
            "edit it, or pass --retry-failed to plan it again as it is)";
          return { stop: "plan_failed", carry };
        }
      }
      if (config.role === "elect" && leader && !leader.resigned) return { stop: "elected", carry };
      if (leader && this.#isMe(leader) && !leader.resigned) {
        // A plan part whose post failed: out first, before planning again.
        if (carry.length) return { carry: await claims.flush(carry) };
        // A leader that will work posts the plan's last part with its first
        // claim: the comment that makes the first wave ready takes a task of
        // it, which no rival can have claimed first (claims.ts).
        const works = config.role === "all" || config.role === "work";
        const keepLast = works && config.maxTasks !== 0 && ctx.admission.view().mayClaim &&
          ctx.admission.claimWaitMs() === 0;
        const { failed, last, published } = await lead(ctx, leader, { keepLast });
        if (failed) {
          this.#detail = failed;
          return { stop: "plan_failed", carry };
        }
        if (last) {
          // Its plan is out once the comment with its claim is: it knows the
          // plan then, not after the run that claim starts.
          const out = () => {
            published?.();
            this.#notePlanSeen();
          };
          return { carry: (await claims.claimAndWork([last], out)).carry };
        }
        return { carry };
      }
      if (config.role !== "work" && canCampaign(state, now) && ctx.admission.view().candidate) {
        if (await this.#election.campaign(state.terms.length + 1)) return { carry };
      } else if (leader && this.#followed !== leader.term) {
        this.#followed = leader.term;
        ctx.emit({ type: "follower", leader: leader.node, term: leader.term, serverTime: now });
      }
      return { carry, idle: true };
    }
    this.#notePlanSeen();
    if (config.role === "elect") return { stop: "elected", carry };
    if (config.role === "plan") return { stop: "planned", carry };
    if (isFinished(state, now)) {
      // A carried completion may reopen work (a late result unblocks its
      // dependents): post it, then look again before stopping.
      if (carry.length) return { carry: await claims.flush(carry) };
      if (config.retryFailed && this.#retryable(state, now).length > 0) {
        await ctx.post([{ type: "retry", tasks: this.#retryable(state, now) }]);
        config.retryFailed = false;
        return { carry };
      }
      // Show in the log before stopping (without the swarm's size, nodes
      // announce late, and a short swarm may finish first); not a node that
      // found the swarm already finished.
      if (this.#sawWork && ctx.admission.announceBeforeStop()) {
        await ctx.post([]);
        return { carry };
      }
      // Confirm on a read sent after this node's last write: its own view
      // may lack what others wrote meanwhile (a result that reopens work).
      if (ctx.lastGoodRead <= ctx.lastWrite) {
        if (ctx.lastRead > ctx.lastWrite) return { carry, idle: true }; // that read failed: wait
        await ctx.refresh();
        return { carry };
      }
      // Before leaving, one last look for messages people deleted or edited:
      // once every node that folded them is gone, nobody could restore them.
      // (Once per state: when it still says finished afterwards, the node stops.)
      // The look comes once list lag has surely passed since the newest
      // comment (three configured settle windows, as the late look of a
      // run): an edit made while the swarm finished shows by then.
      const settledIn = state.lastTime + LATE_CHECK_SETTLES * config.settleMs - now;
      if (this.#finalCheckAt !== state.lastId && settledIn > 0) {
        // Waits here, not as an idle step: a node that never announced (the
        // swarm finished first) must not have its wait cut to its overdue
        // announcement's zero.
        await ctx.wait("idle", settledIn);
        return { carry };
      }
      if (this.#finalCheckAt !== state.lastId) {
        if (ctx.deps.clock.now() - ctx.view.lastFullRead > config.pollMinMs) {
          await ctx.refresh({ full: true });
        }
        for (let i = 0; i < 10 && ctx.view.restoreEvents().length > 0; i++) {
          await ctx.postRestores(true);
        }
        this.#finalCheckAt = ctx.view.state.lastId;
        return { carry };
      }
      return { stop: "finished", carry };
    }
    this.#sawWork = true;
    if (config.maxTasks !== undefined && this.#execution.completed.length >= config.maxTasks) {
      return { stop: "max_tasks", carry: await claims.flush(carry) };
    }
    if (budgetReached(state, config.maxCostUsd)) {
      // Work others are running finishes; nobody starts more (cost.ts).
      this.#detail = `The costs reported in the log, $${spentUsd(state)}, reached the cap of $${
        costCap(state, config.maxCostUsd)
      } (--max-cost-usd): no new task is claimed. Raise the cap to go on.`;
      return { stop: "budget", carry: await claims.flush(carry) };
    }
    if (!ctx.admission.view().mayClaim) {
      // Judged on a view as old as the run that just ended (a busy node
      // reads only before its renewals): look again first, since the slots
      // it shows taken may have freed meanwhile.
      if (ctx.deps.clock.now() - ctx.lastRead >= config.pollMinMs / 2) {
        await ctx.refresh();
        return { carry };
      }
      // Enough nodes work already: report what this one finished, then stand by.
      return { carry: await claims.flush(carry), idle: true };
    }
    const pace = ctx.admission.claimWaitMs();
    if (pace > 0) {
      // Tasks so short that claiming at once would overspend: wait, polling
      // as usual (the swarm may finish meanwhile). A result waits with it to
      // share the next claim's comment, unless the wait is long enough to
      // matter to its lease.
      const keep = pace < state.settings.leaseMs / 4 ? carry : await claims.flush(carry);
      return { carry: keep, idle: true, waitMs: pace };
    }
    const worked = await claims.claimAndWork(carry);
    // No claim went out after all (nothing left to pick, a strict lock held
    // by another): the announcement due goes out alone.
    if (!ctx.announced && ctx.admission.shouldAnnounce()) await this.#election.announce();
    // A lost race waits a poll before the next claim: many nodes racing for
    // a few ready tasks would otherwise post a claim, read and lose every few
    // seconds (full-profile seed 1799: 61 requests in a minute).
    if (worked.lost && worked.carry.length === 0) {
      return { carry: worked.carry, idle: true, waitMs: config.pollMinMs };
    }
    return { carry: worked.carry, idle: !worked.posted && worked.carry.length === 0 };
  }

  /** Whether this step will try a claim (a plan in force, room to work, a ready task). */
  #claimsNow(): boolean {
    const ctx = this.#ctx;
    const state = ctx.view.state;
    const now = ctx.now();
    if (!state.plan || state.ended || isFinished(state, now)) return false;
    if (budgetReached(state, ctx.config.maxCostUsd)) return false;
    if (!ctx.admission.view().mayClaim || ctx.admission.claimWaitMs() > 0) return false;
    return readyTasks(state, ctx.config.node, now).length > 0;
  }

  /** Emits `plan_seen` the first time this node's view holds a plan in force. */
  #notePlanSeen(): void {
    const ctx = this.#ctx;
    const plan = ctx.view.state.plan;
    if (this.#seenPlan || !plan) return;
    this.#seenPlan = true;
    ctx.emit({
      type: "plan_seen",
      tasks: ctx.view.state.order.length,
      term: plan.term,
      serverTime: ctx.now(),
    });
  }

  #retryable(state: SwarmState, now: number): string[] {
    return state.order.filter((id) => taskPhase(state, state.tasks[id]!, now) === "failed");
  }

  #isMe(leader: TermInfo): boolean {
    return leader.node === this.#ctx.config.node && leader.author === this.#ctx.login;
  }
}
