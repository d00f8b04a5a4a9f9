/**
 * The swarm over real HTTP: N in-process nodes (the same `runNode` that
 * `p2p-dev run` runs, the real Octokit adapter) against the emulator with
 * GitHub-like latency. Measures election agreement, claim latency, and API use
 * per task, exactly, from the emulator's counts and the final log.
 *
 * Run alone: `deno run -A bench/swarm.ts [nodes] [tasks]`.
 *
 * @module
 */
import { startEmulator } from "../src/emulator/mod.ts";
import { createGitHub, type RateLimitInfo } from "../src/github/octokit.ts";
import { defaultConfig, type NodeConfig } from "../src/node/config.ts";
import type { NodeEvent } from "../src/node/events.ts";
import { runNode } from "../src/node/node.ts";
import { systemClock, systemRandom } from "../src/node/ports.ts";
import { fold } from "../src/protocol/fold.ts";
import type { PlanTask } from "../src/protocol/types.ts";

/**
 * The compressed timings of the real-HTTP swarm (settle 1 s, polls 0.5–5 s,
 * lease 30 s renewed every 8 s), shared with the simulator test that replays
 * this swarm in virtual time (tests/sim/content_minute_test.ts).
 *
 * @example
 * ```ts
 * const config = defaultConfig(1, "node-1", { ...SWARM_TIMINGS, tokenKind: "actions" });
 * ```
 */
export const SWARM_TIMINGS = {
  settleMs: 1_000,
  pollMinMs: 500,
  pollMaxMs: 5_000,
  leaseMs: 30_000,
  renewMs: 8_000,
  electionTimeoutMs: 15_000,
} as const satisfies Partial<NodeConfig>;

/** Figures of one swarm run. */
export interface SwarmFigures {
  nodes: number;
  tasks: number;
  done: number;
  duplicateResults: number;
  /** Attempts whose lease lapsed (the owner went silent for a whole lease). */
  lapsed: number;
  leaders: number;
  /** Wall ms from start until every node knew the leader. */
  electionMs: number;
  /** Server-time ms from a task becoming ready to its confirmed start, per task. */
  claimMs: number[];
  requests: number;
  countedRequests: number;
  notModified: number;
  writes: number;
  /** Rate-limit answers of the emulator (primary and secondary). */
  rateLimited: number;
  wallMs: number;
}

/**
 * A layered random DAG of `n` tasks (deterministic for a seed).
 *
 * @example
 * ```ts
 * const tasks = layeredTasks(20, 1);
 * ```
 */
export function layeredTasks(n: number, seed: number): PlanTask[] {
  let s = seed >>> 0;
  const rnd = () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const priorities = ["critical", "high", "medium", "low"] as const;
  const tasks: PlanTask[] = [];
  for (let i = 0; i < n; i++) {
    const deps: string[] = [];
    if (i > 0 && rnd() < 0.6) deps.push(`T${Math.floor(rnd() * i)}`);
    if (i > 3 && rnd() < 0.3) deps.push(`T${Math.floor(rnd() * i)}`);
    tasks.push({
      id: `T${i}`,
      title: `Task ${i}`,
      priority: priorities[Math.floor(rnd() * 4)]!,
      deps: [...new Set(deps)],
    });
  }
  return tasks;
}

/**
 * Runs one swarm and returns its figures.
 *
 * @example
 * ```ts
 * const f = await benchSwarm({ nodes: 5, tasks: 20, latencyMs: 150, workMs: 200 });
 * ```
 */
