/**
 * Fold benchmark: a realistic 10,000-comment swarm log (elections, a plan in
 * parts, claim races, progress, heartbeats, failures, lapses, releases and
 * noise from people and untrusted authors), folded whole versus applied one
 * comment at a time to a kept state, as a polling node does. Measured only,
 * never asserted.
 *
 * Run: `deno run -A bench/fold.ts`
 *
 * @module
 */
import { encodeMessage, splitPlan } from "../src/protocol/codec.ts";
import { toEntry } from "../src/protocol/entry.ts";
import { applyComment, fold, foldEntries } from "../src/protocol/fold.ts";
import { emptyState } from "../src/protocol/state.ts";
import type { LogComment, PlanTask, ProtocolEvent } from "../src/protocol/types.ts";
import type { TrustPolicy } from "../src/protocol/trust.ts";
import { BOT, ISSUE, REPO, T0 } from "../tests/protocol/_log.ts";
import { buildSwarmLog } from "../tests/protocol/_swarm.ts";

/** What {@linkcode benchFold} builds and how often it measures. */
export interface BenchFoldOptions {
  /** Comments in the log (default 10,000). */
  comments?: number;
  /** Tasks in the plan (default 2,000; doubled while the swarm ends too soon). */
  tasks?: number;
  /** Nodes in the swarm (default 10). */
  nodes?: number;
  /** Generator seed (default 1). */
  seed?: number;
  /** Sign every message with this secret, so each fold also checks HMACs. */
  secret?: string;
  /** Timed runs of each kind; the median is reported (default 5). */
  runs?: number;
  /** Comments in the long log of the per-comment figure (default 100,000). */
  longComments?: number;
}

/**
 * Builds a realistic swarm log of `comments` comments (default 10,000).
 *
 * @example
 * ```ts
 * const { comments, policy } = swarmLog({ comments: 1_000 });
 * ```
 */
