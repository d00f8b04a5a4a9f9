/**
 * `deno task bench`: every figure of issue 6's benchmark in one table, ours
 * beside the original design's from the same run and the ceiling that
 * the budget arithmetic (src/protocol/budget.ts) gives (or the original document's own
 * claim); all raw figures in `bench.json`. Measures, never asserts.
 *
 * ```sh
 * deno task bench            # everything (about 3–5 minutes on 2 cores)
 * deno task bench --quick    # a faster subset (5 and 20 nodes, shorter runs)
 * deno task bench --out x.json
 * ```
 *
 * Where each figure comes from is in `bench/README.md`.
 *
 * @module
 */
import { cpus } from "node:os";
import { admit } from "../src/protocol/admission.ts";
import { PRIMARY_LIMIT, type TokenKind, WRITE_LIMIT } from "../src/protocol/budget.ts";
import { defaultConfig } from "../src/node/config.ts";
import { settleFloorMs } from "../src/node/context.ts";
import { VERSION } from "../src/version.ts";
import { benchEmulator } from "./emulator.ts";
import { benchFold } from "./fold.ts";
import { benchPlanner } from "./planner.ts";
import { benchNodeMemory, benchStartup } from "./process.ts";
import { GITHUB_LIKE, HARSH_LAG, insideLimits, type SimFigures } from "./sim.ts";
import type { SimJob, SimJobResult } from "./sim_worker.ts";
import { benchSwarm, quantile, type SwarmFigures } from "./swarm.ts";

/** Settings of one benchmark run. */
export interface BenchPlan {
  quick: boolean;
  /** Simulated swarm sizes and seeds per size, every node on one `GITHUB_TOKEN`. */
  sizes: { nodes: number; seeds: number }[];
  /** The same workload with every node on one GitHub App installation's token. */
  appSizes: { nodes: number; seeds: number }[];
  /**
   * The same workload on `GITHUB_TOKEN` under harsher lag (`HARSH_LAG`: one
   * comment version in ten 30 s late on a replica), the first seeds of `sizes`.
   */
  harshSizes: { nodes: number; seeds: number }[];
  /** Tasks per node and mean task duration of the simulated workload. */
  tasksPerNode: number;
  taskMinutes: number;
  /** Node counts tried for the largest swarm inside the token's limits. */
  sweep: number[];
  /** Token kinds the sweep runs for. */
  sweepKinds: TokenKind[];
  /** Tasks per node of the sweep (no dependencies: every node busy for about an hour). */
  sweepTasksPerNode: number;
  /** Zero-work throughput runs. */
  throughput: { nodes: number; tokenKind: "actions" | "pat" }[];
  throughputTasks: number;
  /** Swarms over real HTTP. */
  http: { nodes: number; tasks: number }[];
  foldRuns: number;
  startupRuns: number;
  speedSeeds: number;
}

/**
 * The full benchmark, or its quick subset.
 *
 * @example
 * ```ts
 * benchPlan(true).sizes.map((s) => s.nodes); // [5, 20]
 * ```
 */
