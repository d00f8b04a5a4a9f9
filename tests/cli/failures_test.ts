/**
 * Failures come with a next step (issue 15): a run with a task failed for
 * good names the task, why, and `--retry-failed`; `metrics.json` and
 * `state --json` carry why it failed; `aggregate` exits non-zero while the
 * swarm is failed or unfinished; a run leaves no temporary folder behind.
 */
import assert from "node:assert/strict";
import { runCli } from "./_run.ts";
import { FAST, startWorld } from "./_world.ts";

const FAILING = 'if [ "$P2P_TASK_ID" = T2 ]; then echo "boom in $P2P_TASK_ID" >&2; exit 3; fi; ' +
  "echo ok";

Deno.test({
  name:
    "a task failed for good: run names it, why, and --retry-failed; metrics, state and aggregate say why; a retry finishes",
  sanitizeResources: false,
  async fn() {
    await using world = await startWorld([
      "- [ ] T1: first\n- [ ] T2: second\n- [ ] T3: third (after: T2)",
    ]);
    const run = await runCli(
      ["run", "--issue", "1", "--exec", FAILING, "--max-attempts", "2", ...FAST],
      world.env,
    );
    assert.equal(run.code, 1, run.stderr);
    const said = run.stderr;
    assert.match(said, /^1 task failed for good:$/m);
    assert.match(said, /^ {2}T2 \(2 attempts\): boom in T2$/m);
    assert.match(said, /^Blocked by the failure: T3$/m);
    assert.match(said, /^Retry them: p2p-dev run --issue 1 --retry-failed$/m);
    assert.deepEqual(
      [...Deno.readDirSync(`${world.dir}/tmp`)].map((e) => e.name),
      [],
      "the run removed its temporary work folder",
    );

    const state = await runCli(["state", "--issue", "1", "--json"], world.env);
    assert.equal(state.code, 0, state.stderr);
    const folded = JSON.parse(state.stdout);
    assert.equal(folded.tasks.T2.status, "failed");
    assert.match(folded.tasks.T2.attempts[1].result.summary, /boom in T2/);
    assert.match(folded.tasks.T1.done.result.summary, /ok/);

    const agg = await runCli(["aggregate", "--issue", "1", "--out", `${world.dir}/out`], world.env);
    assert.equal(agg.code, 1, "aggregate exits 1 when a task failed for good");
    assert.match(agg.stderr, /Failed for good: T2\. Retry: p2p-dev run --issue 1 --retry-failed/);
    const metrics = JSON.parse(await Deno.readTextFile(`${world.dir}/out/metrics.json`));
    const t2 = metrics.tasks.find((t: { id: string }) => t.id === "T2");
    assert.match(t2.summary, /boom in T2/, "metrics.json says why T2 failed");
    assert.equal(t2.attempts.length, 2);
    for (const a of t2.attempts) assert.match(a.summary, /boom in T2/);

    const retry = await runCli(
      ["run", "--issue", "1", "--exec", "echo fixed", "--retry-failed", ...FAST],
      world.env,
    );
    assert.equal(retry.code, 0, retry.stderr);
    const again = await runCli(
      ["aggregate", "--issue", "1", "--out", `${world.dir}/out`],
      world.env,
    );
    assert.equal(again.code, 0, again.stderr);
  },
});

Deno.test({
  name:
    "aggregate exits 3 while the swarm has no plan yet, with the command that shows what is left",
  sanitizeResources: false,
  async fn() {
    await using world = await startWorld(["- [ ] T1: first"]);
    const agg = await runCli(
      ["aggregate", "--issue", "1", "--out", `${world.dir}/out`, "--no-comment"],
      world.env,
    );
    assert.equal(agg.code, 3, agg.stderr);
    assert.match(agg.stderr, /Not finished yet: p2p-dev status --issue 1/);
  },
});

Deno.test({
  name: "a run that fails at once leaves no temporary folder behind",
  sanitizeResources: false,
  async fn() {
    await using world = await startWorld(["- [ ] T1: first"]);
    // Issue 99 does not exist: the node fails on its first read.
    const run = await runCli(["run", "--issue", "99", "--exec", "true", ...FAST], world.env);
    assert.equal(run.code, 1, run.stderr);
    assert.deepEqual([...Deno.readDirSync(`${world.dir}/tmp`)].map((e) => e.name), []);
  },
});
