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
import { applyComment, fold } from "../src/protocol/fold.ts";
import { emptyState } from "../src/protocol/state.ts";
import type { LogComment } from "../src/protocol/types.ts";
import type { TrustPolicy } from "../src/protocol/trust.ts";
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

/**
 * Times a full fold of a realistic log against applying its comments one at
 * a time to a kept state. Figures are medians in milliseconds.
 *
 * @example
 * ```ts
 * const { comments, fullMs, incrementalMs } = await benchFold();
 * ```
 */
export async function benchFold(
  options: BenchFoldOptions = {},
): Promise<{ comments: number; fullMs: number; incrementalMs: number }> {
  const { comments, policy } = swarmLog(options);
  const runs = Math.max(1, options.runs ?? 5);
  // Warm up the JIT on both paths before timing.
  fold(comments, policy);
  const full: number[] = [];
  const incremental: number[] = [];
  for (let i = 0; i < runs; i++) {
    let t = performance.now();
    fold(comments, policy);
    full.push(performance.now() - t);
    // Let timers and collection run between measurements.
    await new Promise((resolve) => setTimeout(resolve, 0));
    const state = emptyState();
    t = performance.now();
    for (const c of comments) applyComment(state, c, policy);
    incremental.push(performance.now() - t);
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  const round = (ms: number) => Math.round(ms * 100) / 100;
  return {
    comments: comments.length,
    fullMs: round(median(full)),
    incrementalMs: round(median(incremental)),
  };
}

if (import.meta.main) {
  for (const secret of [undefined, "bench-secret"]) {
    const r = await benchFold(secret ? { secret } : {});
    const perComment = (r.incrementalMs * 1000) / r.comments;
    // deno-lint-ignore no-console
    console.log(
      `fold ${r.comments} comments${secret ? " (signed)" : ""}: full ${r.fullMs} ms, ` +
        `incremental ${r.incrementalMs} ms (${perComment.toFixed(1)} µs per comment)`,
    );
  }
}
