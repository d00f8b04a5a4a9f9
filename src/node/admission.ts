/**
 * Applies admission control (`src/protocol/admission.ts`) to one node: it
 * measures the token's limit once (`GET /rate_limit`, free), and at every
 * turn works out from its view of the log how many nodes may work, whether
 * it is one of them, how often it polls and renews, and whether it should
 * announce itself or campaign.
 *
 * - With a configured swarm size (`--swarm-size`, `P2P_SWARM_SIZE`; in a
 *   matrix `strategy.job-total`) and seat (`P2P_JOB_INDEX`), the first
 *   `workers` seats start warm and the others stand by from the start: they
 *   read the log once, then poll at the standby interval, write nothing
 *   until they step in and never campaign unless no election appears within
 *   the election timeout. Only the first three seats campaign at once. A
 *   warm seat that wrote nothing announces itself before it stops.
 * - Without one, every node announces itself after a random delay of up to
 *   `announceSpreadMs` (20 s), or before it stops if it has written nothing,
 *   the swarm's size is the nodes the log shows, and seats follow the order
 *   of their first messages. Its first claim waits for that moment too (and
 *   carries the announcement), so a plan out early does not draw every
 *   node's first comment into one second; only a campaign comes sooner.
 * - A node claims new work only while fewer than `workers` other nodes of its
 *   identity hold a live attempt. A node that worked within the last lease,
 *   or holds one of the first `workers` seats while a slot is free, is warm
 *   (polls at the worker interval); the others stand by and step in when a
 *   poll shows a free slot.
 *
 * @module
 */
import { PRIMARY_LIMIT } from "../protocol/budget.ts";
import {
  type Admission,
  admit,
  type LogObservation,
  mayWork,
  observe,
  observeLog,
  REQUEST_SHARE,
  SWARM_POLLS_PER_MINUTE,
  type SwarmObservation,
  WRITES_PER_MINUTE,
} from "../protocol/admission.ts";
import type { SwarmState } from "../protocol/state.ts";
import type { NodeConfig } from "./config.ts";
import { type NodeContext, settleFloorMs } from "./context.ts";

/** How often a node reads what its token has left (`GET /rate_limit`, free). */
export const REMEASURE_MS = 5 * 60_000;

/** How long a node counts as part of the swarm after its last message (an Actions job's limit). */
export const SWARM_WINDOW_MS = 6 * 60 * 60_000;

/** The shortest poll of a warm node before the plan is in force. */
export const PRE_PLAN_POLL_MS = 1_500;

/**
 * Poll intervals, in `pollMinMs`, of the idle workers that watch for new
 * work, by rank (the rest poll at the worker interval). One result can make
 * several tasks ready at once (a layer of the graph waits on it): its poster
 * takes one, and the watchers the rest. With three watchers, 14 of 400 claims
 * waited over 15 s (20 nodes on one GITHUB_TOKEN, seeds 1..10); with six, 1
 * (tests/sim/watch_test.ts).
 */
export const WATCH_INTERVALS: readonly number[] = [1, 1, 1, 2, 2, 4];

/**
 * Watchers of a rank from this one on watch only while the token keeps the
 * pace its budget allows (measured, {@linkcode ON_PACE_SHARE}): a watcher
 * reads each comment the swarm writes, and these are the ones the swarm can
 * do without.
 */
export const WATCHERS_ALWAYS = 3;

/** The share of its budget's pace a token must have left for watchers past {@linkcode WATCHERS_ALWAYS}. */
export const ON_PACE_SHARE = 0.75;

/** Seats that campaign one stagger apart when the swarm size is configured. */
export const CANDIDATE_SEATS = 3;

/**
 * How long after its start seat `k` of the candidate seats waits before it
 * campaigns, times `k`: two configured settle windows, longer than the list
 * lag the swarm waits out, so seat 0's election comment has shown by then.
 *
 * @example
 * ```ts
 * candidateStaggerMs(defaultConfig(1, "n1")); // 20000
 * ```
 */
export function candidateStaggerMs(config: NodeConfig): number {
  return 2 * config.settleMs;
}

