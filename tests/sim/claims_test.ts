/**
 * Claims in the simulator that cost no lost claim: a takeover after a crash,
 * and the first wave of a plan. A node whose owner crashed claims the next
 * attempt once a claim posted then is valid, so no claim is spent before it.
 *
 * @module
 */
import assert from "node:assert/strict";
import { decodeBody } from "../../src/protocol/codec.ts";
import { designed } from "./designed.ts";
import { runSwarm } from "./harness.ts";
import { checkRun } from "./invariants.ts";
import { ours } from "./ours.ts";

Deno.test("takeover: after its owner crashed, a task's next attempt is claimed once, not first within the second its lease ends (seeds 6 and 12 spent a lost claim there)", async () => {
  const extra: string[] = [];
  for (let seed = 1; seed <= 12; seed++) {
    const s = designed({
      seed,
      nodes: 2,
      tasks: 1,
      execMs: 5 * 60_000,
      nodeFaults: [{
        kind: "crash_after_claim",
        // Seat 0 (it leads, and takes the only task: seat 1 holds back).
        node: "run-1-job-2",
        nth: 1,
        restartAfterMs: null,
      }],
    });
    const run = await runSwarm(s, ours);
    assert.equal(checkRun(run).map((v) => `${v.invariant} ${v.code}: ${v.detail}`).join("\n"), "");
    const second = run.model.comments.filter((c) => {
      const d = decodeBody(c.versions[0]!.body);
      return d.kind === "message" &&
        d.message.events.some((e) => e.type === "claim" && e.attempt === 2);
    });
    if (second.length !== 1) {
      extra.push(`seed ${seed}: ${second.map((c) => (c.createdAt - s.start) / 1000).join(", ")} s`);
    }
  }
  assert.deepEqual(extra, [], "claims of attempt 2 beyond the one that took it");
});

/**
 * Seeds among `seeds` where a swarm of `nodes` without list lag, at the
 * plan's start, wrote other than `tasks` comments with a claim (one per task
 * of the wave means no claim was lost), as "seed s: n claims".
 */
async function extraClaims(nodes: number, tasks: number, seeds: number): Promise<string[]> {
  const extra: string[] = [];
  for (let seed = 1; seed <= seeds; seed++) {
    const s = designed({ seed, nodes, tasks, execMs: 5 * 60_000, fixedLagMs: 0 });
    const run = await runSwarm(s, ours);
    assert.equal(checkRun(run).map((v) => `${v.invariant} ${v.code}: ${v.detail}`).join("\n"), "");
    const claims = run.model.comments.filter((c) => {
      const d = decodeBody(c.versions[0]!.body);
      return d.kind === "message" && d.message.events.some((e) => e.type === "claim");
    });
    if (claims.length !== tasks) extra.push(`seed ${seed}: ${claims.length} claims`);
  }
  return extra;
}

Deno.test("first wave: at the plan's start, matrix seats spread over the tasks without dependencies, so 4 nodes claim 4 tasks with 4 claims (seeds 1..10 spent 12 lost claims when each node ranked them by its own weight)", async () => {
  assert.deepEqual(await extraClaims(4, 4, 10), []);
});

Deno.test("first wave: seats past its end hold back a settle window instead of claiming the task seat s mod length claims, so 5 nodes claim a 2-task wave with 2 claims (seeds 1..6 spent 8 lost claims)", async () => {
  assert.deepEqual(await extraClaims(5, 2, 6), []);
});

Deno.test("first wave: a leader that works posts the plan's last part and its own first claim in one comment (one write fewer, and the claim comes before any other)", async () => {
  for (let seed = 1; seed <= 4; seed++) {
    const s = designed({ seed, nodes: 3, tasks: 3, execMs: 60_000 });
    const run = await runSwarm(s, ours);
    assert.equal(checkRun(run).map((v) => `${v.invariant} ${v.code}: ${v.detail}`).join("\n"), "");
    const both = run.model.comments.filter((c) => {
      const d = decodeBody(c.versions[0]!.body);
      if (d.kind !== "message") return false;
      const types = d.message.events.map((e) => e.type);
      return types.includes("plan") && types.includes("claim");
    });
    assert.equal(both.length, 1, `seed ${seed}`);
    const leader = decodeBody(both[0]!.versions[0]!.body);
    assert.ok(leader.kind === "message");
    // Its run starts after a settle window all the same: a second leader of
    // the same term (split brain) may post its own plan and claim alike.
    const exec = run.execs.find((e) => e.node === leader.message.node)!;
    assert.ok(
      exec.start - both[0]!.effect >= 1_000,
      `seed ${seed}: ${exec.start - both[0]!.effect} ms`,
    );
  }
});
