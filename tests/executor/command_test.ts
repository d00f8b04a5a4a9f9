import assert from "node:assert/strict";
import { join } from "node:path";
import {
  commandExecutor,
  type CommandInput,
  parseProgressLine,
} from "../../src/executor/command.ts";
import { makeContext, makeTask, readPid, tempDir, waitGone } from "./helpers.ts";

Deno.test("command executor passes the task as JSON on stdin and as P2P_* variables", async () => {
  await using root = await tempDir();
  const exec = commandExecutor({
    command: "cat > input.json; env | grep '^P2P_' | sort > env.txt; pwd > pwd.txt; echo done",
    workRoot: root.path,
    env: { EXTRA_VAR: "extra" },
  });
  const task = makeTask({ id: "T9", body: "Write the handler.", deps: ["T1", "T2"] });
  const { ctx } = makeContext({ attempt: 2, depBranches: ["p2p/issue-7/T1", "p2p/issue-7/T2"] });
  const outcome = await exec.run(task, ctx);

  assert.equal(outcome.ok, true);
  assert.equal(outcome.result.exitCode, 0);
  assert.equal(outcome.result.summary, "done");
  const workDir = join(root.path, "issue-7", "T9", "attempt-2");
  const input = JSON.parse(await Deno.readTextFile(join(workDir, "input.json"))) as CommandInput;
  assert.deepEqual(input, {
    task,
    context: {
      issue: 7,
      issueTitle: "Build the thing",
      issueBody: "Please build the thing.\n\n- [ ] Add the API",
      attempt: 2,
      node: "node-a",
      depBranches: ["p2p/issue-7/T1", "p2p/issue-7/T2"],
      workDir,
    },
  });
  const env = Object.fromEntries(
    (await Deno.readTextFile(join(workDir, "env.txt"))).trim().split("\n").map((line) => {
      const eq = line.indexOf("=");
      return [line.slice(0, eq), line.slice(eq + 1)];
    }),
  );
  assert.equal(env.P2P_TASK_ID, "T9");
  assert.equal(env.P2P_TASK_TITLE, "Add the API");
  assert.equal(env.P2P_TASK_BODY, "Write the handler.");
  assert.equal(env.P2P_TASK_PRIORITY, "high");
  assert.equal(env.P2P_TASK_DEPS, "T1,T2");
  assert.equal(env.P2P_ISSUE, "7");
  assert.equal(env.P2P_ATTEMPT, "2");
  assert.equal(env.P2P_NODE_ID, "node-a");
  assert.equal(env.P2P_WORKDIR, workDir);
  assert.equal(env.P2P_DEP_BRANCHES, "p2p/issue-7/T1,p2p/issue-7/T2");
  assert.equal((await Deno.readTextFile(join(workDir, "pwd.txt"))).trim(), workDir);
});

Deno.test("command executor passes extra env and works in ctx.workDir when given", async () => {
  await using root = await tempDir();
  const given = join(root.path, "given");
  await Deno.mkdir(given);
  const exec = commandExecutor({
    command: 'echo "$EXTRA_VAR" > extra.txt',
    workRoot: join(root.path, "own"),
    env: { EXTRA_VAR: "extra-value" },
  });
  const { ctx } = makeContext({ workDir: given });
  const outcome = await exec.run(makeTask(), ctx);
  assert.equal(outcome.ok, true);
  assert.equal((await Deno.readTextFile(join(given, "extra.txt"))).trim(), "extra-value");
  assert.equal(outcome.result.summary, "(no output)");
});

Deno.test("command executor reports the exit code and the output tail of a failure", async () => {
  await using root = await tempDir();
  const exec = commandExecutor({
    command: "echo building; echo 'error: missing semicolon' >&2; exit 3",
    workRoot: root.path,
  });
  const { ctx } = makeContext();
  const outcome = await exec.run(makeTask(), ctx);
  assert.equal(outcome.ok, false);
  assert.equal(outcome.result.exitCode, 3);
  // stdout and stderr are separate pipes: their relative order is not defined.
  const [header, ...lines] = (outcome.result.summary ?? "").split("\n");
  assert.equal(header, "Command exited with code 3.");
  assert.deepEqual(lines.sort(), ["building", "error: missing semicolon"]);
});

