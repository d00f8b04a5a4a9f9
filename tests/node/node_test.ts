import assert from "node:assert/strict";
import type { RunningEmulator } from "../../src/emulator/mod.ts";
import { exitCodeOf } from "../../src/cli/run.ts";
import { admit } from "../../src/protocol/admission.ts";
import { decodeBody } from "../../src/protocol/codec.ts";
import { fold } from "../../src/protocol/fold.ts";
import type { LogComment, PlanTask, ProtocolEvent } from "../../src/protocol/types.ts";
import {
  BOT,
  BOT_POLICY,
  BOT_TOKENS,
  client,
  fixedPlanner,
  issueComments,
  LaggingGitHub,
  listRequests,
  type NodeHandle,
  OWNER,
  planWithDeps,
  postMessage,
  recordingExecutor,
  REPO,
  startNode,
  startWorld,
  stopAll,
  waitFor,
} from "./_harness.ts";

/** Every comment on the issue as the fold sees it (from the emulator, no lag). */
function logOf(emulator: RunningEmulator, issue = 1): LogComment[] {
  return issueComments(emulator, issue).map((c) => ({
    id: c.id,
    body: c.body,
    author: c.author,
    authorType: c.author.endsWith("[bot]") ? "Bot" : "User",
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
  }));
}

/** The protocol events on the issue, with the node that wrote each. */
function eventsOf(emulator: RunningEmulator, issue = 1): { node: string; event: ProtocolEvent }[] {
  const out: { node: string; event: ProtocolEvent }[] = [];
  for (const c of issueComments(emulator, issue)) {
    const d = decodeBody(c.body);
    if (d.kind !== "message") continue;
    for (const event of d.message.events) out.push({ node: d.message.node, event });
  }
  return out;
}

function countEvents(
  emulator: RunningEmulator,
  match: (e: { node: string; event: ProtocolEvent }) => boolean,
): number {
  return eventsOf(emulator).filter(match).length;
}

const policy = BOT_POLICY;

function runsOf(runs: { task: string }[], task: string): number {
  return runs.filter((r) => r.task === task).length;
}

/** Election and plan written by a node `L` that then goes quiet (it could be a finished leader). */
async function publishPlan(
  emulator: RunningEmulator,
  tasks: PlanTask[],
  settings = { leaseMs: 6_000, maxAttempts: 3, backoffMs: 300 },
  issue = 1,
): Promise<LogComment[]> {
  const { github } = client(emulator, BOT_TOKENS[11]!);
  const election = await postMessage(github, "L", [
    { type: "election", term: 1, timeoutMs: 60_000 },
  ], issue);
  const plan = await postMessage(github, "L", [{
    type: "plan",
    term: 1,
    token: election.id,
    version: 1,
    part: 1,
    parts: 1,
    planner: "fixed",
    settings,
    tasks,
  }], issue);
  return [election, plan];
}

const ONE_TASK: PlanTask[] = [{ id: "T1", title: "Only task", priority: "high", deps: [] }];

