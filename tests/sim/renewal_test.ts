import assert from "node:assert/strict";
import { designed } from "./designed.ts";
import { runSwarm, type SwarmRun } from "./harness.ts";
import { fold } from "../../src/protocol/fold.ts";
import { checkerPolicy, checkRun } from "./invariants.ts";
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
  // Election, the plan with the leader's claim, result.
  assert.equal(w.total, 3);
});

Deno.test("a lease is renewed only once at risk: a 9-minute task renews once, a 16-minute task twice", async () => {
  assert.equal((await oneTask(9 * 60_000)).renewals, 1);
  assert.equal((await oneTask(16 * 60_000)).renewals, 2);
});

/** Attempts of the final fold, by task. */
function attempts(run: SwarmRun) {
  return fold(run.model.finalLog(), checkerPolicy(run.scenario)).tasks;
}

Deno.test("a claim asks for a lease sized from the tasks done so far: after a 13-minute task the next claim runs on 1.6 times it and its 13-minute task writes no renewal (it renewed on the 10-minute lease)", async () => {
  const run = await runSwarm(
    designed({ nodes: 1, tasks: 2, execMs: 13 * 60_000, chain: true }),
    ours,
  );
  assert.equal(checkRun(run).map((v) => `${v.invariant} ${v.code}: ${v.detail}`).join("\n"), "");
  const tasks = attempts(run);
  const first = tasks.T1!.attempts[0]!, second = tasks.T2!.attempts[0]!;
  assert.equal(first.leaseMs, undefined, "no task done yet: the plan's lease");
  const took = tasks.T1!.done!.at - first.claimedAt;
  assert.equal(second.leaseMs, Math.ceil((took * 1.6) / 1000) * 1000);
  // The first renewed 7.5 min after each write (once or twice: the model
  // runs it up to 1.2 times as long), the second not at all.
  const renewalsOf = (task: string) =>
    run.model.comments.map((c) => c.versions[0]!.body).filter((b) =>
      /"type":"heartbeat"|"status":"in_progress"/.test(b) && b.includes(`"task":"${task}"`)
    ).length;
  assert.equal(renewalsOf("T1"), Math.floor(took / (7.5 * 60_000)));
  assert.ok(renewalsOf("T1") >= 1);
  assert.equal(renewalsOf("T2"), 0);
});

Deno.test("a crashed owner's task is taken over once its attempt's own lease lapses, not the plan's", async () => {
  const run = await runSwarm(
    designed({
      nodes: 2,
      tasks: 2,
      execMs: 13 * 60_000,
      chain: true,
      // The owner of the second task (whoever completes the first claims it
      // with its result) dies right after that claim.
      nodeFaults: [{
        kind: "crash_after_claim",
        node: "run-1-job-2",
        nth: 2,
        restartAfterMs: null,
      }],
    }),
    ours,
  );
  assert.equal(checkRun(run).map((v) => `${v.invariant} ${v.code}: ${v.detail}`).join("\n"), "");
  const t2 = attempts(run).T2!;
  const [dead, next] = t2.attempts;
  assert.ok(dead && next, JSON.stringify(t2.attempts));
  assert.ok(dead.leaseMs! > 20 * 60_000, `lease ${dead.leaseMs}`);
  assert.deepEqual(dead.end, { kind: "lapsed", at: dead.lastBeat + dead.leaseMs! });
  // Not before its own lease ended (the plan's 10 minutes had passed long before).
  assert.ok(next.claimedAt > dead.lastBeat + dead.leaseMs!);
  assert.equal(t2.done?.attempt, 2);
});

Deno.test("an owner renews at the configured --renew-ms when that comes before the lease is at risk: a 3-minute task on a 2-minute lease renewed every 30 s renews 5 times or more (renewing only once a quarter of the lease was left, it wrote 2 and kept 30 s of margin instead of 90 s)", async () => {
  const run = await runSwarm(
    designed({
      nodes: 1,
      tasks: 1,
      execMs: 3 * 60_000,
      config: { leaseMs: 120_000, renewMs: 30_000 },
    }),
    ours,
  );
  assert.equal(checkRun(run).map((v) => `${v.invariant} ${v.code}: ${v.detail}`).join("\n"), "");
  assert.ok(writes(run).renewals >= 5, `${writes(run).renewals} renewals`);
});
