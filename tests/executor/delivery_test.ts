import assert from "node:assert/strict";
import { join } from "node:path";
import { claudeExecutor } from "../../src/executor/claude.ts";
import { commandExecutor } from "../../src/executor/command.ts";
import { demoExecutor } from "../../src/executor/demo.ts";
import {
  deliveringExecutor,
  deliverWorkspace,
  type GitDeliveryOptions,
  prepareWorkspace,
  removeWorkspace,
  taskBranch,
} from "../../src/executor/delivery.ts";
import type { ExecOutcome, Executor } from "../../src/executor/port.ts";
import type { PlanTask } from "../../src/protocol/types.ts";
import {
  GIT_ENV,
  gitIn,
  installFakeClaude,
  makeContext,
  makeTask,
  setupRemote,
  tempDir,
} from "./helpers.ts";

const AUTHOR = { name: "P2P Bot", email: "bot@example.com" };

/** A small in-memory stand-in for the GitHub port's createPullRequest. */
function fakeGitHub(fail?: Error) {
  const calls: { title: string; head: string; base: string; body: string; draft: boolean }[] = [];
  return {
    calls,
    createPullRequest(pr: (typeof calls)[number]): Promise<string> {
      if (fail) return Promise.reject(fail);
      calls.push(pr);
      return Promise.resolve(`https://github.example/o/r/pull/${calls.length}`);
    },
  };
}

/** An executor that writes files (name → content) in its work dir. */
function writer(files: Record<string, string>): Executor {
  return {
    name: "writer",
    async run(_task, ctx) {
      for (const [name, content] of Object.entries(files)) {
        await Deno.writeTextFile(join(ctx.workDir ?? "/nonexistent", name), content);
      }
      return { ok: true, result: { summary: `wrote ${Object.keys(files).join(", ")}` } };
    },
  };
}

async function remoteBranch(bare: string, branch: string): Promise<string | undefined> {
  const out = await gitIn(bare, "for-each-ref", "--format=%(objectname)", `refs/heads/${branch}`);
  return out === "" ? undefined : out;
}

async function fixture(root: string) {
  const { bare, clone } = await setupRemote(root);
  const base: GitDeliveryOptions = {
    repoDir: clone,
    worktreeRoot: join(root, "worktrees"),
    author: AUTHOR,
    gitEnv: GIT_ENV,
  };
  return { bare, clone, base };
}

async function deliver(
  inner: Executor,
  opts: GitDeliveryOptions & { mode?: "branch" | "pr" },
  task: PlanTask,
  extra: Parameters<typeof makeContext>[0] = {},
): Promise<ExecOutcome> {
  const exec = deliveringExecutor(inner, { mode: "branch", ...opts });
  return await exec.run(task, makeContext(extra).ctx);
}

Deno.test("branch delivery commits in a worktree and pushes p2p/issue-N/task", async () => {
  await using root = await tempDir();
  const { bare, clone, base } = await fixture(root.path);
  const exec = deliveringExecutor(
    commandExecutor({ command: "echo api > api.txt; pwd", workRoot: join(root.path, "own") }),
    { mode: "branch", ...base },
  );
  assert.equal(exec.name, "command");
  const outcome = await exec.run(makeTask(), makeContext().ctx);

  assert.equal(outcome.ok, true, outcome.result.summary);
  assert.equal(outcome.result.branch, "p2p/issue-7/T1");
  const workDir = join(root.path, "worktrees", "issue-7", "T1-attempt-1");
  assert.equal(outcome.result.summary, workDir);
  assert.equal(await gitIn(bare, "show", "p2p/issue-7/T1:api.txt"), "api");
  assert.equal(
    await gitIn(bare, "log", "-1", "--format=%an <%ae>|%cn|%s|%b", "p2p/issue-7/T1"),
    "P2P Bot <bot@example.com>|P2P Bot|p2p-dev: Add the API|Task T1 of issue #7, attempt 1, by node node-a.",
  );
  assert.equal(
    await gitIn(bare, "rev-parse", "p2p/issue-7/T1~1"),
    await gitIn(bare, "rev-parse", "main"),
  );
  // The worktree and the local branch are gone; the clone's own checkout is untouched.
  assert.equal((await gitIn(clone, "worktree", "list", "--porcelain")).split("\n\n").length, 1);
  assert.equal(await gitIn(clone, "branch", "--list", "p2p/*"), "");
  await assert.rejects(Deno.stat(workDir), Deno.errors.NotFound);
  assert.equal(await gitIn(clone, "status", "--porcelain"), "");
});