Deno.test("three nodes finish an 8-task plan with dependencies: one leader, each task done once, ≤ 3 writes per task", async () => {
  const emulator = await startWorld();
  const executor = recordingExecutor({ delayMs: 80 });
  const planner = fixedPlanner(planWithDeps(8));
  const nodes = [1, 2, 3].map((i) =>
    startNode(emulator, { node: `n${i}`, token: BOT_TOKENS[i - 1]!, executor, planner })
  );
  try {
    const reports = await Promise.all(nodes.map((n) => n.done));

    assert.deepEqual(reports.map((r) => r.reason), ["finished", "finished", "finished"]);
    const leaders = reports.filter((r) => r.terms.length > 0);
    assert.equal(leaders.length, 1, "exactly one node won the election");
    assert.equal(planner.calls, 1, "only the leader planned");
    const state = fold(logOf(emulator), policy);
    assert.equal(state.terms.length, 1);
    assert.equal(state.terms[0]!.node, leaders[0]!.node);
    for (const id of state.order) {
      const task = state.tasks[id]!;
      assert.equal(task.status, "done", `${id} is done`);
      assert.equal(task.attempts.length, 1, `${id} was claimed once`);
      assert.equal(runsOf(executor.runs, id), 1, `${id} ran once`);
      // Dependencies: the claim came after every dependency's completion.
      for (const dep of task.def.deps) {
        assert.ok(
          task.attempts[0]!.claimId >= state.tasks[dep]!.done!.commentId,
          `${id} after ${dep}`,
        );
      }
    }
    assert.equal(state.duplicateResults, 0);
    assert.equal(state.ignored.duplicate_result, undefined);
    const completed = reports.flatMap((r) => r.completed).sort();
    assert.deepEqual(completed, [...state.order].sort());
    for (const r of reports) {
      assert.deepEqual(r.state, state, `${r.node} ends with the log's state`);
    }

    // Writes: the emulator's exact count for the one identity of the swarm.
    const counts = emulator.control.countsFor(BOT);
    const writes = reports.reduce((n, r) => n + r.writes, 0);
    assert.equal(counts.writes, writes, "emulator and nodes agree on writes");
    assert.equal(counts.writes, issueComments(emulator).length);
    assert.ok(counts.writes <= 3 * state.order.length, `${counts.writes} writes for 8 tasks`);
    // Where they go: one election (carrying the announcement) per node that
    // campaigned, one plan part (carrying the leader's first claim), and at
    // most two comments per task, fewer
    // when a completion and the next claim share one.
    const kinds = issueComments(emulator).map((c) => {
      const d = decodeBody(c.body);
      return d.kind === "message" ? d.message.events.map((e) => e.type).join("+") : "foreign";
    });
    const elections = kinds.filter((k) => k === "announce+election").length;
    const plans = kinds.filter((k) => k === "plan" || k === "plan+claim").length;
    const taskComments = kinds.filter((k) => /^(claim|progress)(\+claim)?$/.test(k)).length;
    assert.ok(elections >= 1 && elections <= 3);
    assert.equal(plans, 1);
    // The leader posts its own first claim with the plan.
    assert.ok(kinds.includes("plan+claim"), kinds.join(", "));
    assert.equal(elections + plans + taskComments, counts.writes, kinds.join(", "));
    assert.ok(taskComments <= 2 * state.order.length);
    assert.ok(kinds.includes("progress+claim"), "a completion and the next claim share a write");
    // Every request each adapter made reached the emulator, and nothing else did.
    assert.equal(counts.requests, reports.reduce((n, r) => n + r.api.requests, 0));
    assert.equal(counts.rateLimited, 0);
  } finally {
    await stopAll(nodes);
    await emulator.close();
  }
});

Deno.test("a node that joins after the plan is in force never campaigns and learns the state from the log", async () => {
  const emulator = await startWorld();
  const executor = recordingExecutor({ delayMs: 250 });
  const planner = fixedPlanner(planWithDeps(8));
  const nodes: NodeHandle[] = [1, 2].map((i) =>
    startNode(emulator, { node: `n${i}`, token: BOT_TOKENS[i - 1]!, executor, planner })
  );
  try {
    await waitFor("the plan", () => nodes.some((n) => n.events.some((e) => e.type === "planned")));
    const late = startNode(emulator, { node: "late", token: BOT_TOKENS[5]!, executor, planner });
    nodes.push(late);
    const reports = await Promise.all(nodes.map((n) => n.done));
    const lateReport = reports[2]!;

    assert.equal(lateReport.reason, "finished");
    assert.equal(late.events.filter((e) => e.type === "campaign").length, 0);
    assert.equal(
      countEvents(emulator, (e) => e.node === "late" && e.event.type === "election"),
      0,
      "no election comment from the late node",
    );
    assert.deepEqual(lateReport.terms, []);
    assert.ok(late.events.some((e) => e.type === "plan_seen" && e.tasks === 8));
    const state = fold(logOf(emulator), policy);
    assert.deepEqual(lateReport.state, state);
    assert.equal(state.terms.length, 1);
    for (const id of state.order) assert.equal(state.tasks[id]!.attempts.length, 1);
    assert.equal(planner.calls, 1);
  } finally {
    await stopAll(nodes);
    await emulator.close();
  }
});

