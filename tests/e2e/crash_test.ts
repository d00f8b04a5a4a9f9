/**
 * End to end: nodes that die (SIGKILL) or are stopped (SIGTERM) while the
 * swarm runs. The checks are made on the final log and on exit codes.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  assertDependenciesRespected,
  assertEveryTaskDoneOnce,
  assertExitCodes,
  assertOnePlanInForce,
  DEFAULT_DEADLINE_MS,
  eventsOf,
  FAST_TIMING,
  type NodeLine,
  type NodeProcess,
  RECORD_PID,
  startSwarm,
  type Swarm,
} from "./_swarm.ts";

/**
 * A task command whose first attempts sleep until the test opens a gate (a
 * file): the node the test stops is certainly in the middle of its task, and
 * once the gate is open every task runs quickly. Later attempts (a takeover)
 * never wait.
 */
const GATED = `${RECORD_PID}; echo "P2P_PROGRESS 10 started"; ` +
  `while [ "$P2P_ATTEMPT" = 1 ] && [ ! -e "$E2E_GATE" ]; do sleep 0.1; done; ` +
  `sleep 0.2; echo "done $P2P_TASK_ID"`;

/** Opens the gate of {@linkcode GATED}. */
async function openGate(swarm: Swarm): Promise<void> {
  await Deno.writeTextFile(join(swarm.tmp, "gate"), "open\n");
}

function gated(swarm: Swarm): Record<string, string> {
  return { E2E_GATE: join(swarm.tmp, "gate") };
}

/** Resolves with the first node (and its line) whose line matches. */
function firstOf(
  nodes: NodeProcess[],
  match: (node: NodeProcess, l: NodeLine) => boolean,
): Promise<{ node: NodeProcess; line: NodeLine }> {
  return Promise.race(
    nodes.map((node) => node.next((l) => match(node, l)).then((line) => ({ node, line }))),
  );
}

Deno.test("the leader SIGKILLed right after publishing and a worker SIGKILLed mid-task: every task completes; the dead worker's attempt lapses and attempt 2 takes over", async () => {
  await using swarm = await startSwarm();
  const ids = ["k1", "k2", "k3", "k4"];
  const timing = [...FAST_TIMING];
  timing[timing.indexOf("--lease-ms") + 1] = "6000";
  for (const id of ids) {
    swarm.spawn({
      id,
      timing,
      env: gated(swarm),
      args: ["--exec", GATED, "--planner", "markdown"],
    });
  }

  const leader = await swarm.within(
    "a node publishing the plan",
    firstOf(swarm.nodes, (_, l) => l.type === "planned"),
  );
  leader.node.kill("SIGKILL");
  const others = swarm.nodes.filter((n) => n !== leader.node);
  // A first attempt, so the takeover is attempt 2 (a task the dead leader may
  // have claimed is taken over the same way, by lapse).
  const victim = await swarm.within(
    "a worker starting a first attempt",
    firstOf(others, (_, l) => l.type === "exec_start" && l.attempt === 1),
  );
  victim.node.kill("SIGKILL");
  await swarm.within("the killed worker's exit", victim.node.exited);
  // Everything on the issue now was written before both deaths.
  const beforeDeaths = Math.max(0, ...swarm.comments().map((c) => c.id));
  await openGate(swarm);
  const task = victim.line.task!;

  const statuses = await swarm.waitAll();
  const survivors = others.filter((n) => n !== victim.node).map((n) => n.id);
  assertExitCodes(swarm, statuses, Object.fromEntries(survivors.map((id) => [id, 0])));
  assert.equal(statuses[leader.node.id]!.signal, "SIGKILL");
  assert.equal(statuses[victim.node.id]!.signal, "SIGKILL");

  const { state, comments } = swarm.finalState();
  const policy = swarm.policy();
  assertOnePlanInForce(state);
  assert.equal(state.terms[0]!.node, leader.node.id, "the killed node's plan stays in force");
  assertEveryTaskDoneOnce(state, comments, policy, { strictLog: true });
  assertDependenciesRespected(state, comments, policy, { strictLog: true });

  const t = state.tasks[task]!;
  const [first, second] = t.attempts;
  assert.ok(first && second, `${task} has two attempts: ${JSON.stringify(t.attempts)}`);
  assert.equal(first.node, victim.node.id);
  assert.equal(first.end?.kind, "lapsed", "the dead worker's attempt lapsed");
  assert.equal(first.end?.at, first.lastBeat + state.settings.leaseMs);
  assert.equal(second.n, 2);
  assert.notEqual(second.node, victim.node.id);
  assert.ok(
    second.claimedAt > first.lastBeat + state.settings.leaseMs,
    "attempt 2 was claimed after attempt 1's lease lapsed (server time)",
  );
  assert.equal(t.done?.attempt, 2, `${task} was completed by attempt 2`);
  // Nothing the dead nodes wrote after their death, and no completion of the
  // task the victim died running. (Before it started that task, the victim
  // may have finished the attempt 2 of the task the leader's plan comment
  // claimed, which lapses after the 6 s lease: not gated, it runs at once.)
  for (const p of eventsOf(comments)) {
    if (p.node === victim.node.id || p.node === leader.node.id) {
      assert.ok(p.comment.id <= beforeDeaths, `${p.node} wrote after its death`);
    }
    if (p.event.type === "progress" && p.event.status === "completed") {
      assert.notEqual(p.node, leader.node.id);
      if (p.event.task === task) assert.notEqual(p.node, victim.node.id);
    }
  }
});

