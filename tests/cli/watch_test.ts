/**
 * `p2p-dev watch` (issue 15): joins the labelled issues whose swarm needs
 * workers, exits when done or at --max-duration, and a lock stops overlaps.
 */
import assert from "node:assert/strict";
import { acquireLock } from "../../src/cli/lock_file.ts";
import { runInProcess } from "./_ctx.ts";
import { runCli } from "./_run.ts";
import { FAST, startWorld } from "./_world.ts";

Deno.test("the watch lock: one holder at a time; a lock whose process is gone is taken over", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/w.lock`;
    const first = await acquireLock(path);
    assert.ok("release" in first);
    const second = await acquireLock(path);
    assert.ok("heldBy" in second);
    assert.equal(second.heldBy.pid, Deno.pid);
    await first.release();
    // A holder on this host whose pid no longer runs.
    await Deno.writeTextFile(
      path,
      JSON.stringify({ pid: 2 ** 22 + 17, host: Deno.hostname(), since: "then" }),
    );
    const third = await acquireLock(path);
    assert.ok("release" in third, "a stale lock is taken over");
    await third.release();
    assert.equal(await Deno.stat(path).catch(() => null), null, "release removes the file");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name:
    "watch --once joins the labelled issues that need workers, skips finished ones, then exits 0",
  sanitizeResources: false,
  async fn() {
    await using world = await startWorld([
      "- [ ] T1: one\n- [ ] T2: two (after: T1)",
      "- [ ] T1: already done",
      "- [ ] T1: third",
    ]);
    const done = await runCli(["run", "--issue", "2", "--exec", "echo early", ...FAST], world.env);
    assert.equal(done.code, 0, done.stderr);
    const lock = `${world.dir}/watch.lock`;
    const r = await runCli(
      ["watch", "--once", "--lock", lock, "--exec", "echo watched $P2P_ISSUE", ...FAST],
      world.env,
    );
    assert.equal(r.code, 0, r.stderr);
    const joins = [...r.stdout.matchAll(/^joining #(\d+) \((.*)\)$/gm)].map((m) => m[1]);
    assert.deepEqual(joins, ["1", "3"], r.stdout);
    assert.match(r.stdout, /^joining #1 \(no plan yet\)$/m);
    assert.match(r.stdout, /^no labelled issue needs workers; done$/m);
    assert.equal(await Deno.stat(lock).catch(() => null), null, "the lock is released");
    for (const issue of ["1", "3"]) {
      const agg = await runCli([
        "aggregate",
        "--issue",
        issue,
        "--no-comment",
        "--out",
        `${world.dir}/o${issue}`,
      ], world.env);
      assert.equal(agg.code, 0, `issue ${issue} finished: ${agg.stderr}`);
    }
  },
});

Deno.test({
  name: "a second watch finds the lock held and exits 0 at once, saying who holds it",
  sanitizeResources: false,
  async fn() {
    await using world = await startWorld(["- [ ] T1: one"]);
    const lock = `${world.dir}/watch.lock`;
    const held = await acquireLock(lock); // this test process stands in for a running watch
    assert.ok("release" in held);
    try {
      const r = await runInProcess(
        ["watch", "--once", "--lock", lock, "--exec", "true", ...FAST],
        world.env,
      );
      assert.equal(r.code, 0);
      assert.match(r.err.join("\n"), new RegExp(`Another p2p-dev watch holds .*pid ${Deno.pid}`));
      assert.deepEqual(r.out, []);
    } finally {
      await held.release();
    }
  },
});

Deno.test({
  name: "watch without --once keeps looking and exits at --max-duration",
  sanitizeResources: false,
  async fn() {
    await using world = await startWorld(["- [ ] T1: one"]);
    const ran = await runCli(["run", "--issue", "1", "--exec", "true", ...FAST], world.env);
    assert.equal(ran.code, 0, ran.stderr);
    const r = await runInProcess(
      [
        "watch",
        "--lock",
        `${world.dir}/w.lock`,
        "--max-duration",
        "600ms",
        "--interval",
        "100ms",
        "--exec",
        "true",
        ...FAST,
      ],
      world.env,
    );
    assert.equal(r.code, 0, r.err.join("\n"));
    assert.match(r.out.join("\n"), /reached --max-duration; exiting/);
    assert.doesNotMatch(r.out.join("\n"), /joining/);
  },
});