export function benchPlan(quick: boolean): BenchPlan {
  return quick
    ? {
      quick,
      sizes: [{ nodes: 5, seeds: 3 }, { nodes: 20, seeds: 2 }],
      appSizes: [{ nodes: 20, seeds: 2 }],
      harshSizes: [{ nodes: 5, seeds: 3 }, { nodes: 20, seeds: 2 }],
      tasksPerNode: 2,
      taskMinutes: 10,
      sweep: [2, 3, 5, 10, 15, 20, 30],
      sweepKinds: ["actions"],
      sweepTasksPerNode: 6,
      throughput: [{ nodes: 5, tokenKind: "pat" }, { nodes: 5, tokenKind: "actions" }],
      throughputTasks: 600,
      http: [{ nodes: 5, tasks: 20 }],
      foldRuns: 3,
      startupRuns: 3,
      speedSeeds: 50,
    }
    : {
      quick,
      sizes: [
        { nodes: 5, seeds: 8 },
        { nodes: 20, seeds: 6 },
        { nodes: 50, seeds: 3 },
        { nodes: 100, seeds: 2 },
      ],
      appSizes: [
        { nodes: 5, seeds: 3 },
        { nodes: 20, seeds: 3 },
        { nodes: 50, seeds: 2 },
        { nodes: 100, seeds: 2 },
      ],
      harshSizes: [{ nodes: 5, seeds: 8 }, { nodes: 20, seeds: 6 }],
      tasksPerNode: 2,
      taskMinutes: 10,
      sweep: [2, 3, 5, 10, 15, 20, 30, 50, 75, 100],
      sweepKinds: ["actions", "app"],
      sweepTasksPerNode: 6,
      throughput: [
        { nodes: 5, tokenKind: "pat" },
        { nodes: 5, tokenKind: "actions" },
        { nodes: 20, tokenKind: "pat" },
        { nodes: 20, tokenKind: "actions" },
      ],
      throughputTasks: 600,
      http: [{ nodes: 5, tasks: 20 }, { nodes: 20, tasks: 40 }],
      foldRuns: 5,
      startupRuns: 10,
      speedSeeds: 200,
    };
}

const STRATS = ["ours", "original"] as const;
const encoder = new TextEncoder();

function progress(text: string): void {
  Deno.stderr.writeSync(encoder.encode(`… ${text}\n`));
}

const simId = (strategy: string, kind: TokenKind, nodes: number, seed: number, harsh = false) =>
  `sim ${strategy} ${kind}${harsh ? " harsh" : ""} n=${nodes} seed=${seed}`;
const throughputId = (strategy: string, nodes: number, tokenKind: string) =>
  `throughput ${strategy} n=${nodes} ${tokenKind}`;

// --- the worker pool ------------------------------------------------------------

/** Runs jobs on worker threads; `grow` adds a worker while jobs remain. */
class Pool {
  #queue: SimJob[];
  #results: SimJobResult[] = [];
  #running: Promise<void>[] = [];
  #failed: Error | undefined;

  constructor(jobs: SimJob[]) {
    this.#queue = [...jobs];
  }

  grow(): void {
    if (this.#queue.length === 0) return;
    const worker = new Worker(new URL("./sim_worker.ts", import.meta.url).href, {
      type: "module",
    });
    this.#running.push(
      new Promise<void>((resolve) => {
        const next = () => {
          const job = this.#queue.shift();
          if (!job || this.#failed) {
            worker.terminate();
            resolve();
            return;
          }
          worker.postMessage(job);
        };
        worker.onmessage = (
          e: MessageEvent<SimJobResult | { kind: "error"; id: string; error: string }>,
        ) => {
          const r = e.data;
          if (r.kind === "error") this.#failed = new Error(`simulation job ${r.id}: ${r.error}`);
          else {
            this.#results.push(r);
            progress(`${r.id} (${this.#queue.length} jobs left)`);
          }
          next();
        };
        worker.onerror = (e) => {
          e.preventDefault();
          this.#failed = new Error(`simulation worker: ${e.message}`);
          worker.terminate();
          resolve();
        };
        next();
      }),
    );
  }