Deno.test("a second run on a finished issue stops at once as finished, without a write, claim or election", async () => {
  const emulator = await startWorld();
  const executor = recordingExecutor({ delayMs: 30 });
  const planner = fixedPlanner(planWithDeps(4));
  const first = [1, 2].map((i) =>
    startNode(emulator, { node: `n${i}`, token: BOT_TOKENS[i - 1]!, executor, planner })
  );
  const second: NodeHandle[] = [];
  try {
    await Promise.all(first.map((n) => n.done));
    const writes = emulator.control.countsFor(BOT).writes;
    const comments = issueComments(emulator).length;
    const runs = executor.runs.length;

    // A second trigger: new jobs (new node ids), and one reusing an old id.
    for (const [i, node] of ["run2-1", "run2-2", "n1"].entries()) {
      second.push(startNode(emulator, { node, token: BOT_TOKENS[4 + i]!, executor, planner }));
    }
    const reports = await Promise.all(second.map((n) => n.done));

    for (const r of reports) {
      assert.equal(r.reason, "finished");
      assert.equal(r.writes, 0);
      assert.equal(r.reads, 1, "one read of the log is enough");
      assert.equal(exitCodeOf(r), 0);
    }
    assert.equal(emulator.control.countsFor(BOT).writes, writes);
    assert.equal(issueComments(emulator).length, comments);
    assert.equal(executor.runs.length, runs);
    assert.equal(planner.calls, 1);
    for (const n of second) {
      assert.ok(!n.events.some((e) => e.type === "campaign" || e.type === "claim"));
    }
  } finally {
    await stopAll([...first, ...second]);
    await emulator.close();
  }
});

Deno.test("a failing task is retried up to maxAttempts after a growing backoff, then failed for good (exit code 1)", async () => {
  const emulator = await startWorld();
  const executor = recordingExecutor({
    delayMs: 30,
    decide: (task) =>
      task.id === "T1" ? { ok: false, result: { summary: "tests fail", exitCode: 1 } } : undefined,
  });
  const planner = fixedPlanner([
    { id: "T1", title: "Flaky", priority: "high", deps: [] },
    { id: "T2", title: "Fine", priority: "low", deps: [] },
  ]);
  const config = { maxAttempts: 3, backoffMs: 500 };
  const nodes = [1, 2].map((i) =>
    startNode(emulator, { node: `n${i}`, token: BOT_TOKENS[i - 1]!, executor, planner, config })
  );
  try {
    const reports = await Promise.all(nodes.map((n) => n.done));
    const state = fold(logOf(emulator), policy);
    const t1 = state.tasks.T1!;

    assert.equal(t1.status, "failed");
    assert.equal(t1.failures, 3);
    assert.deepEqual(t1.attempts.map((a) => [a.n, a.end?.kind]), [
      [1, "failed"],
      [2, "failed"],
      [3, "failed"],
    ]);
    // Backoff in server time: attempt n+1 was claimed no earlier than
    // backoff × 2^(n−1) after attempt n failed.
    for (let n = 1; n < 3; n++) {
      const ended = t1.attempts[n - 1]!.end!.at;
      assert.ok(t1.attempts[n]!.claimedAt >= ended + 500 * 2 ** (n - 1), `backoff before ${n + 1}`);
    }
    assert.equal(runsOf(executor.runs, "T1"), 3);
    assert.equal(state.tasks.T2!.status, "done");
    assert.deepEqual(reports.flatMap((r) => r.failed), ["T1", "T1", "T1"]);
    for (const r of reports) {
      assert.equal(r.reason, "finished");
      assert.equal(r.state.tasks.T1!.status, "failed");
      assert.equal(exitCodeOf(r), 1);
    }
  } finally {
    await stopAll(nodes);
    await emulator.close();
  }
});