Deno.test("command executor turns P2P_PROGRESS lines into progress reports", async () => {
  await using root = await tempDir();
  const exec = commandExecutor({
    command: [
      "echo 'P2P_PROGRESS 10'",
      "echo 'not progress'",
      "echo 'P2P_PROGRESS 40 some note'",
      "echo 'P2P_PROGRESS 150 too much'",
      "echo 'P2P_PROGRESS 80 pushing with ghp_abcdefghijklmnopqrstuvwxyz0123456789'",
    ].join("; "),
    workRoot: root.path,
  });
  const { ctx, progress } = makeContext();
  const outcome = await exec.run(makeTask(), ctx);
  assert.equal(outcome.ok, true);
  assert.deepEqual(progress, [
    [10, undefined],
    [40, "some note"],
    [100, "too much"],
    [80, "pushing with ***"],
  ]);
});

Deno.test("parseProgressLine accepts a percent sign and rejects other lines", () => {
  assert.deepEqual(parseProgressLine("P2P_PROGRESS 55% half"), { percent: 55, note: "half" });
  assert.deepEqual(parseProgressLine("  P2P_PROGRESS 12.5\r"), { percent: 12.5 });
  assert.equal(parseProgressLine("P2P_PROGRESS"), undefined);
  assert.equal(parseProgressLine("P2P_PROGRESS abc"), undefined);
  assert.equal(parseProgressLine("echo P2P_PROGRESS 5"), undefined);
});

Deno.test("command executor keeps only the last 2,000 characters of output", async () => {
  await using root = await tempDir();
  const exec = commandExecutor({
    command: 'i=0; while [ $i -lt 500 ]; do echo "line $i of the output"; i=$((i+1)); done',
    workRoot: root.path,
  });
  const { ctx } = makeContext();
  const outcome = await exec.run(makeTask(), ctx);
  const summary = outcome.result.summary ?? "";
  assert.equal(outcome.ok, true);
  assert.ok(summary.startsWith("…"), summary.slice(0, 40));
  assert.equal(summary.length, 2_001);
  assert.ok(summary.endsWith("line 499 of the output"));
});

Deno.test("command executor redacts secrets and token patterns from the summary", async () => {
  await using root = await tempDir();
  const exec = commandExecutor({
    command: [
      "echo 'password: hunter2-the-secret'",
      "echo 'GITHUB_TOKEN=ghs_abcdefghijklmnopqrstuvwxyz0123456789'",
      "echo 'pat github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz'",
      "echo 'classic ghp_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'",
      "echo 'anthropic sk-ant-api03-abcdefghijklmnop_qrstuvwxyz-0123456789'",
      "echo 'remote https://x-access-token:abc123def456@github.com/o/r.git'",
      "echo 'on stderr hunter2-the-secret' >&2",
      "exit 1",
    ].join("; "),
    workRoot: root.path,
    secrets: ["hunter2-the-secret", "", "ab"],
  });
  const { ctx } = makeContext();
  const outcome = await exec.run(makeTask(), ctx);
  assert.deepEqual(
    outcome.result.summary?.split("\n").sort(),
    [
      "Command exited with code 1.",
      "password: ***",
      "GITHUB_TOKEN=***",
      "pat ***",
      "classic ***",
      "anthropic ***",
      "remote https://x-access-token:***@github.com/o/r.git",
      "on stderr ***",
    ].sort(),
  );
});

Deno.test("command executor stops the whole process group on timeout", async () => {
  await using root = await tempDir();
  const exec = commandExecutor({
    command: "sleep 1000 & echo $! > grandchild.pid; echo started; wait",
    workRoot: root.path,
    timeoutMs: 1_000,
    killGraceMs: 1_000,
  });
  const { ctx } = makeContext();
  const outcome = await exec.run(makeTask(), ctx);
  assert.equal(outcome.ok, false);
  assert.ok(
    (outcome.result.summary ?? "").startsWith(
      "Command timed out after 1000 ms and was stopped (with its whole process group).",
    ),
    outcome.result.summary,
  );
  const pid = await readPid(join(root.path, "issue-7", "T1", "attempt-1", "grandchild.pid"));
  assert.ok(await waitGone(pid), `grandchild ${pid} is still running`);
});

