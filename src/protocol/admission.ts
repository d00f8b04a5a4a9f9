/**
 * Admission control: how many nodes of a swarm may work at once, how often
 * they renew their leases and how often each node polls, so that the swarm
 * stays inside the token's budget and no lease lapses for lack of it. A pure
 * decision over what a node knows (the token's measured limit, the swarm's
 * size, the task durations the log shows); `src/node/` applies it.
 *
 * The arithmetic (the rule and its figures are in docs/PROTOCOL.md,
 * "Admission"), per worker busy with tasks of `T` ms, renewing every `R`,
 * confirming after a settle window `S`:
 *
 * - tasks per hour τ = 1 h / (T + S), at most (a result and the next claim
 *   share a comment, so nothing else separates two tasks);
 * - writes per task w = 1 + T / R: the claim (carrying the previous result)
 *   and the renewals;
 * - counted requests per task p = w + 4 + T / R (+ 2 in strict mode): the
 *   writes, a re-read before the claim, one to confirm it and one once list
 *   lag has surely passed, one read before each renewal, one for polls while
 *   no task is ready (and a lock created and deleted);
 * - a standby (a node not admitted) reads the log once per standby interval:
 *   that read is counted, since the log changes with every write.
 *
 * `k` workers and `n − k` standbys fit when
 * `k·τ·p + (n − k)·reads per standby + start-up ≤ 85% of the primary limit`
 * (start-up, in the swarm's first hour: two requests per node and six per
 * worker)
 * and, when the work left needs more writes than the hour has left,
 * `k·τ·w ≤ 90% of 500 writes/h` (content creation, per identity) and
 * `k·τ·w / 60 ≤ 40 writes/min` (half of 80). A lease is renewed only once
 * it is at risk, a quarter of it left (75% of the lease after the last
 * write: with the default 10-minute lease, tasks under 7.5 minutes are never
 * renewed); a shorter configured renewal interval is kept while every node
 * can work with it.
 *
 * Limits, from GitHub's REST documentation ("Rate limits for the REST API"):
 * https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api
 *
 * @module
 */
import { WRITE_LIMIT } from "./budget.ts";
import type { NodeInfo, SwarmState } from "./state.ts";
import { liveAttempt, taskPhase } from "./view.ts";

/**
 * A lease is at risk once only this share of it is left: the owner renews
 * then, and not before (2.5 min of a 10-minute lease: thirty tries at the
 * 5-second retry period, or a content-creation limit's minute twice over).
 */
export const RENEW_AT_RISK_SHARE = 0.25;

/** Share of the primary limit the swarm plans to spend (the rest absorbs retries and look-ups). */
export const REQUEST_SHARE = 0.85;
/** Share of the hourly content-creation limit the swarm plans to spend. */
export const WRITE_SHARE = 0.9;
/** Writes per minute the swarm plans for at most (GitHub: 80 a minute). */
export const WRITES_PER_MINUTE = WRITE_LIMIT.perMinute / 2;
/** Share of the usable requests that polls of standby nodes may take. */
export const STANDBY_SHARE = 0.2;
/**
 * Polls a minute the whole swarm stays under when it polls fast (before the
 * plan, or when the rest of the work fits the budget): GitHub's per-endpoint
 * budget is 900 points a minute, and whether a 304 costs points is
 * undocumented.
 */
export const SWARM_POLLS_PER_MINUTE = 600;

/** A standby polls at least this often (so it notices a swarm that ended). */
export const STANDBY_MAX_MS = 60 * 60_000;

/** What a node knows when it decides. */
export interface AdmissionInput {
  /** Requests per hour the token may make (measured: `GET /rate_limit`). */
  requestsPerHour: number;
  /** Nodes sharing the token: the configured swarm size, or the nodes the log shows. */
  nodes: number;
  /** Typical run time of a task, ms: the median the log shows, or a prior. */
  taskMs: number;
  /** The lease in force (plan settings). */
  leaseMs: number;
  /** The configured renewal interval (the shortest a worker uses). */
  renewMs: number;
  /**
   * The shortest settle window between a claim and its run (the floor): a
   * worker's fastest cycle is a task and this. (With the 10 s ceiling here,
   * 600 zero-work tasks on one PAT ran at 493 an hour, over the 450 planned,
   * and met the 500-an-hour limit: the window is seconds, or none.)
   */
  settleMs: number;
  pollMinMs: number;
  pollMaxMs: number;
  strict: boolean;
  /** Whether the swarm is in its first hour: every node's start-up reads count then. */
  firstHour: boolean;
  /** Tasks not yet done or failed for good. */
  remainingTasks: number;
  /** Comments this identity posted within the last hour (the log shows them). */
  writesLastHour: number;
  /**
   * Requests the token has left in its current window, less the 15% kept
   * free (`GET /rate_limit`); undefined when not measured.
   */
  requestsLeft?: number;
}

