/**
 * End to end: five real `p2p-dev run` processes on one issue, the emulator
 * in this process. The checks are made on the final log (folded with the
 * protocol's fold and trust policy) and on exit codes, never on durations.
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
  BOT,
  EXAMPLE_TASKS,
  jsonDiff,
  OWNER,
  RECORD_PID,
  REPO,
  startSwarm,
} from "./_swarm.ts";
import { SUMMARY_MARKER } from "../../src/node/metrics.ts";

const LOCKS = "refs/p2p-lock/";

/** A small task command: reports progress, writes a file, says what it did. */
const WORK = `${RECORD_PID}; echo "P2P_PROGRESS 50 halfway"; sleep 0.2; ` +
  `printf '%s by %s\\n' "$P2P_TASK_ID" "$P2P_NODE_ID" > result.txt; echo "wrote result.txt for $P2P_TASK_ID"`;

Deno.test("five nodes on one issue: one leader, every task done exactly once after its dependencies, all exit 0; aggregate is byte-identical on re-run and keeps one summary comment", async (t) => {
  await using swarm = await startSwarm();
  const ids = ["n1", "n2", "n3", "n4", "n5"];
  for (const id of ids) swarm.spawn({ id, args: ["--exec", WORK, "--planner", "markdown"] });
  const statuses = await swarm.waitAll();

  await t.step("the swarm: one leader, each task done once after its dependencies, exit 0", () => {
    assertExitCodes(swarm, statuses, Object.fromEntries(ids.map((id) => [id, 0])));
    const { state, comments } = swarm.finalState();
    const policy = swarm.policy();
    assertOnePlanInForce(state);
    assertEveryTaskDoneOnce(state, comments, policy, { strictLog: true });
    assertDependenciesRespected(state, comments, policy, { strictLog: true });

    // Exactly one process believed it led, and it published the plan in force.
    const elected = swarm.nodes.filter((n) => n.events("elected").length > 0);
    assert.deepEqual(elected.map((n) => n.id), [state.terms[0]!.node], "one node was elected");
    assert.equal(elected[0]!.events("planned").length, 1);
    // Each node reported the tasks it completed; together, each task once.
    const completed = swarm.nodes.flatMap((n) =>
      n.events("exec_end").filter((e) => e.ok === true).map((e) => e.task!)
    );
    assert.deepEqual(completed.sort(), [...EXAMPLE_TASKS].sort());
    // The command's work is visible: its output reached the result summary.
    for (const id of state.order) {
      assert.match(
        state.tasks[id]!.done!.result?.summary ?? "",
        new RegExp(`wrote result.txt for ${id}`),
      );
    }

    const counts = swarm.emulator.control.countsFor(BOT.login);
    const tasks = state.order.length;
    // deno-lint-ignore no-console
    console.log(
      `e2e figures (5 nodes, ${tasks} tasks): ${counts.requests} requests ` +
        `(${(counts.requests / tasks).toFixed(1)}/task, ${counts.notModified} answered 304), ` +
        `${counts.writes} writes (${(counts.writes / tasks).toFixed(2)}/task), ` +
        `${comments.length} comments (${(comments.length / tasks).toFixed(2)}/task), ` +
        `${state.ignored.lost_claim ?? 0} lost claims, ${
          state.ignored.lost_election ?? 0
        } lost elections`,
    );
  });

  await t.step("aggregate twice: byte-identical metrics.json, one summary comment", async () => {
    const out1 = join(swarm.tmp, "agg1");
    const out2 = join(swarm.tmp, "agg2");
    const issue = String(swarm.issue);
    const first = await swarm.cli(["aggregate", "--issue", issue, "--out", out1]);
    assert.equal(first.code, 0, first.stderr);
    const afterFirst = swarm.comments();
    const summaries1 = afterFirst.filter((c) => c.body.startsWith(SUMMARY_MARKER));
    assert.equal(summaries1.length, 1, "the first aggregate posts one summary comment");
    const second = await swarm.cli(["aggregate", "--issue", issue, "--out", out2]);
    assert.equal(second.code, 0, second.stderr);
    const afterSecond = swarm.comments();
    assert.equal(afterSecond.length, afterFirst.length, "the second aggregate adds no comment");
    const summaries2 = afterSecond.filter((c) => c.body.startsWith(SUMMARY_MARKER));
    assert.deepEqual(summaries2.map((c) => c.id), summaries1.map((c) => c.id), "same comment");
    const summary2 = await Deno.readTextFile(join(out2, "summary.md"));
    assert.equal(
      summaries2[0]!.body.replace(/<!-- p2p-dev:nonce [0-9a-f]+ -->\n?$/, ""),
      summary2,
      "the summary comment shows the latest summary (edited in place)",
    );

    const m1 = await Deno.readTextFile(join(out1, "metrics.json"));
    const m2 = await Deno.readTextFile(join(out2, "metrics.json"));
    const metrics = JSON.parse(m1);
    assert.equal(metrics.status, "finished");
    assert.equal(metrics.totals.done, EXAMPLE_TASKS.length);
    assert.equal(metrics.totals.duplicateResults, 0);
    const diff = jsonDiff(metrics, JSON.parse(m2));
    assert.ok(
      m1 === m2,
      "metrics.json differs between two aggregate runs over the same swarm log " +
        "(DESIGN.md invariant 5: aggregate output is byte-identical on re-runs):\n  " +
        diff.join("\n  ") +
        "\nLikely cause (src/node/aggregate.ts; it was the cause before commit 1de8bef): the " +
        "second run folds the summary comment the first run posted (by the token's own login), " +
        "so it counts as a comment, a foreign comment and a write of the bot, and its " +
        "created_at becomes asOf. The aggregator must leave its own summary out of the log.",
    );
  });
});

