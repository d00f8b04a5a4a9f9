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

Deno.test("settle window: with no list lag a claim is confirmed after the 1 s floor (with jitter), not the 10 s ceiling; the leader's first, posted with the plan that makes its task ready, waits for none", async () => {
  const [first, ...rest] = confirmMs(await swarm(0));
  assert.equal(rest.length, 2);
  assert.ok(first! < 1_000, `${first} ms`);
  for (const ms of rest) {
    // Floor 1 s × (1 + 0.2 jitter) at most, plus the re-read's latency.
    assert.ok(ms >= 1_000 && ms < 2_000, `${ms} ms`);
  }
});

Deno.test("settle window: a node whose own comments lag 4 s waits until its reads show them, and longer than the lag after", async () => {
  const [first, ...rest] = confirmMs(await swarm(4_000));
  assert.equal(rest.length, 2);
  assert.ok(first! < 1_000, `${first} ms`);
  for (const ms of rest) {
    // Never before the lag has passed (the read that shows the claim comes
    // after it), and about the lag and the 1 s margin (with jitter) after.
    assert.ok(ms >= 4_000 && ms < 7_000, `${ms} ms`);
  }
});

Deno.test("settle window: a claim in the comment that makes its task ready (the plan's last part, the result its task waited for) starts without one, lag or none: no rival could see the task ready before", async () => {
  for (const lag of [0, 4_000]) {
    const waits = confirmMs(await swarm(lag, true));
    assert.equal(waits.length, 3);
    // The run starts as soon as the claim is posted (before: 1.5 s or the lag, each).
    for (const ms of waits) assert.ok(ms < 1_000, `lag ${lag}: ${ms} ms`);
  }
});
