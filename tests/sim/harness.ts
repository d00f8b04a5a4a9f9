/**
 * Runs one seeded swarm in virtual time: the scenario's nodes (as processes
 * of a {@linkcode Strategy}), the GitHub model, people, and the node-level
 * faults (pauses longer than a lease, crashes, crashes between posting a
 * claim and confirming it, restarts under the same node id, two processes
 * with one node id). Records everything the invariants need and a trace
 * hash.
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { Executor } from "../../src/executor/port.ts";
import type { Permission } from "../../src/github/port.ts";
import type { Planner } from "../../src/planner/planner.ts";
import type { Random } from "../../src/node/ports.ts";
import { LEASE_PER_LONGEST_TASK } from "../../src/protocol/leases.ts";
import { MAX_LEASE_FACTOR } from "../../src/protocol/types.ts";
import {
  type ExecRecord,
  type HumanComment,
  scheduleHumans,
  SimExecutor,
  simPlanner,
} from "./actors.ts";
import { GitHubModel, type ModelClient, type RequestRecord, type StoredComment } from "./model.ts";
import { derive, Rng } from "./rng.ts";
import { depth, type NodeSpec, type Scenario, SIM_REPO } from "./scenario.ts";
import { type ProcessGroup, type RunEnd, Scheduler, VirtualClock } from "./virtual_clock.ts";

/**
 * What a strategy's process gets.
 *
 * @example
 * ```ts
 * const strategy: Strategy = { name: "x", conditional: true, adapter: true, run: (env: ProcessEnv) => env.clock.sleep(1000) };
 * ```
 */
export interface ProcessEnv {
  scenario: Scenario;
  node: string;
  /** Label of this process (`node#k`). */
  proc: string;
  github: ModelClient;
  clock: VirtualClock;
  random: Random;
  executor: Executor;
  planner: Planner;
  signal: AbortSignal;
  /** Records an event (NodeEvent for ours; the baseline's own events). */
  log: (event: SimEvent) => void;
}

/** An event a process reported; `type` and `serverTime` as in `NodeEvent`. */
export interface SimEvent {
  type: string;
  serverTime?: number;
  [k: string]: unknown;
}

/**
 * A way of running a node: ours (`runNode`) or the original design's.
 *
 * @example
 * ```ts
 * const idle: Strategy = { name: "idle", conditional: true, adapter: true, run: () => Promise.resolve() };
 * ```
 */
export interface Strategy {
  name: string;
  /** Whether its client sends conditional requests. */
  conditional: boolean;
  /** Whether its client emulates the Octokit adapter (retries, recovery, pacing). */
  adapter: boolean;
  run(env: ProcessEnv): Promise<unknown>;
  /** How each task ended, judged the strategy's own way (default: our fold). */
  outcome?: (run: SwarmRun) => Record<string, TaskOutcome>;
  /** The process whose claim won `task` (attempt `attempt`) by the strategy's own rule (default: our fold). */
  claimant?: (run: SwarmRun, task: string, attempt: number) => string | undefined;
}

/** How one task ended, and when (server time). */
export interface TaskOutcome {
  status: "done" | "failed" | "lost";
  at?: number;
}

/**
 * One process of a node, from start to end.
 *
 * @example
 * ```ts
 * run.processes.filter((p) => p.outcome === "threw");
 * ```
 */
export interface ProcessRecord {
  proc: string;
  node: string;
  login: string;
  /** Why it was started. */
  cause: "start" | "restart" | "twin";
  startedAt: number;
  endedAt?: number;
  outcome: "running" | "returned" | "threw" | "killed" | "aborted";
  error?: string;
  /** Status of the error, when it had one. */
  errorStatus?: number;
  result?: unknown;
  events: { t: number; e: SimEvent }[];
}

/**
 * Everything a run produced.
 *
 * @example
 * ```ts
 * const run: SwarmRun = await runSwarm(scenario(1, CI_PROFILE), ours);
 * ```
 */
export interface SwarmRun {
  scenario: Scenario;
  strategy: string;
  /** The strategy's own judgement of the end state, when it has one. */
  outcome?: (run: SwarmRun) => Record<string, TaskOutcome>;
  /** The strategy's own rule for who won a claim, when it has one. */
  claimant?: (run: SwarmRun, task: string, attempt: number) => string | undefined;
  model: GitHubModel;
  processes: ProcessRecord[];
  execs: ExecRecord[];
  humans: HumanComment[];
  /** `stopped`: every process ended; `stalled`: nothing was written for too long; `horizon`: out of time. */
  end: RunEnd | "stalled";
  /** True time the run ended. */
  endTime: number;
  /** The latest time every task should have ended by (invariant 3). */
  bound: number;
  traceHash: string;
  /** The trace lines, when asked for. */
  trace?: string[];
  /** Timers fired and macrotask turns (work done). */
  fired: number;
  turns: number;
}

