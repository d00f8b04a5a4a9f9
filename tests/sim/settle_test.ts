import assert from "node:assert/strict";
import { designed } from "./designed.ts";
import { runSwarm, type SwarmRun } from "./harness.ts";
import { checkRun } from "./invariants.ts";
import { ours } from "./ours.ts";

/** Virtual ms from each claim's taking effect on the server to the start of its run. */
function confirmMs(run: SwarmRun): number[] {
  const out: number[] = [];
  for (const c of run.model.comments) {
    const claim = /"attempt":(\d+),"task":"(T\d+)","type":"claim"/.exec(c.versions[0]!.body);
    if (!claim) continue;
    const start = run.execs.find((x) => x.task === claim[2] && x.attempt === Number(claim[1]));
    if (start) out.push(start.start - c.effect);
  }
  return out;
}

async function swarm(fixedLagMs: number, chain = false) {
  const run = await runSwarm(
    designed({ nodes: 1, tasks: 3, execMs: 60_000, fixedLagMs, chain }),
    ours,
  );
  assert.equal(checkRun(run).map((v) => `${v.invariant} ${v.code}: ${v.detail}`).join("\n"), "");
  return run;
}

Deno.test("settle window: with no list lag a claim is confirmed after the 1 s floor (with jitter), not the 10 s ceiling", async () => {
  const waits = confirmMs(await swarm(0));
  assert.equal(waits.length, 3);
  for (const ms of waits) {
    // Floor 1 s × (1 + 0.2 jitter) at most, plus the re-read's latency.
    assert.ok(ms >= 1_000 && ms < 2_000, `${ms} ms`);
  }
});

Deno.test("settle window: a node whose own comments lag 4 s waits until its reads show them, and longer than the lag after", async () => {
  const waits = confirmMs(await swarm(4_000));
  assert.equal(waits.length, 3);
  for (const ms of waits) {
    // Never before the lag has passed (the read that shows the claim comes
    // after it), and about the lag and the 1 s margin (with jitter) after.
    assert.ok(ms >= 4_000 && ms < 7_000, `${ms} ms`);
  }
});

Deno.test("settle window: a claim carried by the result its task waited for starts without one, lag or none (no rival could see the task ready before), when that result's attempt was the task's only one and was itself confirmed by a read", async () => {
  for (const lag of [0, 4_000]) {
    // T1 ← T2 ← T3: T1 with the plan (confirmed by a read); T2 rides on T1's
    // result (no window); T3 rides on T2's, whose claim no read confirmed: a
    // window again.
    const waits = confirmMs(await swarm(lag, true));
    assert.equal(waits.length, 3);
    const floor = Math.max(1_000, lag);
    assert.ok(waits[0]! >= floor, `lag ${lag}, T1: ${waits[0]} ms`);
    assert.ok(waits[1]! < 1_000, `lag ${lag}, T2: ${waits[1]} ms (before: the window)`);
    assert.ok(waits[2]! >= floor, `lag ${lag}, T3: ${waits[2]} ms`);
  }
});
