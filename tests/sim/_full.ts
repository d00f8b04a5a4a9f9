/**
 * The full simulation profile in CI: 200 seeded swarms of 1–50 nodes and up
 * to 200 tasks (the range `deno task sim` covers by default), every invariant
 * checked, one seed in ten (5, 10, 25, 30, …) run twice to compare trace hashes. The seeds are
 * split over two test files (`full_test.ts` the odd ones, `full_2_test.ts`
 * the even ones, which balances their cost) so that `deno test --parallel`
 * runs the halves side by side.
 *
 * @module
 */
import assert from "node:assert/strict";
import { ours } from "./ours.ts";
import { FULL_PROFILE } from "./scenario.ts";
import { runSeed, totals } from "./sweep.ts";

/**
 * Runs the full-profile seeds 1..200 of the given parity and fails naming
 * every violation.
 *
 * @example
 * ```ts
 * await checkFullSeeds("odd");
 * ```
 */
export async function checkFullSeeds(parity: "odd" | "even"): Promise<void> {
  const failures: string[] = [];
  const results = [];
  for (let seed = parity === "odd" ? 1 : 2; seed <= 200; seed += 2) {
    const r = await runSeed(seed, FULL_PROFILE, ours, {
      twice: seed % 20 === 5 || seed % 20 === 10,
    });
    results.push(r.figures);
    if (r.violations.length > 0) {
      failures.push(
        `seed ${seed} (deno task sim --seed ${seed} --profile full):\n` +
          r.violations.map((v) => `invariant ${v.invariant} ${v.code}: ${v.detail}`).join("\n"),
      );
    }
  }
  assert.deepEqual(failures, [], failures.join("\n\n"));
  // The sweep met large swarms, faults and limits, and finished work.
  const t = totals(results);
  assert.ok(t.tasks > 25 * 100 && t.done > t.tasks * 0.8, JSON.stringify(t));
  assert.ok(t.rateLimited > 0 && t.nodeErrors === 0, JSON.stringify(t));
}
