/**
 * Markdown planner benchmark: the hostile 65,000-character issue bodies of
 * the planner's cost test (`tests/planner/fixtures/hostile_bodies.ts`),
 * planned one after the other; the median of several runs is reported.
 * Measured only, never asserted (the test bounds CPU time instead).
 *
 * Run: `deno run -A bench/planner.ts`
 *
 * @module
 */
import { parseMarkdownPlan } from "../src/planner/markdown.ts";
import { HOSTILE_BODIES } from "../tests/planner/fixtures/hostile_bodies.ts";

/**
 * What {@linkcode benchPlanner} measured.
 *
 * @example
 * ```ts
 * const { bodies, medianMs, slowest } = await benchPlanner({ runs: 3 });
 * ```
 */
export interface PlannerFigures {
  /** Hostile bodies planned per run. */
  bodies: number;
  /** Median over runs of the time to plan all of them. */
  medianMs: number;
  /** The body that took longest in the median run, and its time. */
  slowest: { name: string; ms: number };
}

/**
 * Plans every hostile body `runs` times (default 3).
 *
 * @example
 * ```ts
 * const figures = await benchPlanner();
 * ```
 */
export function benchPlanner(options: { runs?: number } = {}): Promise<PlannerFigures> {
  const runs: { total: number; slowest: { name: string; ms: number } }[] = [];
  for (let r = 0; r < (options.runs ?? 3); r++) {
    let total = 0;
    let slowest = { name: "", ms: -1 };
    for (const [name, body] of Object.entries(HOSTILE_BODIES)) {
      const t = performance.now();
      parseMarkdownPlan(body);
      const ms = performance.now() - t;
      total += ms;
      if (ms > slowest.ms) slowest = { name, ms };
    }
    runs.push({ total, slowest });
  }
  runs.sort((a, b) => a.total - b.total);
  const median = runs[Math.floor(runs.length / 2)]!;
  return Promise.resolve({
    bodies: Object.keys(HOSTILE_BODIES).length,
    medianMs: median.total,
    slowest: median.slowest,
  });
}

if (import.meta.main) {
  const f = await benchPlanner();
  Deno.stdout.writeSync(
    new TextEncoder().encode(
      `${f.bodies} hostile bodies: ${f.medianMs.toFixed(0)} ms; slowest ${f.slowest.name} ${
        f.slowest.ms.toFixed(0)
      } ms\n`,
    ),
  );
}