Deno.test("--retry-failed reopens a task that failed for good and a node completes it", async () => {
  const emulator = await startWorld();
  const broken = { T3: true };
  const executor = recordingExecutor({
    delayMs: 30,
    decide: (task) =>
      task.id === "T3" && broken.T3 ? { ok: false, result: { summary: "broken" } } : undefined,
  });
  const planner = fixedPlanner(planWithDeps(4)); // T3 depends on T1; nothing depends on T3
  const config = { maxAttempts: 2, backoffMs: 100 };
  const first = [1, 2].map((i) =>
    startNode(emulator, { node: `n${i}`, token: BOT_TOKENS[i - 1]!, executor, planner, config })
  );
  const nodes = [...first];
  try {
    const reports = await Promise.all(first.map((n) => n.done));
    assert.ok(reports.every((r) => exitCodeOf(r) === 1));
    assert.equal(fold(logOf(emulator), policy).tasks.T3!.status, "failed");

    // A second trigger without --retry-failed leaves it failed.
    const plain = startNode(emulator, { node: "r0", token: BOT_TOKENS[3]!, executor, planner });
    nodes.push(plain);
    assert.equal((await plain.done).reason, "finished");
    assert.equal(countEvents(emulator, (e) => e.event.type === "retry"), 0);

    broken.T3 = false;
    const retry = startNode(emulator, {
      node: "r1",
      token: BOT_TOKENS[4]!,
      executor,
      planner,
      config: { ...config, retryFailed: true },
    });
    nodes.push(retry);
    const report = await retry.done;

    assert.equal(report.reason, "finished");
    assert.deepEqual(report.completed, ["T3"]);
    assert.equal(exitCodeOf(report), 0);
    const retries = eventsOf(emulator).filter((e) => e.event.type === "retry");
    assert.deepEqual(retries.map((e) => [e.node, e.event]), [["r1", {
      type: "retry",
      tasks: ["T3"],
    }]]);
    const t3 = fold(logOf(emulator), policy).tasks.T3!;
    assert.equal(t3.status, "done");
    assert.deepEqual(t3.attempts.map((a) => a.end?.kind), ["failed", "failed", "completed"]);
    assert.equal(t3.done!.node, "r1");
    assert.equal(runsOf(executor.runs, "T1"), 1, "done tasks are not redone");
  } finally {
    await stopAll(nodes);
    await emulator.close();
  }
});

Deno.test("an aborted node releases its claim and another node takes the next attempt without waiting for the lease", async () => {
  const emulator = await startWorld();
  const executor = recordingExecutor({
    delayMs: 30,
    // Node a's run never ends by itself: only the abort stops it.
    hold: (_task, ctx) => ctx.node === "a" ? new Promise<void>(() => {}) : undefined,
  });
  const planner = fixedPlanner(ONE_TASK);
  const a = startNode(emulator, { node: "a", token: BOT_TOKENS[0]!, executor, planner });
  const nodes = [a];
  try {
    await waitFor("a to run T1", () => a.events.some((e) => e.type === "exec_start"));
    const b = startNode(emulator, { node: "b", token: BOT_TOKENS[1]!, executor, planner });
    nodes.push(b);
    await waitFor("b to see the plan", () => b.events.some((e) => e.type === "plan_seen"));

    a.controller.abort(new Error("job cancelled"));
    const [ra, rb] = await Promise.all([a.done, b.done]);

    assert.equal(ra.reason, "interrupted");
    assert.equal(exitCodeOf(ra), 130);
    const runA = executor.runs.find((r) => r.node === "a")!;
    assert.ok(runA.signal.aborted && runA.aborted, "a's executor was stopped");
    assert.equal(rb.reason, "finished");
    assert.deepEqual(rb.completed, ["T1"]);
    const t1 = fold(logOf(emulator), policy).tasks.T1!;
    assert.deepEqual(t1.attempts.map((x) => [x.n, x.node, x.end?.kind]), [
      [1, "a", "released"],
      [2, "b", "completed"],
    ]);
    assert.equal(t1.failures, 0, "a release is not a failure");
    const released = t1.attempts[0]!.end!.at;
    assert.ok(t1.attempts[1]!.claimedAt - released < 6_000, "claimed before the lease would lapse");
    assert.ok(a.events.some((e) => e.type === "release" && e.task === "T1"));
  } finally {
    await stopAll(nodes);
    await emulator.close();
  }
});