Deno.test("command executor stops the whole process group when ctx.signal aborts", async () => {
  await using root = await tempDir();
  const controller = new AbortController();
  const exec = commandExecutor({
    command: "sleep 1000 & echo $! > grandchild.pid; echo started; wait",
    workRoot: root.path,
    killGraceMs: 1_000,
    onOutput: (line) => {
      if (line === "started") controller.abort(new Error("Lost the claim to node-b."));
    },
  });
  const { ctx } = makeContext({ signal: controller.signal });
  const outcome = await exec.run(makeTask(), ctx);
  assert.equal(outcome.ok, false);
  assert.equal(outcome.result.summary, "Command was stopped: Lost the claim to node-b.\nstarted");
  const pid = await readPid(join(root.path, "issue-7", "T1", "attempt-1", "grandchild.pid"));
  assert.ok(await waitGone(pid), `grandchild ${pid} is still running`);
});

Deno.test("command executor kills a grandchild that ignores SIGTERM after the grace period", async () => {
  await using root = await tempDir();
  const controller = new AbortController();
  const exec = commandExecutor({
    command: "(trap '' TERM; exec sleep 1000) & echo $! > grandchild.pid; echo started; wait",
    workRoot: root.path,
    killGraceMs: 200,
    onOutput: (line) => {
      if (line === "started") controller.abort(new Error("Cancelled."));
    },
  });
  const { ctx } = makeContext({ signal: controller.signal });
  const outcome = await exec.run(makeTask(), ctx);
  assert.equal(outcome.ok, false);
  const pid = await readPid(join(root.path, "issue-7", "T1", "attempt-1", "grandchild.pid"));
  assert.ok(await waitGone(pid), `grandchild ${pid} is still running`);
});

Deno.test("command executor cleans up background processes left by a command that exited", async () => {
  await using root = await tempDir();
  const exec = commandExecutor({
    // One straggler holds our stdout pipe, the other one does not.
    command:
      "sleep 1000 & echo $! > holds-pipe.pid; sleep 1000 >/dev/null 2>&1 & echo $! > detached.pid; echo bye",
    workRoot: root.path,
    killGraceMs: 500,
  });
  const { ctx } = makeContext();
  const outcome = await exec.run(makeTask(), ctx);
  assert.equal(outcome.ok, true);
  assert.equal(outcome.result.summary, "bye");
  const dir = join(root.path, "issue-7", "T1", "attempt-1");
  for (const file of ["holds-pipe.pid", "detached.pid"]) {
    const pid = await readPid(join(dir, file));
    assert.ok(await waitGone(pid), `${file}: ${pid} is still running`);
  }
});

Deno.test("command executor does not start when the signal is already aborted", async () => {
  await using root = await tempDir();
  const exec = commandExecutor({ command: "touch ran", workRoot: root.path });
  const controller = new AbortController();
  controller.abort(new Error("Released."));
  const { ctx } = makeContext({ signal: controller.signal });
  const outcome = await exec.run(makeTask(), ctx);
  assert.deepEqual(outcome, { ok: false, result: { summary: "Not started: Released." } });
});

Deno.test("command executor survives a command that does not read a large stdin", async () => {
  await using root = await tempDir();
  const exec = commandExecutor({ command: "echo ignored-stdin", workRoot: root.path });
  const { ctx } = makeContext({ issueBody: "x".repeat(300_000) });
  const outcome = await exec.run(makeTask(), ctx);
  assert.equal(outcome.ok, true);
  assert.equal(outcome.result.summary, "ignored-stdin");
});

Deno.test("command executor keeps draining output when a progress callback throws", async () => {
  await using root = await tempDir();
  const exec = commandExecutor({
    command:
      "echo 'P2P_PROGRESS 10 first'; i=0; while [ $i -lt 5000 ]; do echo \"filler line $i\"; i=$((i+1)); done; echo last",
    workRoot: root.path,
  });
  const { ctx } = makeContext({
    onProgress: () => {
      throw new Error("the node's progress handler failed");
    },
  });
  const outcome = await exec.run(makeTask(), ctx);
  assert.equal(outcome.ok, true);
  assert.ok(outcome.result.summary?.endsWith("filler line 4999\nlast"));
});