/** The decision, with the figures behind it. */
export interface Admission {
  /** Nodes that may hold work at once. */
  workers: number;
  nodes: number;
  /** How often a worker renews its lease. */
  renewMs: number;
  /** Poll interval of an admitted node, waiting for work or busy (then at most the renewal interval). */
  workerPollMs: number;
  /** Poll interval of a node not admitted (a standby). */
  standbyPollMs: number;
  /**
   * Least time between two claims of one worker (0: none): when even the
   * admitted workers' tasks are so short that they would spend more than the
   * budget, each paces its claims.
   */
  claimSpacingMs: number;
  /** What one busy worker costs. */
  perWorker: {
    tasksPerHour: number;
    writesPerTask: number;
    requestsPerTask: number;
    requestsPerHour: number;
    writesPerHour: number;
  };
  /** What the swarm may spend per hour, and what its standbys and start-up take. */
  budget: {
    requestsPerHour: number;
    writesPerHour: number;
    standbyRequestsPerHour: number;
    startupRequests: number;
  };
  /** What stopped more nodes from working. */
  limitedBy: "nodes" | "requests" | "writes";
  /** One line a person can read: how many may work, and why. */
  reason: string;
}

const HOUR = 3_600_000;

/**
 * Decides how many nodes may work at once and at what rates.
 *
 * @example
 * ```ts
 * const a = admit({
 *   requestsPerHour: 1_000, nodes: 100, taskMs: 600_000, leaseMs: 600_000, renewMs: 240_000,
 *   settleMs: 10_000, pollMinMs: 5_000, pollMaxMs: 300_000, strict: false, firstHour: true,
 * });
 * a.workers; // 17: the rest stand by
 * ```
 */
export function admit(input: AdmissionInput): Admission {
  const n = Math.max(1, Math.floor(input.nodes));
  const usableRequests = input.requestsPerHour * REQUEST_SHARE;
  const usableWrites = WRITE_LIMIT.perHour * WRITE_SHARE;
  // Renew only once the lease is at risk: a quarter of it left.
  const atRisk = input.leaseMs * (1 - RENEW_AT_RISK_SHARE);
  const shortRenew = Math.min(input.renewMs, atRisk);
  const longRenew = Math.max(shortRenew, atRisk);
  const fits = restFits(input, n, shortRenew, usableWrites);
  if (fits) return fits;
  const at = (renewMs: number) => fit(input, n, renewMs, usableRequests, usableWrites);
  let choice = at(shortRenew);
  if (choice.workers < n) {
    const longer = at(longRenew);
    if (longer.workers > choice.workers) choice = longer;
  }
  const { workers, renewMs, cost, standbyPollMs, standbyReads, limitedBy, startup } = choice;
  // Admitted nodes poll (busy or waiting for work) with what standbys,
  // start-up and the workers' claims, confirmations and writes leave: each
  // poll that finds something new is a counted read (most that find nothing
  // are a free 304). A tight budget leaves about one read per renewal.
  const fixedPerTask = cost.requestsPerTask - input.taskMs / renewMs;
  const left = Math.max(
    1,
    usableRequests - choice.standbyReads - startup - workers * cost.tasksPerHour * fixedPerTask,
  );
  const workerPollMs = clamp(
    (workers * HOUR) / left,
    input.pollMinMs,
    Math.max(input.pollMaxMs, renewMs),
  );
  // Tasks each worker may start per hour within what is left (requests; and
  // writes, when the work left needs more than the hour has left).
  const forWorkers = Math.max(1, usableRequests - choice.standbyReads - startup);
  let allowed = forWorkers / (workers * cost.requestsPerTask);
  if (choice.writesBind) allowed = Math.min(allowed, usableWrites / (workers * cost.writesPerTask));
  allowed = Math.min(allowed, perMinuteAllowed(input, workers, cost.writesPerTask));
  const claimSpacingMs = allowed >= cost.tasksPerHour ? 0 : HOUR / allowed;
  const standbys = n - workers;
  const why = limitedBy === "nodes"
    ? "every node fits the budget"
    : limitedBy === "requests"
    ? `${Math.round(usableRequests)} requests/h usable (${
      Math.round(REQUEST_SHARE * 100)
    }% of ${input.requestsPerHour}), ${fmt(cost.requestsPerHour)} per busy worker`
    : `${Math.round(usableWrites)} writes/h usable (${
      Math.round(WRITE_SHARE * 100)
    }% of ${WRITE_LIMIT.perHour}), ${fmt(cost.writesPerHour)} per busy worker`;
  return {
    workers,
    nodes: n,
    renewMs,
    workerPollMs,
    standbyPollMs,
    claimSpacingMs,
    perWorker: cost,
    budget: {
      requestsPerHour: usableRequests,
      writesPerHour: usableWrites,
      standbyRequestsPerHour: standbyReads,
      startupRequests: startup,
    },
    limitedBy,
    reason: `${workers} of ${n} node(s) may work at once: ${why}; ` +
      `tasks of ~${fmt(input.taskMs / 60_000)} min, renewal every ${fmt(renewMs / 60_000)} min` +
      (standbys > 0
        ? `; ${standbys} standby node(s) poll every ${fmt(standbyPollMs / 60_000)} min`
        : "") +
      (claimSpacingMs > 0 ? `; a worker claims at most every ${fmt(claimSpacingMs / 1000)} s` : ""),
  };
}