  async done(): Promise<SimJobResult[]> {
    // Workers added while waiting are awaited too.
    for (let i = 0; i < this.#running.length; i++) await this.#running[i];
    if (this.#failed) throw this.#failed;
    return this.#results;
  }
}

// --- figures -------------------------------------------------------------------

/** `q`-quantile (nearest rank) that keeps `Infinity` (never) in the ranking. */
function q(values: readonly number[], p: number): number {
  const sorted = [...values].filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

function sum(list: readonly SimFigures[], pick: (f: SimFigures) => number): number {
  return list.reduce((s, f) => s + pick(f), 0);
}

/** Aggregates of one strategy's runs of one swarm size. */
interface SizeSummary {
  runs: number;
  electionP50Ms: number;
  electionP99Ms: number;
  workingElectionP50Ms: number;
  workingElectionP99Ms: number;
  splitRuns: number;
  planKnownP50Ms: number;
  workingPlanKnownP50Ms: number;
  claimP50Ms: number;
  claimP99Ms: number;
  tasks: number;
  done: number;
  lost: number;
  executedTwice: number;
  lapses: number;
  peakRunning: number;
  countedPerTask: number;
  writesPerTask: number;
  notModifiedShare: number;
  countedPerNodeHour: number;
  writesPerNodeHour: number;
  peakCountedPerHour: number;
  peakWritesPerHour: number;
  primaryLimited: number;
  secondaryLimited: number;
  hoursP50: number;
}

function summarise(list: SimFigures[]): SizeSummary {
  const tasks = sum(list, (f) => f.tasks);
  const counted = sum(list, (f) => f.counted);
  const notModified = sum(list, (f) => f.notModified);
  const nodeHours = sum(list, (f) => f.nodeHours);
  const ms = (x: number | null) => x ?? Infinity;
  return {
    runs: list.length,
    electionP50Ms: q(list.map((f) => ms(f.electionMs)), 0.5),
    electionP99Ms: q(list.map((f) => ms(f.electionMs)), 0.99),
    workingElectionP50Ms: q(list.map((f) => ms(f.workingElectionMs)), 0.5),
    workingElectionP99Ms: q(list.map((f) => ms(f.workingElectionMs)), 0.99),
    splitRuns: list.filter((f) => f.electionSplit).length,
    planKnownP50Ms: q(list.map((f) => ms(f.planKnownMs)), 0.5),
    workingPlanKnownP50Ms: q(list.map((f) => ms(f.workingPlanKnownMs)), 0.5),
    claimP50Ms: q(list.flatMap((f) => f.claimMs), 0.5),
    claimP99Ms: q(list.flatMap((f) => f.claimMs), 0.99),
    tasks,
    done: sum(list, (f) => f.done),
    lost: sum(list, (f) => f.lost),
    executedTwice: sum(list, (f) => f.executedTwice),
    lapses: sum(list, (f) => f.lapses),
    peakRunning: Math.max(...list.map((f) => f.peakRunning)),
    countedPerTask: counted / tasks,
    writesPerTask: sum(list, (f) => f.writes) / tasks,
    notModifiedShare: notModified / Math.max(1, counted + notModified),
    countedPerNodeHour: counted / nodeHours,
    writesPerNodeHour: sum(list, (f) => f.writes) / nodeHours,
    peakCountedPerHour: Math.max(...list.map((f) => f.peakCountedPerHour)),
    peakWritesPerHour: Math.max(...list.map((f) => f.peakWritesPerHour)),
    primaryLimited: sum(list, (f) => f.primaryLimited),
    secondaryLimited: sum(list, (f) => f.secondaryLimited),
    hoursP50: q(list.map((f) => f.hours), 0.5),
  };
}

/**
 * The workers admission control admits for `nodes` nodes on `tokenKind`, with
 * the benchmark's node configuration and tasks of `taskMinutes`: in the
 * swarm's first hour (start-up reads counted) and after it.
 *
 * @example
 * ```ts
 * admitted({ tokenKind: "actions", nodes: 100, taskMinutes: 10, remainingTasks: 200 }); // { first: 9, later: 15 }
 * ```
 */
export function admitted(
  o: { tokenKind: TokenKind; nodes: number; taskMinutes: number; remainingTasks: number },
): { first: number; later: number } {
  const config = defaultConfig(1, "bench");
  const input = {
    requestsPerHour: PRIMARY_LIMIT[o.tokenKind],
    nodes: o.nodes,
    taskMs: o.taskMinutes * 60_000,
    leaseMs: config.leaseMs,
    renewMs: config.renewMs,
    settleMs: settleFloorMs(config),
    pollMinMs: config.pollMinMs,
    pollMaxMs: config.pollMaxMs,
    strict: false,
    remainingTasks: o.remainingTasks,
    writesLastHour: 0,
  };
  return {
    first: admit({ ...input, firstHour: true }).workers,
    later: admit({ ...input, firstHour: false }).workers,
  };
}

const KIND_LABEL: Record<TokenKind, string> = {
  actions: "GITHUB_TOKEN",
  pat: "one PAT",
  app: "one GitHub App installation",
};

// --- formatting ---------------------------------------------------------------

const sec = (ms: number) =>
  Number.isNaN(ms) ? "—" : ms === Infinity ? "never" : (ms / 1000).toFixed(1);
const num = (x: number, digits = 1) =>
  Number.isNaN(x) ? "—" : x === Infinity ? "never" : x.toFixed(digits);
const pct = (x: number) => (Number.isNaN(x) ? "—" : `${(100 * x).toFixed(0)}%`);

function ratio(a: number, b: number): string {
  if (!Number.isFinite(a) || !Number.isFinite(b) || Number.isNaN(a) || Number.isNaN(b)) return "—";
  if (b === 0) return "—";
  return (a / b).toFixed(2);
}

type Row = [
  figure: string,
  nodes: string,
  ours: string,
  original: string,
  ratio: string,
  ceil: string,
];

function render(sections: { title: string; rows: Row[] }[]): string {
  const head: Row = ["figure", "nodes", "ours", "original", "ratio", "ceiling / claim"];
  const all = [head, ...sections.flatMap((s) => s.rows)];
  const widths = head.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  const line = (r: Row) =>
    r.map((c, i) => (i === 0 || i === 5 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join("  ").trimEnd();
  const out: string[] = [line(head), widths.map((w) => "-".repeat(w)).join("  ")];
  for (const s of sections) {
    out.push("", `## ${s.title}`);
    for (const r of s.rows) out.push(line(r));
  }
  return out.join("\n");
}

// --- the run --------------------------------------------------------------------

/**
 * Runs the benchmark and returns the table and the raw figures.
 *
 * @example
 * ```ts
 * const { table, json } = await runBench(benchPlan(true));
 * ```
 */
export async function runBench(
  plan: BenchPlan,
): Promise<{ table: string; json: Record<string, unknown> }> {
  const started = performance.now();
  const workload = {
    execMs: plan.taskMinutes * 60_000,
    dag: "layered" as const,
  };
  // Harsher lag: the price of a short settle window or any other shortcut
  // shows here, as duplicates or two leaders, on the same seeds for both.
  const kinds: { kind: TokenKind; sizes: BenchPlan["sizes"]; harsh: boolean }[] = [
    { kind: "actions", sizes: plan.sizes, harsh: false },
    { kind: "app", sizes: plan.appSizes, harsh: false },
    { kind: "actions", sizes: plan.harshSizes, harsh: true },
  ];
  const jobs: SimJob[] = [];
  for (const { kind, sizes, harsh } of kinds) {
    for (const { nodes, seeds } of sizes) {
      for (let seed = 1; seed <= seeds; seed++) {
        for (const strategy of STRATS) {
          jobs.push({
            kind: "run",
            id: simId(strategy, kind, nodes, seed, harsh),
            strategy,
            scenario: {
              seed,
              nodes,
              tasks: nodes * plan.tasksPerNode,
              tokenKind: kind,
              ...workload,
              ...(harsh ? { faults: HARSH_LAG } : {}),
            },
          });
        }
      }
    }
  }
  for (const kind of plan.sweepKinds) {
    for (const strategy of STRATS) {
      jobs.push({
        kind: "sweep",
        id: `sweep ${strategy} ${kind}`,
        strategy,
        sizes: plan.sweep,
        scenario: { seed: 1, tokenKind: kind, ...workload, dag: "flat" },
        tasksPerNode: plan.sweepTasksPerNode,
      });
    }
  }
  for (const t of plan.throughput) {
    for (const strategy of STRATS) {
      jobs.push({
        kind: "run",
        id: throughputId(strategy, t.nodes, t.tokenKind),
        strategy,
        scenario: {
          seed: 1,
          nodes: t.nodes,
          tasks: plan.throughputTasks,
          tokenKind: t.tokenKind,
          execMs: 0,
          dag: "flat",
        },
      });
    }
  }
  // The costliest first: our node at 100 nodes, then the sweeps and the throughput runs.
  const cost = (j: SimJob) =>
    j.kind === "sweep"
      ? (j.strategy === "ours" ? 50 : 1)
      : j.kind === "run"
      ? (j.strategy === "ours" ? 1 : 0.05) *
        (j.scenario.execMs === 0 ? j.scenario.tasks / 10 : j.scenario.nodes ** 2)
      : 0;
  jobs.sort((a, b) => cost(b) - cost(a));

  // The swarms over real HTTP mostly wait (latency, settle windows, polls):
  // they share the machine with one simulation worker; the second starts after.
  const pool = new Pool(jobs);
  pool.grow();
  const http: (SwarmFigures & { latencyMs: number; workMs: number })[] = [];
  for (const h of plan.http) {
    progress(`real HTTP swarm of ${h.nodes} nodes, ${h.tasks} tasks`);
    const f = await benchSwarm({ nodes: h.nodes, tasks: h.tasks, latencyMs: 150, workMs: 300 });
    http.push({ ...f, latencyMs: 150, workMs: 300 });
  }
  pool.grow();
  const results = await pool.done();

  // Alone on the machine: the timings that CPU contention would distort.
  progress("sim speed");
  const speedPool = new Pool([{ kind: "speed", id: "sim speed", seeds: plan.speedSeeds }]);
  speedPool.grow();
  const speed = (await speedPool.done())[0] as Extract<SimJobResult, { kind: "speed" }>;
  progress("fold of 10,000 comments");
  const fold = await benchFold({ runs: plan.foldRuns });
  progress("start-up of the bundle");
  const startup = await benchStartup(plan.startupRuns);
  progress("peak memory of a node");
  const memory = await benchNodeMemory();
  progress("Markdown planner on hostile bodies");
  const planner = await benchPlanner({ runs: plan.foldRuns >= 5 ? 3 : 1 });
  progress("emulator requests per second");
  const emulator = await benchEmulator({ requests: plan.foldRuns >= 5 ? 2_000 : 500 });

  // --- assemble -----------------------------------------------------------------
  const byId = new Map<string, SimFigures>();
  for (const r of results) if (r.kind === "run") byId.set(r.id, r.figures);
  const sweeps = results.filter((r): r is Extract<SimJobResult, { kind: "sweep" }> =>
    r.kind === "sweep"
  );
  const runsOf = (
    strategy: string,
    kind: TokenKind,
    nodes: number,
    seeds: number,
    harsh: boolean,
  ) =>
    Array.from(
      { length: seeds },
      (_, i) => byId.get(simId(strategy, kind, nodes, i + 1, harsh))!,
    );
  const throughputOf = (strategy: string, t: BenchPlan["throughput"][number]) =>
    byId.get(throughputId(strategy, t.nodes, t.tokenKind))!;
  const bySize = kinds.map(({ kind, sizes, harsh }) => ({
    kind,
    harsh,
    sizes: sizes.map(({ nodes, seeds }) => ({
      nodes,
      ours: summarise(runsOf("ours", kind, nodes, seeds, harsh)),
      original: summarise(runsOf("original", kind, nodes, seeds, harsh)),
    })),
  }));

  const sections: { title: string; rows: Row[] }[] = [];
  for (const { kind, sizes, harsh } of bySize) {
    if (sizes.length === 0) continue;
    const limit = PRIMARY_LIMIT[kind];
    const rows: Row[] = [];
    const each = (
      figure: string,
      pick: (s: SizeSummary) => number,
      fmt: (x: number) => string,
      ceil: string | ((s: SizeSummary, nodes: number) => string),
    ) => {
      for (const { nodes, ours, original } of sizes) {
        const a = pick(ours), b = pick(original);
        rows.push([
          figure,
          String(nodes),
          fmt(a),
          fmt(b),
          ratio(a, b),
          typeof ceil === "string" ? ceil : ceil(ours, nodes),
        ]);
      }
    };
    const int = (x: number) => num(x, 0);
    each(
      "admitted workers / most running at once",
      (s) => s.peakRunning,
      int,
      (_s, n) => {
        const k = admitted({
          tokenKind: kind,
          nodes: n,
          taskMinutes: plan.taskMinutes,
          remainingTasks: n * plan.tasksPerNode,
        });
        return `admission: ${k.first} in the 1st hour, ${k.later} after`;
      },
    );
    each(
      "election: working nodes agree, p50 (s)",
      (s) => s.workingElectionP50Ms,
      sec,
      "doc: 2–5 s",
    );
    each(
      "election: working nodes agree, p99 (s)",
      (s) => s.workingElectionP99Ms,
      sec,
      "doc: 2–5 s",
    );
    each(
      "election: all nodes agree (standbys too), p50 (s)",
      (s) => s.electionP50Ms,
      sec,
      "standbys: at their next poll",
    );
    each("election: runs where two nodes acted as leader", (s) => s.splitRuns, int, "0");
    each("plan known to every working node, p50 (s)", (s) => s.workingPlanKnownP50Ms, sec, "");
    each("plan known to every node (standbys too), p50 (s)", (s) => s.planKnownP50Ms, sec, "");
    each("claim: ready → confirmed start, p50 (s)", (s) => s.claimP50Ms, sec, "doc: 1–2 s");
    each("claim: ready → confirmed start, p99 (s)", (s) => s.claimP99Ms, sec, "doc: 1–2 s");
    each("tasks done (of planned)", (s) => s.done, int, (s) => `${s.tasks}`);
    each("tasks run to the end twice", (s) => s.executedTwice, int, "0");
    each("lease lapses", (s) => s.lapses, int, "0");
    each("counted requests per task", (s) => s.countedPerTask, (x) => num(x), "");
    each(
      "writes per task (w)",
      (s) => s.writesPerTask,
      (x) => num(x, 2),
      "→ 1 (result + next claim)",
    );
    each("304 share of reads", (s) => s.notModifiedShare, pct, "");
    each(
      "counted requests per node-hour",
      (s) => s.countedPerNodeHour,
      (x) => num(x),
      (_s, n) => `${num(limit / n)} (${limit}/n)`,
    );
    each(
      "writes per node-hour",
      (s) => s.writesPerNodeHour,
      (x) => num(x),
      (_s, n) => `${num(WRITE_LIMIT.perHour / n)} (500/n)`,
    );
    each("swarm: most counted requests in 1 h", (s) => s.peakCountedPerHour, int, `≤ ${limit}`);
    each("swarm: most writes in 1 h", (s) => s.peakWritesPerHour, int, "≤ 500");
    each("rate-limit answers: primary", (s) => s.primaryLimited, int, "0");
    each("rate-limit answers: content (secondary)", (s) => s.secondaryLimited, int, "0");
    each("run length, trigger → last task, p50 (h)", (s) => s.hoursP50, (x) => num(x, 2), "");
    sections.push({
      title:
        `Simulator, ${KIND_LABEL[kind]} (${limit} requests/h)${
          harsh ? ", harsher lag (one comment version in ten 30 s late on a replica)" : ""
        }: ${plan.tasksPerNode}n tasks of ` +
        `~${plan.taskMinutes} min in 4 layers, seeds ${
          sizes.map((x) => `${x.nodes}:${x.ours.runs}`).join(" ")
        }`,
      rows,
    });
  }

  // Largest swarm inside the token's limits: the largest size such that it
  // and every smaller size tried stayed inside.
  const list = (xs: number[]) => (xs.length ? xs.join(",") : "none");
  const sweepSummaries: Record<string, unknown> = {};
  for (const kind of plan.sweepKinds) {
    const largest = (strategy: string) => {
      const s = sweeps.find((x) => x.id === `sweep ${strategy} ${kind}`)!;
      let best = 0;
      for (const f of s.runs) {
        if (!insideLimits(f)) break;
        best = f.nodes;
      }
      return {
        best,
        inside: s.runs.filter(insideLimits).map((f) => f.nodes),
        over: s.runs.filter((f) => !insideLimits(f)).map((f) => f.nodes),
        runs: s.runs,
      };
    };
    const lo = largest("ours"), lg = largest("original");
    const admittedBySize = lo.runs.map((f) => ({
      nodes: f.nodes,
      ...admitted({
        tokenKind: kind,
        nodes: f.nodes,
        taskMinutes: plan.taskMinutes,
        remainingTasks: f.tasks,
      }),
    }));
    sweepSummaries[kind] = { ours: lo, original: lg, admitted: admittedBySize };
    sections.push({
      title:
        `Largest swarm inside ${KIND_LABEL[kind]}'s limits: ${plan.sweepTasksPerNode}n tasks of ` +
        `~${plan.taskMinutes} min, no dependencies (each node busy ~1 h if it worked alone), seed 1, ` +
        `sizes ${plan.sweep.join(",")}`,
      rows: [
        [
          "largest swarm with no rate-limit answer",
          "",
          String(lo.best),
          String(lg.best),
          ratio(lo.best, lg.best),
          "doc: 5–20",
        ],
        [
          "  sizes inside / over a limit",
          "",
          `${list(lo.inside)} / ${list(lo.over)}`,
          `${list(lg.inside)} / ${list(lg.over)}`,
          "",
          "stops after 2 sizes over",
        ],
        ...lo.runs.map((f): Row => {
          const k = admittedBySize.find((a) => a.nodes === f.nodes)!;
          return [
            "  most running at once / most counted in 1 h",
            String(f.nodes),
            `${f.peakRunning} / ${f.peakCountedPerHour}`,
            "",
            "",
            `admission: ${k.first} (1st hour), ${k.later} after; ≤ ${PRIMARY_LIMIT[kind]}`,
          ];
        }),
      ],
    });
  }

  // Throughput.
  const tpRows: Row[] = [];
  for (const t of plan.throughput) {
    const a = throughputOf("ours", t), b = throughputOf("original", t);
    const wa = a.writes / a.tasks;
    tpRows.push([
      `tasks in the 1st hour, zero-work, ${KIND_LABEL[t.tokenKind]}`,
      String(t.nodes),
      num(a.tasksPerHour, 0),
      num(b.tasksPerHour, 0),
      ratio(a.tasksPerHour, b.tasksPerHour),
      `≤ 500/w = ${num(WRITE_LIMIT.perHour / wa, 0)}; doc: 10–50`,
    ]);
    tpRows.push([
      `  done of ${plan.throughputTasks} / writes per task / rate-limit answers`,
      String(t.nodes),
      `${a.done} / ${num(wa, 2)} / ${a.primaryLimited + a.secondaryLimited}`,
      `${b.done} / ${num(b.writes / b.tasks, 2)} / ${b.primaryLimited + b.secondaryLimited}`,
      "",
      "",
    ]);
  }
  sections.push({
    title:
      `Throughput: ${plan.throughputTasks} zero-work tasks, no dependencies, seed 1, virtual time`,
    rows: tpRows,
  });

  // Real HTTP.
  const httpRows: Row[] = [];
  for (const h of http) {
    const n = String(h.nodes);
    const reads = h.requests - h.writes;
    httpRows.push(
      ["election: all nodes know the leader (s)", n, sec(h.electionMs), "—", "", "doc: 2–5 s"],
      ["claim p50 (s)", n, sec(quantile(h.claimMs, 0.5)), "—", "", "doc: 1–2 s"],
      ["claim p99 (s)", n, sec(quantile(h.claimMs, 0.99)), "—", "", "doc: 1–2 s"],
      [
        "counted requests / writes per task",
        n,
        `${num(h.countedRequests / h.tasks)} / ${num(h.writes / h.tasks, 2)}`,
        "—",
        "",
        `arithmetic ≈ (n+1)·w = ${num((h.nodes + 1) * (h.writes / h.tasks))}`,
      ],
      ["304 share of reads", n, pct(h.notModified / Math.max(1, reads)), "—", "", ""],
      [
        "tasks done / results counted twice / leases lapsed",
        n,
        `${h.done}/${h.tasks} / ${h.duplicateResults} / ${h.lapsed}`,
        "—",
        "",
        "",
      ],
      ["rate-limit answers (content, 80/min)", n, String(h.rateLimited), "—", "", "0"],
      ["wall time (s)", n, sec(h.wallMs), "—", "", ""],
    );
  }
  sections.push({
    title:
      "Real HTTP: in-process nodes, Octokit, emulator with 150 ms median latency; settle 1 s, polls 0.5–5 s (ours only)",
    rows: httpRows,
  });

  sections.push({
    title: "Fold, start-up, memory, emulator and simulator speed (this machine)",
    rows: [
      ["fold 10,000 comments: full (ms)", "", num(fold.fullMs), "—", "", `${fold.tasks} tasks`],
      ["fold 10,000 comments: decoded entries (ms)", "", num(fold.decodedMs), "—", "", ""],
      ["fold 10,000 comments: incremental (ms)", "", num(fold.incrementalMs), "—", "", ""],
      ...fold.perComment.map((p): Row => [
        `one comment after ${p.at.toLocaleString("en-US")} comments (µs)`,
        "",
        num(p.micros),
        "—",
        "",
        `${fold.longTasks} tasks`,
      ]),
      [
        "start-up: bundle --version, median (ms)",
        "",
        num(startup.medianMs, 0),
        "—",
        "",
        `bundle ${num(startup.bundleBytes / 1024, 0)} KiB`,
      ],
      [
        "peak memory of a node (MiB)",
        "1",
        num(memory.peakMiB),
        "—",
        "",
        `${memory.tasks} tasks alone`,
      ],
      [
        `Markdown planner: ${planner.bodies} hostile 65,000-char bodies (ms)`,
        "",
        num(planner.medianMs, 0),
        "—",
        "",
        `slowest: ${planner.slowest.name}, ${num(planner.slowest.ms, 0)} ms`,
      ],
      ...emulator.map((e): Row => [
        `emulator: ${e.workload} (requests/s)`,
        "",
        num(e.requestsPerSecond, 0),
        "—",
        "",
        `p50 ${num(e.p50Ms)} ms, 16 in flight`,
      ]),
      [
        "simulator: seeds per minute (1 thread)",
        "",
        num(speed.seedsPerMinute, 0),
        "—",
        "",
        `CI profile + invariants, ${speed.violations} violations`,
      ],
    ],
  });

  const seconds = (performance.now() - started) / 1000;
  const header = [
    `p2p-dev ${VERSION} benchmark, ${
      new Date().toISOString().slice(0, 10)
    }, deno ${Deno.version.deno}, ` +
    `${cpus().length} cores${plan.quick ? ", --quick" : ""}, ${num(seconds, 0)} s`,
    "ratio = ours / original (below 1: ours lower); times from the trigger or from readiness, in " +
    "virtual time for the simulator; 'never': some node/task never got there",
    "",
  ].join("\n");
  const table = header + render(sections);
  const json = {
    date: new Date().toISOString(),
    version: VERSION,
    deno: Deno.version.deno,
    cores: cpus().length,
    seconds,
    plan,
    model: { faults: GITHUB_LIKE, harsh: HARSH_LAG },
    simulator: {
      bySize,
      runs: kinds.flatMap(({ kind, sizes, harsh }) =>
        sizes.flatMap(({ nodes, seeds }) => [
          ...runsOf("ours", kind, nodes, seeds, harsh),
          ...runsOf("original", kind, nodes, seeds, harsh),
        ])
      ),
    },
    largestSwarm: sweepSummaries,
    throughput: plan.throughput.flatMap((
      t,
    ) => [throughputOf("ours", t), throughputOf("original", t)]),
    http,
    fold,
    startup,
    memory,
    emulator,
    planner,
    simSpeed: speed,
  };
  return { table, json };
}

if (import.meta.main) {
  const quick = Deno.args.includes("--quick");
  const outAt = Deno.args.indexOf("--out");
  const out = outAt >= 0 ? Deno.args[outAt + 1] ?? "bench.json" : "bench.json";
  const { table, json } = await runBench(benchPlan(quick));
  Deno.stdout.writeSync(encoder.encode(`${table}\n`));
  await Deno.writeTextFile(
    out,
    JSON.stringify(json, (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v), 2) +
      "\n",
  );
  Deno.stdout.writeSync(encoder.encode(`\nRaw figures: ${out}\n`));
}
