/**
 * The benchmark's simulated swarms: scenarios built for measurement (a fixed
 * number of nodes and tasks, one token kind, GitHub-like latency and list lag,
 * no crashes, no faults, no people on the issue) run in virtual time by the
 * simulation in `tests/sim/`, for our node (`runNode`) and for the original
 * design's algorithm on the same seed; and the figures taken from a finished
 * run: election agreement, claim latency, API use, throughput.
 *
 * Every time here is true virtual time (the model's server time), in ms.
 *
 * @module
 */
import { admit } from "../src/protocol/admission.ts";
import { settleFloorMs } from "../src/node/context.ts";
import { PRIMARY_LIMIT, type TokenKind, WRITE_LIMIT } from "../src/protocol/budget.ts";
import { fold } from "../src/protocol/fold.ts";
import { type LogComment, type PlanTask, PRIORITIES } from "../src/protocol/types.ts";
import { baseline } from "../tests/sim/baseline.ts";
import {
  type ProcessEnv,
  runSwarm,
  type SimEvent,
  type Strategy,
  type SwarmRun,
} from "../tests/sim/harness.ts";
import { NO_HUMANS, PRODUCTION_CONFIG } from "../tests/sim/designed.ts";
import { checkerPolicy, figures } from "../tests/sim/invariants.ts";
import { type ModelClient, type ModelFaults, NO_FAULTS } from "../tests/sim/model.ts";
import { ours } from "../tests/sim/ours.ts";
import { derive, Rng } from "../tests/sim/rng.ts";
import { ACTIONS_BOT, type NodeSpec, type Scenario } from "../tests/sim/scenario.ts";

/**
 * GitHub as the benchmark models it: request latency 80–600 ms, three read
 * replicas, and one comment version in ten reaching a replica up to 20 s late
 * (lags of 5–20 s have been reported on GitHub). No errors, timeouts or
 * spurious limits: the benchmark measures the protocol, not fault recovery.
 *
 * @example
 * ```ts
 * const s = benchScenario({ seed: 1, nodes: 5, tasks: 10, tokenKind: "actions", execMs: 60_000, faults: GITHUB_LIKE });
 * ```
 */
export const GITHUB_LIKE: ModelFaults = {
  ...NO_FAULTS,
  replicas: 3,
  lagProbability: 0.1,
  maxLagMs: 20_000,
  latencyMs: [80, 600],
};

/**
 * GitHub-like made harsher: one comment version in ten reaches a read replica
 * a whole 30 s late (instead of up to 20 s), longer than the configured settle
 * window, so a shortcut that bets on short lags shows its price as duplicates
 * or two leaders.
 *
 * @example
 * ```ts
 * benchScenario({ seed: 1, nodes: 5, tasks: 10, tokenKind: "actions", execMs: 60_000, faults: HARSH_LAG });
 * ```
 */
export const HARSH_LAG: ModelFaults = {
  ...GITHUB_LIKE,
  lagProbability: 0.1,
  minLagMs: 30_000,
  maxLagMs: 30_000,
};

/** The one identity and token every node of a benchmark swarm shares, by token kind. */
const IDENTITIES: Record<TokenKind, Pick<NodeSpec, "login" | "accountId" | "type" | "token">> = {
  actions: {
    login: ACTIONS_BOT.login,
    accountId: ACTIONS_BOT.id,
    type: "Bot",
    token: "GITHUB_TOKEN",
  },
  pat: { login: "swarm-bot", accountId: 1000, type: "User", token: "pat-swarm-bot" },
  app: { login: "p2p-dev-swarm[bot]", accountId: 2000, type: "Bot", token: "app-installation" },
};

/** What {@linkcode benchScenario} builds. */
export interface BenchScenarioOptions {
  seed: number;
  nodes: number;
  tasks: number;
  /**
   * `actions`: every node is a matrix job sharing `GITHUB_TOKEN` (one identity,
   * 1,000 requests/h); `pat`: every node shares one personal access token
   * (one identity, 5,000 requests/h); `app`: every node uses a token of one
   * GitHub App installation (one `[bot]` identity, 5,000 requests/h: the
   * installation's floor).
   */
  tokenKind: TokenKind;
  /** Mean task duration, ms (each task 0.5–1.5 times it); 0 for zero-work tasks. */
  execMs: number;
  /** `layered`: four layers, each task after one or two of the layer before; `flat`: no dependencies. */
  dag?: "layered" | "flat";
  /** Nodes start within this many ms of the trigger (default 2,000: matrix jobs). */
  startSpreadMs?: number;
  /** The model's behaviour (default {@linkcode GITHUB_LIKE}). */
  faults?: ModelFaults;
  /** Planning time, ms (default 5,000). */
  planMs?: number;
}