/**
 * When all the work left fits what the token's window has left (measured),
 * every node may work at the shortest poll: each of the `w` comments of a
 * task is read by each node once, so the rest costs at most
 * `tasks left × (p + n·w)` requests (`+ n²` in the first hour, for every
 * node's first comment), and `tasks left × w` comments; both must fit twice.
 */
function restFits(
  input: AdmissionInput,
  n: number,
  renewMs: number,
  usableWrites: number,
): Admission | undefined {
  if (input.requestsLeft === undefined || !Number.isFinite(input.remainingTasks)) return undefined;
  const cost = workerCost(input, renewMs);
  const tasks = Math.max(0, input.remainingTasks);
  // In the first hour every node's first comment (an announcement, an
  // election) is read by every node too.
  const requests = tasks * (cost.requestsPerTask + n * cost.writesPerTask) +
    (input.firstHour ? n * n : 0);
  const writes = tasks * cost.writesPerTask;
  // Twice over: results posted alone, retries and comments of people are not in w.
  if (2 * requests > input.requestsLeft || 2 * writes > usableWrites - input.writesLastHour) {
    return undefined;
  }
  const perMinute = perMinuteAllowed(input, n, cost.writesPerTask);
  return {
    workers: n,
    nodes: n,
    renewMs,
    workerPollMs: Math.max(input.pollMinMs, (n * 60_000) / SWARM_POLLS_PER_MINUTE),
    standbyPollMs: input.pollMaxMs,
    claimSpacingMs: perMinute >= cost.tasksPerHour ? 0 : HOUR / perMinute,
    perWorker: cost,
    budget: {
      requestsPerHour: input.requestsPerHour * REQUEST_SHARE,
      writesPerHour: usableWrites,
      standbyRequestsPerHour: 0,
      startupRequests: 0,
    },
    limitedBy: "nodes",
    reason: `${n} of ${n} node(s) may work at once: the ${tasks} task(s) left need about ` +
      `${Math.ceil(requests)} requests, under half the ${Math.floor(input.requestsLeft)} ` +
      `the token has left this hour`,
  };
}

/**
 * Tasks a worker may start per hour so that `workers` of them write at most
 * `WRITES_PER_MINUTE` comments a minute, when the work left needs more than
 * that (Infinity when it does not: it cannot exceed a minute's share).
 */
function perMinuteAllowed(input: AdmissionInput, workers: number, writesPerTask: number): number {
  if (Math.max(0, input.remainingTasks) * writesPerTask <= WRITES_PER_MINUTE) return Infinity;
  return (WRITES_PER_MINUTE * 60) / (workers * writesPerTask);
}

/**
 * Cost of one busy worker renewing every `renewMs`. Renewals count as a
 * fraction (T / R: task times spread around their median); a read three
 * settle windows into each run catches a rival's claim that lagged; one
 * more read per task covers polls while no task is ready and the completion
 * a node posts alone when nothing follows it (calibrated on the simulator).
 */
