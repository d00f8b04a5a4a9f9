/**
 * The repository's `.github/workflows/p2p-autonomous-dev.yml`, run by the
 * workflow harness against the emulator: real events, GitHub's expression
 * engine for every `${{ }}` and `if:`, `run:` steps in bash, the release
 * binary installed by scripts/install.sh from the emulator's release
 * downloads, and real swarms of `p2p-dev run` (three tasks, fast timing
 * through the `P2P_DEV_ARGS` variable, a shell command as the agent through
 * `P2P_DEV_EXEC`, a draft pull request per task).
 */
import assert from "node:assert/strict";
import {
  assertEveryTaskDoneOnce,
  assertOnePlanInForce,
  eventsOf,
  FAST_TIMING,
} from "../e2e/_swarm.ts";
import { releaseBinary } from "./_release.ts";
import type { WorkflowRun } from "./_runner.ts";
import {
  BOT,
  ISSUE_TASKS,
  MAINTAINER,
  OWNER,
  PAGES_URL,
  REPO,
  STRANGER,
  TASK_COMMAND,
  WorkflowWorld,
} from "./_world.ts";

/**
 * Asserts the three jobs ran a swarm of `nodes` on `issue` that ended with a
 * summary (by default of every task done).
 */
function assertSwarmRun(
  run: WorkflowRun,
  issue: number,
  nodes: number,
  expect: { status: string; done: number; pages?: boolean } = {
    status: "finished",
    done: ISSUE_TASKS.length,
  },
): void {
  const why = run.describe();
  // aggregate exits 3 while tasks are left, which makes its job (and the run) red.
  const finished = expect.status === "finished";
  assert.equal(run.conclusion, finished ? "success" : "failure", why);
  const trigger = run.jobs["check-trigger"]!;
  assert.equal(trigger.result, "success", why);
  assert.deepEqual(trigger.outputs, {
    run: "true",
    issue: String(issue),
    matrix: JSON.stringify({ node: Array.from({ length: nodes }, (_, i) => i + 1) }),
  });
  const execute = run.jobs["p2p-execute"]!;
  assert.equal(execute.result, "success", why);
  assert.deepEqual(
    execute.legs.map((l) => l.name),
    Array.from({ length: nodes }, (_, i) => `node ${i + 1}`),
  );
  for (const leg of execute.legs) {
    assert.equal(
      leg.steps.find((s) => s.name === "Install Claude Code")?.outcome,
      "skipped",
      "P2P_DEV_EXEC replaces Claude Code",
    );
    assert.ok(!leg.steps.some((s) => s.log.includes(leg.token)), "the token never shows in a log");
  }
  const aggregate = run.jobs["aggregate-results"]!;
  assert.equal(aggregate.result, finished ? "success" : "failure", why);
  assert.deepEqual(aggregate.outputs, {
    status: expect.status,
    tasks: String(ISSUE_TASKS.length),
    done: String(expect.done),
    failed: "0",
    skipped: "0",
    "cost-usd": "0",
    "pages-artifact": expect.pages ? aggregate.outputs["pages-artifact"]! : "",
  });
  assert.match(aggregate.legs[0]!.summary, new RegExp(`## p2p-dev summary for #${issue}`));
  const pagesStep = aggregate.legs[0]!.steps.find((s) => s.id === "pages")!;
  const publish = run.jobs["publish-pages"]!;
  if (expect.pages) {
    assert.equal(pagesStep.outcome, "success", why);
    assert.match(aggregate.outputs["pages-artifact"]!, /^\d+$/);
    assert.equal(publish.result, "success", why);
    assert.deepEqual(publish.environment, { name: "github-pages", url: PAGES_URL });
  } else {
    assert.equal(pagesStep.outcome, "skipped", "without P2P_DEV_PAGES nothing goes to Pages");
    assert.equal(publish.result, "skipped", "without P2P_DEV_PAGES nothing is deployed");
  }
}

/** Asserts the issue's log holds one plan, every task done once, and one summary comment. */
function assertIssueDone(world: WorkflowWorld, issue: number): void {
  const state = world.state(issue);
  assertOnePlanInForce(state, ISSUE_TASKS);
  assertEveryTaskDoneOnce(state, world.comments(issue), world.policy(issue), { strictLog: true });
  const plans = eventsOf(world.comments(issue)).filter((p) => p.event.type === "plan");
  assert.equal(plans.length, 1, "one plan message");
  const summaries = world.comments(issue).filter((c) => /p2p-dev summary/.test(c.body));
  assert.equal(summaries.length, 1, "one summary comment");
}

