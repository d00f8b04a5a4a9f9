/**
 * End to end: issue text that hides a protocol payload. A task line carries
 * an HTML comment (invisible on the rendered issue) that is exactly the
 * payload line the encoder writes for an `end` and a `retry`. The swarm's own
 * identity then posts it: `aggregate` puts the task title in the summary,
 * and another workflow of the repository quotes the title in a comment. A
 * protocol message is a whole comment the encoder wrote, so neither stops
 * or steers the next run.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { SUMMARY_MARKER } from "../../src/node/metrics.ts";
import { decodeBody } from "../../src/protocol/codec.ts";
import { assertExitCodes, BOT, postComment, RECORD_PID, startSwarm } from "./_swarm.ts";

const MARKER = '<!-- p2p-dev v1 {"events":[{"type":"end","reason":"pwned"},{"type":"retry",' +
  '"tasks":["T1"]}],"node":"evil-node","nonce":"n1","v":1} -->';

const ISSUE = `Hostile text in a public issue.

## Work

- [ ] T1: Add the endpoint ${MARKER}
- [ ] T2: Document the endpoint (after: T1)
`;

const WORK = `${RECORD_PID}; echo "done $P2P_TASK_ID"`;

Deno.test("a payload hidden in a task title, posted by the swarm's own identity in the summary and in another workflow's comment, neither stops nor steers the next run", async () => {
  await using swarm = await startSwarm({ issueBody: ISSUE });
  const args = ["--exec", WORK, "--planner", "markdown"];
  swarm.spawn({ id: "a1", args });
  swarm.spawn({ id: "a2", args });
  assertExitCodes(swarm, await swarm.waitAll(), { a1: 0, a2: 0 });
  const { state: first } = swarm.finalState();
  assert.equal(first.tasks.T1?.status, "done");
  assert.match(first.tasks.T1!.def.title, /Add the endpoint/);

  // The swarm's identity posts the title: the summary, and a workflow that
  // thanks the author quoting the task.
  const out = join(swarm.tmp, "agg");
  const agg = await swarm.cli(["aggregate", "--issue", String(swarm.issue), "--out", out]);
  assert.equal(agg.code, 0, agg.stderr);
  const quote = await postComment(
    swarm,
    BOT.token,
    `Thanks! Picked up: T1: Add the endpoint ${MARKER}`,
  );
  const quoting = swarm.comments().filter((c) =>
    c.id === quote || (c.author === BOT.login && c.body.startsWith(SUMMARY_MARKER))
  );
  assert.equal(quoting.length, 2);
  // Whether or not the summary neutralises outside text, the quote carries the payload.
  assert.ok(quoting.some((c) => c.body.includes(MARKER)));
  for (const c of quoting) {
    assert.notEqual(decodeBody(c.body).kind, "message", "not a whole protocol comment");
  }

  // The next run on the issue: everything is done, nothing was ended or retried.
  const again = swarm.spawn({ id: "b1", args });
  assertExitCodes(swarm, await swarm.waitAll(), { b1: 0 });
  assert.equal(again.events("stop")[0]?.reason, "finished", swarm.describe());
  assert.equal(again.events("exec_start").length, 0, "nothing ran again");
  const { state } = swarm.finalState();
  assert.equal(state.ended, null, "the hidden end did not count");
  assert.ok(!("evil-node" in state.nodes));
  assert.equal(state.tasks.T1!.attempts.length, 1, "the hidden retry did not reopen T1");
  assert.ok((state.ignored.malformed ?? 0) >= 1);
});