/**
 * A measurement scenario: the production defaults of the node configuration
 * (settle 10 s, lease 10 min renewed every 4, polls 5 s–5 min, three attempts),
 * every node on one identity, no faults of nodes or people.
 *
 * @example
 * ```ts
 * const s = benchScenario({ seed: 1, nodes: 20, tasks: 60, tokenKind: "actions", execMs: 300_000 });
 * s.nodes.length; // 20
 * ```
 */
export function benchScenario(o: BenchScenarioOptions): Scenario {
  const r = new Rng(derive(o.seed, "bench", o.nodes, o.tasks, o.tokenKind, o.execMs));
  const spread = o.startSpreadMs ?? 2_000;
  const who = IDENTITIES[o.tokenKind];
  const nodes: NodeSpec[] = Array.from({ length: o.nodes }, (_, i) => ({
    node: o.tokenKind === "pat" ? `vps-${i + 1}` : `run-1-job-${i + 1}`,
    ...who,
    offsetMs: 0,
    drift: 0,
    startAt: r.int(0, spread),
  }));
  const tasks = benchTasks(r, o.tasks, o.dag ?? "layered");
  const exec: Scenario["exec"] = {};
  for (const t of tasks) {
    exec[t.id] = {
      durationMs: o.execMs === 0 ? 0 : Math.round(o.execMs * r.range(0.5, 1.5)),
      failProbability: 0,
    };
  }
  const tokenKind: TokenKind = o.tokenKind;
  return {
    seed: o.seed,
    profile: "bench",
    start: Date.UTC(2025, 0, 6, 9, 0, 0),
    issue: 42,
    tokenKind,
    nodes,
    anchor: nodes[0]!.node,
    tasks,
    exec,
    planMs: o.planMs ?? 5_000,
    faults: o.faults ?? GITHUB_LIKE,
    nodeFaults: [],
    humans: NO_HUMANS,
    allow: [],
    config: { ...PRODUCTION_CONFIG, tokenKind },
    primaryLimit: PRIMARY_LIMIT[tokenKind],
    maintainer: "octo-owner",
    stranger: "mallory",
    // Matrix jobs know the matrix size (`strategy.job-total`); a PAT's VPS nodes are told too.
    sizeHint: true,
  };
}

function benchTasks(r: Rng, n: number, dag: "layered" | "flat"): PlanTask[] {
  const layers = dag === "flat" ? 1 : Math.min(4, n);
  const size = Math.ceil(n / layers);
  const tasks: PlanTask[] = [];
  for (let i = 0; i < n; i++) {
    const layer = Math.floor(i / size);
    const deps = new Set<string>();
    if (layer > 0) {
      const lo = (layer - 1) * size, hi = layer * size - 1;
      deps.add(`T${r.int(lo, hi) + 1}`);
      if (r.chance(0.5)) deps.add(`T${r.int(lo, hi) + 1}`);
    }
    tasks.push({
      id: `T${i + 1}`,
      title: `Task ${i + 1}`,
      priority: r.pick(PRIORITIES),
      deps: [...deps].sort(),
    });
  }
  return tasks;
}

const PLAN = "📦 TASKS_DATA|";

/**
 * Wraps a strategy's GitHub client to record what the election's outcome
 * needs, without changing what the strategy does:
 *
 * - ours: the first time this process listed each election comment
 *   (`bench_seen_election`), so that a follower who first followed a
 *   candidate whose lower-id rival was still lagging is counted as agreeing
 *   only once it saw the winner;
 * - the original: when this process first had the plan (`bench_plan_seen`:
 *   it posted or listed a `TASKS_DATA` comment); and, as the election's
 *   outcome is not an event of the original, whom the original's rule
 *   (earliest `created_at`, ties to the first listed) makes leader in the
 *   first listing after this process's election comment (`bench_leader`):
 *   that node's decision.
 */
