/**
 * End to end: people rewrite the log. A maintainer edits the plan comment
 * mid-run, or deletes a node's claim while its task runs. The nodes that
 * folded those messages keep them and restore them in the log, so every
 * node (also one that starts later and never saw the original) folds the
 * same plan and the same owner: no task runs twice, no result is lost.
 *
 * @module
 */
import assert from "node:assert/strict";
import { decodeBody } from "../../src/protocol/codec.ts";
import {
  assertEveryTaskDoneOnce,
  assertExitCodes,
  eventsOf,
  OWNER,
  RECORD_PID,
  REPO,
  startSwarm,
  type Swarm,
  WRITER,
} from "./_swarm.ts";

const WORK = `${RECORD_PID}; echo "P2P_PROGRESS 50 halfway"; sleep 0.4; echo "done $P2P_TASK_ID"`;

async function asWriter(swarm: Swarm, method: "PATCH" | "DELETE", id: number, body?: string) {
  const res = await fetch(`${swarm.emulator.url}/repos/${OWNER}/${REPO}/issues/comments/${id}`, {
    method,
    headers: {
      authorization: `Bearer ${WRITER.token}`,
      accept: "application/vnd.github+json",
      "content-type": "application/json",
    },
    ...(body !== undefined ? { body: JSON.stringify({ body }) } : {}),
  });
  await res.body?.cancel();
  assert.ok(res.status === 200 || res.status === 204, `${method} comment ${id}: ${res.status}`);
}

/** Waits until the log holds a restore of comment `id`; returns the restoring comment's id. */
async function restoredBy(swarm: Swarm, id: number): Promise<number> {
  const found = () =>
    eventsOf(swarm.comments()).find((p) => p.event.type === "restore" && p.event.comment === id);
  return await swarm.within(
    `a restore of comment ${id}`,
    (async () => {
      for (;;) {
        const p = found();
        if (p) return p.comment.id;
        await new Promise((r) => setTimeout(r, 100));
      }
    })(),
  );
}

Deno.test("a maintainer edits the plan comment mid-run: every node keeps it, it is restored in the log, every task is done once and no result is ignored", async () => {
  await using swarm = await startSwarm();
  const ids = ["n1", "n2", "n3"];
  for (const id of ids) swarm.spawn({ id, args: ["--exec", WORK, "--planner", "markdown"] });
  await swarm.within(
    "a task starting",
    Promise.race(swarm.nodes.map((n) => n.next((l) => l.type === "exec_start"))),
  );
  const plan = swarm.comments().find((c) => c.body.includes("TASKS_DATA"))!;
  await asWriter(swarm, "PATCH", plan.id, `${plan.body}\n\nFixed a typo in S1.`);
  const restore = await restoredBy(swarm, plan.id);
  assertExitCodes(swarm, await swarm.waitAll(), { n1: 0, n2: 0, n3: 0 });

  const { state, comments } = swarm.finalState();
  const edited = comments.find((c) => c.id === plan.id)!;
  assert.notEqual(decodeBody(edited.body).kind, "message", "the comment itself no longer counts");
  assert.equal(state.plan?.commentIds[0], plan.id, "the restored plan is in force");
  assert.equal(state.restored[String(plan.id)], restore);
  assert.equal(state.ignored.unknown_task, undefined, "no result was ignored");
  assertEveryTaskDoneOnce(state, comments, swarm.policy(), { strictLog: true });
  const runs = swarm.nodes.flatMap((n) => n.events("exec_start").map((e) => e.task!));
  assert.equal(runs.length, state.order.length, `each task ran once: ${runs.sort()}`);
});

const TWO = `## Work

- [ ] T1: A long job (priority: high)
- [ ] T2: A short job (priority: low)
`;

const SLOW_T1 =
  `${RECORD_PID}; if [ "$P2P_TASK_ID" = T1 ]; then sleep 25; fi; echo "done $P2P_TASK_ID"`;

Deno.test("a maintainer deletes a running task's claim: its owner restores it, and a node that starts afterwards does not run the task beside it", async () => {
  await using swarm = await startSwarm({ issueBody: TWO });
  const args = ["--exec", SLOW_T1, "--planner", "markdown"];
  const owner = swarm.spawn({ id: "a1", args });
  await swarm.waitFor(owner, "start T1", (l) => l.type === "exec_start" && l.task === "T1");
  // (a1 leads: its claim of T1 rides on the plan's comment, which goes too.)
  const claim = swarm.comments().find((c) => {
    const d = decodeBody(c.body);
    return d.kind === "message" && d.message.node === "a1" &&
      d.message.events.some((e) => e.type === "claim" && e.task === "T1");
  })!;
  await asWriter(swarm, "DELETE", claim.id);
  await restoredBy(swarm, claim.id);
  const late = swarm.spawn({ id: "b1", args });
  assertExitCodes(swarm, await swarm.waitAll(), { a1: 0, b1: 0 });

  assert.ok(
    !late.events("exec_start").some((e) => e.task === "T1"),
    `b1 did not run T1 beside its owner\n${swarm.describe()}`,
  );
  const { state, comments } = swarm.finalState();
  assert.ok(!comments.some((c) => c.id === claim.id), "the claim stays deleted");
  assert.equal(state.tasks.T1!.attempts.length, 1);
  assert.equal(state.tasks.T1!.attempts[0]!.claimId, claim.id);
  assert.equal(state.tasks.T1!.done?.node, "a1");
  assert.equal(state.tasks.T2!.status, "done");
});
