/**
 * Running seeds and summarising them: shared by the CLI and the tests.
 *
 * @module
 */
import { runSwarm, type Strategy, type SwarmRun } from "./harness.ts";
import {
  checkAggregate,
  checkRun,
  checkSameTrace,
  figures,
  type RunFigures,
  type Violation,
} from "./invariants.ts";
import { type Profile, scenario } from "./scenario.ts";

/**
 * The result of one seed under one strategy.
 *
 * @example
 * ```ts
 * (await runSeed(1, CI_PROFILE, ours)).violations;
 * ```
 */
export interface SeedResult {
  seed: number;
  strategy: string;
  violations: Violation[];
  figures: RunFigures;
  traceHash: string;
  nodes: number;
  /** Timers fired (work). */
  fired: number;
}

/**
 * Runs `seed` with `strategy`; checks the invariants unless `check` is false;
 * with `twice`, runs it again and compares the trace hashes.
 *
 * @example
 * ```ts
 * const r = await runSeed(7, CI_PROFILE, ours, { twice: true });
 * r.violations.length; // 0 when all invariants hold
 * ```
 */
export async function runSeed(
  seed: number,
  profile: Profile,
  strategy: Strategy,
  options: { twice?: boolean; check?: boolean; keepTrace?: boolean } = {},
): Promise<SeedResult & { run: SwarmRun }> {
  const s = scenario(seed, profile);
  const run = await runSwarm(s, strategy, { keepTrace: options.keepTrace ?? false });
  const violations = options.check === false
    ? []
    : [...checkRun(run), ...(await checkAggregate(run))];
  if (options.twice) {
    const again = await runSwarm(scenario(seed, profile), strategy);
    violations.push(...checkSameTrace(run, again));
  }
  return {
    seed,
    strategy: strategy.name,
    violations,
    figures: figures(run),
    traceHash: run.traceHash,
    nodes: s.nodes.length,
    fired: run.fired,
    run,
  };
}

/**
 * Totals over many seeds of one strategy.
 *
 * @example
 * ```ts
 * totals([]).seeds; // 0
 * ```
 */
export interface Totals {
  seeds: number;
  tasks: number;
  done: number;
  failed: number;
  lost: number;
  /** Runs where more than one process believed it led the same term. */
  splitBrainRuns: number;
  executedTwice: number;
  overlapping: number;
  unownedStarts: number;
  forgedRuns: number;
  requests: number;
  notModified: number;
  writes: number;
  rateLimited: number;
  nodeErrors: number;
  hours: number;
}

/**
 * Adds up figures.
 *
 * @example
 * ```ts
 * totals(results.map((r) => r.figures)).lost;
 * ```
 */
export function totals(list: readonly RunFigures[]): Totals {
  const t: Totals = {
    seeds: list.length,
    tasks: 0,
    done: 0,
    failed: 0,
    lost: 0,
    splitBrainRuns: 0,
    executedTwice: 0,
    overlapping: 0,
    unownedStarts: 0,
    forgedRuns: 0,
    requests: 0,
    notModified: 0,
    writes: 0,
    rateLimited: 0,
    nodeErrors: 0,
    hours: 0,
  };
  for (const f of list) {
    t.tasks += f.tasks;
    t.done += f.done;
    t.failed += f.failed;
    t.lost += f.lost;
    if (f.believedLeaders > 1) t.splitBrainRuns++;
    t.executedTwice += f.executedTwice;
    t.overlapping += f.overlapping;
    t.unownedStarts += f.unownedStarts;
    t.forgedRuns += f.forgedRuns;
    t.requests += f.requests;
    t.notModified += f.notModified;
    t.writes += f.writes;
    t.rateLimited += f.rateLimited;
    t.nodeErrors += f.nodeErrors;
    t.hours += f.hours;
  }
  return t;
}

/**
 * Groups violations by invariant and code: `"3:blocked_on_failed" -> seeds`.
 *
 * @example
 * ```ts
 * byCode(results).get("3:node_died");
 * ```
 */
export function byCode(results: readonly SeedResult[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const r of results) {
    const seen = new Set<string>();
    for (const v of r.violations) {
      const key = `${v.invariant}:${v.code}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const list = out.get(key) ?? [];
      list.push(r.seed);
      out.set(key, list);
    }
  }
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : 1)));
}

/**
 * A plain-text table: a header row and rows, columns padded.
 *
 * @example
 * ```ts
 * table([["a", "b"], ["1", "2"]]);
 * ```
 */
export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  }
  return rows.map((row, r) => {
    const line = row.map((
      cell,
      i,
    ) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join("  ");
    return r === 0 ? `${line}\n${widths.map((w) => "-".repeat(w)).join("  ")}` : line;
  }).join("\n");
}
