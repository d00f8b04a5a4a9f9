/**
 * Idle workers that watch for new work: the three idle workers of an
 * identity heard from last poll at the shortest interval, the next two at
 * twice it and one more at four times it (src/node/admission.ts,
 * `WATCH_INTERVALS`; the last three only while the token keeps its budget's
 * pace); the rest keep the interval the budget gives them. A poll that finds nothing new is a free
 * 304, so a watcher costs at most a read per comment the swarm writes.
 *
 * @module
 */
import assert from "node:assert/strict";
import { benchScenario, claimWaitsMs, readyTimes, STRATEGIES } from "../../bench/sim.ts";
import { runSwarm, type SwarmRun } from "./harness.ts";
import { checkRun, figures } from "./invariants.ts";

/**
 * A 20-node swarm on one GITHUB_TOKEN (40 tasks of ~10 min, in layers),
 * checked: every invariant held, every task done, no rate-limit answer.
 */
async function twentyNodes(seed: number): Promise<SwarmRun> {
  const s = benchScenario({ seed, nodes: 20, tasks: 40, tokenKind: "actions", execMs: 600_000 });
  const run = await runSwarm(s, STRATEGIES.ours);
  assert.equal(checkRun(run).map((v) => `${v.invariant} ${v.code}: ${v.detail}`).join("\n"), "");
  assert.equal(figures(run).done, 40);
  const limited = run.model.requests.filter((r) => r.limit !== undefined).length;
  assert.equal(limited, 0, `seed ${seed}: rate-limit answers`);
  return run;
}

Deno.test("idle watchers: in 20-node swarms on one GITHUB_TOKEN every task is claimed within 30 s of becoming ready, with no rate-limit answer (seeds 1..3; idle workers polling at the budget's ~7-minute interval left tasks waiting up to 106 s)", async () => {
  const slow: string[] = [];
  for (const seed of [1, 2, 3]) {
    const run = await twentyNodes(seed);
    const readyAt = readyTimes(run, "ours");
    for (const t of run.scenario.tasks) {
      const ready = readyAt.get(t.id)!;
      let first = Infinity;
      for (const p of run.processes) {
        for (const { t: at, e } of p.events) {
          if (e.type === "claim" && e.task === t.id && at >= ready - 1_000) {
            first = Math.min(first, at);
          }
        }
      }
      if (first - ready > 30_000) {
        slow.push(`seed ${seed} ${t.id}: ${((first - ready) / 1000).toFixed(1)} s`);
      }
    }
  }
  assert.deepEqual(slow, []);
});

Deno.test("idle watchers: in 20-node swarms on one GITHUB_TOKEN (seeds 1..10, 400 claims) at most 2 claims wait more than 15 s from ready to start, with no rate-limit answer (three watchers left 14: one result can make four tasks ready at once)", async () => {
  const slow: string[] = [];
  for (let seed = 1; seed <= 10; seed++) {
    for (const [task, ms] of claimWaitsMs(await twentyNodes(seed))) {
      if (ms > 15_000) slow.push(`seed ${seed} ${task}: ${(ms / 1000).toFixed(1)} s`);
    }
  }
  assert.ok(slow.length <= 2, slow.join(", "));
});