export function swarmLog(
  options: BenchFoldOptions = {},
): { comments: LogComment[]; policy: TrustPolicy } {
  const want = options.comments ?? 10_000;
  let steps = Math.ceil(want * 1.1);
  let tasks = options.tasks ?? 2_000;
  for (;;) {
    const log = buildSwarmLog({
      seed: options.seed ?? 1,
      steps,
      nodes: options.nodes ?? 10,
      tasks,
      noise: 0.1,
      ...(options.secret ? { secret: options.secret } : {}),
    });
    if (log.comments.length >= want) {
      return { comments: log.comments.slice(0, want), policy: log.policy };
    }
    // The swarm finished early: give it more steps and more work.
    steps *= 2;
    tasks *= 2;
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** What {@linkcode benchFold} measures, in milliseconds (medians). */
export interface FoldFigures {
  comments: number;
  /** Tasks in the plan of the 10,000-comment log. */
  tasks: number;
  /** Decode every body and fold (a reader starting from nothing). */
  fullMs: number;
  /** Fold entries already decoded (what a node's refold from its kept log costs). */
  decodedMs: number;
  /** Apply comments one at a time to a kept state, decoding each (a polling node). */
  incrementalMs: number;
  /** Decode and apply one comment of a long log, after 100 and after 100,000 comments. */
  perComment: { at: number; micros: number }[];
  /** Tasks in the plan of the long log. */
  longTasks: number;
}

/**
 * Times a full fold of a realistic log against applying its comments one at
 * a time to a kept state, and the cost of one comment early and late in a
 * 100,000-comment log. Figures are medians in milliseconds.
 *
 * @example
 * ```ts
 * const { comments, fullMs, incrementalMs } = await benchFold();
 * ```
 */
export async function benchFold(options: BenchFoldOptions = {}): Promise<FoldFigures> {
  const { comments, policy } = swarmLog(options);
  const runs = Math.max(1, options.runs ?? 5);
  // Warm up the JIT on both paths before timing.
  fold(comments, policy);
  const full: number[] = [];
  const decoded: number[] = [];
  const incremental: number[] = [];
  const entries = comments.map(toEntry);
  for (let i = 0; i < runs; i++) {
    let t = performance.now();
    fold(comments, policy);
    full.push(performance.now() - t);
    await breathe();
    t = performance.now();
    foldEntries(entries, policy);
    decoded.push(performance.now() - t);
    await breathe();
    const state = emptyState();
    t = performance.now();
    for (const c of comments) applyComment(state, c, policy);
    incremental.push(performance.now() - t);
    await breathe();
  }
  const long = longSwarmLog(options.longComments ?? 100_000, options.nodes ?? 10);
  const perComment = [];
  for (const at of [100, long.comments.length - WINDOW]) {
    perComment.push({ at, micros: round(await perCommentMicros(long, at, runs) * 1000) });
  }
  return {
    comments: comments.length,
    tasks: fold(comments, policy).order.length,
    fullMs: round(median(full)),
    decodedMs: round(median(decoded)),
    incrementalMs: round(median(incremental)),
    perComment,
    longTasks: long.tasks,
  };
}

/** Comments timed together for the per-comment figure. */
const WINDOW = 200;

/**
 * Milliseconds to decode and apply one comment after `at` comments of `log`:
 * a state folds the first `at`, then the next {@linkcode WINDOW} are applied
 * one at a time and timed; median over `runs` fresh states.
 */
async function perCommentMicros(
  log: { comments: LogComment[]; policy: TrustPolicy },
  at: number,
  runs: number,
): Promise<number> {
  const head = log.comments.slice(0, at).map(toEntry);
  const next = log.comments.slice(at, at + WINDOW);
  const times: number[] = [];
  for (let i = 0; i < Math.max(3, runs); i++) {
    const state = foldEntries(head, log.policy);
    const t = performance.now();
    for (const c of next) applyComment(state, c, log.policy);
    times.push((performance.now() - t) / next.length);
    await breathe();
  }
  return median(times);
}

/**
 * A long, steady swarm log: `nodes` nodes elect, the leader publishes a plan
 * sized so the log reaches `want` comments (in parts, as `splitPlan` cuts
 * them), then every node claims the next task in turn, sends two heartbeats
 * and completes it with the next claim in the same comment, as our nodes do.
 *
 * @example
 * ```ts
 * const { comments } = longSwarmLog(1_000, 5);
 * ```
 */
export function longSwarmLog(
  want: number,
  nodes: number,
): { comments: LogComment[]; policy: TrustPolicy; tasks: number } {
  const policy: TrustPolicy = {
    repo: REPO,
    issue: ISSUE,
    self: BOT,
    allow: new Set(),
    writers: new Set(),
  };
  const where = { repo: REPO, issue: ISSUE };
  const comments: LogComment[] = [];
  let id = 2_200_000_000;
  let sec = 0;
  let seq = 0;
  const post = (node: string, events: ProtocolEvent[]) => {
    id += 7;
    const body = encodeMessage({ node, nonce: `n${++seq}`, events }, where);
    const at = T0 + sec * 1000;
    comments.push({ id, body, author: BOT, authorType: "Bot", createdAt: at, updatedAt: at });
    return id;
  };
  const names = Array.from({ length: nodes }, (_, i) => `node-${i + 1}`);
  for (const n of names) post(n, [{ type: "announce", role: "node", version: "bench" }]);
  const token = post(names[0]!, [{ type: "election", term: 1, timeoutMs: 300_000 }]);
  // About three comments per task once the plan is in.
  const count = Math.ceil((want + WINDOW) / 3) + nodes;
  const tasks: PlanTask[] = Array.from({ length: count }, (_, i) => ({
    id: `T${i + 1}`,
    title: `Task ${i + 1} of the long log`,
    priority: "medium",
    deps: [],
  }));
  const parts = splitPlan({
    term: 1,
    token,
    version: 1,
    planner: "bench",
    settings: { leaseMs: 600_000, maxAttempts: 3, backoffMs: 30_000 },
    tasks,
  }, { ...where, node: names[0]! });
  for (const part of parts) post(names[0]!, [part]);
  const holding = new Map<string, string>();
  let next = 0;
  for (
    let turn = 0;
    comments.length < want + WINDOW && holding.size + tasks.length > next;
    turn++
  ) {
    const node = names[turn % nodes]!;
    sec += 5;
    const held = holding.get(node);
    const step = Math.floor(turn / nodes) % 3;
    if (held && step !== 2) {
      post(node, [{ type: "heartbeat", tasks: [{ task: held, attempt: 1 }] }]);
      continue;
    }
    const events: ProtocolEvent[] = [];
    if (held) events.push({ type: "progress", task: held, attempt: 1, status: "completed" });
    if (next < tasks.length) {
      const task = tasks[next++]!.id;
      events.push({ type: "claim", task, attempt: 1 });
      holding.set(node, task);
    } else holding.delete(node);
    if (events.length > 0) post(node, events);
  }
  return { comments, policy, tasks: tasks.length };
}

function breathe(): Promise<void> {
  // Let timers and collection run between measurements.
  return new Promise((resolve) => setTimeout(resolve, 0));
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

if (import.meta.main) {
  for (const secret of [undefined, "bench-secret"]) {
    const r = await benchFold(secret ? { secret } : {});
    const perComment = (r.incrementalMs * 1000) / r.comments;
    // deno-lint-ignore no-console
    console.log(
      `fold ${r.comments} comments, ${r.tasks} tasks${secret ? " (signed)" : ""}: ` +
        `full ${r.fullMs} ms, decoded ${r.decodedMs} ms, incremental ${r.incrementalMs} ms ` +
        `(${perComment.toFixed(1)} µs per comment); one comment of a ${r.longTasks}-task log: ` +
        r.perComment.map((p) => `${p.micros} µs after ${p.at}`).join(", "),
    );
  }
}
