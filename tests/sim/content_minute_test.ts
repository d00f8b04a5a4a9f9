/**
 * The content-creation limit per minute (GitHub: about 80 comments a minute
 * per identity) in the simulator: a swarm of short tasks posts no faster
 * than admission control plans for, so no node sits out a content-limit
 * answer (up to a minute of silence) while it holds a lease or a result,
 * and no task runs twice.
 *
 * @module
 */
import assert from "node:assert/strict";
import { SWARM_TIMINGS } from "../../bench/swarm.ts";
import { fold } from "../../src/protocol/fold.ts";
import { designed } from "./designed.ts";
import { runSwarm } from "./harness.ts";
import { checkerPolicy, checkRun, figures } from "./invariants.ts";
import { ours } from "./ours.ts";

Deno.test("content limit: 20 nodes racing for 40 short tasks stay under 80 comments a minute, no lease lapses, no task runs twice", async () => {
  // The real-HTTP benchmark's swarm (bench/swarm.ts) in virtual time: its
  // compressed timings (a lease of 30 s, shorter than the minute a
  // content-limit answer may ask for), no swarm size, a token whose primary
  // limit is no constraint, tasks far shorter than a renewal. Before claims
  // waited for room in the minute, 20 nodes posted 80 comments (elections
  // and claims, most of them lost) within 10 s, met 54 content-limit
  // answers, and 6 tasks ran to the end twice: their owners sat out the
  // limit with a result not yet posted while their leases lapsed.
  const s = designed({
    nodes: 20,
    tasks: 40,
    execMs: 300,
    sizeHint: false,
    config: { ...SWARM_TIMINGS },
    faults: { latencyMs: [80, 300] },
  });
  s.primaryLimit = 1_000_000;
  const run = await runSwarm(s, ours);
  assert.deepEqual(checkRun(run), []);
  const f = figures(run);
  assert.equal(f.done, 40);
  assert.equal(f.executedTwice, 0, "no task ran to the end twice");
  assert.equal(f.rateLimited, 0, "no rate-limit answer, content creation or other");
  const state = fold(run.model.finalLog(), checkerPolicy(s));
  assert.equal(state.duplicateResults, 0, "no result for a task already done");
  const lapsed = state.order.flatMap((id) =>
    state.tasks[id]!.attempts.filter((a) => a.end?.kind === "lapsed").map((a) => `${id}/${a.n}`)
  );
  assert.deepEqual(lapsed, [], "no lease lapsed");
  // No rolling minute holds more than GitHub's 80 comments of the identity.
  const times = run.model.finalLog().map((c) => c.createdAt).sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i]! - times[j]! >= 60_000) j++;
    most = Math.max(most, i - j + 1);
  }
  assert.ok(most < 80, `${most} comments within a minute`);
});