function workerCost(input: AdmissionInput, renewMs: number) {
  const taskMs = Math.max(0, input.taskMs);
  // The most a worker can do: the task, then the settle window before the next starts.
  const tasksPerHour = HOUR / Math.max(1_000, taskMs + input.settleMs);
  const renewals = taskMs / renewMs;
  const writesPerTask = 1 + renewals;
  const requestsPerTask = writesPerTask + 4 + renewals + (input.strict ? 2 : 0);
  return {
    tasksPerHour,
    writesPerTask,
    requestsPerTask,
    requestsPerHour: tasksPerHour * requestsPerTask,
    writesPerHour: tasksPerHour * writesPerTask,
  };
}

/** The most workers that fit at `renewMs`, and the standbys' poll interval that goes with them. */
function fit(
  input: AdmissionInput,
  n: number,
  renewMs: number,
  usableRequests: number,
  usableWrites: number,
) {
  const cost = workerCost(input, renewMs);
  // Writes bind only when the work left needs more than the hour has left
  // (or more than a minute's share at once); a short plan finishes first.
  const needed = Math.max(0, input.remainingTasks) * cost.writesPerTask;
  const writesBind = needed > usableWrites - input.writesLastHour;
  const byWrites = Math.min(
    writesBind ? usableWrites / cost.writesPerHour : Infinity,
    needed <= WRITES_PER_MINUTE ? Infinity : (WRITES_PER_MINUTE * 60) / cost.writesPerHour,
  );
  for (let k = n; k >= 1; k--) {
    const standbys = n - k;
    const { pollMs, reads } = standbyPolls(input, standbys, usableRequests);
    const startup = startupRequests(input, n, k);
    const requests = k * cost.requestsPerHour + reads + startup;
    const fitsRequests = requests <= usableRequests;
    const fitsWrites = k <= byWrites;
    if ((fitsRequests && fitsWrites) || k === 1) {
      const limitedBy: Admission["limitedBy"] = k === n
        ? "nodes"
        : k + 1 > byWrites
        ? "writes"
        : "requests";
      return {
        workers: k,
        renewMs,
        cost,
        standbyPollMs: pollMs,
        standbyReads: reads,
        startup,
        limitedBy,
        writesBind,
      };
    }
  }
  throw new Error("unreachable: k = 1 always fits");
}

/**
 * What the first hour spends once: every node reads the token's identity and
 * the log, every worker the issue and a few polls before the plan.
 */
function startupRequests(input: AdmissionInput, n: number, workers: number): number {
  return input.firstHour ? 2 * n + 6 * workers : 0;
}

/**
 * Standbys share `STANDBY_SHARE` of the usable requests: a whole number of
 * polls an hour each (a jittered interval of at least an hour / p fits p polls
 * in any hour), never faster than the longest poll interval, at least one an
 * hour.
 */
function standbyPolls(input: AdmissionInput, standbys: number, usableRequests: number) {
  if (standbys === 0) return { pollMs: input.pollMaxMs, reads: 0 };
  const share = usableRequests * STANDBY_SHARE;
  const perHour = Math.max(1, Math.floor(share / standbys) - 1);
  const pollMs = clamp(HOUR / perHour, input.pollMaxMs, STANDBY_MAX_MS);
  // One more in the hour a node becomes a standby (its first wait is a random part).
  return { pollMs, reads: standbys * (Math.ceil(HOUR / pollMs) + 1) };
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}

function fmt(x: number): string {
  return x >= 10 ? String(Math.round(x)) : (Math.round(x * 10) / 10).toString();
}

/** What the log shows about the swarm's load, for one identity. */
export interface SwarmObservation {
  /** Nodes of this identity the log shows within the window, in the order they first wrote. */
  nodes: string[];
  /** Nodes of this identity holding a live attempt. */
  holders: string[];
  /** Median run time of the tasks done so far (claim to result), ms; undefined before the first. */
  taskMs: number | undefined;
  /** Server time of the swarm's first message; undefined before any. */
  since: number | undefined;
  /** Tasks not yet done, failed for good or skipped. */
  remaining: number;
}

/**
 * What {@linkcode observe} reads from the log that does not depend on the
 * time: a caller that observes one state at many times works it out once.
 */
export interface LogObservation {
  /** Nodes of the identity, in the order they first wrote. */
  nodes: readonly NodeInfo[];
  /** Tasks not done nor failed for good by the log alone (their phase depends on the time). */
  open: readonly string[];
  /** Claim-to-result times of the attempts done, ascending. */
  durations: readonly number[];
  since: number | undefined;
}

/**
 * The time-independent part of {@linkcode observe}.
 *
 * @example
 * ```ts
 * const log = observeLog(state, "github-actions[bot]");
 * observe(state, now, "github-actions[bot]", 6 * 3_600_000, log).remaining;
 * ```
 */