Deno.test("a node whose claim loses to an earlier claim seen late stops its executor", async () => {
  const emulator = await startWorld();
  await publishPlan(emulator, ONE_TASK);
  const tester = client(emulator, BOT_TOKENS[10]!).github;
  // Another node's claim lands first but stays out of a's list reads (list lag).
  const ghost = await postMessage(tester, "ghost", [{ type: "claim", task: "T1", attempt: 1 }]);
  const lag = { github: undefined as LaggingGitHub | undefined };
  const executor = recordingExecutor({ hold: () => new Promise<void>(() => {}) });
  const a = startNode(emulator, {
    node: "a",
    token: BOT_TOKENS[0]!,
    executor,
    planner: fixedPlanner(ONE_TASK),
    wrap: (github) => {
      lag.github = new LaggingGitHub(github);
      lag.github.hide = (c) => c.id === ghost.id;
      return lag.github.port();
    },
  });
  try {
    await waitFor("a to run T1", () => a.events.some((e) => e.type === "exec_start"));
    const run = executor.runs[0]!;
    assert.equal(run.signal.aborted, false);

    lag.github!.reveal();
    await waitFor("a to notice", () => a.events.some((e) => e.type === "lost_ownership"));
    assert.ok(run.signal.aborted, "the executor's signal fired");
    await waitFor("the executor to stop", () => run.aborted === true);

    // The ghost finishes the task; a then has nothing left to do.
    await postMessage(tester, "ghost", [{
      type: "progress",
      task: "T1",
      attempt: 1,
      status: "completed",
    }]);
    const report = await a.done;
    assert.equal(report.reason, "finished");
    assert.deepEqual(report.completed, []);
    assert.equal(
      countEvents(emulator, (e) => e.node === "a" && e.event.type === "progress"),
      0,
      "a never reported on a task it did not own",
    );
    const t1 = report.state.tasks.T1!;
    assert.equal(t1.done!.node, "ghost");
    assert.equal(t1.attempts.length, 1);
    assert.equal(report.state.ignored.lost_claim, 1);
  } finally {
    await stopAll([a]);
    await emulator.close();
  }
});

Deno.test("a restarted process under the same node id releases the old attempt, and the old process stops its executor", async () => {
  const emulator = await startWorld();
  const executor = recordingExecutor({
    delayMs: 30,
    hold: (_task, ctx) => ctx.attempt === 1 ? new Promise<void>(() => {}) : undefined,
  });
  const planner = fixedPlanner(ONE_TASK);
  const old = startNode(emulator, { node: "n1", token: BOT_TOKENS[0]!, executor, planner });
  const nodes = [old];
  try {
    await waitFor("the first process to run T1", () => executor.runs.length === 1);
    const restarted = startNode(emulator, {
      node: "n1",
      token: BOT_TOKENS[1]!,
      executor,
      planner,
      seed: 99,
    });
    nodes.push(restarted);
    const [oldReport, newReport] = await Promise.all([old.done, restarted.done]);

    const first = executor.runs[0]!;
    assert.ok(first.signal.aborted && first.aborted, "the old executor was stopped");
    assert.ok(old.events.some((e) => e.type === "lost_ownership" && e.attempt === 1));
    assert.deepEqual(oldReport.completed, []);
    assert.deepEqual(newReport.completed, ["T1"]);
    const t1 = fold(logOf(emulator), policy).tasks.T1!;
    assert.deepEqual(t1.attempts.map((x) => [x.n, x.end?.kind]), [[1, "released"], [
      2,
      "completed",
    ]]);
    assert.equal(t1.done!.attempt, 2);
    const releases = eventsOf(emulator).filter((e) => e.event.type === "release");
    assert.deepEqual(releases.map((e) => e.event), [
      { type: "release", task: "T1", attempt: 1, reason: "restarted" },
    ]);
  } finally {
    await stopAll(nodes);
    await emulator.close();
  }
});