/** Options of {@linkcode runSwarm}. */
export interface RunOptions {
  /** Keep the trace lines (for `--seed`). */
  keepTrace?: boolean;
}

const WRITE_LEVELS: Permission[] = ["admin", "maintain", "write"];

/**
 * Permissions of the scenario's accounts as the model answers them.
 *
 * @example
 * ```ts
 * permissionsOf(scenario)["mallory"]; // "read"
 * ```
 */
export function permissionsOf(s: Scenario): Record<string, Permission> {
  const p: Record<string, Permission> = { [s.maintainer]: "admin", [s.stranger]: "read" };
  for (const n of s.nodes) if (n.type === "User") p[n.login] = "write";
  return p;
}

/**
 * Logins the fold should trust for this scenario (the invariant checker's policy).
 *
 * @example
 * ```ts
 * trustedLogins(scenario).has("github-actions[bot]");
 * ```
 */
export function trustedLogins(s: Scenario): Set<string> {
  const out = new Set<string>(s.allow);
  for (const n of s.nodes) out.add(n.login);
  for (const [login, level] of Object.entries(permissionsOf(s))) {
    if (WRITE_LEVELS.includes(level)) out.add(login);
  }
  return out;
}

/**
 * The latest time by which every task should have ended, from the lease,
 * settle window, poll period, executions and the scripted disturbances.
 * Waits GitHub imposed (rate limits) are added by the checker.
 *
 * @example
 * ```ts
 * const bound = liveBound(scenario);
 * ```
 */
export function liveBound(s: Scenario): number {
  const c = s.config;
  const poll = c.pollMaxMs * 1.2;
  const retryWaits = 3 * 60_000 + 2 * 60_000 + 4 * 60_000; // adapter waits on one request
  const anchor = s.nodes.find((n) => n.node === s.anchor)!;
  let maxExec = 0;
  for (const t of s.tasks) maxExec = Math.max(maxExec, s.exec[t.id]!.durationMs * 1.2);
  const lease = attemptLeaseBound(s, maxExec + c.settleMs * 1.2 + retryWaits);
  let disturbance = 0;
  for (const f of s.nodeFaults) {
    if (f.kind === "pause") disturbance += f.forMs;
    if (f.kind === "crash" || f.kind === "crash_after_claim") {
      disturbance += (f.restartAfterMs ?? 0) + lease + poll;
    }
    if (f.kind === "twin") disturbance += lease + poll;
  }
  const election = (c.electionTimeoutMs + c.settleMs + poll + s.planMs + retryWaits) *
    (2 + s.nodeFaults.length);
  const perAttempt = poll + c.settleMs * 1.2 + maxExec + lease + poll + retryWaits +
    c.backoffMs * 2 ** c.maxAttempts;
  // Worst case: only the anchor is left, and every attempt of every task fails late.
  const work = s.tasks.length * c.maxAttempts * perAttempt + depth(s.tasks) * poll;
  return s.start + Math.max(...s.nodes.map((n) => n.startAt), anchor.startAt) + disturbance +
    election + work;
}

/**
 * The longest lease an attempt of `s` can run on: a claim asks for
 * {@linkcode LEASE_PER_LONGEST_TASK} times the longest task done so far
 * (claim to result at most `longestMs`), within the plan's lease and four
 * times it.
 */
function attemptLeaseBound(s: Scenario, longestMs: number): number {
  const c = s.config;
  return Math.min(
    MAX_LEASE_FACTOR * c.leaseMs,
    Math.max(c.leaseMs, LEASE_PER_LONGEST_TASK * longestMs),
  );
}

/**
 * How long a swarm may go without any node writing a comment before the run
 * is declared stalled: longer than any legitimate silence (a whole
 * execution between renewals, a lease, a backoff, a pause, a restart, an
 * hour-long primary-limit reset).
 *
 * @example
 * ```ts
 * stallMs(scenario) >= 3 * 3_600_000; // true
 * ```
 */
export function stallMs(s: Scenario): number {
  const c = s.config;
  let maxExec = 0;
  for (const t of s.tasks) maxExec = Math.max(maxExec, s.exec[t.id]!.durationMs * 1.2);
  let disturbance = 0;
  for (const f of s.nodeFaults) {
    if (f.kind === "pause") disturbance = Math.max(disturbance, f.forMs);
    if (f.kind !== "pause" && f.kind !== "twin") {
      disturbance = Math.max(disturbance, f.restartAfterMs ?? 0);
    }
  }
  const lease = attemptLeaseBound(s, maxExec + c.settleMs * 1.2 + 9 * 60_000);
  const quiet = maxExec + lease + c.pollMaxMs * 2 + c.backoffMs * 2 ** c.maxAttempts +
    c.electionTimeoutMs + disturbance;
  return Math.max(3 * 3_600_000, 2 * quiet + 3_600_000);
}

