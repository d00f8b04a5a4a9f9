/**
 * Time limits that hold and a node that keeps failing for its own reasons
 * (issue 15): `--max-runtime` stops a running task and releases it; local
 * failures release tasks without using their attempts, and after three in a
 * row the node stops claiming; a task timeout applies by default.
 */
import assert from "node:assert/strict";
import { runInProcess } from "./_ctx.ts";
import { Proc } from "./_proc.ts";
import { runCli } from "./_run.ts";
import { FAST, startWorld } from "./_world.ts";

Deno.test({
  name: "--max-runtime stops a task that is running and releases it (no attempt used up)",
  sanitizeResources: false,
  async fn() {
    await using world = await startWorld(["- [ ] T1: long"]);
    // The task would take 60 s; the limit is 2 s (the test kills everything at 40 s).
    const run = await new Proc(
      ["run", "--issue", "1", "--exec", "sleep 60", "--max-runtime", "2s", ...FAST],
      world.env,
      40_000,
    ).end();
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /T1 failed: --max-runtime reached/);
    assert.match(run.stdout, /stopped: max runtime/);
    const state = JSON.parse((await runCli(["state", "--issue", "1", "--json"], world.env)).stdout);
    const attempt = state.tasks.T1.attempts[0];
    assert.equal(attempt.end.kind, "released");
    assert.equal(state.tasks.T1.failures, 0);
  },
});

Deno.test({
  name:
    "a node whose work folder is unusable releases tasks without using attempts and stops claiming after 3; a healthy node finishes",
  sanitizeResources: false,
  async fn() {
    await using world = await startWorld([
      "- [ ] T1: a\n- [ ] T2: b\n- [ ] T3: c\n- [ ] T4: d",
    ]);
    const notADir = `${world.dir}/file`;
    await Deno.writeTextFile(notADir, "a file where the work folder should be\n");
    const broken = await runCli(
      [
        "run",
        "--issue",
        "1",
        "--exec",
        "true",
        "--work-dir",
        notADir,
        "--max-attempts",
        "2",
        ...FAST,
      ],
      world.env,
    );
    assert.equal(broken.code, 1, broken.stderr);
    assert.match(
      broken.stderr,
      /^Stopped claiming after 3 attempts in a row failed on this node, not for the tasks' sake/m,
    );
    const state = JSON.parse((await runCli(["state", "--issue", "1", "--json"], world.env)).stdout);
    const released = Object.values(state.tasks).flatMap((t) =>
      (t as { attempts: { end?: { kind: string } }[] }).attempts
    );
    assert.equal(released.length, 3);
    assert.ok(released.every((a) => a.end?.kind === "released"));
    for (const t of Object.values(state.tasks) as { status: string; failures: number }[]) {
      assert.notEqual(t.status, "failed");
      assert.equal(t.failures, 0, "local failures use up no attempt");
    }
    const healthy = await runCli(["run", "--issue", "1", "--exec", "echo ok", ...FAST], world.env);
    assert.equal(healthy.code, 0, healthy.stderr);
  },
});

Deno.test({
  name:
    "--task-timeout stops a hung task and fails the attempt, so its lease is not renewed forever",
  sanitizeResources: false,
  async fn() {
    await using world = await startWorld(["- [ ] T1: hangs"]);
    const run = await new Proc(
      [
        "run",
        "--issue",
        "1",
        "--exec",
        "sleep 60",
        "--task-timeout",
        "1s",
        "--max-attempts",
        "1",
        ...FAST,
      ],
      world.env,
      40_000,
    ).end();
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /^ {2}T1 \(1 attempt\): Command timed out after 1000 ms/m);
    const state = JSON.parse((await runCli(["state", "--issue", "1", "--json"], world.env)).stdout);
    assert.equal(state.tasks.T1.status, "failed");
    assert.equal(state.tasks.T1.attempts[0].end.kind, "failed");
  },
});

Deno.test("a task timeout applies by default (60 minutes), and the help says so", async () => {
  const help = (await runInProcess(["run", "--help"])).out.join("\n").replace(/\s+/g, " ");
  assert.match(help, /--task-timeout <ms> stop a task .*\(default: 3600000\)/);
});
