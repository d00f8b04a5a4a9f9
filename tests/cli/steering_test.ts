/**
 * Steering a running swarm by comment (issue 15): `/p2p-dev cancel T`,
 * `/p2p-dev status` (one comment edited in place) and `/p2p-dev stop` from
 * people with write access, acted on within one poll; a stranger's are
 * ignored and counted.
 */
import assert from "node:assert/strict";
import { Proc } from "./_proc.ts";
import { runCli } from "./_run.ts";
import { bodies, comment, FAST, startWorld, STRANGER_TOKEN, WRITER_TOKEN } from "./_world.ts";

/** Polls until `check` returns something, at most `ms`. */
async function eventually<T>(check: () => T | undefined, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = check();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("condition not met in time");
}

const statusComments = (world: Parameters<typeof bodies>[0]) =>
  bodies(world, 1).filter((c) => c.body.startsWith("<!-- p2p-dev:status"));

Deno.test({
  name:
    "cancel stops the running task for good, status is answered in one comment edited in place, a stranger's stop is ignored",
  sanitizeResources: false,
  async fn() {
    await using world = await startWorld(["- [ ] T1: slow one\n- [ ] T2: second"]);
    const node = new Proc([
      "run",
      "--issue",
      "1",
      "--node-id",
      "n1",
      "--exec",
      'if [ "$P2P_TASK_ID" = T1 ]; then sleep 30; else sleep 3; fi; echo done',
      ...FAST,
    ], world.env);
    await node.waitFor(/working on T1/);
    await comment(world, STRANGER_TOKEN, 1, "/p2p-dev stop");
    const first = await comment(world, WRITER_TOKEN, 1, "/p2p-dev status");
    await comment(world, WRITER_TOKEN, 1, "/p2p-dev cancel T1");
    await node.waitFor(/T1 failed: cancelled by @writer/);
    const answered = await eventually(() => statusComments(world)[0]);
    assert.match(answered.body, new RegExp(`^<!-- p2p-dev:status ${first} -->`));
    assert.match(answered.body, /Status for @writer's `\/p2p-dev status`/);
    await node.waitFor(/working on T2/);
    const second = await comment(world, WRITER_TOKEN, 1, "/p2p-dev status");
    await eventually(() =>
      statusComments(world)[0]?.body.startsWith(`<!-- p2p-dev:status ${second} -->`) || undefined
    );
    const end = await node.end();
    assert.equal(end.code, 1, "T1 was cancelled: failed for good");
    assert.match(end.stderr, /^ {2}T1 \(1 attempt\): cancelled by @writer$/m);
    assert.equal(statusComments(world).length, 1, "one status comment, edited in place");
    const state = JSON.parse((await runCli(["state", "--issue", "1", "--json"], world.env)).stdout);
    assert.equal(state.tasks.T1.cancelled.by, "writer");
    assert.equal(state.tasks.T1.attempts[0].end.kind, "cancelled");
    assert.equal(state.tasks.T2.status, "done");
    assert.equal(state.ended, null, "the stranger's stop changed nothing");
    assert.equal(state.ignored.untrusted_command, 1);

    const retried = await comment(world, WRITER_TOKEN, 1, "/p2p-dev retry T1");
    assert.ok(retried > 0);
    const again = JSON.parse((await runCli(["state", "--issue", "1", "--json"], world.env)).stdout);
    assert.equal(again.tasks.T1.status, "pending", "retry reopens a cancelled task");
  },
});

Deno.test({
  name: "stop from a writer ends the swarm: the running task is released within one poll, exit 0",
  sanitizeResources: false,
  async fn() {
    await using world = await startWorld(["- [ ] T1: long"]);
    const node = new Proc(["run", "--issue", "1", "--exec", "sleep 30", ...FAST], world.env);
    await node.waitFor(/working on T1/);
    await comment(world, WRITER_TOKEN, 1, "/p2p-dev stop");
    const end = await node.end();
    assert.equal(end.code, 0, end.stderr);
    assert.match(end.stderr, /The swarm was ended: stopped by @writer \(\/p2p-dev stop\)/);
    assert.match(end.stdout, /T1 failed: the swarm was ended/);
    const state = JSON.parse((await runCli(["state", "--issue", "1", "--json"], world.env)).stdout);
    assert.equal(state.tasks.T1.attempts[0].end.kind, "released");
    assert.equal(state.tasks.T1.failures, 0, "no attempt used up");
    const late = await runCli(["run", "--issue", "1", "--exec", "true", ...FAST], world.env);
    assert.equal(late.code, 0);
    assert.match(late.stdout, /stopped: ended/, "a node started later stops at once too");
  },
});