Deno.test("SIGTERM to a node mid-task: it releases its claim in the log and exits; another node takes the next attempt before the lease would have lapsed", async () => {
  await using swarm = await startSwarm();
  // A lease longer than the whole scenario may last: a takeover within it can
  // only come from the release, however slowly a loaded machine runs the
  // survivors' tasks before it (a 30 s lease was outlasted once under load).
  const timing = [...FAST_TIMING];
  timing[timing.indexOf("--lease-ms") + 1] = String(2 * DEFAULT_DEADLINE_MS);
  const ids = ["t1", "t2", "t3"];
  for (const id of ids) {
    swarm.spawn({
      id,
      timing,
      env: gated(swarm),
      args: ["--exec", GATED, "--planner", "markdown"],
    });
  }
  const victim = await swarm.within(
    "a node starting a task",
    firstOf(swarm.nodes, (_, l) => l.type === "exec_start" && l.attempt === 1),
  );
  victim.node.kill("SIGTERM");
  await swarm.within("the stopped node's exit", victim.node.exited);
  await openGate(swarm);
  const task = victim.line.task!;

  const statuses = await swarm.waitAll();
  const rest = ids.filter((id) => id !== victim.node.id);
  assertExitCodes(swarm, statuses, {
    ...Object.fromEntries(rest.map((id) => [id, 0])),
    [victim.node.id]: 130,
  });
  assert.ok(
    victim.node.events("release").some((e) => e.task === task),
    "the stopped node reports the release",
  );
  assert.equal(victim.node.events("stop")[0]?.reason, "interrupted");

  const { state, comments } = swarm.finalState();
  const policy = swarm.policy();
  assertOnePlanInForce(state);
  assertEveryTaskDoneOnce(state, comments, policy, { strictLog: true });
  assertDependenciesRespected(state, comments, policy, { strictLog: true });

  const releases = eventsOf(comments).filter((p) =>
    p.event.type === "release" && p.event.task === task && p.node === victim.node.id
  );
  assert.equal(releases.length, 1, "one release message for the task in the log");
  const t = state.tasks[task]!;
  const [first, second] = t.attempts;
  assert.ok(first && second, `${task} has two attempts: ${JSON.stringify(t.attempts)}`);
  assert.equal(first.node, victim.node.id);
  assert.equal(first.end?.kind, "released");
  assert.equal(first.end?.at, releases[0]!.comment.createdAt);
  assert.equal(t.failures, 0, "a release is not a failure");
  assert.equal(second.n, 2);
  assert.notEqual(second.node, victim.node.id);
  assert.ok(second.claimId > releases[0]!.comment.id, "attempt 2 follows the release");
  assert.ok(
    second.claimedAt <= first.lastBeat + state.settings.leaseMs,
    "attempt 2 did not wait for attempt 1's lease",
  );
  assert.equal(t.done?.attempt, 2);
});
