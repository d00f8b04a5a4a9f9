import assert from "node:assert/strict";
import { join } from "node:path";
import { demoExecutor, demoFileContent, demoFilePath } from "../../src/executor/demo.ts";
import { GIT_ENV, gitIn, makeContext, makeTask, tempDir } from "./helpers.ts";

const instant = (sleeps: number[]) => (ms: number, signal: AbortSignal) => {
  sleeps.push(ms);
  signal.throwIfAborted();
  return Promise.resolve();
};

Deno.test("demo executor writes a deterministic task file and reports progress", async () => {
  await using root = await tempDir();
  const sleeps: number[] = [];
  const exec = demoExecutor({ workRoot: root.path, delayMs: 40, sleep: instant(sleeps) });
  const task = makeTask({ id: "T2", body: "Write the handler.", deps: ["T1"], group: "API" });
  const { ctx, progress } = makeContext();
  const outcome = await exec.run(task, ctx);

  const expected = [
    "# T2: Add the API",
    "",
    "- Issue: #7",
    "- Priority: high",
    "- Depends on: T1",
    "- Group: API",
    "",
    "## Task",
    "",
    "Write the handler.",
    "",
    "---",
    "",
    "Written by the p2p-dev demo executor.",
    "",
  ].join("\n");
  const path = join(root.path, "issue-7", "T2", "attempt-1", "tasks", "T2.md");
  assert.equal(await Deno.readTextFile(path), expected);
  assert.equal(demoFileContent(task, 7), expected);
  assert.deepEqual(outcome, {
    ok: true,
    result: { summary: `Wrote tasks/T2.md (${new TextEncoder().encode(expected).length} bytes).` },
  });
  assert.deepEqual(sleeps, [40, 40, 40]);
  assert.deepEqual(progress, [
    [0, "starting T2"],
    [25, "step 1 of 3: reading the issue"],
    [50, "step 2 of 3: writing the task file"],
    [75, "step 3 of 3: checking the result"],
  ]);
});

Deno.test("demo executor commits the file in a git checkout, and only once", async () => {
  await using root = await tempDir();
  const repo = join(root.path, "repo");
  await gitIn(root.path, "init", "--quiet", "-b", "main", repo);
  await gitIn(repo, "commit", "--quiet", "--allow-empty", "-m", "root");
  const exec = demoExecutor({
    workRoot: join(root.path, "unused"),
    sleep: instant([]),
    author: { name: "Demo Bot", email: "demo@example.com" },
    gitEnv: GIT_ENV,
  });
  const { ctx } = makeContext({ workDir: repo });
  const first = await exec.run(makeTask(), ctx);
  assert.equal(first.ok, true);
  assert.match(
    first.result.summary ?? "",
    /^Wrote tasks\/T1\.md \(\d+ bytes\) and committed it\.$/,
  );
  assert.equal(
    await gitIn(repo, "log", "-1", "--format=%an <%ae>|%s"),
    "Demo Bot <demo@example.com>|demo: Add the API",
  );
  assert.equal(await gitIn(repo, "status", "--porcelain"), "");

  const second = await exec.run(makeTask(), ctx);
  assert.equal(second.ok, true);
  assert.match(second.result.summary ?? "", /already up to date/);
  assert.equal(await gitIn(repo, "rev-list", "--count", "HEAD"), "2");
});

Deno.test("demo executor stops when the signal aborts during a pause", async () => {
  await using root = await tempDir();
  const controller = new AbortController();
  const exec = demoExecutor({
    workRoot: root.path,
    sleep: (_ms, signal) => {
      controller.abort(new Error("Lost the claim."));
      signal.throwIfAborted();
      return Promise.resolve();
    },
  });
  const { ctx } = makeContext({ signal: controller.signal });
  const outcome = await exec.run(makeTask(), ctx);
  assert.deepEqual(outcome, {
    ok: false,
    result: { summary: "Demo task was stopped: Lost the claim." },
  });
});

Deno.test("demo executor uses a real, abortable timer by default", async () => {
  await using root = await tempDir();
  const controller = new AbortController();
  const exec = demoExecutor({ workRoot: root.path, delayMs: 60_000 });
  const { ctx } = makeContext({
    signal: controller.signal,
    onProgress: () => controller.abort(new Error("Cancelled.")),
  });
  const outcome = await exec.run(makeTask(), ctx);
  assert.equal(outcome.ok, false);
  assert.equal(outcome.result.summary, "Demo task was stopped: Cancelled.");
});

Deno.test("demo executor fails chosen attempts on purpose", async () => {
  await using root = await tempDir();
  const exec = demoExecutor({
    workRoot: root.path,
    sleep: instant([]),
    failWhen: (task, ctx) => task.id === "T1" && ctx.attempt === 1 ? "first try" : undefined,
  });
  const first = await exec.run(makeTask(), makeContext().ctx);
  assert.deepEqual(first, {
    ok: false,
    result: { summary: "Demo failure (on purpose): first try", exitCode: 1 },
  });
  const second = await exec.run(makeTask(), makeContext({ attempt: 2 }).ctx);
  assert.equal(second.ok, true);
});

Deno.test("demoFilePath keeps odd task ids inside tasks/", () => {
  assert.equal(demoFilePath("T1.2"), "tasks/T1.2.md");
  assert.equal(demoFilePath(".."), "tasks/++.md");
  assert.equal(demoFilePath("a/../../b"), "tasks/a=2F++=2F++=2Fb.md");
});