export async function benchSwarm(
  options: {
    nodes: number;
    tasks: number;
    latencyMs: number;
    workMs: number;
    seed?: number;
    /** Every event of every node (to trace a run). */
    onEvent?: (node: string, event: NodeEvent) => void;
    /** Every rate-limit answer a node's adapter met. */
    onRateLimit?: (node: string, info: RateLimitInfo) => void;
  },
): Promise<SwarmFigures> {
  const seed = options.seed ?? 1;
  const tasks = layeredTasks(options.tasks, seed);
  const body = tasks.map((t) =>
    `- [ ] ${t.id}: ${t.title} (priority: ${t.priority}${
      t.deps.length ? `, after: ${t.deps.join(", ")}` : ""
    })`
  ).join("\n");
  const emu = await startEmulator({
    port: 0,
    seed,
    tokens: [{
      token: "ghs_bench",
      login: "github-actions[bot]",
      kind: "actions",
      repos: ["o/r"],
      limit: 1_000_000,
    }],
    users: [{ login: "o", token: "ghp_o" }],
    repos: [{ owner: "o", name: "r", issues: [{ title: "bench", author: "o", body }] }],
  });
  emu.control.setFaults({
    seed,
    latency: options.latencyMs > 0
      ? { distribution: "lognormal", medianMs: options.latencyMs, sigma: 0.4 }
      : { distribution: "none" },
  });
  const controller = new AbortController();
  const knewLeader = new Map<string, number>();
  const starts: { task: string; serverTime: number }[] = [];
  const t0 = Date.now();
  try {
    const runs = Array.from({ length: options.nodes }, (_, i) => {
      const node = `node-${i + 1}`;
      const github = createGitHub({
        token: "ghs_bench",
        baseUrl: emu.url,
        owner: "o",
        repo: "r",
        // The node's timings are compressed, but the emulator's limits run
        // in real time: the adapter's own spacing and back-off are short,
        // while a rate-limit answer is waited out as long as it asks (a
        // `timeScale` would shrink that wait too, and each limited write
        // would then meet the limit again at every retry).
        writeIntervalMs: 0.2,
        contentIntervalMs: 0.5,
        serverErrorRetryBaseMs: 10,
        recoverySettleMs: 20,
        onRateLimit: (info) => options.onRateLimit?.(node, info),
      });
      const log = (e: NodeEvent) => {
        options.onEvent?.(node, e);
        if (
          (e.type === "elected" || e.type === "follower" || e.type === "plan_seen") &&
          !knewLeader.has(node)
        ) {
          knewLeader.set(node, Date.now() - t0);
        }
        if (e.type === "exec_start") starts.push({ task: e.task, serverTime: e.serverTime });
      };
      return runNode(
        {
          github,
          clock: systemClock,
          random: systemRandom,
          signal: controller.signal,
          log,
          planner: { name: "bench", plan: () => Promise.resolve(tasks) },
          executor: {
            name: "sleep",
            run: async () => {
              await new Promise((r) => setTimeout(r, options.workMs));
              return { ok: true, result: {} };
            },
          },
        },
        defaultConfig(1, node, { ...SWARM_TIMINGS, tokenKind: "actions" }),
      );
    });
    await Promise.all(runs);
    const wallMs = Date.now() - t0;
    const records = emu.control.comments("o", "r", 1);
    const state = fold(
      records.map((c) => ({ ...c, authorType: "Bot" })),
      { repo: "o/r", issue: 1, self: "github-actions[bot]", allow: new Set(), writers: new Set() },
    );
    const readyAt = (id: string) => {
      const t = state.tasks[id]!;
      const deps = t.def.deps.map((d) => state.tasks[d]!.done!.at);
      return Math.max(state.plan!.at, ...deps);
    };
    const firstStart = new Map<string, number>();
    for (const s of starts) if (!firstStart.has(s.task)) firstStart.set(s.task, s.serverTime);
    const counts = emu.control.countsFor("github-actions[bot]");
    return {
      nodes: options.nodes,
      tasks: options.tasks,
      done: state.order.filter((id) => state.tasks[id]!.status === "done").length,
      duplicateResults: state.duplicateResults,
      lapsed: state.order.reduce(
        (n, id) => n + state.tasks[id]!.attempts.filter((a) => a.end?.kind === "lapsed").length,
        0,
      ),
      leaders: state.terms.length,
      electionMs: Math.max(...knewLeader.values()),
      claimMs: state.order.map((id) => (firstStart.get(id) ?? NaN) - readyAt(id)),
      requests: counts.requests,
      countedRequests: counts.requests - counts.notModified,
      notModified: counts.notModified,
      writes: counts.writes,
      rateLimited: counts.rateLimited,
      wallMs,
    };
  } finally {
    controller.abort();
    await emu.close();
  }
}

/**
 * The value at quantile `q` of `values` (nearest rank).
 *
 * @example
 * ```ts
 * quantile([1, 2, 3, 4], 0.5); // 2
 * ```
 */
export function quantile(values: number[], q: number): number {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

if (import.meta.main) {
  const nodes = Number(Deno.args[0] ?? 5);
  const tasks = Number(Deno.args[1] ?? 20);
  const f = await benchSwarm({ nodes, tasks, latencyMs: 150, workMs: 300 });
  // deno-lint-ignore no-console
  console.log({
    ...f,
    claimMs: undefined,
    claimP50: quantile(f.claimMs, 0.5),
    claimP99: quantile(f.claimMs, 0.99),
    requestsPerTask: f.requests / f.tasks,
    writesPerTask: f.writes / f.tasks,
  });
}