Deno.test("a task starts from its dependency's branch, or merges several", async () => {
  await using root = await tempDir();
  const { bare, base } = await fixture(root.path);
  const t1 = await deliver(writer({ "a.txt": "a\n" }), base, makeTask({ id: "T1" }));
  const t2 = await deliver(writer({ "b.txt": "b\n" }), base, makeTask({ id: "T2" }));
  assert.equal(t1.ok && t2.ok, true);

  // One dependency: start from it.
  const t3 = await deliver(
    commandExecutor({ command: "test -f a.txt && echo c > c.txt", workRoot: root.path }),
    base,
    makeTask({ id: "T3", deps: ["T1"] }),
    { depBranches: ["p2p/issue-7/T1"] },
  );
  assert.equal(t3.ok, true, t3.result.summary);
  assert.equal(
    await gitIn(bare, "rev-parse", "p2p/issue-7/T3~1"),
    await gitIn(bare, "rev-parse", "p2p/issue-7/T1"),
  );

  // Several: start from the first, merge the others.
  const t4 = await deliver(
    commandExecutor({
      command: "test -f a.txt && test -f b.txt && echo d > d.txt",
      workRoot: root.path,
    }),
    base,
    makeTask({ id: "T4", deps: ["T1", "T2"] }),
    { depBranches: ["p2p/issue-7/T1", "p2p/issue-7/T2"] },
  );
  assert.equal(t4.ok, true, t4.result.summary);
  const files = await gitIn(bare, "ls-tree", "--name-only", "p2p/issue-7/T4");
  assert.deepEqual(files.split("\n").sort(), ["README.md", "a.txt", "b.txt", "d.txt"]);
  const merge = await gitIn(bare, "log", "-1", "--format=%P|%an", "p2p/issue-7/T4~1");
  assert.equal(merge.split("|")[0]?.split(" ").length, 2);
  assert.equal(merge.split("|")[1], "P2P Bot");
});

Deno.test("nothing changed: no empty commit, the branch is still pushed at its start", async () => {
  await using root = await tempDir();
  const { bare, base } = await fixture(root.path);
  const github = fakeGitHub();
  const outcome = await deliver(
    commandExecutor({ command: "echo looked around", workRoot: root.path }),
    { ...base, mode: "pr", github },
    makeTask(),
  );
  assert.equal(outcome.ok, true);
  assert.equal(outcome.result.pr, undefined);
  assert.equal(
    outcome.result.summary,
    'looked around\nNo changes: pushed "p2p/issue-7/T1" at its start point; no pull request opened.',
  );
  assert.equal(await remoteBranch(bare, "p2p/issue-7/T1"), await gitIn(bare, "rev-parse", "main"));
  assert.deepEqual(github.calls, []);
});

