/**
 * End to end with the real Claude Code CLI: a pinned `@anthropic-ai/claude-code`
 * from npm (cached, see `_claude_cli.ts`) is both planner and executor of a
 * 3-task swarm on the emulator, against a fake Messages API that plays the
 * model (`_fake_messages_api.ts`): the planner's structured output is the
 * plan; one task writes a file, one runs a shell check the default
 * permissions allow, one runs a command a deny rule refuses. The test checks
 * what `state`, the summary and `metrics.json` say.
 *
 * Skipped, with the reason printed, only when npm or its registry cannot be
 * reached.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { claudeTestEnv, ensureClaudeCli } from "./_claude_cli.ts";
import { startFakeMessagesApi } from "./_fake_messages_api.ts";
import { assertExitCodes, startSwarm } from "./_swarm.ts";

const cli = await ensureClaudeCli();
if ("skip" in cli) {
  // deno-lint-ignore no-console
  console.error(`SKIPPED tests/e2e/claude_cli_test.ts: ${cli.skip}`);
}

const ISSUE_BODY = "SCENARIO:plan Greet the world: write a greeting, run the checks, publish.";

const PLAN = {
  tasks: [
    {
      id: "T1",
      title: "Write the greeting",
      body: "SCENARIO:write FILE<<greeting.txt>> Write greeting.txt.",
      priority: "high",
      deps: [],
    },
    {
      id: "T2",
      title: "Run the checks",
      body: "SCENARIO:bash CMD<<echo checks passed > check-result.txt>> Run the checks.",
      priority: "medium",
      deps: [],
    },
    {
      id: "T3",
      title: "Publish",
      body: "SCENARIO:bash CMD<<git push origin HEAD>> Push the branch.",
      priority: "low",
      deps: [],
    },
  ],
};

/** What the pinned CLI computes for one scripted answer (1,000 tokens in, 50 out). */
const USD_PER_REQUEST = 0.005;

