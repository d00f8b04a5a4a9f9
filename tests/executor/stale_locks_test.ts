import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { deliveringExecutor } from "../../src/executor/delivery.ts";
import { clearStaleGitLocks, SHARED_LOCK_STALE_MS } from "../../src/executor/stale_locks.ts";
import { GIT_ENV, gitIn, makeContext, makeTask, setupRemote, tempDir } from "./helpers.ts";

async function plant(commonDir: string, path: string, ageMs = 0): Promise<string> {
  const full = join(commonDir, path);
  await Deno.mkdir(dirname(full), { recursive: true });
  await Deno.writeTextFile(full, "");
  const at = new Date(Date.now() - ageMs);
  await Deno.utime(full, at, at);
  return full;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

Deno.test("a lock on the task's own branch is removed at any age; shared ones only once stale", async () => {
  await using root = await tempDir();
  const own = await plant(root.path, "refs/heads/p2p/issue-7/T1.lock");
  const freshShared = await plant(root.path, "refs/remotes/origin/main.lock");
  const oldShared = await plant(root.path, "packed-refs.lock", SHARED_LOCK_STALE_MS + 5_000);
  const freshShallow = await plant(root.path, "shallow.lock", 1_000);
  const removed = await clearStaleGitLocks({
    commonDir: root.path,
    ownRefs: ["refs/heads/p2p/issue-7/T1"],
    sharedRefs: ["refs/remotes/origin/main"],
  });
  assert.deepEqual(removed.sort(), ["packed-refs.lock", "refs/heads/p2p/issue-7/T1.lock"]);
  assert.equal(await exists(own), false);
  assert.equal(await exists(oldShared), false);
  assert.equal(await exists(freshShared), true, "a git command running now keeps its lock");
  assert.equal(await exists(freshShallow), true);
});

Deno.test("no lock files: nothing is removed; a directory named like a lock is left alone", async () => {
  await using root = await tempDir();
  await Deno.mkdir(join(root.path, "refs", "heads", "x.lock"), { recursive: true });
  const removed = await clearStaleGitLocks({
    commonDir: root.path,
    ownRefs: ["refs/heads/x", "refs/heads/p2p/issue-1/T9"],
    sharedRefs: [],
  });
  assert.deepEqual(removed, []);
  assert.equal(await exists(join(root.path, "refs", "heads", "x.lock")), true);
});

Deno.test("a lock a killed git process left no longer fails every attempt of the task on that clone", async () => {
  await using root = await tempDir();
  const { bare, clone } = await setupRemote(root.path);
  const commonDir = join(clone, ".git");
  // What `git worktree add -B p2p/issue-7/T1` leaves when killed mid-way, and
  // a remote-tracking ref lock from a fetch killed two minutes ago while the
  // remote's main has moved on since (so the next fetch must update it).
  await plant(commonDir, "refs/heads/p2p/issue-7/T1.lock");
  await plant(commonDir, "refs/remotes/origin/main.lock", 2 * SHARED_LOCK_STALE_MS);
  const other = join(root.path, "other");
  await gitIn(root.path, "clone", "--quiet", bare, other);
  await Deno.writeTextFile(join(other, "moved.txt"), "main moved\n");
  await gitIn(other, "add", "moved.txt");
  await gitIn(other, "commit", "--quiet", "-m", "Move main");
  await gitIn(other, "push", "--quiet", "origin", "main");

  const exec = deliveringExecutor({
    name: "writer",
    async run(_task, ctx) {
      await Deno.writeTextFile(join(ctx.workDir ?? "/nonexistent", "a.txt"), "done\n");
      return { ok: true, result: { summary: "wrote a.txt" } };
    },
  }, {
    mode: "branch",
    repoDir: clone,
    worktreeRoot: join(root.path, "worktrees"),
    author: { name: "P2P Bot", email: "bot@example.com" },
    gitEnv: GIT_ENV,
  });
  const outcome = await exec.run(makeTask(), makeContext().ctx);
  assert.equal(outcome.ok, true, outcome.result.summary);
  assert.match(
    outcome.result.summary ?? "",
    /Removed lock files a killed git process had left: "refs\/heads\/p2p\/issue-7\/T1\.lock", "refs\/remotes\/origin\/main\.lock"\./,
  );
  const files = await gitIn(bare, "ls-tree", "--name-only", "p2p/issue-7/T1");
  assert.deepEqual(files.split("\n").sort(), ["README.md", "a.txt", "moved.txt"]);
});