Deno.test("pr delivery opens a draft pull request that references the issue", async () => {
  await using root = await tempDir();
  const { base } = await fixture(root.path);
  const github = fakeGitHub();
  const outcome = await deliver(
    writer({ "api.ts": "export {};\n" }),
    { ...base, mode: "pr", github },
    makeTask({ id: "T2", body: "Add GET /things.", deps: ["T1"] }),
    { node: "node-b" },
  );
  assert.equal(outcome.ok, true, outcome.result.summary);
  assert.equal(outcome.result.pr, "https://github.example/o/r/pull/1");
  assert.equal(outcome.result.branch, "p2p/issue-7/T2");
  assert.deepEqual(github.calls, [{
    title: "Add the API (#7, T2)",
    head: "p2p/issue-7/T2",
    base: "main",
    draft: true,
    body: [
      "Part of #7.",
      "",
      "**Task T2** (priority high): Add the API",
      "",
      "Add GET /things.",
      "",
      "Builds on: `T1`.",
      "",
      "Branch `p2p/issue-7/T2`, opened as a draft by p2p-dev node `node-b` (attempt 1).",
    ].join("\n"),
  }]);
});

Deno.test("pr delivery accepts a pull request that already exists", async () => {
  await using root = await tempDir();
  const { base } = await fixture(root.path);
  const github = fakeGitHub(new Error("Validation Failed: A pull request already exists for o:b."));
  const outcome = await deliver(
    writer({ "x.txt": "x" }),
    { ...base, mode: "pr", github },
    makeTask(),
  );
  assert.equal(outcome.ok, true);
  assert.equal(outcome.result.pr, undefined);
  assert.match(outcome.result.summary ?? "", /already exists; it now shows this attempt\.$/);
});

Deno.test("pr delivery fails clearly when the pull request cannot be opened", async () => {
  await using root = await tempDir();
  const { bare, base } = await fixture(root.path);
  const github = fakeGitHub(
    new Error("Bad credentials for ghs_abcdefghijklmnopqrstuvwxyz0123456789"),
  );
  const outcome = await deliver(
    writer({ "x.txt": "x" }),
    { ...base, mode: "pr", github },
    makeTask(),
  );
  assert.equal(outcome.ok, false);
  assert.equal(
    outcome.result.summary,
    'Delivery failed: Could not open a pull request for "p2p/issue-7/T1" into "main": Bad credentials for ***. The branch was pushed; open one by hand or retry.\nwrote x.txt',
  );
  assert.notEqual(await remoteBranch(bare, "p2p/issue-7/T1"), undefined);
});

Deno.test("a re-attempt replaces the previous attempt's branch with force-with-lease", async () => {
  await using root = await tempDir();
  const { bare, base } = await fixture(root.path);
  const first = await deliver(writer({ "v.txt": "one" }), base, makeTask());
  assert.equal(first.ok, true);
  const firstSha = await remoteBranch(bare, "p2p/issue-7/T1");
  const second = await deliver(writer({ "v.txt": "two" }), base, makeTask(), { attempt: 2 });
  assert.equal(second.ok, true, second.result.summary);
  assert.equal(await gitIn(bare, "show", "p2p/issue-7/T1:v.txt"), "two");
  const secondSha = await remoteBranch(bare, "p2p/issue-7/T1");
  assert.notEqual(secondSha, firstSha);
  // Not built on the first attempt: it starts afresh from main.
  assert.equal(
    await gitIn(bare, "rev-parse", "p2p/issue-7/T1~1"),
    await gitIn(bare, "rev-parse", "main"),
  );
});

Deno.test("a push from a stale attempt is rejected when a newer one pushed meanwhile", async () => {
  await using root = await tempDir();
  const { bare, base } = await fixture(root.path);
  const stale = await prepareWorkspace(base, {
    issue: 7,
    taskId: "T1",
    attempt: 1,
    depBranches: [],
  });
  assert.equal(stale.remoteSha, undefined);
  assert.ok(stale.dir.startsWith(join(root.path, "worktrees")));
  // Meanwhile, another node's attempt 2 delivers the branch (from another clone).
  const other = join(root.path, "other");
  await gitIn(root.path, "clone", "--quiet", bare, other);
  const newer = await deliver(
    writer({ "v.txt": "newer" }),
    { ...base, repoDir: other },
    makeTask(),
    {
      attempt: 2,
    },
  );
  assert.equal(newer.ok, true, newer.result.summary);

  await Deno.writeTextFile(join(stale.dir, "v.txt"), "stale");
  const task = makeTask();
  await assert.rejects(
    deliverWorkspace(base, stale, { task, issue: 7, attempt: 1, node: "node-a", pr: false }),
    /^Error: Push of branch "p2p\/issue-7\/T1" to "origin" was rejected: the branch changed on the remote since this attempt started/,
  );
  await removeWorkspace(base, stale);
  assert.equal(await gitIn(bare, "show", "p2p/issue-7/T1:v.txt"), "newer");
});