Deno.test({
  name:
    "real claude plans and runs a 3-task swarm: a file is written, an allowed check runs, a denied command fails its task at once (not retried: it would be denied again), and state, the summary and metrics.json say so",
  ignore: "skip" in cli,
  async fn() {
    const claude = "path" in cli ? cli.path : "";
    await using api = await startFakeMessagesApi({ plan: PLAN });
    await using swarm = await startSwarm({ issueBody: ISSUE_BODY, deadlineMs: 120_000 });
    const env = claudeTestEnv(api.url, join(swarm.tmp, "claude-config"));
    const ids = ["a", "b"];
    for (const id of ids) {
      swarm.spawn({
        id,
        args: [
          "--executor",
          "claude",
          "--planner",
          "claude",
          "--claude-path",
          claude,
          "--max-turns",
          "6",
          "--max-attempts",
          "2",
          "--disallowed-tools",
          "Bash(git push:*)",
          "--max-budget-usd",
          "1",
          "--max-cost-usd",
          "10",
        ],
        env,
      });
    }
    const statuses = await swarm.waitAll();
    // T3 failed for good: the nodes that saw it say so with exit code 1.
    assertExitCodes(swarm, statuses, { a: 1, b: 1 });

    const { state } = swarm.finalState();
    assert.equal(state.plan?.planner, "claude");
    assert.deepEqual(state.order, ["T1", "T2", "T3"], "the plan is the structured output");
    assert.deepEqual(state.order.map((id) => state.tasks[id]!.status), ["done", "done", "failed"]);
    const t3 = state.tasks.T3!;
    assert.equal(t3.attempts.length, 1, "a denial is not retried, although --max-attempts is 2");
    for (const a of t3.attempts) {
      assert.equal(a.end?.kind, "failed");
      assert.equal(a.result?.failure, "permission_denied");
      assert.equal(a.result?.retryable, false);
      assert.deepEqual(a.result?.denied, ["Bash(git push origin HEAD)"]);
      assert.equal(a.result?.costUsd, 2 * USD_PER_REQUEST);
      assert.equal(a.result?.turns, 2);
      assert.match(a.result?.summary ?? "", /^Claude Code was denied 1 tool call the task needed/);
      assert.match(a.result?.summary ?? "", /is not retried: every node would be denied the same/);
    }
    for (const id of ["T1", "T2"]) {
      const result = state.tasks[id]!.done!.result!;
      assert.equal(result.costUsd, 2 * USD_PER_REQUEST, `${id}'s cost`);
      assert.equal(result.turns, 2, `${id}'s turns`);
      assert.equal(result.denied, undefined, `${id} was denied nothing`);
    }
    assert.equal(state.tasks.T1!.done!.result!.summary, "Done: wrote greeting.txt.");
    assert.equal(
      state.tasks.T2!.done!.result!.summary,
      "Done: ran echo checks passed > check-result.txt.",
    );
    // What the agent did is on disk, in the task's directory of whichever node ran it.
    const dirOf = (task: string) => {
      const t = state.tasks[task]!;
      const a = t.done ? t.attempts[t.done.attempt - 1]! : t.attempts[0]!;
      return join(swarm.tmp, "work", a.node, `issue-${swarm.issue}`, task, `attempt-${a.n}`);
    };
    assert.equal(await Deno.readTextFile(join(dirOf("T1"), "greeting.txt")), "hi\n");
    assert.equal(
      (await Deno.readTextFile(join(dirOf("T2"), "check-result.txt"))).trim(),
      "checks passed",
    );
    // The model was asked exactly: one plan, two answers per task attempt.
    assert.deepEqual(api.requests.map((r) => r.status), api.requests.map(() => 200));
    assert.equal(api.requests.filter((r) => r.scenario === "plan").length, 1);
    assert.equal(api.requests.filter((r) => r.scenario === "write").length, 2);
    assert.equal(api.requests.filter((r) => r.scenario === "bash").length, 2 + 2 * 1);

    // `state` shows the costs, the total and the denial.
    const shown = await swarm.cli(["state", "--issue", String(swarm.issue)]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(
      shown.stdout,
      /^T1\s+high\s+done\s+1\s+\S+\s+100\s+\$0\.0100\s+Write the greeting$/m,
    );
    assert.match(shown.stdout, /^T3\s+low\s+failed\s+1\s+\d+\s+\$0\.0100\s+Publish$/m);
    assert.match(shown.stdout, /^Cost: \$0\.0300 reported by the agents of a \$10 cap/m);
    assert.match(
      shown.stdout,
      /^Denied in T3 attempt 1 \(permission_denied\): Bash\(git push origin HEAD\)$/m,
    );

    // The aggregate's metrics.json and summary.
    const out = join(swarm.tmp, "agg");
    const agg = await swarm.cli(["aggregate", "--issue", String(swarm.issue), "--out", out]);
    assert.equal(agg.code, 1, "a task failed for good"); // aggregate's exit code for a CI gate
    assert.match(agg.stderr, /Failed for good: T3\./);
    const metrics = JSON.parse(await Deno.readTextFile(join(out, "metrics.json")));
    assert.equal(metrics.status, "finished");
    assert.deepEqual(
      [metrics.totals.done, metrics.totals.failed, metrics.totals.costUsd],
      [2, 1, 0.03],
    );
    assert.deepEqual(metrics.cost, { spentUsd: 0.03, maxCostUsd: 10, reached: false });
    const m3 = metrics.tasks.find((t: { id: string }) => t.id === "T3");
    assert.equal(m3.costUsd, 0.01);
    assert.deepEqual(
      m3.attempts.map((a: { failure: string; denied: string[] }) => [a.failure, a.denied]),
      [["permission_denied", ["Bash(git push origin HEAD)"]]],
    );
    const summary = await Deno.readTextFile(join(out, "summary.md"));
    assert.match(summary, /\| T3 \| Publish \| low \| ❌ failed \| 1 \| {2}\| \$0\.0100 \|/);
    assert.match(
      summary,
      /\*\*Cost:\*\* \$0\.0300 reported by the agents \(all attempts\) of the cap/,
    );
    assert.match(
      summary,
      /- T3 attempt 1 \(failed, permission_denied\): `Bash\(git push origin HEAD\)`/,
    );
  },
});