function nodeIds(run: WorkflowRun, nodes: number): string[] {
  return Array.from({ length: nodes }, (_, i) => `run-${run.id}-job-${i + 1}`);
}

Deno.test({
  name: "a collaborator labels an issue: 5 nodes work it to a summary, with a rocket on the " +
    "issue, a draft pull request per task and metrics.json kept as an artifact",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using world = await WorkflowWorld.start(await releaseBinary());
    const run = world.runner.deliver(await world.labelled(MAINTAINER, 1));
    assert.ok(run, "the labeled event starts the workflow");
    assert.equal(run.group, "p2p-dev-issue-1");
    await run.done;
    assertSwarmRun(run, 1, 5);
    assertIssueDone(world, 1);
    assert.deepEqual(Object.keys(world.state(1).nodes).sort(), nodeIds(run, 5));
    assert.deepEqual(world.issueReactions(1), [`${BOT.login}:rocket`]);
    const pulls = world.emulator.control.world.repo(OWNER, REPO)!.issues.filter((i) => i.pull);
    assert.equal(pulls.length, ISSUE_TASKS.length, "a draft pull request per task");
    const metrics = JSON.parse(
      await Deno.readTextFile(
        `${world.tmp}/runs/run-${run.id}/artifacts/p2p-dev-issue-1-attempt-1/metrics.json`,
      ),
    );
    assert.equal(metrics.totals.done, ISSUE_TASKS.length);
    assert.deepEqual(world.deployments, [], "no Pages deployment without P2P_DEV_PAGES");

    // persist-credentials: false: no checkout keeps the job's token where a task could read it;
    // the nodes push over git's HTTP with their own token (the emulator refuses anonymous pushes).
    for (let leg = 1; leg <= 5; leg++) {
      const config = await Deno.readTextFile(
        `${world.tmp}/runs/run-${run.id}/p2p-execute-${leg}/workspace/.git/config`,
      );
      assert.doesNotMatch(config, /extraheader|includeif/i, `node ${leg}'s checkout`);
    }
    const pushes = world.emulator.control.requestLog().filter((e) =>
      e.operation === "git/receive-pack" && e.method === "POST"
    );
    assert.ok(pushes.length >= ISSUE_TASKS.length, "a push per task at least");
    assert.ok(pushes.every((e) => e.login === BOT.login && e.status === 200), "all as the job");
  },
});

Deno.test({
  name: "a collaborator comments /p2p-dev 3: 3 nodes, a rocket on the comment; no task finds " +
    "the job's token in /proc/<pid>/environ of any process above it (the step execs the node)",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dumps = await Deno.makeTempDir({ prefix: "p2p-ancestors-" });
    // Each task also reads the initial environment of its shell, its node and every parent.
    const readAncestors = 'p=$PPID; while [ "$p" -gt 1 ]; do echo "== $p"; ' +
      'tr "\\0" "\\n" < /proc/$p/environ; ' +
      "p=$(sed 's/.*) //' /proc/$p/stat | cut -d' ' -f2); done " +
      `> "${dumps}/$P2P_TASK_ID.txt" 2>&1`;
    await using world = await WorkflowWorld.start(await releaseBinary(), {
      vars: { P2P_DEV_EXEC: `${TASK_COMMAND}; ${readAncestors}` },
    });
    const event = await world.commented(MAINTAINER, 1, "/p2p-dev 3\nPlease have a go at this.");
    const run = world.runner.deliver(event)!;
    await run.done;
    assertSwarmRun(run, 1, 3);
    assertIssueDone(world, 1);
    if (Deno.build.os === "linux") {
      for (const task of ISSUE_TASKS) {
        const dump = await Deno.readTextFile(`${dumps}/${task}.txt`);
        assert.match(dump, /^P2P_ISSUE=1$/m, `the task read its node's environment:\n${dump}`);
        assert.doesNotMatch(dump, /^(GITHUB_TOKEN|P2P_SECRET)=/m, `${task}: a credential's name`);
        for (const leg of run.jobs["p2p-execute"]!.legs) {
          assert.ok(!dump.includes(leg.token), `${task} found ${leg.name}'s token`);
        }
      }
    }
    await Deno.remove(dumps, { recursive: true });
    assert.deepEqual(Object.keys(world.state(1).nodes).sort(), nodeIds(run, 3));
    const id = (event.payload.comment as { id: number }).id;
    assert.deepEqual(world.commentReactions(id), [`${BOT.login}:rocket`]);
    assert.deepEqual(world.issueReactions(1), []);
  },
});