Deno.test("failed and aborted runs are not pushed", async () => {
  await using root = await tempDir();
  const { bare, base } = await fixture(root.path);
  const failed = await deliver(
    commandExecutor({ command: "echo half > half.txt; exit 1", workRoot: root.path }),
    base,
    makeTask({ id: "T1" }),
  );
  assert.equal(failed.ok, false);
  assert.equal(failed.result.branch, undefined);
  assert.equal(await remoteBranch(bare, "p2p/issue-7/T1"), undefined);

  const controller = new AbortController();
  const aborting: Executor = {
    name: "aborting",
    async run(_task, ctx) {
      await Deno.writeTextFile(join(ctx.workDir ?? "", "late.txt"), "late");
      controller.abort(new Error("Lost the claim to node-b."));
      return { ok: true, result: { summary: "finished anyway" } };
    },
  };
  const aborted = await deliver(aborting, base, makeTask({ id: "T2" }), {
    signal: controller.signal,
  });
  assert.deepEqual(aborted, {
    ok: false,
    result: { summary: "Not delivered: Lost the claim to node-b.\nfinished anyway" },
  });
  assert.equal(await remoteBranch(bare, "p2p/issue-7/T2"), undefined);
});

Deno.test("an executor that throws gives a failed outcome and leaves no worktree", async () => {
  await using root = await tempDir();
  const { clone, base } = await fixture(root.path);
  const throwing: Executor = {
    name: "throwing",
    run: () => Promise.reject(new Error("boom")),
  };
  const outcome = await deliver(throwing, base, makeTask());
  // A throwing executor never ran the task: the failure is the node's (no attempt used up).
  assert.deepEqual(outcome, {
    ok: false,
    local: true,
    result: { summary: 'Executor "throwing" failed: boom' },
  });
  assert.equal((await gitIn(clone, "worktree", "list", "--porcelain")).split("\n\n").length, 1);
});

Deno.test("a missing dependency branch fails the attempt with a hint", async () => {
  await using root = await tempDir();
  const { base } = await fixture(root.path);
  const outcome = await deliver(writer({}), base, makeTask({ deps: ["T0"] }), {
    depBranches: ["p2p/issue-7/T0"],
  });
  assert.equal(outcome.ok, false);
  assert.match(
    outcome.result.summary ?? "",
    /^Could not prepare the task's git worktree: Could not fetch "main", "p2p\/issue-7\/T0" from "origin": .*Check that the dependencies were delivered as branches/s,
  );
});

Deno.test("conflicting dependencies fail the attempt and clean up", async () => {
  await using root = await tempDir();
  const { clone, base } = await fixture(root.path);
  await deliver(writer({ "same.txt": "from T1\n" }), base, makeTask({ id: "T1" }));
  await deliver(writer({ "same.txt": "from T2\n" }), base, makeTask({ id: "T2" }));
  const outcome = await deliver(writer({}), base, makeTask({ id: "T3", deps: ["T1", "T2"] }), {
    depBranches: ["p2p/issue-7/T1", "p2p/issue-7/T2"],
  });
  assert.equal(outcome.ok, false);
  assert.match(
    outcome.result.summary ?? "",
    /^Could not prepare the task's git worktree: Merging dependency branch "p2p\/issue-7\/T2" into "p2p\/issue-7\/T3" failed: /,
  );
  assert.equal((await gitIn(clone, "worktree", "list", "--porcelain")).split("\n\n").length, 1);
});