export function observeLog(state: SwarmState, author: string): LogObservation {
  const all = Object.values(state.nodes);
  const nodes = all.filter((n) => n.author === author)
    .sort((a, b) => a.firstSeen - b.firstSeen || (a.node < b.node ? -1 : 1));
  const open: string[] = [];
  for (const id of state.order) {
    const task = state.tasks[id]!;
    if (task.status !== "done" && task.status !== "failed") open.push(id);
  }
  const durations = doneDurations(state);
  const since = all.reduce<number | undefined>(
    (min, n) => min === undefined || n.firstSeen < min ? n.firstSeen : min,
    undefined,
  );
  return {
    nodes,
    open,
    durations,
    since,
  };
}

/**
 * Observes the swarm at server time `now` for the nodes writing as `author`
 * (one token, one budget): who has written lately, who holds work, how long
 * tasks take. `log`: {@linkcode observeLog} of this state and author, when
 * the caller keeps it.
 *
 * @example
 * ```ts
 * const o = observe(state, now, "github-actions[bot]", 6 * 3_600_000);
 * o.holders.length;
 * ```
 */
export function observe(
  state: SwarmState,
  now: number,
  author: string,
  windowMs: number,
  log: LogObservation = observeLog(state, author),
): SwarmObservation {
  const holders = new Set<string>();
  const running: number[] = [];
  let remaining = 0;
  // Done and failed tasks stay so at any time; the others' phase depends on it.
  for (const id of log.open) {
    const task = state.tasks[id]!;
    const phase = taskPhase(state, task, now);
    if (phase !== "done" && phase !== "failed" && phase !== "skipped") remaining++;
    const live = liveAttempt(state, task, now);
    if (live) running.push(Math.max(0, now - live.claimedAt));
    if (live && live.author === author) holders.add(live.node);
  }
  return {
    nodes: log.nodes.filter((n) => now - n.lastSeen <= windowMs).map((n) => n.node),
    holders: [...holders].sort(),
    taskMs: log.durations.length ? medianRunTime(log.durations, running) : undefined,
    since: log.since,
    remaining,
  };
}

/**
 * Whether `node` may claim new work: fewer than `workers` other nodes of its
 * identity hold a live attempt. A node over the count finishes what it holds
 * and then stands by, so the count corrects itself.
 *
 * @example
 * ```ts
 * if (mayWork(admission, observation, "run-1-job-3")) await claimNext();
 * ```
 */
export function mayWork(
  admission: Admission,
  observation: SwarmObservation,
  node: string,
): boolean {
  return observation.holders.filter((h) => h !== node).length < admission.workers;
}

/**
 * The median run time of the tasks, from the attempts done (`done`, ascending)
 * and those still running (`running`: each will take at least that long), by
 * the product-limit (Kaplan–Meier) estimate. The first results of a swarm are
 * its shortest tasks: their plain median would say tasks are short while most
 * still run, and admission would admit too few workers. Undefined while the
 * estimate cannot reach one half (too few done yet).
 *
 * @example
 * ```ts
 * medianRunTime([60_000], [50_000, 0]); // 60000: the one at risk at 60 s ended
 * medianRunTime([300_000], Array(9).fill(300_000)); // undefined: 9 of 10 still run
 * ```
 */
export function medianRunTime(
  done: readonly number[],
  running: readonly number[],
): number | undefined {
  const censored = [...running].sort((a, b) => a - b);
  let survival = 1;
  let c = 0;
  for (let i = 0; i < done.length;) {
    const t = done[i]!;
    let ended = 0;
    while (i + ended < done.length && done[i + ended] === t) ended++;
    // Still at risk at t: attempts done at t or later, and those running for at least t.
    while (c < censored.length && censored[c]! < t) c++;
    const atRisk = done.length - i + censored.length - c;
    survival *= 1 - ended / atRisk;
    if (survival <= 0.5) return t;
    i += ended;
  }
  return undefined;
}

/**
 * Claim-to-result times of the attempts that completed their tasks, ms,
 * ascending.
 *
 * @example
 * ```ts
 * doneDurations(state).at(-1); // the longest task so far
 * ```
 */
export function doneDurations(state: SwarmState): number[] {
  const durations: number[] = [];
  for (const id of state.order) {
    const task = state.tasks[id]!;
    if (!task.done) continue;
    const a = task.attempts[task.done.attempt - 1];
    if (a) durations.push(Math.max(0, task.done.at - a.claimedAt));
  }
  return durations.sort((a, b) => a - b);
}