Deno.test("strict mode takes a lock ref outside refs/heads for the election and each claim, each at the node's own commit, and deletes them", async () => {
  const emulator = await startWorld();
  const executor = recordingExecutor({ delayMs: 40 });
  const planner = fixedPlanner(planWithDeps(4));
  const nodes = [1, 2, 3].map((i) =>
    startNode(emulator, {
      node: `n${i}`,
      token: BOT_TOKENS[i - 1]!,
      executor,
      planner,
      config: { strict: true },
    })
  );
  try {
    const reports = await Promise.all(nodes.map((n) => n.done));
    assert.ok(reports.every((r) => r.reason === "finished"));
    const log = emulator.control.requestLog();
    const refPath = `/repos/${OWNER}/${REPO}/git/refs`;
    const created = log.filter((e) => e.method === "POST" && e.path === refPath);
    const won = created.filter((e) => e.status === 201);
    const lost = created.filter((e) => e.status === 422);
    assert.equal(won.length, 1 + 4, "one term lock and one lock per task attempt");
    // Octokit sends the ref URL-encoded (`p2p-lock%2Fissue-1%2F...`).
    const deleted = log.filter((e) => e.method === "DELETE")
      .map((e) => ({ ...e, path: decodeURIComponent(e.path) }))
      .filter((e) => e.path.startsWith(`${refPath}/p2p-lock/issue-1/`));
    assert.deepEqual(
      deleted.map((e) => e.path.slice(refPath.length + 1)).sort(),
      [
        "p2p-lock/issue-1/T1/attempt-1",
        "p2p-lock/issue-1/T2/attempt-1",
        "p2p-lock/issue-1/T3/attempt-1",
        "p2p-lock/issue-1/T4/attempt-1",
        "p2p-lock/issue-1/term-1",
      ],
    );
    // No branch was created for a lock, and each node's locks point at a commit of its own.
    const repo = emulator.control.world.repo(OWNER, REPO)!;
    assert.deepEqual(Object.keys(repo.refs).filter((r) => r.startsWith("refs/heads/p2p")), []);
    const targets = repo.commits.filter((c) => c.message.startsWith("p2p-dev lock target:"));
    assert.ok(targets.length >= 1 && targets.length <= 3, `${targets.length} lock commits`);
    assert.equal(new Set(targets.map((c) => c.sha)).size, targets.length);
    assert.ok(deleted.every((e) => e.status === 204 || e.status === 200));
    const refs = Object.keys(emulator.control.world.repo(OWNER, REPO)!.refs);
    assert.deepEqual(refs.filter((r) => r.includes("p2p-lock")), [], "no lock is left behind");
    // The lock decides: one election comment, and no claim comment that lost.
    assert.equal(countEvents(emulator, (e) => e.event.type === "election"), 1);
    const state = fold(logOf(emulator), policy);
    assert.equal(state.ignored.lost_claim, undefined);
    assert.equal(countEvents(emulator, (e) => e.event.type === "claim"), 4);
    assert.equal(lost.length, created.length - won.length, "a lost lock is a 422, nothing else");
    for (const id of state.order) assert.equal(state.tasks[id]!.status, "done");
  } finally {
    await stopAll(nodes);
    await emulator.close();
  }
});