/** Everything the node decides from one look at its view. */
export interface AdmissionView {
  admission: Admission;
  observation: SwarmObservation;
  /** Nodes sharing the token, as this node counts them. */
  nodes: number;
  /** This node's seat (0-based), undefined before it has one. */
  seat: number | undefined;
  /** Whether this node polls at the worker interval. */
  warm: boolean;
  /** Whether this node may claim new work. */
  mayClaim: boolean;
  /** Whether this node may campaign now (if the log allows a campaign at all). */
  candidate: boolean;
}

/**
 * Admission control of one node.
 *
 * @example
 * ```ts
 * await ctx.admission.measure();
 * if (ctx.admission.view().mayClaim) await claims.claimAndWork(carry);
 * ```
 */
export class AdmissionControl {
  readonly #ctx: NodeContext;
  #requestsPerHour: number;
  /** Local time the node started, and its announcement delay. */
  #startedAt = 0;
  #announceAfterMs = 0;
  #writesKey = -1;
  /** Creation times (server) of this identity's comments of the last hour or so, ascending. */
  #writeTimes: number[] = [];
  #phased = false;
  #measuredAt: number | undefined;
  #left: { remaining: number; limit: number; resetsIn: number; at: number } | undefined;
  #lastClaim: number | undefined;
  /** Whether this node's seat was among the first `workers` when it first looked (with the swarm's size). */
  #firstSeat: boolean | undefined;
  #observed:
    | {
      state: SwarmState;
      lastId: number;
      login: string;
      log: LogObservation & { lastWorked: number };
    }
    | undefined;
  /** The last decision and what it was made from. */
  #lastView: AdmissionView | undefined;
  #viewKey: {
    state?: SwarmState;
    lastId?: number;
    size?: number;
    now?: number;
    local?: number;
    login?: string;
    measuredAt?: number | undefined;
  } = {};

  constructor(ctx: NodeContext) {
    this.#ctx = ctx;
    this.#requestsPerHour = ctx.config.requestsPerHour ?? PRIMARY_LIMIT[ctx.config.tokenKind];
  }

  /** The primary limit the decisions use, per hour. */
  get requestsPerHour(): number {
    return this.#requestsPerHour;
  }

  /**
   * Reads the token's primary limit (free: it does not count against it);
   * keeps the token kind's documented figure when that fails. A configured
   * `requestsPerHour` wins.
   */
  async measure(): Promise<void> {
    const ctx = this.#ctx;
    this.#startedAt = ctx.deps.clock.now();
    this.#announceAfterMs = ctx.config.swarmSize === undefined
      ? ctx.config.announceSpreadMs * ctx.deps.random.next()
      : 0;
    await this.remeasure();
  }

  /**
   * Reads what the token has left in its window (free), at most every
   * {@linkcode REMEASURE_MS}: whether the rest of the work fits it.
   */
  async remeasure(): Promise<void> {
    const ctx = this.#ctx;
    const now = ctx.deps.clock.now();
    if (this.#measuredAt !== undefined && now - this.#measuredAt < REMEASURE_MS) return;
    this.#measuredAt = now;
    try {
      const status = await ctx.github.rateLimit();
      if (status.limit > 0) {
        if (ctx.config.requestsPerHour === undefined) this.#requestsPerHour = status.limit;
        this.#left = {
          remaining: status.remaining,
          limit: status.limit,
          resetsIn: status.resetAt - ctx.view.serverNow(),
          at: now,
        };
      }
    } catch {
      // GitHub Enterprise Server without rate limiting answers 404: keep the figure by kind.
    }
  }

  /**
   * Whether the token spends about as fast as its usable share allows, or
   * slower: what it has left of that share is at least three quarters of
   * the part of its window still to run (true when not measured yet). The
   * quarter's slack is the first minutes, when every node reads the log at
   * once: the swarms of the benchmark are behind that pace for half an hour.
   */
  #onPace(): boolean {
    const left = this.#left;
    const usableLeft = this.#requestsLeft();
    if (!left || usableLeft === undefined) return true;
    const elapsed = this.#ctx.deps.clock.now() - left.at;
    if (elapsed > left.resetsIn) return true; // a new window, the whole limit back
    const windowLeft = Math.min(1, (left.resetsIn - elapsed) / 3_600_000);
    return usableLeft >= ON_PACE_SHARE * left.limit * REQUEST_SHARE * windowLeft;
  }

  /** Requests the token has left this window less the 15% kept free; undefined when unknown. */
  #requestsLeft(): number | undefined {
    const left = this.#left;
    if (!left) return undefined;
    const now = this.#ctx.deps.clock.now();
    // Past the reset the whole limit is back; before it, only what was left.
    const remaining = now - left.at > left.resetsIn ? left.limit : left.remaining;
    return Math.max(0, remaining - left.limit * (1 - REQUEST_SHARE));
  }

  /**
   * The decision at the node's current server time. A node asks several
   * times at one moment (its poll interval, its claim pacing, its step): the
   * answer is worked out once per state, time and measurement.
   */
  view(): AdmissionView {
    const ctx = this.#ctx;
    const state = ctx.view.state;
    const now = ctx.now();
    const local = ctx.deps.clock.now();
    const key = this.#viewKey;
    if (
      this.#lastView && key.state === state && key.lastId === state.lastId &&
      key.size === ctx.view.size && key.now === now && key.local === local &&
      key.login === ctx.login && key.measuredAt === this.#measuredAt
    ) {
      return this.#lastView;
    }
    this.#lastView = this.#decide(state, now);
    this.#viewKey = {
      state,
      lastId: state.lastId,
      size: ctx.view.size,
      now,
      local,
      login: ctx.login,
      measuredAt: this.#measuredAt,
    };
    return this.#lastView;
  }

  #decide(state: SwarmState, now: number): AdmissionView {
    const ctx = this.#ctx;
    const config = ctx.config;
    const observation = observe(
      state,
      now,
      ctx.login,
      SWARM_WINDOW_MS,
      this.#logObservation(state),
    );
    // This node counts whether or not the log shows it yet: one that has not
    // announced itself would otherwise size the swarm without itself, find
    // every slot taken and post its announcement alone before it may claim.
    const seen = observation.nodes.length + (observation.nodes.includes(config.node) ? 0 : 1);
    const nodes = Math.max(1, config.swarmSize ?? 0, seen);
    const admission = admit({
      requestsPerHour: this.#requestsPerHour,
      nodes,
      // Claim to result includes the settle window before the run (seconds,
      // or none): a worker's cycle is at least the task and the floor.
      taskMs: observation.taskMs !== undefined
        ? Math.max(0, observation.taskMs - settleFloorMs(config))
        : state.settings.leaseMs,
      leaseMs: state.settings.leaseMs,
      renewMs: config.renewMs,
      settleMs: settleFloorMs(config),
      pollMinMs: config.pollMinMs,
      pollMaxMs: config.pollMaxMs,
      strict: config.strict,
      firstHour: observation.since === undefined || now - observation.since < 3_600_000,
      remainingTasks: state.plan ? observation.remaining : Infinity,
      writesLastHour: this.#writesLastHour(now),
      ...(this.#requestsLeft() !== undefined ? { requestsLeft: this.#requestsLeft()! } : {}),
    });
    const seat = config.seat !== undefined
      ? ((config.seat % nodes) + nodes) % nodes
      : observation.nodes.indexOf(config.node) >= 0
      ? observation.nodes.indexOf(config.node)
      : undefined;
    const mayClaim = mayWork(admission, observation, config.node);
    // Warm: worked within the last lease, or a seat among the first `workers`
    // while a slot is free. A node that may not claim polls as a standby.
    const warm = this.#workedWithin(state.settings.leaseMs) ||
      (mayClaim && (seat === undefined || seat < admission.workers));
    // Seat k of the first few campaigns only once k staggers have passed
    // with no election in the log: seat 0 alone in the common case, so a
    // short settle window rarely meets a rival candidate.
    const running = ctx.deps.clock.now() - this.#startedAt;
    const candidate = config.swarmSize === undefined || seat === undefined ||
      (seat < Math.min(CANDIDATE_SEATS, admission.workers) &&
        running >= seat * candidateStaggerMs(config)) ||
      state.terms.length > 0 || running > config.electionTimeoutMs;
    this.#firstSeat ??= seat !== undefined && seat < admission.workers;
    return {
      admission,
      observation,
      nodes,
      seat,
      warm,
      mayClaim,
      candidate,
    };
  }

  /** Whether this node should post its announcement now (one without a write of its own to carry it). */
  shouldAnnounce(): boolean {
    return this.announceDueInMs() === 0;
  }

  /** Milliseconds until this node's announcement is due: 0 now, Infinity for never (announced, or the size is known). */
  announceDueInMs(): number {
    const ctx = this.#ctx;
    if (ctx.announced || ctx.config.swarmSize !== undefined) return Infinity;
    return Math.max(0, this.#startedAt + this.#announceAfterMs - ctx.deps.clock.now());
  }

  /**
   * Whether a node that wrote nothing yet announces itself before it stops,
   * so that every node that took part shows in the log: any node without the
   * swarm's size (its random moment may come after the swarm finished), and
   * with it a node whose seat was among the first admitted when it started.
   * A standby writes nothing.
   */
  announceBeforeStop(): boolean {
    const ctx = this.#ctx;
    if (ctx.announced) return false;
    if (ctx.config.swarmSize === undefined) return true;
    return this.#firstSeat === true;
  }

  /** The poll interval now: `busy` while running a task (at least one read before each renewal). */
  pollMs(mode: "idle" | "busy"): number {
    const v = this.view();
    const a = v.admission;
    // GitHub's per-endpoint budget is 900 points a minute, a point a page
    // (whether a 304 costs one is undocumented); we use at most 600. A log of
    // a few pages is read whole at every poll (context.ts, `fullReadMs`), and
    // what its last read needed besides (by-id reads of comments it lacked, a
    // re-read after a page shift) costs a point a request too.
    const pages = this.#ctx.view.requestsPerRead(this.#ctx.fullReadMs() === 0);
    const swarmMs = (a.workers * 60_000 * pages) / SWARM_POLLS_PER_MINUTE;
    if (mode === "busy") return Math.min(Math.max(a.workerPollMs, swarmMs), a.renewMs);
    if (!v.warm) {
      // Standbys that started together would poll together: the first wait
      // of each is a random part of the interval, which spreads their reads.
      const standbyMs = a.standbyPollMs * (this.#ctx.config.timeScale ?? 1);
      if (!this.#phased) {
        this.#phased = true;
        return standbyMs * (0.1 + 0.9 * this.#ctx.deps.random.next());
      }
      return standbyMs;
    }
    // Before a plan is in force, polls mostly answer with free 304s and every
    // warm node is waiting for the same few comments: poll faster, within
    // the per-endpoint budget. Faster than `pollMinMs` (whose floor is for
    // the hours of work) while the election and the plan are seconds away,
    // never under 1.5 s (40 reads a minute at most, with room for the settle
    // window's reads and the writes).
    if (!this.#ctx.view.state.plan) {
      return Math.min(
        a.workerPollMs,
        Math.max(Math.min(this.#ctx.config.pollMinMs, PRE_PLAN_POLL_MS), swarmMs),
      );
    }
    const rank = this.#watchRank(v);
    if (
      rank !== undefined && rank < WATCH_INTERVALS.length &&
      (rank < WATCHERS_ALWAYS || this.#onPace())
    ) {
      const watch = Math.max(swarmMs, this.#ctx.config.pollMinMs * WATCH_INTERVALS[rank]!);
      return Math.min(Math.max(a.workerPollMs, swarmMs), watch);
    }
    return Math.max(a.workerPollMs, swarmMs);
  }

  /**
   * This node's place among the idle workers of its identity that watch for
   * new work (undefined when it holds an attempt, may not claim, or no plan
   * is in force): the one heard from last first, as the one surest to be
   * running (a node that finds nothing to claim has just posted its result).
   */
  #watchRank(v: AdmissionView): number | undefined {
    const ctx = this.#ctx;
    const state = ctx.view.state;
    if (!state.plan || !v.mayClaim) return undefined;
    const me = ctx.config.node;
    const holders = new Set(v.observation.holders);
    if (holders.has(me)) return undefined;
    const now = ctx.now();
    const idle = this.#logObservation(state).nodes
      .filter((n) => !holders.has(n.node) && now - n.lastSeen <= SWARM_WINDOW_MS);
    const mine = idle.find((n) => n.node === me)?.lastSeen ?? -Infinity;
    return idle.filter((n) =>
      n.node !== me && (n.lastSeen > mine || (n.lastSeen === mine && n.node < me))
    ).length;
  }

  /**
   * {@linkcode observeLog} of `state`, and the last server time this node
   * held or finished an attempt (-Infinity for never): once per folded entry.
   */
  #logObservation(state: SwarmState): LogObservation & { lastWorked: number } {
    const login = this.#ctx.login;
    const kept = this.#observed;
    if (kept && kept.state === state && kept.lastId === state.lastId && kept.login === login) {
      return kept.log;
    }
    const node = this.#ctx.config.node;
    let lastWorked = -Infinity;
    for (const id of state.order) {
      const t = state.tasks[id]!;
      if (t.done && t.done.node === node) lastWorked = Math.max(lastWorked, t.done.at);
      const last = t.attempts.at(-1);
      if (last && last.node === node && last.author === login) {
        lastWorked = Math.max(lastWorked, last.lastBeat);
      }
    }
    const log = { ...observeLog(state, login), lastWorked };
    this.#observed = { state, lastId: state.lastId, login, log };
    return log;
  }

  /** Comments of this node's identity created within the hour before `now`. */
  #writesLastHour(now: number): number {
    return this.#writesSince(now - 3_600_000);
  }

  /** Comments of this node's identity its view shows created after server time `since`. */
  #writesSince(since: number): number {
    const times = this.#ownWriteTimes();
    let n = 0;
    for (let i = times.length - 1; i >= 0 && times[i]! > since; i--) n++;
    return n;
  }

  /**
   * Creation times of this identity's comments in the view, ascending
   * (recomputed when the view grew; its own writes fold in at once).
   */
  #ownWriteTimes(): number[] {
    const ctx = this.#ctx;
    if (this.#writesKey !== ctx.view.size) {
      this.#writesKey = ctx.view.size;
      this.#writeTimes = ctx.view.authoredTimes(ctx.login, ctx.now() - 2 * 3_600_000);
    }
    return this.#writeTimes;
  }

  /**
   * Milliseconds until this identity's comments within the last minute, as
   * this node's view shows them, are fewer than `WRITES_PER_MINUTE` (half of
   * GitHub's 80 a minute): 0 when they already are. New claims wait for it;
   * renewals, results and releases do not, so they keep the other half of
   * the minute (with the writes of other nodes this view has not read yet).
   * A claim storm (every node racing for the same few ready tasks, most
   * claims lost) thus never meets the content-creation limit, whose answer
   * would silence the node for up to a minute while it holds a lease or a
   * result.
   */
  contentWaitMs(): number {
    const times = this.#ownWriteTimes();
    const now = this.#ctx.now();
    const recent = this.#writesSince(now - 60_000);
    if (recent < WRITES_PER_MINUTE) return 0;
    // The oldest comments leave the window first: wait until enough have.
    const leaving = times[times.length - WRITES_PER_MINUTE]!;
    return Math.max(1, leaving + 60_000 - now);
  }

  /** Notes that this node posted a claim now (claim pacing). */
  noteClaim(): void {
    this.#lastClaim = this.#ctx.deps.clock.now();
  }

  /**
   * Milliseconds this node must still wait before its next claim (0: none):
   * its claim spacing, and room in the minute's content-creation budget
   * ({@linkcode contentWaitMs}).
   */
  claimWaitMs(): number {
    const content = Math.max(this.contentWaitMs(), this.firstWriteWaitMs());
    const spacing = this.view().admission.claimSpacingMs;
    if (spacing <= 0 || this.#lastClaim === undefined) return content;
    return Math.max(content, this.#lastClaim + spacing - this.#ctx.deps.clock.now());
  }

  /**
   * Milliseconds until a node without the swarm's size may write its first
   * claim: its announcement moment (0 once it has written, or with the size).
   * A plan that appears before most nodes' moments (an election and a plan
   * take seconds) would otherwise draw every node's first comment, its claim
   * carrying its announcement, into the same second or two: the burst the
   * spread is there to avoid. A campaign does not wait for it (the election
   * must not), nor does anything written once the node has announced, nor a
   * node that found the plan already out when it started: it joined a
   * running swarm at a moment of its own, not one shared with the others.
   */
  firstWriteWaitMs(): number {
    const due = this.announceDueInMs();
    if (!Number.isFinite(due) || due === 0) return 0;
    const ctx = this.#ctx;
    const plan = ctx.view.state.plan;
    const startedServer = ctx.now() - (ctx.deps.clock.now() - this.#startedAt);
    return plan && plan.at < startedServer - 1_000 ? 0 : due;
  }

  /** Whether this node held or finished an attempt within `ms` (server time). */
  #workedWithin(ms: number): boolean {
    const ctx = this.#ctx;
    return this.#logObservation(ctx.view.state).lastWorked >= ctx.now() - ms;
  }
}
