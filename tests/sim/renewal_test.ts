import assert from "node:assert/strict";
import { designed } from "./designed.ts";
import { runSwarm, type SwarmRun } from "./harness.ts";
import { checkRun } from "./invariants.ts";
import { ours } from "./ours.ts";

/** Comments of the swarm by what they carry (first version of each). */
function writes(run: SwarmRun) {
  const bodies = run.model.comments.map((c) => c.versions[0]!.body);
  const count = (re: RegExp) => bodies.filter((b) => re.test(b)).length;
  return {
    total: bodies.length,
    renewals: count(/"type":"heartbeat"|"status":"in_progress"/),
    claims: count(/"type":"claim"/),
  };
}

/** One task of `execMs` (the model runs it up to 1.2 times that long). */
async function oneTask(execMs: number) {
  // One node, one task, production defaults: lease 10 min, renewed once a
  // quarter of it is left (7.5 min after the owner's last write).
  const run = await runSwarm(designed({ nodes: 1, tasks: 1, execMs }), ours);
  assert.equal(checkRun(run).map((v) => `${v.invariant} ${v.code}: ${v.detail}`).join("\n"), "");
  return writes(run);
}

Deno.test("a lease is renewed only once at risk: a task of 5.5 minutes (up to 6.6 with the model's spread) under a 10-minute lease writes no renewal", async () => {
  const w = await oneTask(5.5 * 60_000);
  assert.equal(w.renewals, 0);
  assert.equal(w.claims, 1);
  // Election, plan, claim, result.
  assert.equal(w.total, 4);
});

Deno.test("a lease is renewed only once at risk: a 9-minute task renews once, a 16-minute task twice", async () => {
  assert.equal((await oneTask(9 * 60_000)).renewals, 1);
  assert.equal((await oneTask(16 * 60_000)).renewals, 2);
});