Deno.test("an unreachable remote fails without leaking credentials", async () => {
  await using root = await tempDir();
  const { clone, base } = await fixture(root.path);
  await gitIn(
    clone,
    "remote",
    "set-url",
    "origin",
    "http://x-access-token:sekrit-password-123@127.0.0.1:9/o/r.git",
  );
  const outcome = await deliver(
    writer({}),
    { ...base, secrets: ["sekrit-password-123"] },
    makeTask(),
  );
  assert.equal(outcome.ok, false);
  assert.match(outcome.result.summary ?? "", /^Could not prepare the task's git worktree: /);
  assert.ok(!(outcome.result.summary ?? "").includes("sekrit"), outcome.result.summary);
});

Deno.test("concurrent tasks on one clone are delivered side by side", async () => {
  await using root = await tempDir();
  const { bare, base } = await fixture(root.path);
  const ids = ["T1", "T2", "T3", "T4"];
  const outcomes = await Promise.all(
    ids.map((id) => deliver(writer({ [`${id}.txt`]: id }), base, makeTask({ id }))),
  );
  assert.deepEqual(outcomes.map((o) => o.ok), [true, true, true, true]);
  for (const id of ids) {
    assert.equal(await gitIn(bare, "show", `p2p/issue-7/${id}:${id}.txt`), id);
  }
});

Deno.test("the default worktree root is inside the git directory", async () => {
  await using root = await tempDir();
  const { clone, base } = await fixture(root.path);
  const { worktreeRoot: _, ...opts } = base;
  const ws = await prepareWorkspace(opts, { issue: 3, taskId: "A.1", attempt: 2, depBranches: [] });
  try {
    assert.equal(ws.dir, join(clone, ".git", "p2p-worktrees", "issue-3", "A.1-attempt-2"));
    assert.equal(ws.branch, "p2p/issue-3/A.1");
    assert.equal(ws.baseBranch, "main");
    assert.equal(await gitIn(ws.dir, "rev-parse", "--abbrev-ref", "HEAD"), "p2p/issue-3/A.1");
    assert.equal(await gitIn(clone, "status", "--porcelain"), "");
  } finally {
    await removeWorkspace(opts, ws);
  }
});

Deno.test("a stale worktree of an earlier run is replaced", async () => {
  await using root = await tempDir();
  const { base } = await fixture(root.path);
  const request = { issue: 7, taskId: "T1", attempt: 1, depBranches: [] };
  const first = await prepareWorkspace(base, request);
  await Deno.writeTextFile(join(first.dir, "leftover.txt"), "junk");
  // The process died here; a new run of the same attempt prepares again.
  const second = await prepareWorkspace(base, request);
  assert.equal(second.dir, first.dir);
  await assert.rejects(Deno.stat(join(second.dir, "leftover.txt")), Deno.errors.NotFound);
  await removeWorkspace(base, second);
});

Deno.test("demo and claude executors deliver through the worktree", async () => {
  await using root = await tempDir();
  const { bare, base } = await fixture(root.path);
  const demo = await deliver(
    demoExecutor({
      workRoot: root.path,
      sleep: () => Promise.resolve(),
      author: AUTHOR,
      gitEnv: GIT_ENV,
    }),
    base,
    makeTask({ id: "D1" }),
  );
  assert.equal(demo.ok, true, demo.result.summary);
  assert.match(await gitIn(bare, "show", "p2p/issue-7/D1:tasks/D1.md"), /^# D1: Add the API/);
  // The demo committed by itself; delivery added no second commit.
  assert.equal(
    await gitIn(bare, "log", "-1", "--format=%s", "p2p/issue-7/D1"),
    "demo: Add the API",
  );

  const claude = await deliver(
    claudeExecutor({
      workRoot: root.path,
      claudePath: await installFakeClaude(root.path),
      env: { FAKE_CLAUDE_TURNS: "2" },
    }),
    base,
    makeTask({ id: "C1" }),
  );
  assert.equal(claude.ok, true, claude.result.summary);
  assert.equal(claude.result.costUsd, 0.0421);
  assert.equal(claude.result.branch, "p2p/issue-7/C1");
  assert.equal(await gitIn(bare, "show", "p2p/issue-7/C1:FAKE_CLAUDE.md"), "step 1");
});

Deno.test("deliveringExecutor returns the inner executor for none and needs a client for pr", () => {
  const inner = writer({});
  assert.equal(deliveringExecutor(inner, { mode: "none" }), inner);
  assert.throws(
    () => deliveringExecutor(inner, { mode: "pr", repoDir: "/tmp" }),
    /^Error: Delivery "pr" needs a GitHub client to open pull requests: pass github, or use delivery "branch"\.$/,
  );
  assert.equal(taskBranch(12, "T.lock"), "p2p/issue-12/T+lock");
});

Deno.test("ids that differ only in . and _ (T1.lock/T1_lock, .x/_x, a..b/a_.b) never share a branch or a worktree", async () => {
  await using root = await tempDir();
  const { bare, base } = await fixture(root.path);
  const pairs = [["T1.lock", "T1_lock"], [".x", "_x"], ["a..b", "a_.b"]];
  for (const pair of pairs) {
    const branches = pair.map((id) => taskBranch(7, id));
    assert.notEqual(branches[0], branches[1], pair.join(" / "));
    for (const id of pair) {
      const outcome = await deliver(
        writer({ [`${id.replaceAll(".", "dot")}.txt`]: `work of ${id}\n` }),
        base,
        makeTask({ id, title: `Task ${id}` }),
      );
      assert.equal(outcome.ok, true, outcome.result.summary);
      assert.equal(outcome.result.branch, taskBranch(7, id));
    }
    // Both branches hold their own task's work: neither attempt overwrote the other.
    for (const id of pair) {
      const files = await gitIn(bare, "ls-tree", "--name-only", taskBranch(7, id));
      assert.ok(files.split("\n").includes(`${id.replaceAll(".", "dot")}.txt`), `${id}: ${files}`);
    }
  }
  for (const branch of pairs.flat().map((id) => taskBranch(7, id))) {
    await gitIn(root.path, "check-ref-format", `refs/heads/${branch}`);
  }
});

Deno.test("task ids map to valid, distinct ref components (property)", async () => {
  const { safeComponent } = await import("../../src/executor/workdir.ts");
  const fc = (await import("fast-check")).default;
  const idChar = fc.constantFrom(..."ab.-_Z9".split(""));
  fc.assert(
    fc.property(
      fc.array(idChar, { minLength: 1, maxLength: 12 }).map((a) => a.join("")),
      fc.array(idChar, { minLength: 1, maxLength: 12 }).map((a) => a.join("")),
      (a, b) => a === b || safeComponent(a) !== safeComponent(b),
    ),
    { numRuns: 20_000 },
  );
  // Every name is a ref component git accepts (checked by git itself, on a sample).
  const sample = fc.sample(
    fc.array(idChar, { minLength: 1, maxLength: 12 }).map((a) => a.join("")),
    { numRuns: 200, seed: 7 },
  );
  const names = [...new Set([...sample, "T1.lock", ".x", "a..b", "x.", "-a", "a/b", "@", "ü"])]
    .map((id) => `refs/heads/p2p/issue-1/${safeComponent(id)}`);
  const out = await new Deno.Command("sh", {
    args: [
      "-c",
      'for r in "$@"; do git check-ref-format "$r" || echo "invalid: $r"; done',
      "sh",
      ...names,
    ],
    stdout: "piped",
  }).output();
  assert.equal(new TextDecoder().decode(out.stdout), "");
});

Deno.test("a task that writes the environment or a token into the repository is not delivered", async () => {
  await using root = await tempDir();
  const { bare, base } = await fixture(root.path);
  const token = "ghs_16C7e42F292c6912E7710c838347Ae178B4a";
  const cases: Record<string, string> = {
    "env.txt": `PATH=/usr/bin\nGITHUB_TOKEN=${token}\n`,
    "b64.txt": btoa(`x-access-token:${token}`),
    "split.txt": `const t = "${token.slice(0, 20)}" +\n  "${token.slice(20)}";\n`,
    "other.txt": "npm_abcdefghijklmnopqrstuvwxyz0123456789\n",
  };
  for (const [file, content] of Object.entries(cases)) {
    const id = file.replace(".txt", "");
    const outcome = await deliver(
      writer({ "fine.md": "ok\n", [file]: content }),
      { ...base, secrets: [token] },
      makeTask({ id }),
    );
    assert.equal(outcome.ok, false, file);
    assert.match(outcome.result.summary ?? "", /hold what looks like a credential/, file);
    assert.match(outcome.result.summary ?? "", new RegExp(`${file}:\\d`), file);
    assert.ok(!(outcome.result.summary ?? "").includes(token.slice(4, 20)), file);
    assert.equal(await remoteBranch(bare, taskBranch(7, id)), undefined, `${file}: nothing pushed`);
  }
});

Deno.test("a token in a commit message the agent made is not delivered either", async () => {
  await using root = await tempDir();
  const { base } = await fixture(root.path);
  const token = "ghs_16C7e42F292c6912E7710c838347Ae178B4a";
  const committer: Executor = {
    name: "committer",
    async run(_task, ctx) {
      await Deno.writeTextFile(join(ctx.workDir!, "a.txt"), "a\n");
      await gitIn(ctx.workDir!, "add", "a.txt");
      await gitIn(ctx.workDir!, "commit", "--quiet", "-m", `add a\n\ntoken ${btoa(token)}`);
      return { ok: true, result: { summary: "committed" } };
    },
  };
  const outcome = await deliver(committer, { ...base, secrets: [token] }, makeTask());
  assert.equal(outcome.ok, false);
  assert.match(outcome.result.summary ?? "", /commit message [0-9a-f]{12}/);
});

Deno.test("pull request titles and bodies carry no closing keyword, mention, HTML or marker, and fit 256 characters", async () => {
  await using root = await tempDir();
  const { bare, base } = await fixture(root.path);
  const github = fakeGitHub();
  const title = "Fixes #3: Resolves other/repo#9 for @org/everyone <!-- p2p-dev v1 {} -->" +
    " and more".repeat(40);
  const outcome = await deliver(
    writer({ "x.txt": "x\n" }),
    { ...base, mode: "pr", github },
    makeTask({ id: "T2", title, body: "Closes #4\n<img src=x onerror=alert(1)>\ncc @alice" }),
  );
  assert.equal(outcome.ok, true, outcome.result.summary);
  const [pr] = github.calls;
  assert.ok([...pr!.title].length <= 256, `${[...pr!.title].length}`);
  assert.ok(pr!.title.endsWith("… (#7, T2)"), pr!.title);
  for (const text of [pr!.title, pr!.body]) {
    assert.doesNotMatch(
      text,
      /\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)[ \t]*:?[ \t]+(?:[\w.-]+\/[\w.-]+)?#\d+/i,
    );
    assert.doesNotMatch(text, /(?:^|[^\w`])@[A-Za-z0-9]/);
    assert.doesNotMatch(text, /<[A-Za-z!/]/);
  }
  assert.ok(pr!.body.startsWith("Part of #7."), "our own reference stays");
  const log = await gitIn(bare, "log", "-1", "--format=%B", "p2p/issue-7/T2");
  assert.doesNotMatch(log, /Fixes #3|@org|<!--/);
});