/**
 * Runs one swarm of `scenario` with `strategy`.
 *
 * @example
 * ```ts
 * const run = await runSwarm(scenario(1, CI_PROFILE), ours);
 * run.traceHash;
 * ```
 */
export async function runSwarm(
  s: Scenario,
  strategy: Strategy,
  options: RunOptions = {},
): Promise<SwarmRun> {
  const scheduler = new Scheduler(s.start);
  const hash = createHash("sha256");
  const traceLines: string[] | undefined = options.keepTrace ? [] : undefined;
  let tracing = true;
  const line = (text: string) => {
    if (!tracing) return;
    const l = `${((scheduler.now - s.start) / 1000).toFixed(3).padStart(10)} ${text}`;
    hash.update(l);
    hash.update("\n");
    traceLines?.push(l);
  };
  const model = new GitHubModel({
    scheduler,
    rng: new Rng(derive(s.seed, "model")),
    faults: s.faults,
    owner: SIM_REPO.split("/")[0]!,
    repo: SIM_REPO.split("/")[1]!,
    issue: {
      number: s.issue,
      title: `Issue ${s.issue}`,
      body: "Build the thing.",
      author: s.maintainer,
    },
    permissions: permissionsOf(s),
    primaryLimit: () => s.primaryLimit,
    ...(s.script ? { script: s.script.map((f) => ({ ...f })) } : {}),
    ...(s.fixedLagMs !== undefined ? { fixedLagMs: s.fixedLagMs } : {}),
    firstId: 2 ** 31 + (derive(s.seed, "ids") % 1_000_000),
    trace: (r: RequestRecord) =>
      line(
        `${r.proc} ${r.method} ${r.route} ${r.status}${
          r.limit ? ` limit:${r.limit.kind}:${r.limit.waitMs}` : ""
        }`,
      ),
  });
  const processes: ProcessRecord[] = [];
  const execs: ExecRecord[] = [];
  const live = new Map<
    string,
    { rec: ProcessRecord; controller: AbortController; kill: () => void; group: ProcessGroup }[]
  >();
  let pendingSpawns = 0;
  let counter = 0;
  const crashAfterClaim = new Map<
    string,
    { nth: number; restartAfterMs: number | null; seen: number }
  >();

  const spawn = (spec: NodeSpec, cause: ProcessRecord["cause"]) => {
    const k = counter++;
    const proc = `${spec.node}#${k}`;
    const group = scheduler.group(proc);
    const clock = new VirtualClock(scheduler, group, {
      offsetMs: spec.offsetMs,
      drift: spec.drift,
    });
    const controller = new AbortController();
    const rec: ProcessRecord = {
      proc,
      node: spec.node,
      login: spec.login,
      cause,
      startedAt: scheduler.now,
      outcome: "running",
      events: [],
    };
    processes.push(rec);
    const entry = {
      rec,
      controller,
      group,
      kill: () => {
        if (rec.outcome !== "running") return;
        group.kill();
        rec.outcome = "killed";
        rec.endedAt = scheduler.now;
        line(`${proc} KILLED`);
      },
    };
    const list = live.get(spec.node) ?? [];
    list.push(entry);
    live.set(spec.node, list);
    line(`${proc} START ${cause}`);
    const github = model.client(
      { login: spec.login, id: spec.accountId, type: spec.type, token: spec.token },
      { proc, clock, conditional: strategy.conditional, adapter: strategy.adapter },
    );
    const env: ProcessEnv = {
      scenario: s,
      node: spec.node,
      proc,
      github,
      clock,
      random: new Rng(derive(s.seed, "proc", proc)),
      executor: new SimExecutor(s, proc, clock, scheduler, execs),
      planner: simPlanner(s, clock),
      signal: controller.signal,
      log: (e) => {
        if (rec.outcome === "killed") return;
        rec.events.push({ t: scheduler.now, e });
        line(`${proc} ${JSON.stringify(e)}`);
      },
    };
    strategy.run(env).then(
      (result) => {
        if (rec.outcome !== "running") return;
        rec.outcome = controller.signal.aborted ? "aborted" : "returned";
        rec.result = result;
        rec.endedAt = scheduler.now;
        line(`${proc} RETURNED`);
      },
      (error) => {
        if (rec.outcome !== "running") return;
        rec.outcome = "threw";
        rec.error = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        const status = (error as { status?: unknown })?.status;
        if (typeof status === "number") rec.errorStatus = status;
        rec.endedAt = scheduler.now;
        line(`${proc} THREW ${rec.error}`);
      },
    );
  };
  const spawnAt = (at: number, spec: NodeSpec, cause: ProcessRecord["cause"]) => {
    pendingSpawns++;
    scheduler.at(at, () => {
      pendingSpawns--;
      spawn(spec, cause);
    });
  };
  const running = () => [...live.values()].flat().filter((p) => p.rec.outcome === "running");

  for (const spec of s.nodes) spawnAt(s.start + spec.startAt, spec, "start");
  const specOf = (node: string) => s.nodes.find((n) => n.node === node)!;
  for (const f of s.nodeFaults) {
    const spec = specOf(f.node);
    switch (f.kind) {
      case "pause":
        scheduler.at(s.start + spec.startAt + f.at, () => {
          for (const p of live.get(f.node) ?? []) {
            if (p.rec.outcome !== "running") continue;
            line(`${p.rec.proc} PAUSE ${f.forMs}`);
            p.group.pause(scheduler.now + f.forMs);
          }
        });
        break;
      case "crash":
        scheduler.at(s.start + spec.startAt + f.at, () => {
          const victims = (live.get(f.node) ?? []).filter((p) => p.rec.outcome === "running");
          if (victims.length === 0) return;
          for (const v of victims) v.kill();
          if (f.restartAfterMs !== null) spawnAt(scheduler.now + f.restartAfterMs, spec, "restart");
        });
        break;
      case "crash_after_claim":
        crashAfterClaim.set(f.node, { nth: f.nth, restartAfterMs: f.restartAfterMs, seen: 0 });
        break;
      case "twin":
        spawnAt(s.start + spec.startAt + f.at, spec, "twin");
        break;
    }
  }
  let lastNodeComment = s.start;
  model.onComment = (c: StoredComment, proc: string) => {
    if (!proc.startsWith("human:")) lastNodeComment = scheduler.now;
    line(`${proc} COMMENT ${c.id} ${c.createdAt - s.start} ${fnvHex(c.versions[0]!.body)}`);
    const node = proc.split("#")[0]!;
    const plan = crashAfterClaim.get(node);
    if (!plan || !isClaim(c.versions[0]!.body)) return;
    plan.seen++;
    if (plan.seen !== plan.nth) return;
    const victim = (live.get(node) ?? []).find((p) => p.rec.proc === proc);
    if (!victim) return;
    line(`${proc} CRASH_AFTER_CLAIM`);
    victim.kill();
    if (plan.restartAfterMs !== null) {
      spawnAt(scheduler.now + plan.restartAfterMs, specOf(node), "restart");
    }
  };

  const humansGroup = scheduler.group("humans");
  const humans = scheduleHumans(
    s,
    model,
    scheduler,
    humansGroup,
    () => running().length > 0 || pendingSpawns > 0,
    // The processes running now (who could restore a comment they read).
    () => running().map((p) => p.rec.proc),
  );

  const bound = liveBound(s);
  const horizon = bound + 60 * 60_000;
  const stall = stallMs(s);
  let end: RunEnd | "stalled" = await scheduler.run({
    until: horizon,
    stop: () =>
      pendingSpawns === 0 &&
      (running().length === 0 || scheduler.now - lastNodeComment > stall),
  });
  if (end === "stopped" && running().length > 0) end = "stalled";
  if (end !== "stopped") {
    // Out of time: stop every process cleanly and give them a while to wind down.
    for (const p of running()) p.controller.abort(new Error("simulation horizon"));
    line("HORIZON");
    const grace = await scheduler.run({
      until: scheduler.now + 30 * 60_000,
      stop: () => running().length === 0,
    });
    if (grace !== "stopped") { for (const p of running()) p.kill(); }
  }
  for (const c of model.finalLog()) {
    line(
      `LOG ${c.id} ${c.author} ${c.createdAt - s.start} ${c.updatedAt - s.start} ${fnvHex(c.body)}`,
    );
  }
  for (const e of execs) line(`EXEC ${JSON.stringify(e)}`);
  const traceHash = hash.digest("hex");
  tracing = false;
  model.onComment = undefined;
  const run: SwarmRun = {
    scenario: s,
    strategy: strategy.name,
    ...(strategy.outcome ? { outcome: strategy.outcome } : {}),
    ...(strategy.claimant ? { claimant: strategy.claimant } : {}),
    model,
    processes,
    execs,
    humans,
    end,
    endTime: scheduler.now,
    bound,
    traceHash,
    fired: scheduler.fired,
    turns: scheduler.turns,
  };
  if (traceLines) run.trace = traceLines;
  return run;
}

function isClaim(body: string): boolean {
  return body.includes('"type":"claim"') || /^🎯 CLAIM\|/u.test(body);
}

function fnvHex(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}
