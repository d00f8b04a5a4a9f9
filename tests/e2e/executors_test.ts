/**
 * End to end with the other executors and result delivery: the Claude Code
 * executor driven by the fake `claude` (cost and turns travel in the log and
 * reach the aggregate's metrics), and branch / pull-request delivery into a
 * local bare repository that stands in for the repository's git side.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { demoFilePath } from "../../src/executor/demo.ts";
import { taskBranch } from "../../src/executor/delivery.ts";
import type { SwarmState } from "../../src/protocol/state.ts";
import {
  assertDependenciesRespected,
  assertEveryTaskDoneOnce,
  assertExitCodes,
  assertOnePlanInForce,
  cloneFor,
  eventsOf,
  EXAMPLE_TASKS,
  getJson,
  OWNER,
  REPO,
  sh,
  startSwarm,
  type Swarm,
  WRITER,
} from "./_swarm.ts";

const COST = 0.0421;
const TURNS = 3;

Deno.test("the Claude Code executor (fake claude): every completion carries cost and turns, and the aggregate's metrics show the total cost", async () => {
  await using swarm = await startSwarm();
  // A copy with the executable bit set, whatever the checkout did to the fixture's mode.
  const claude = join(swarm.tmp, "bin", "claude");
  await Deno.mkdir(join(swarm.tmp, "bin"));
  await Deno.copyFile(
    new URL("../executor/fixtures/fake-claude", import.meta.url),
    claude,
  );
  await Deno.chmod(claude, 0o755);
  const ids = ["c1", "c2", "c3"];
  for (const id of ids) {
    swarm.spawn({
      id,
      args: [
        "--executor",
        "claude",
        "--claude-path",
        claude,
        "--max-turns",
        "10",
        "--allowed-tools",
        "Bash(npm test:*),Edit",
        "--disallowed-tools",
        "WebFetch",
        "--claude-args",
        "--add-dir '/tmp/a dir'",
        "--max-budget-usd",
        "0.5",
        "--max-cost-usd",
        "100",
        // The fake reads its settings from these: Claude Code gets only allowlisted variables.
        "--pass-env",
        "FAKE_CLAUDE_*",
      ],
      env: {
        FAKE_CLAUDE_TURNS: String(TURNS),
        FAKE_CLAUDE_COST: String(COST),
        FAKE_CLAUDE_ARGS_FILE: join(swarm.tmp, `args-${id}`),
        // Set once for the swarm, as a workflow would.
        P2P_CLAUDE_PERMISSION_MODE: "dontAsk",
        P2P_CLAUDE_APPEND_SYSTEM_PROMPT: "Be brief.",
      },
    });
  }
  const statuses = await swarm.waitAll();
  assertExitCodes(swarm, statuses, Object.fromEntries(ids.map((id) => [id, 0])));

  const { state, comments } = swarm.finalState();
  const policy = swarm.policy();
  assertOnePlanInForce(state);
  assertEveryTaskDoneOnce(state, comments, policy, { strictLog: true });
  assertDependenciesRespected(state, comments, policy, { strictLog: true });
  assert.equal(state.plan!.planner, "markdown", "auto picks the issue's task list");
  for (const n of swarm.nodes) {
    for (const e of n.events("exec_start")) assert.ok(e.task);
  }
  // The completion messages themselves carry the agent's cost and turns.
  const completions = eventsOf(comments).filter((p) =>
    p.event.type === "progress" && p.event.status === "completed"
  );
  assert.equal(completions.length, EXAMPLE_TASKS.length);
  for (const p of completions) {
    assert.ok(p.event.type === "progress");
    assert.equal(p.event.result?.costUsd, COST, `${p.event.task} reports its cost`);
    assert.equal(p.event.result?.turns, TURNS, `${p.event.task} reports its turns`);
    assert.match(p.event.result?.summary ?? "", /Done: wrote FAKE_CLAUDE\.md\./);
  }
  // Every node announced the executor it runs.
  for (const id of Object.keys(state.nodes)) assert.equal(state.nodes[id]!.exec, "claude");
  // The permission settings, from flags and environment, reached claude.
  const worked = new Set(completions.map((p) => p.node));
  for (const id of worked) {
    const args = (await Deno.readTextFile(join(swarm.tmp, `args-${id}`))).split("\0").slice(0, -1);
    assert.deepEqual(args.slice(2), [
      "--output-format",
      "stream-json",
      "--verbose",
      "--max-turns",
      "10",
      "--max-budget-usd",
      "0.5",
      "--permission-mode",
      "dontAsk",
      "--allowedTools",
      "Bash(npm test:*),Edit",
      "--disallowedTools",
      "WebFetch",
      "--append-system-prompt",
      "Be brief.",
      "--add-dir",
      "/tmp/a dir",
    ], `${id}'s claude arguments`);
  }
  assert.equal(state.settings.maxCostUsd, 100, "the swarm's cost cap is published with the plan");

  const out = join(swarm.tmp, "agg");
  const agg = await swarm.cli([
    "aggregate",
    "--issue",
    String(swarm.issue),
    "--out",
    out,
    "--no-comment",
  ]);
  assert.equal(agg.code, 0, agg.stderr);
  const metrics = JSON.parse(await Deno.readTextFile(join(out, "metrics.json")));
  const total = Math.round(COST * EXAMPLE_TASKS.length * 10_000) / 10_000;
  assert.equal(metrics.totals.costUsd, total, "the total cost is the sum of the tasks' costs");
  for (const t of metrics.tasks) {
    assert.equal(t.costUsd, COST);
    assert.equal(t.turns, TURNS);
  }
  const summary = await Deno.readTextFile(join(out, "summary.md"));
  assert.match(summary, /\$0\.0421/);
});

/** The task ids a task depends on, directly or not. */
function ancestors(state: SwarmState, id: string, into = new Set<string>()): Set<string> {
  for (const dep of state.tasks[id]!.def.deps) {
    if (!into.has(dep)) {
      into.add(dep);
      ancestors(state, dep, into);
    }
  }
  return into;
}

