import assert from "node:assert/strict";
import { join } from "node:path";
import { buildClaudePrompt, claudeArgs, claudeExecutor } from "../../src/executor/claude.ts";
import { installFakeClaude, makeContext, makeTask, readPid, tempDir, waitGone } from "./helpers.ts";

Deno.test("claude executor turns the stream into progress and records turns and cost", async () => {
  await using root = await tempDir();
  const claudePath = await installFakeClaude(root.path);
  const argsFile = join(root.path, "args");
  const exec = claudeExecutor({
    workRoot: join(root.path, "work"),
    claudePath,
    maxTurns: 10,
    model: "sonnet",
    allowedTools: ["Read", "Edit", "Bash(npm test)"],
    env: { FAKE_CLAUDE_TURNS: "3", FAKE_CLAUDE_ARGS_FILE: argsFile },
  });
  const { ctx, progress } = makeContext();
  const outcome = await exec.run(makeTask({ body: "Add GET /things." }), ctx);

  assert.equal(exec.name, "claude");
  const { durationMs, ...rest } = outcome.result;
  assert.deepEqual({ ok: outcome.ok, result: rest }, {
    ok: true,
    result: {
      summary: "Done: wrote FAKE_CLAUDE.md.",
      exitCode: 0,
      turns: 3,
      costUsd: 0.0421,
    },
  });
  // The process's own wall time (the replay tests pin that it is not the CLI's figure).
  assert.ok(typeof durationMs === "number" && durationMs >= 0, `${durationMs}`);
  assert.deepEqual(progress, [
    [0, "Claude Code started (sonnet)"],
    [10, "Working on step 1."],
    [10, "Write FAKE_CLAUDE.md"],
    [20, "Working on step 2."],
    [20, "Write FAKE_CLAUDE.md"],
    [30, "All steps done."],
  ]);
  const workDir = join(root.path, "work", "issue-7", "T1", "attempt-1");
  assert.equal(await Deno.readTextFile(join(workDir, "FAKE_CLAUDE.md")), "step 1\nstep 2\n");

  const args = (await Deno.readTextFile(argsFile)).split("\0").slice(0, -1);
  assert.equal(args[0], "-p");
  assert.match(args[1] ?? "", /issue #7\./);
  assert.match(args[1] ?? "", /<untrusted-issue-[0-9a-f]{16}>\nTitle: Build the thing\n/);
  assert.match(args[1] ?? "", /Add GET \/things\./);
  assert.deepEqual(args.slice(2), [
    "--output-format",
    "stream-json",
    "--verbose",
    "--max-turns",
    "10",
    "--model",
    "sonnet",
    "--permission-mode",
    "acceptEdits",
    "--allowedTools",
    "Read,Edit,Bash(npm test)",
  ]);
});

Deno.test("claude executor fails with a clear summary when the maximum turns are reached", async () => {
  await using root = await tempDir();
  const exec = claudeExecutor({
    workRoot: root.path,
    claudePath: await installFakeClaude(root.path),
    maxTurns: 2,
    env: { FAKE_CLAUDE_TURNS: "5", FAKE_CLAUDE_COST: "0.25" },
  });
  const { ctx, progress } = makeContext();
  const outcome = await exec.run(makeTask(), ctx);
  assert.equal(outcome.ok, false);
  assert.equal(outcome.result.turns, 3);
  assert.equal(outcome.result.costUsd, 0.25);
  assert.equal(outcome.result.failure, "max_turns");
  const summary = outcome.result.summary ?? "";
  assert.ok(
    summary.startsWith(
      "Claude Code stopped after 3 turns: the maximum of 2 turns was reached before the task was finished. Raise the maximum turns or split the task.",
    ),
    summary,
  );
  assert.match(summary, /Working on step 2\./);
  assert.deepEqual(progress.map(([p]) => p), [0, 50, 50, 95, 95]);
});

Deno.test("claude executor reports an error result with the stderr tail", async () => {
  await using root = await tempDir();
  const exec = claudeExecutor({
    workRoot: root.path,
    claudePath: await installFakeClaude(root.path),
    env: { FAKE_CLAUDE_MODE: "error", FAKE_CLAUDE_TURNS: "2" },
  });
  const { ctx } = makeContext();
  const outcome = await exec.run(makeTask(), ctx);
  assert.equal(outcome.ok, false);
  assert.equal(outcome.result.exitCode, 1);
  assert.equal(outcome.result.costUsd, 0.0421);
  const summary = outcome.result.summary ?? "";
  assert.ok(
    summary.startsWith("Claude Code failed (error_during_execution, is_error, exit code 1)."),
    summary,
  );
  assert.equal(outcome.result.failure, "error");
  assert.match(summary, /fake-claude: API error/);
});

Deno.test("claude executor fails when Claude Code ends without a result message", async () => {
  await using root = await tempDir();
  const exec = claudeExecutor({
    workRoot: root.path,
    claudePath: await installFakeClaude(root.path),
    env: { FAKE_CLAUDE_MODE: "crash", FAKE_CLAUDE_TURNS: "2" },
  });
  const { ctx } = makeContext();
  const outcome = await exec.run(makeTask(), ctx);
  assert.equal(outcome.ok, false);
  assert.equal(outcome.result.exitCode, 2);
  assert.equal(outcome.result.turns, 2);
  assert.equal(outcome.result.costUsd, undefined);
  const summary = outcome.result.summary ?? "";
  assert.ok(
    summary.startsWith(
      "Claude Code exited with code 2 without a result message: fake-claude: connection reset by peer; see its output below.",
    ),
    summary,
  );
  assert.equal(outcome.result.failure, "no_result");
});

Deno.test("claude executor stops the whole process group when ctx.signal aborts", async () => {
  await using root = await tempDir();
  const pidFile = join(root.path, "grandchild.pid");
  const controller = new AbortController();
  const exec = claudeExecutor({
    workRoot: root.path,
    claudePath: await installFakeClaude(root.path),
    killGraceMs: 1_000,
    env: { FAKE_CLAUDE_MODE: "hang", FAKE_CLAUDE_PID_FILE: pidFile },
  });
  const { ctx, progress } = makeContext({
    signal: controller.signal,
    onProgress: (percent, note) => {
      progress.push([percent, note]);
      if (note === "Bash sleep 1000") controller.abort(new Error("Lost the claim."));
    },
  });
  const outcome = await exec.run(makeTask(), ctx);
  assert.equal(outcome.ok, false);
  assert.ok(
    (outcome.result.summary ?? "").startsWith("Claude Code was stopped: Lost the claim."),
    outcome.result.summary,
  );
  assert.equal(outcome.result.turns, 1);
  const pid = await readPid(pidFile);
  assert.ok(await waitGone(pid), `grandchild ${pid} is still running`);
});

Deno.test("claude executor stops the whole process group on timeout", async () => {
  await using root = await tempDir();
  const pidFile = join(root.path, "grandchild.pid");
  const exec = claudeExecutor({
    workRoot: root.path,
    claudePath: await installFakeClaude(root.path),
    timeoutMs: 1_000,
    killGraceMs: 1_000,
    env: { FAKE_CLAUDE_MODE: "hang", FAKE_CLAUDE_PID_FILE: pidFile },
  });
  const { ctx } = makeContext();
  const outcome = await exec.run(makeTask(), ctx);
  assert.equal(outcome.ok, false);
  assert.ok(
    (outcome.result.summary ?? "").startsWith("Claude Code timed out after 1000 ms"),
    outcome.result.summary,
  );
  const pid = await readPid(pidFile);
  assert.ok(await waitGone(pid), `grandchild ${pid} is still running`);
});

Deno.test("claude executor redacts secrets in the summary and progress notes", async () => {
  await using root = await tempDir();
  const exec = claudeExecutor({
    workRoot: root.path,
    claudePath: await installFakeClaude(root.path),
    secrets: ["my-anthropic-key-value"],
    env: {
      FAKE_CLAUDE_TURNS: "1",
      FAKE_CLAUDE_RESULT:
        'Used "my-anthropic-key-value" and ghp_abcdefghijklmnopqrstuvwxyz0123456789.',
    },
  });
  const { ctx } = makeContext();
  const outcome = await exec.run(makeTask(), ctx);
  assert.equal(outcome.ok, true);
  assert.equal(outcome.result.summary, 'Used "***" and ***.');
});

Deno.test("claude executor reports a missing executable", async () => {
  await using root = await tempDir();
  const missing = join(root.path, "no-such-claude");
  const exec = claudeExecutor({ workRoot: root.path, claudePath: missing });
  const { ctx } = makeContext();
  const outcome = await exec.run(makeTask(), ctx);
  assert.equal(outcome.ok, false);
  assert.match(
    outcome.result.summary ?? "",
    new RegExp(`^Could not start Claude Code "${missing}": .*Install Claude Code`),
  );
});

Deno.test("claudeArgs puts the prompt right after -p and passes options", () => {
  assert.deepEqual(
    claudeArgs("Do it", {
      workRoot: "/w",
      maxBudgetUsd: 0.5,
      permissionMode: "bypassPermissions",
      allowedTools: [],
      disallowedTools: ["WebFetch", "Bash(git push:*)"],
      appendSystemPrompt: "Be brief.",
      extraArgs: ["--add-dir", "/data"],
    }),
    [
      "-p",
      "Do it",
      "--output-format",
      "stream-json",
      "--verbose",
      "--max-budget-usd",
      "0.5",
      "--permission-mode",
      "bypassPermissions",
      "--disallowedTools",
      "WebFetch,Bash(git push:*)",
      "--append-system-prompt",
      "Be brief.",
      "--add-dir",
      "/data",
    ],
  );
});

Deno.test("claudeArgs by default accepts edits and allows shell commands, so the agent can run the checks", () => {
  assert.deepEqual(claudeArgs("Do it", { workRoot: "/w" }).slice(5), [
    "--permission-mode",
    "acceptEdits",
    "--allowedTools",
    "Bash",
  ]);
});

Deno.test("buildClaudePrompt names the task, the issue and the dependencies, truncating a huge body", () => {
  const { ctx } = makeContext({ issueBody: "y".repeat(50_000) });
  const prompt = buildClaudePrompt(makeTask({ deps: ["T0"] }), ctx);
  assert.match(
    prompt,
    /Your task is T1 \(priority high\) of the plan the team agreed on: Add the API/,
  );
  assert.match(prompt, /tasks this one depends on \(T0\)/);
  assert.match(prompt, /\[… issue description truncated …\]/);
  assert.ok(prompt.length < 25_000);
});
