/**
 * The full simulation profile in CI: 200 seeded swarms of 1–50 nodes and up
 * to 200 tasks (the range `deno task sim` covers by default), every invariant
 * checked, every tenth seed run twice to compare trace hashes. In its own
 * file so that it runs beside the 500 small seeds of `sim_test.ts`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { ours } from "./ours.ts";
import { FULL_PROFILE } from "./scenario.ts";
import { runSeed, totals } from "./sweep.ts";

Deno.test("sim: 200 full-profile seeds (1–50 nodes, up to 200 tasks) hold every invariant", async () => {
  const failures: string[] = [];
  const results = [];
  for (let seed = 1; seed <= 200; seed++) {
    const r = await runSeed(seed, FULL_PROFILE, ours, { twice: seed % 10 === 0 });
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
  assert.ok(t.tasks > 5_000 && t.done > t.tasks * 0.8, JSON.stringify(t));
  assert.ok(t.rateLimited > 0 && t.nodeErrors === 0, JSON.stringify(t));
});
