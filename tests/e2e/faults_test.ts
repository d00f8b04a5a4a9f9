/**
 * End to end under an unreliable API: list lag of several seconds (longer
 * than the settle window, so nodes do race) and 5% of requests answered 5xx.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  assertDependenciesRespected,
  assertEveryTaskDoneOnce,
  assertExitCodes,
  assertOnePlanInForce,
  BOT,
  RECORD_PID,
  startSwarm,
} from "./_swarm.ts";

const WORK = `${RECORD_PID}; echo "P2P_PROGRESS 50 halfway"; sleep 0.3; echo "done $P2P_TASK_ID"`;

Deno.test("with list lag of several seconds and 5% 5xx answers: one plan in force, every task done exactly once, dependencies respected, all exit 0", async () => {
  await using swarm = await startSwarm({ deadlineMs: 100_000 });
  swarm.emulator.control.setFaults({
    seed: 20251125,
    // Half of the (reader, comment) pairs lag 1.5–4 s: longer than the 0.8 s
    // settle window, so a node may act before it sees a rival's comment.
    listLag: { probability: 0.5, minMs: 1_500, maxMs: 4_000 },
    serverErrors: { rate: 0.05 },
  });
  const ids = ["f1", "f2", "f3", "f4"];
  for (const id of ids) swarm.spawn({ id, args: ["--exec", WORK, "--planner", "markdown"] });
  const statuses = await swarm.waitAll();
  assertExitCodes(swarm, statuses, Object.fromEntries(ids.map((id) => [id, 0])));

  const { state, comments } = swarm.finalState();
  const policy = swarm.policy();
  assertOnePlanInForce(state);
  // Under lag a node may run a task it turns out not to own; its late report
  // is not a result (the fold counts it `not_owner`): one accepted result each.
  assertEveryTaskDoneOnce(state, comments, policy, { strictLog: false });
  assertDependenciesRespected(state, comments, policy, { strictLog: false });
  for (const id of state.order) {
    for (const a of state.tasks[id]!.attempts) {
      assert.notEqual(a.end?.kind, "failed", `${id} attempt ${a.n} did not fail`);
    }
  }

  // The faults did happen.
  const counts = swarm.emulator.control.countsFor(BOT.login);
  assert.ok(counts.serverErrors > 0, `some requests were answered 5xx: ${JSON.stringify(counts)}`);
  const attempts = state.order.reduce((n, id) => n + state.tasks[id]!.attempts.length, 0);
  // deno-lint-ignore no-console
  console.log(
    `e2e figures under faults (4 nodes, ${state.order.length} tasks): ${counts.requests} requests, ` +
      `${counts.serverErrors} answered 5xx, ${counts.writes} writes, ${attempts} attempts; ` +
      `ignored by the fold: ${JSON.stringify(state.ignored)}`,
  );
});