Deno.test("an idle node polls less often when more nodes are announced in the log (actions budget)", async () => {
  const emulator = await startWorld();
  const tasks: PlanTask[] = [{ id: "T1", title: "Held", priority: "high", deps: [] }];
  const settings = { leaseMs: 60_000, maxAttempts: 3, backoffMs: 300 };
  const seeder = client(emulator, BOT_TOKENS[11]!).github;
  // Issue 1: the leader alone holds the only task. Issue 2: the same, plus 12 announced nodes.
  for (const issue of [1, 2]) {
    await publishPlan(emulator, tasks, settings, issue);
    await postMessage(seeder, "L", [{ type: "claim", task: "T1", attempt: 1 }], issue);
  }
  // 24 more nodes announce themselves on issue 2 (four writers, to be quick).
  await Promise.all([7, 8, 9, 10].map(async (t, w) => {
    const { github } = client(emulator, BOT_TOKENS[t]!);
    for (let i = 1; i <= 6; i++) {
      await postMessage(github, `x${w * 6 + i}`, [{ type: "announce", role: "node" }], 2);
    }
  }));
  // Every node announces itself at start, so `few` counts 2 nodes and `many`
  // 26. A budget where 2 nodes may poll every 600 ms and 26 every 7,800 ms
  // (held at the 5,000 ms ceiling).
  const requestsPerHour = 15_000;
  const config = { tokenKind: "actions" as const, requestsPerHour, pollMaxMs: 5_000 };
  const executor = recordingExecutor();
  const planner = fixedPlanner(tasks);
  const few = startNode(emulator, {
    node: "few",
    token: BOT_TOKENS[0]!,
    executor,
    planner,
    config: { ...config, issue: 1 },
  });
  const many = startNode(emulator, {
    node: "many",
    token: BOT_TOKENS[1]!,
    executor,
    planner,
    config: { ...config, issue: 2 },
  });
  const lists = (n: NodeHandle) => n.requestLog.count({ method: "GET", path: /\/comments$/ });
  try {
    // Stop by count, not by time: once the lone node has polled 16 times.
    await waitFor("16 polls", () => lists(few) >= 16);
    await stopAll([few, many]);
    const [rf, rm] = await Promise.all([few.done, many.done]);

    assert.equal(Object.keys(rf.state.nodes).length, 2);
    assert.equal(Object.keys(rm.state.nodes).length, 26);
    // What admission control gives each: 2 nodes (L and few) or 26 sharing the budget.
    const decide = (nodes: number) =>
      admit({
        requestsPerHour,
        nodes,
        taskMs: settings.leaseMs,
        leaseMs: settings.leaseMs,
        renewMs: 1_500,
        settleMs: 300,
        pollMinMs: 200,
        pollMaxMs: 5_000,
        strict: false,
        firstHour: true,
        remainingTasks: 1,
        writesLastHour: nodes,
      });
    const [intervalFew, intervalMany] = [decide(2).workerPollMs, decide(26).workerPollMs];
    assert.ok(intervalFew < 1_000, `${intervalFew} ms`);
    assert.ok(intervalMany >= 5_000, `${intervalMany} ms`);
    // While `few` made 16 reads (under a second apart), `many` waited 5 s or
    // more between reads: about one read per 8 of few's, beside its first.
    // A factor 4 leaves room for slow machines.
    // The emulator saw exactly the list requests each adapter logged.
    assert.equal(listRequests(emulator, 1).length, lists(few));
    assert.equal(listRequests(emulator, 2).length, lists(many));
    assert.ok(lists(few) >= 16);
    assert.ok(
      lists(many) * 4 <= lists(few),
      `many polled ${lists(many)} times while few polled ${lists(few)}`,
    );
    assert.ok(rf.writes === 1 && rm.writes === 1, "idle nodes only announce themselves, then read");
  } finally {
    await stopAll([few, many]);
    await emulator.close();
  }
});

