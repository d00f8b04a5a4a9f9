/**
 * The workflow's gate, run by the harness: who may start a swarm and what
 * starts nothing. A refusal is one reaction and a line in the job summary,
 * never a comment; a comment that is not a command costs nothing at all.
 */
import assert from "node:assert/strict";
import { releaseBinary } from "./_release.ts";
import type { WorkflowRun } from "./_runner.ts";
import { BOT, MAINTAINER, STRANGER, WorkflowWorld } from "./_world.ts";

/** Asserts check-trigger ran and said no, and nothing else ran. */
function assertRefused(run: WorkflowRun, summary: RegExp): void {
  const why = run.describe();
  assert.equal(run.conclusion, "success", why);
  const trigger = run.jobs["check-trigger"]!;
  assert.equal(trigger.result, "success", why);
  assert.equal(trigger.outputs.run, "false", why);
  assert.match(trigger.legs[0]!.summary, summary);
  assert.equal(run.jobs["p2p-execute"]!.result, "skipped", why);
  assert.equal(run.jobs["aggregate-results"]!.result, "skipped", why);
}

/** Asserts no job ran at all. */
function assertNothingRan(run: WorkflowRun): void {
  for (const job of Object.values(run.jobs)) {
    assert.equal(job.result, "skipped", `${job.id}\n${run.describe()}`);
  }
}

function commentId(run: WorkflowRun): number {
  return (run.event.payload.comment as { id: number }).id;
}

Deno.test({
  name: "the gate: strangers, counts over MAX_INSTANCES, closed issues, other labels and " +
    "plain comments start nothing, and a refusal is one reaction, never a comment",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    await using world = await WorkflowWorld.start(await releaseBinary(), {
      issues: [{ title: "Open issue" }, { title: "Closed issue", state: "closed" }],
    });
    const deliver = async (event: Promise<Parameters<typeof world.runner.deliver>[0]>) => {
      const run = world.runner.deliver(await event);
      assert.ok(run, "the event starts a run");
      await run.done;
      return run;
    };

    await t.step("a stranger's /p2p-dev, three times: three 👎 reactions, no comment", async () => {
      const before = world.emulator.control.countsFor(BOT.login);
      for (let i = 0; i < 3; i++) {
        const run = await deliver(world.commented(STRANGER, 1, "/p2p-dev"));
        assert.equal(run.group, `p2p-dev-run-${run.id}`, "a group of its own");
        assertRefused(
          run,
          /Refused \/p2p-dev by @wf-stranger on #1: @wf-stranger has "(read|none)" permission on this repository; starting a swarm needs write, maintain or admin\./,
        );
        assert.deepEqual(world.commentReactions(commentId(run)), [`${BOT.login}:-1`]);
      }
      assert.equal(world.botCommentPosts(), 0, "not one comment by the bot");
      const after = world.emulator.control.countsFor(BOT.login);
      assert.deepEqual(
        { requests: after.requests - before.requests, writes: after.writes - before.writes },
        { requests: 6, writes: 3 },
        "each refusal costs one permission read and one reaction",
      );
      assert.deepEqual(world.issueReactions(1), []);
    });

    await t.step("/p2p-dev 500 by a collaborator is over MAX_INSTANCES (20)", async () => {
      const run = await deliver(world.commented(MAINTAINER, 1, "/p2p-dev 500"));
      assert.equal(run.group, "p2p-dev-issue-1");
      assertRefused(
        run,
        /Refused \/p2p-dev 500 by @wf-maintainer on #1: 500 instances is over MAX_INSTANCES \(20\); ask for 1 to 20, or raise the repository variable MAX_INSTANCES/,
      );
      assert.deepEqual(world.commentReactions(commentId(run)), [`${BOT.login}:-1`]);
    });

    await t.step("the repository variable MAX_INSTANCES lowers the limit", async () => {
      world.runner.host.vars.MAX_INSTANCES = "2";
      try {
        const run = await deliver(world.commented(MAINTAINER, 1, "/p2p-dev 3"));
        assertRefused(run, /3 instances is over MAX_INSTANCES \(2\)/);
      } finally {
        delete world.runner.host.vars.MAX_INSTANCES;
      }
    });

    await t.step(
      ".github/p2p-dev.yml's instances.max applies when MAX_INSTANCES is unset",
      async () => {
        await world.commitFile(".github/p2p-dev.yml", "instances:\n  max: 2\n");
        const run = await deliver(world.commented(MAINTAINER, 1, "/p2p-dev 3"));
        assertRefused(run, /3 instances is over MAX_INSTANCES \(2\)/);
        await world.commitFile(".github/p2p-dev.yml", "instances: {}\n");
      },
    );

    await t.step("/p2p-dev on a closed issue is refused", async () => {
      const run = await deliver(world.commented(MAINTAINER, 2, "/p2p-dev"));
      assertRefused(
        run,
        /Refused \/p2p-dev by @wf-maintainer on #2: #2 is closed; reopen it first\./,
      );
      assert.deepEqual(world.commentReactions(commentId(run)), [`${BOT.login}:-1`]);
    });

    await t.step("a dispatch for an issue that does not exist is refused", async () => {
      const run = await deliver(world.dispatched(MAINTAINER, { issue: "99" }));
      assertRefused(run, /Refused workflow_dispatch by @wf-maintainer on #99: #99 does not exist/);
    });

    const before = world.emulator.control.countsFor(BOT.login).requests;
    await t.step("a plain comment starts no job and costs no request", async () => {
      const run = await deliver(world.commented(MAINTAINER, 1, "Thanks, looks good."));
      assert.equal(run.group, `p2p-dev-run-${run.id}`, "a group of its own");
      assertNothingRan(run);
    });

    await t.step("a steering command starts no job: it is for the running swarm", async () => {
      const run = await deliver(world.commented(MAINTAINER, 1, "/p2p-dev status"));
      assert.equal(run.group, `p2p-dev-run-${run.id}`, "it never displaces a queued request");
      assertNothingRan(run);
    });

    await t.step("another label starts no job", async () => {
      const run = await deliver(world.labelled(MAINTAINER, 1, "bug"));
      assertNothingRan(run);
    });

    await t.step("events the workflow does not subscribe to start no run", () => {
      assert.equal(
        world.runner.deliver({
          name: "issues",
          payload: { action: "opened", issue: { number: 1 } },
          actor: MAINTAINER.login,
          actorId: 1,
        }),
        null,
      );
      assert.equal(
        world.runner.deliver({
          name: "issue_comment",
          payload: { action: "edited", comment: { body: "/p2p-dev" } },
          actor: MAINTAINER.login,
          actorId: 1,
        }),
        null,
      );
    });
    assert.equal(
      world.emulator.control.countsFor(BOT.login).requests,
      before,
      "ignored events made no API request",
    );
  },
});