Deno.test("--strict: same outcome as the default mode; the nodes took git-ref locks under refs/p2p-lock/ (no branch) and none remains at the end", async () => {
  await using swarm = await startSwarm();
  const repo = swarm.emulator.control.world.repo(OWNER, REPO)!;
  // The emulator runs in this process: sample its refs while the swarm runs.
  const seen = new Set<string>();
  const sampler = setInterval(() => {
    for (const ref of Object.keys(repo.refs)) if (ref.startsWith(LOCKS)) seen.add(ref);
  }, 10);
  try {
    const ids = ["x1", "x2", "x3", "x4", "x5"];
    for (const id of ids) {
      swarm.spawn({ id, args: ["--strict", "--exec", WORK, "--planner", "markdown"] });
    }
    const statuses = await swarm.waitAll();
    assertExitCodes(swarm, statuses, Object.fromEntries(ids.map((id) => [id, 0])));
  } finally {
    clearInterval(sampler);
  }

  const { state, comments } = swarm.finalState();
  const policy = swarm.policy();
  assertOnePlanInForce(state);
  assertEveryTaskDoneOnce(state, comments, policy, { strictLog: true });
  assertDependenciesRespected(state, comments, policy, { strictLog: true });
  const elected = swarm.nodes.filter((n) => n.events("elected").length > 0);
  assert.deepEqual(elected.map((n) => n.id), [state.terms[0]!.node], "one node was elected");
  // With the atomic lock no claim is lost in the log: the lock decided first.
  assert.equal(state.ignored.lost_claim ?? 0, 0, "no lost claim in the log");
  assert.equal(state.ignored.lost_election ?? 0, 0, "no lost election in the log");
  for (const id of state.order) assert.equal(state.tasks[id]!.attempts.length, 1);

  // What the emulator saw: lock refs created (201) and deleted (204), none left.
  const log = swarm.emulator.control.requestLog();
  const created = log.filter((e) =>
    e.method === "POST" && e.path === `/repos/${OWNER}/${REPO}/git/refs` && e.status === 201
  );
  const deleted = log.filter((e) =>
    e.method === "DELETE" && decodeURIComponent(e.path).startsWith(
      `/repos/${OWNER}/${REPO}/git/refs/p2p-lock/issue-${swarm.issue}/`,
    ) && e.status === 204
  );
  const pattern = new RegExp(
    `^${LOCKS}issue-${swarm.issue}/(term-1|(${EXAMPLE_TASKS.join("|")})/attempt-1)$`,
  );
  for (const ref of seen) assert.match(ref, pattern);
  assert.ok(seen.has(`${LOCKS}issue-${swarm.issue}/term-1`), "the election took the term lock");
  assert.ok(
    [...seen].filter((r) => r.includes("/attempt-")).length > 0,
    `claim locks were seen: ${[...seen].join(", ")}`,
  );
  // At least the term lock and one lock per task; every lock created was deleted.
  assert.ok(created.length >= 1 + EXAMPLE_TASKS.length, `lock refs created: ${created.length}`);
  assert.equal(
    deleted.length,
    created.length,
    `every lock ref created was deleted (seen: ${[...seen].join(", ")})`,
  );
  const left = Object.keys(repo.refs).filter((r) => r.startsWith(LOCKS));
  assert.deepEqual(left, [], "no lock ref remains");
  const branches = Object.keys(repo.refs).filter((r) => r.startsWith("refs/heads/p2p-lock"));
  assert.deepEqual(branches, [], "no lock was ever a branch");
});