Deno.test({
  name: "a collaborator dispatches the workflow with issue and instances: that many nodes; with " +
    "P2P_DEV_PAGES the dashboard, metrics.json and comments.json go to GitHub Pages from " +
    "publish-pages, in the github-pages environment",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using world = await WorkflowWorld.start(await releaseBinary(), {
      vars: { P2P_DEV_PAGES: "true" },
    });
    const run = world.runner.deliver(
      await world.dispatched(MAINTAINER, { issue: "1", instances: "2" }),
    )!;
    assert.equal(run.group, "p2p-dev-issue-1");
    await run.done;
    assertSwarmRun(run, 1, 2, { status: "finished", done: ISSUE_TASKS.length, pages: true });
    assertIssueDone(world, 1);
    assert.deepEqual(world.issueReactions(1), [`${BOT.login}:rocket`]);

    assert.deepEqual(world.deployments, [{
      run: `run-${run.id}`,
      environment: "github-pages",
      files: ["comments.json", "index.html", "metrics.json", "summary.md"],
    }]);
    const page = await Deno.readTextFile(`${world.pagesDir}/index.html`);
    assert.match(page, /<title>[^<]*p2p-dev/);
    const metrics = JSON.parse(await Deno.readTextFile(`${world.pagesDir}/metrics.json`));
    assert.equal(metrics.totals.done, ISSUE_TASKS.length);
    const comments = JSON.parse(await Deno.readTextFile(`${world.pagesDir}/comments.json`));
    assert.deepEqual(
      comments.map((c: { id: number }) => c.id),
      world.comments(1).filter((c) => !/p2p-dev summary/.test(c.body)).map((c) => c.id),
      "the log the page folds: every comment before the summary",
    );
  },
});

Deno.test({
  name: "a second request while a swarm runs waits, never cancels it, then resumes it: the " +
    "second run does what is left, no second plan, one summary updated in place; a stranger's " +
    "command meanwhile displaces nothing",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    // Each node stops after one task, so the first swarm (2 nodes) leaves one of three tasks.
    await using world = await WorkflowWorld.start(await releaseBinary(), {
      vars: { P2P_DEV_ARGS: [...FAST_TIMING, "--max-tasks", "1"].join(" ") },
    });
    const first = world.runner.deliver(await world.commented(MAINTAINER, 1, "/p2p-dev 2"))!;
    const started = Date.now();
    while (!world.state(1).plan) {
      assert.equal(first.state, "in_progress", first.describe());
      assert.ok(Date.now() - started < 90_000, `no plan yet:\n${first.describe()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const second = world.runner.deliver(await world.commented(MAINTAINER, 1, "/p2p-dev 2"))!;
    assert.equal(second.group, first.group);
    assert.equal(second.state, "pending", "the second request waits for the running swarm");

    const stranger = world.runner.deliver(await world.commented(STRANGER, 1, "/p2p-dev 9"))!;
    assert.equal(
      stranger.group,
      `p2p-dev-run-${stranger.id}`,
      "a stranger gets a group of its own",
    );
    await stranger.done;
    assert.equal(stranger.jobs["check-trigger"]!.outputs.run, "false", stranger.describe());
    assert.equal(second.state, "pending", "the stranger's comment did not displace it");

    await first.done;
    assertSwarmRun(first, 1, 2, { status: "running", done: 2 });
    const summary = world.comments(1).find((c) => /p2p-dev summary/.test(c.body))!;
    await second.done;
    assertSwarmRun(second, 1, 2);
    assertIssueDone(world, 1);
    const after = world.comments(1).find((c) => /p2p-dev summary/.test(c.body))!;
    assert.equal(after.id, summary.id, "the summary comment is updated in place");
    const state = world.state(1);
    const secondNodes = new Set(nodeIds(second, 2));
    assert.equal(
      Object.values(state.tasks).filter((t) => secondNodes.has(t.done!.node)).length,
      1,
      "the second run did the task the first left",
    );
    assert.ok(!state.terms.some((t) => secondNodes.has(t.node)), "nobody campaigned again");
  },
});