async function deliverySwarm(swarm: Swarm, mode: "branch" | "pr"): Promise<SwarmState> {
  const ids = ["d1", "d2", "d3"];
  for (const id of ids) {
    const clone = await cloneFor(swarm, id);
    swarm.spawn({
      id,
      args: ["--executor", "demo", "--deliver", mode, "--repo-dir", clone],
    });
  }
  const statuses = await swarm.waitAll();
  assertExitCodes(swarm, statuses, Object.fromEntries(ids.map((id) => [id, 0])));
  const { state, comments } = swarm.finalState();
  const policy = swarm.policy();
  assertOnePlanInForce(state);
  assertEveryTaskDoneOnce(state, comments, policy, { strictLog: true });
  assertDependenciesRespected(state, comments, policy, { strictLog: true });

  // Each task's branch is in the bare repository and holds its own file and
  // those of everything it depends on (started from, or merged with, them).
  const refs = await sh("git", [
    "--git-dir",
    swarm.bare!,
    "for-each-ref",
    "--format=%(refname:short)",
    `refs/heads/p2p/issue-${swarm.issue}/`,
  ]);
  const branches = refs.split("\n").filter(Boolean).sort();
  assert.deepEqual(
    branches,
    EXAMPLE_TASKS.map((id) => taskBranch(swarm.issue, id)).sort(),
    "one branch per task",
  );
  for (const id of state.order) {
    const branch = taskBranch(swarm.issue, id);
    assert.equal(state.tasks[id]!.done!.result?.branch, branch, `${id}'s result names its branch`);
    const files = await sh("git", [
      "--git-dir",
      swarm.bare!,
      "ls-tree",
      "-r",
      "--name-only",
      branch,
    ]);
    for (const want of [id, ...ancestors(state, id)]) {
      assert.ok(files.split("\n").includes(demoFilePath(want)), `${branch} holds ${want}'s file`);
    }
  }
  return state;
}

Deno.test("--deliver branch with the demo executor: each task's work is pushed on p2p/issue-N/<id> in the bare repository, on top of its dependencies", async () => {
  await using swarm = await startSwarm({ git: true });
  const state = await deliverySwarm(swarm, "branch");
  for (const id of state.order) assert.equal(state.tasks[id]!.done!.result?.pr, undefined);
  const pulls = await getJson(swarm, WRITER.token, `/repos/${OWNER}/${REPO}/pulls?state=all`);
  assert.deepEqual(pulls, [], "branch delivery opens no pull request");
});

Deno.test("--deliver pr with the demo executor: branches are pushed and the emulator has one draft pull request per task referencing the issue", async () => {
  await using swarm = await startSwarm({ git: true });
  const state = await deliverySwarm(swarm, "pr");
  const pulls = await getJson(
    swarm,
    WRITER.token,
    `/repos/${OWNER}/${REPO}/pulls?state=all&per_page=100`,
  ) as {
    draft: boolean;
    body: string;
    html_url: string;
    head: { ref: string };
    base: { ref: string };
  }[];
  assert.equal(pulls.length, EXAMPLE_TASKS.length, "one pull request per task");
  const byHead = new Map(pulls.map((p) => [p.head.ref, p]));
  for (const id of state.order) {
    const branch = taskBranch(swarm.issue, id);
    const pr = byHead.get(branch);
    assert.ok(pr, `a pull request from ${branch}`);
    assert.equal(pr.draft, true, `${branch}'s pull request is a draft`);
    assert.equal(pr.base.ref, "main");
    assert.match(pr.body, new RegExp(`Part of #${swarm.issue}\\b`), "it references the issue");
    assert.equal(state.tasks[id]!.done!.result?.pr, pr.html_url, `${id}'s result links its PR`);
  }
});