function probe(env: ProcessEnv, kind: "ours" | "original"): ModelClient {
  let electionPosted = false;
  let decided = false;
  let planSeen = false;
  const seen = new Set<number>();
  const inspect = (comments: readonly LogComment[]) => {
    if (kind === "original" && !planSeen && comments.some((c) => c.body.startsWith(PLAN))) {
      planSeen = true;
      env.log({ type: "bench_plan_seen" });
    }
    if (kind === "ours") {
      for (const c of comments) {
        if (!seen.has(c.id) && c.body.includes('"type":"election"')) {
          seen.add(c.id);
          env.log({ type: "bench_seen_election", id: c.id });
        }
      }
      return;
    }
    if (!electionPosted || decided) return;
    decided = true;
    let best: LogComment | undefined;
    for (const c of comments) {
      if (!c.body.includes("LEADER_ELECTION")) continue;
      if (!best || c.createdAt < best.createdAt) best = c;
    }
    env.log({ type: "bench_leader", leader: best?.body.split("|")[1] ?? "(none)" });
  };
  return new Proxy(env.github, {
    get(target, prop) {
      if (prop === "createComment") {
        return async (issue: number, body: string, nonce: string) => {
          const c = await target.createComment(issue, body, nonce);
          if (body.startsWith("🎯 LEADER_ELECTION|")) electionPosted = true;
          if (kind === "original" && !planSeen && body.startsWith(PLAN)) {
            planSeen = true;
            env.log({ type: "bench_plan_seen" });
          }
          return c;
        };
      }
      if (prop === "listComments") {
        return async (issue: number, since?: string) => {
          try {
            const page = await target.listComments(issue, since);
            inspect(page.comments);
            return page;
          } catch (error) {
            inspect([]);
            throw error;
          }
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  }) as ModelClient;
}

/**
 * The two strategies the benchmark compares, unchanged but for the probe on
 * their GitHub client (see `probe` above): our node (`tests/sim/ours.ts`) and
 * the original design (`tests/sim/baseline.ts`).
 *
 * @example
 * ```ts
 * const run = await runSwarm(benchScenario({ seed: 1, nodes: 5, tasks: 10, tokenKind: "actions", execMs: 0 }), STRATEGIES.original);
 * ```
 */
export const STRATEGIES: Record<"ours" | "original", Strategy> = {
  ours: { ...ours, run: (env) => ours.run({ ...env, github: probe(env, "ours") }) },
  original: {
    ...baseline,
    run: (env) => baseline.run({ ...env, github: probe(env, "original") }),
  },
};

/** Figures of one simulated run. */
export interface SimFigures {
  strategy: string;
  seed: number;
  nodes: number;
  tasks: number;
  tokenKind: TokenKind;
  done: number;
  failed: number;
  lost: number;
  /** Tasks that ran to a successful end more than once. */
  executedTwice: number;
  /** Attempts whose lease lapsed (the final fold's `lapsed` ends). */
  lapses: number;
  /** Most executions running at one time. */
  peakRunning: number;
  /**
   * From the trigger until the last node had decided who leads (ours: its
   * first `elected`, `follower` or `plan_seen`; the original: its listing
   * after its election comment). `null` when some node never decided.
   */
  electionMs: number | null;
  /** The same over the working nodes: those that led or claimed within 2 min of knowing the plan (standbys excluded). */
  workingElectionMs: number | null;
  /** Whether the nodes' decisions named more than one leader (split brain). */
  electionSplit: boolean;
  /** Followers whose first leader was a candidate whose lower-id rival was still lagging (ours). */
  followedLoserFirst: number;
  /**
   * From the trigger until the last node had the plan (ours: `plan_seen`; the
   * original: it posted or listed a `TASKS_DATA`); `null` when some node never had it.
   */
  planKnownMs: number | null;
  /** The same over the working nodes. */
  workingPlanKnownMs: number | null;
  /**
   * Per task: from ready (plan published and every dependency done) to the
   * first execution start; `Infinity` for a task never started.
   */
  claimMs: number[];
  /** Requests counted against the primary limit (not 304s, not rate-limit answers). */
  counted: number;
  notModified: number;
  writes: number;
  primaryLimited: number;
  secondaryLimited: number;
  /** Most accepted writes within any 60 minutes. */
  peakWritesPerHour: number;
  /** Most counted requests within any 60 minutes. */
  peakCountedPerHour: number;
  /** Hours from the trigger to the last task's end (to the run's end when tasks were lost). */
  hours: number;
  /** Sum of the node processes' lifetimes, hours. */
  nodeHours: number;
  /**
   * Tasks done within the first hour after the plan was published (when the
   * work took longer than an hour), else tasks done per hour of that span.
   */
  tasksPerHour: number;
  /** Virtual-time hours of the whole run and wall-clock ms it took to simulate. */
  virtualHours: number;
  wallMs: number;
}

/**
 * Runs `scenario` with one strategy and takes its figures.
 *
 * @example
 * ```ts
 * const f = await simFigures(benchScenario({ seed: 1, nodes: 5, tasks: 15, tokenKind: "actions", execMs: 300_000 }), "ours");
 * f.electionMs;
 * ```
 */
export async function simFigures(
  scenario: Scenario,
  strategy: "ours" | "original",
): Promise<SimFigures> {
  const t0 = performance.now();
  const run = await runSwarm(scenario, STRATEGIES[strategy]);
  const wallMs = performance.now() - t0;
  return { ...measure(run, strategy), wallMs };
}

function measure(run: SwarmRun, strategy: string): Omit<SimFigures, "wallMs"> {
  const s = run.scenario;
  const f = figures(run);
  const nodeProcs = run.processes.filter((p) => !p.proc.startsWith("human:"));

  // --- election ---------------------------------------------------------------
  const decisions: { t: number; leader: string; working: boolean }[] = [];
  let undecided = false;
  let undecidedWorking = false;
  // Working: with admission control, the nodes whose seats start warm (the
  // first `k` of the first hour) and the leader; standbys neither work nor
  // need the leader at once, learn it at their next poll and may step in
  // later. The original design: every node.
  const warmSeats = strategy === "ours" ? admittedFirstHour(s) : s.nodes.length;
  const seatOf = (node: string) => {
    const i = s.nodes.findIndex((n) => n.node === node);
    return (i + 1) % s.nodes.length;
  };
  const working = (p: (typeof nodeProcs)[number]) =>
    seatOf(p.node) < warmSeats || p.events.some(({ e }) => e.type === "elected");
  let wrongFirst = 0;
  if (strategy === "ours") {
    const state = fold(run.model.finalLog(), checkerPolicy(s));
    const term = state.terms[(state.plan?.term ?? 1) - 1];
    for (const p of nodeProcs) {
      const at = (type: string, pred: (e: SimEvent) => boolean = () => true) =>
        p.events.find(({ e }) => e.type === type && pred(e))?.t ?? Infinity;
      const elected = at("elected");
      const follower = p.events.find(({ e }) => e.type === "follower");
      const planSeen = at("plan_seen");
      const first = Math.min(elected, follower?.t ?? Infinity, planSeen);
      const w = working(p);
      if (!Number.isFinite(first)) {
        undecided = true;
        if (w) undecidedWorking = true;
        continue;
      }
      if (first === elected) {
        decisions.push({ t: elected, leader: p.node, working: w });
        continue;
      }
      if (first === planSeen || !term) {
        decisions.push({ t: planSeen, leader: term?.node ?? "(none)", working: w });
        continue;
      }
      // A follower agrees once it has the winner's election comment (the
      // lowest id of the term): at once when it named the winner, else when
      // a later listing brought the lagging winner, at the latest when it saw
      // the plan.
      if (String(follower!.e.leader) === term.node) {
        decisions.push({ t: follower!.t, leader: term.node, working: w });
        continue;
      }
      wrongFirst++;
      const seenWinner = at("bench_seen_election", (e) => e.id === term.token);
      decisions.push({
        t: Math.min(planSeen, Math.max(follower!.t, seenWinner)),
        leader: term.node,
        working: w,
      });
    }
  } else {
    for (const p of nodeProcs) {
      const first = p.events.find(({ e }) => e.type === "bench_leader");
      if (!first) {
        undecided = true;
        continue;
      }
      // A failed listing decides nothing: the node goes on without knowing.
      if (first.e.leader === "(none)") undecided = true;
      else decisions.push({ t: first.t, leader: String(first.e.leader), working: working(p) });
    }
  }
  const electionMs = undecided || decisions.length === 0
    ? null
    : Math.max(...decisions.map((d) => d.t)) - s.start;
  const workingDecisions = decisions.filter((d) => d.working);
  const workingElectionMs = undecidedWorking || workingDecisions.length === 0
    ? null
    : Math.max(...workingDecisions.map((d) => d.t)) - s.start;
  // Split brain: two processes acted as leader of one term (ours), or the
  // nodes' decisions named different leaders (the original never revises its own).
  const electionSplit = f.believedLeaders > 1 ||
    new Set(decisions.map((d) => d.leader)).size > 1;

  const planKnown = (procs: typeof nodeProcs) => {
    const times = procs.map((p) =>
      p.events.find(({ e }) => e.type === (strategy === "ours" ? "plan_seen" : "bench_plan_seen"))
        ?.t
    );
    return times.length && times.every((t) => t !== undefined)
      ? Math.max(...(times as number[])) - s.start
      : null;
  };
  const planKnownMs = planKnown(nodeProcs);
  const workingPlanKnownMs = planKnown(nodeProcs.filter(working));

  // --- claim latency ------------------------------------------------------------
  const ready = readyTimes(run, strategy);
  const claimMs = [...claimWaitsMs(run, strategy, ready).values()];

  // --- API ----------------------------------------------------------------------
  const reqs = run.model.requests.filter((r) =>
    !r.proc.startsWith("human:") && !r.proc.startsWith("checker")
  );
  let primaryLimited = 0, secondaryLimited = 0;
  const writeTimes: number[] = [], countedTimes: number[] = [];
  for (const r of reqs) {
    if (r.limit?.kind === "primary") primaryLimited++;
    else if (r.limit?.kind === "secondary") secondaryLimited++;
    else if (r.status !== 304) countedTimes.push(r.t);
    if (r.write && r.status > 0 && r.status < 400) writeTimes.push(r.t);
  }
  const nodeHours = nodeProcs.reduce(
    (sum, p) => sum + ((p.endedAt ?? run.endTime) - p.startedAt) / 3_600_000,
    0,
  );

  // --- throughput -----------------------------------------------------------------
  const outcome = run.outcome ? run.outcome(run) : undefined;
  const doneAt: number[] = [];
  if (outcome) {
    for (const t of s.tasks) {
      const o = outcome[t.id];
      if (o?.status === "done" && o.at !== undefined) doneAt.push(o.at);
    }
  } else {
    const state = fold(run.model.finalLog(), checkerPolicy(s));
    for (const id of state.order) {
      const d = state.tasks[id]!.done;
      if (d) doneAt.push(run.model.comment(d.commentId)?.effect ?? d.at);
    }
  }
  // Tasks done in the first hour after the plan: the write limit is a window
  // of one hour, so a run longer than that shows the limit's rate; a shorter
  // one shows its own rate.
  const planAt = Math.min(...[...ready.values()]);
  const span = doneAt.length ? (Math.max(...doneAt) - planAt) / 3_600_000 : 0;
  const tasksPerHour = span > 1
    ? doneAt.filter((t) => t <= planAt + 3_600_000).length
    : span > 0
    ? doneAt.length / span
    : 0;

  return {
    strategy,
    seed: s.seed,
    nodes: s.nodes.length,
    tasks: s.tasks.length,
    tokenKind: s.tokenKind,
    done: f.done,
    failed: f.failed,
    lost: f.lost,
    executedTwice: f.executedTwice,
    lapses: lapsesOf(run),
    peakRunning: peakRunning(run),
    electionMs,
    workingElectionMs,
    electionSplit,
    followedLoserFirst: wrongFirst,
    planKnownMs,
    workingPlanKnownMs,
    claimMs,
    counted: f.requests,
    notModified: f.notModified,
    writes: f.writes,
    primaryLimited,
    secondaryLimited,
    peakWritesPerHour: peakInHour(writeTimes),
    peakCountedPerHour: peakInHour(countedTimes),
    hours: f.hours,
    nodeHours,
    tasksPerHour,
    virtualHours: (run.endTime - s.start) / 3_600_000,
  };
}

/**
 * Workers admission control admits at the start of a benchmark scenario: in
 * the first hour, before the plan is known (its size, token kind and
 * timings; tasks a lease long, as a node assumes before any result). These
 * seats start warm.
 */
export function admittedFirstHour(s: Scenario): number {
  const c = s.config;
  return admit({
    requestsPerHour: s.primaryLimit,
    nodes: s.nodes.length,
    taskMs: c.leaseMs,
    leaseMs: c.leaseMs,
    renewMs: c.renewMs,
    settleMs: settleFloorMs(c),
    pollMinMs: c.pollMinMs,
    pollMaxMs: c.pollMaxMs,
    strict: c.strict,
    firstHour: true,
    remainingTasks: Infinity,
    writesLastHour: 0,
  }).workers;
}

/** Attempts the final fold ended as `lapsed` (their owner fell silent for a whole lease). */
function lapsesOf(run: SwarmRun): number {
  const state = fold(run.model.finalLog(), checkerPolicy(run.scenario));
  let n = 0;
  for (const id of state.order) {
    for (const a of state.tasks[id]!.attempts) if (a.end?.kind === "lapsed") n++;
  }
  return n;
}

/** Most executions running at once. */
function peakRunning(run: SwarmRun): number {
  const edges = run.execs.flatMap((e) => [
    { t: e.start, d: 1 },
    { t: e.end ?? run.endTime, d: -1 },
  ]).sort((a, b) => a.t - b.t || a.d - b.d);
  let now = 0, peak = 0;
  for (const e of edges) peak = Math.max(peak, now += e.d);
  return peak;
}

/** Most events within any window of one hour (times ascending). */
function peakInHour(times: number[]): number {
  let lo = 0, best = 0;
  for (let i = 0; i < times.length; i++) {
    while (times[i]! - times[lo]! >= 3_600_000) lo++;
    best = Math.max(best, i - lo + 1);
  }
  return best;
}

/**
 * Each task's wait from ready to its first start, in plan order (Infinity
 * for a task never started): the benchmark's claim latency.
 *
 * @example
 * ```ts
 * const run = await runSwarm(benchScenario({ seed: 1, nodes: 5, tasks: 10, tokenKind: "actions", execMs: 60_000 }), STRATEGIES.ours);
 * Math.max(...claimWaitsMs(run).values()); // the slowest claim, ms
 * ```
 */
export function claimWaitsMs(
  run: SwarmRun,
  strategy = "ours",
  ready: Map<string, number> = readyTimes(run, strategy),
): Map<string, number> {
  const firstStart = new Map<string, number>();
  for (const e of run.execs) {
    const known = firstStart.get(e.task);
    if (known === undefined || e.start < known) firstStart.set(e.task, e.start);
  }
  const out = new Map<string, number>();
  for (const t of run.scenario.tasks) {
    const r = ready.get(t.id), start = firstStart.get(t.id);
    // A task never started counts as never claimed (Infinity; null in JSON).
    out.set(t.id, start === undefined ? Infinity : start - (r ?? start));
  }
  return out;
}

/**
 * When each task became ready, in true time: the later of the plan's
 * publication and its dependencies' completions, each the moment the comment
 * took effect on the server. Ours: the plan in force and the results our fold
 * accepts. The original: its first `TASKS_DATA` and the first `completed`
 * progress of each dependency.
 *
 * @example
 * ```ts
 * readyTimes(run, "ours").get("T1"); // server time T1 became ready
 * ```
 */
export function readyTimes(run: SwarmRun, strategy: string): Map<string, number> {
  const s = run.scenario;
  const effect = (id: number) => run.model.comment(id)?.effect;
  const out = new Map<string, number>();
  if (strategy === "ours") {
    const state = fold(run.model.finalLog(), checkerPolicy(s));
    if (!state.plan) return out;
    const planAt = Math.max(...state.plan.commentIds.map((id) => effect(id) ?? Infinity));
    for (const t of s.tasks) {
      const deps = t.deps.map((d) => {
        const done = state.tasks[d]?.done;
        return done ? effect(done.commentId) ?? Infinity : Infinity;
      });
      const at = Math.max(planAt, ...deps);
      if (Number.isFinite(at)) out.set(t.id, at);
    }
    return out;
  }
  let planAt = Infinity;
  const completed = new Map<string, number>();
  for (const c of run.model.finalLog()) {
    const at = effect(c.id) ?? Infinity;
    if (c.body.startsWith(PLAN)) planAt = Math.min(planAt, at);
    if (c.body.startsWith("📊 PROGRESS|")) {
      try {
        const data = JSON.parse(c.body.slice("📊 PROGRESS|".length));
        const id = String(data?.task_id);
        if (data?.status === "completed" && !completed.has(id)) completed.set(id, at);
      } catch {
        // not a progress report
      }
    }
  }
  for (const t of s.tasks) {
    const at = Math.max(planAt, ...t.deps.map((d) => completed.get(d) ?? Infinity));
    if (Number.isFinite(at)) out.set(t.id, at);
  }
  return out;
}

/**
 * Whether a run stayed inside its identity's limits: no primary-limit answer,
 * no content-creation (secondary) answer, at most 500 accepted writes and at
 * most the primary limit in counted requests within any hour.
 *
 * @example
 * ```ts
 * insideLimits(f); // true when the swarm never hit GitHub's limits
 * ```
 */
export function insideLimits(f: SimFigures): boolean {
  return f.primaryLimited === 0 && f.secondaryLimited === 0 &&
    f.peakWritesPerHour <= WRITE_LIMIT.perHour &&
    f.peakCountedPerHour <= PRIMARY_LIMIT[f.tokenKind];
}