// Regression test (a bug found in src/protocol/view.ts isFinished / taskPhase, now fixed): a task whose dependency
// failed for good stays "blocked" forever, and isFinished() requires every
// task to be done or failed, so every node keeps polling until --max-runtime
// (or forever). DESIGN.md invariant 3 ("No task lost: every task ends done or
// failed") cannot hold. tests/sim reports the same as `3:blocked_on_failed`.
Deno.test({
  name: "a swarm whose task failed for good finishes even when other tasks depend on it",
  async fn() {
    const emulator = await startWorld();
    const executor = recordingExecutor({
      delayMs: 20,
      decide: (task) => task.id === "T1" ? { ok: false, result: { summary: "no" } } : undefined,
    });
    const planner = fixedPlanner(planWithDeps(3)); // T2 and T3 depend on T1
    const node = startNode(emulator, {
      node: "n1",
      token: BOT_TOKENS[0]!,
      executor,
      planner,
      config: { maxAttempts: 1, maxRuntimeMs: 5_000 },
    });
    try {
      const report = await node.done;
      assert.equal(report.reason, "finished");
      assert.equal(exitCodeOf(report), 1);
    } finally {
      await stopAll([node]);
      await emulator.close();
    }
  },
});

Deno.test("the elect role stops once a leader exists and publishes no plan; the plan role then publishes it", async () => {
  const emulator = await startWorld();
  const tasks: PlanTask[] = [{ id: "T1", title: "One", priority: "high", deps: [] }];
  try {
    const elect = startNode(emulator, {
      node: "job-1",
      token: BOT_TOKENS[0]!,
      executor: recordingExecutor(),
      planner: fixedPlanner(tasks),
      config: { role: "elect" },
    });
    const elected = await elect.done;
    assert.equal(elected.reason, "elected");
    assert.deepEqual(elected.terms, [1]);
    assert.equal(elected.state.plan, null);
    const plan = startNode(emulator, {
      node: "job-1",
      token: BOT_TOKENS[0]!,
      executor: recordingExecutor(),
      planner: fixedPlanner(tasks),
      config: { role: "plan" },
    });
    const planned = await plan.done;
    assert.equal(planned.reason, "planned");
    assert.equal(planned.state.plan?.term, 1);
    assert.deepEqual(planned.state.order, ["T1"]);
  } finally {
    await emulator.close();
  }
});

Deno.test("a node that finds task messages but no plan (its comment deleted, never restored) stops after an election timeout, saying what happened and what to do (exit 1), instead of waiting forever", async () => {
  const emulator = await startWorld();
  const { github } = client(emulator, BOT_TOKENS[1]!);
  // What is left of a swarm whose plan comment people deleted: its election and a claim.
  await postMessage(github, "gone-1", [{ type: "election", term: 1, timeoutMs: 30_000 }]);
  await postMessage(github, "gone-1", [{ type: "claim", task: "T1", attempt: 1 }]);
  const planner = fixedPlanner(planWithDeps(2));
  const late = startNode(emulator, {
    node: "late-1",
    token: BOT_TOKENS[0]!,
    executor: recordingExecutor(),
    planner,
    config: { electionTimeoutMs: 1_500 },
  });
  try {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const report = await Promise.race([
      late.done,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error("the node still waits after 20 s")), 20_000);
      }),
    ]).finally(() => clearTimeout(timer));
    assert.equal(report.reason, "plan_missing");
    assert.match(report.detail ?? "", /no plan in force: its plan comment was deleted or edited/);
    assert.match(report.detail ?? "", /\/p2p-dev stop/);
    assert.equal(exitCodeOf(report), 1);
    assert.equal(planner.calls, 0, "nobody plans over the task messages");
    // At most its announcement: no election, no plan, no claim.
    const mine = issueComments(emulator).map((c) => decodeBody(c.body))
      .flatMap((d) => d.kind === "message" && d.message.node === "late-1" ? d.message.events : []);
    assert.deepEqual([...new Set(mine.map((e) => e.type))].filter((t) => t !== "announce"), []);
  } finally {
    await stopAll([late]);
    await emulator.close();
  }
});
