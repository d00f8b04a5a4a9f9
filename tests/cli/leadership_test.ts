/**
 * Leadership ends visibly (issue 15): a leader whose planning fails posts the
 * reason once and resigns, so a new run campaigns at once instead of waiting
 * out a dead leader's 5-minute election timeout; an interrupted leader
 * resigns before exiting; the demo stops at the first planning failure.
 */
import assert from "node:assert/strict";
import { Proc } from "./_proc.ts";
import { runCli } from "./_run.ts";
import { bodies, FAST, startWorld, without, WRITER_TOKEN } from "./_world.ts";

const CYCLE = "- [ ] A1: first (after: B1)\n- [ ] B1: second (after: A1)";
/** Fast timing, but the default 5-minute election timeout: waiting it out would show. */
const SLOW_ELECTION = without(FAST, ["--election-timeout-ms"]);

Deno.test({
  name:
    "a planning failure is posted once as a resignation; the next run says why at once, and campaigns at once once the issue is fixed",
  sanitizeResources: false,
  async fn() {
    await using world = await startWorld([CYCLE]);
    const first = new Proc(["run", "--issue", "1", "--exec", "true", ...SLOW_ELECTION], world.env);
    const one = await first.end();
    assert.equal(one.code, 1, one.stderr);
    assert.match(
      one.stderr,
      /^Planning failed: .*cycle.* The leader resigned and said so on the issue/m,
    );
    const resigns = bodies(world, 1).filter((c) => c.body.includes("RESIGN|"));
    assert.equal(resigns.length, 1, "the reason is posted once");
    assert.match(
      resigns[0]!.body,
      /^🛑 RESIGN\|.*\|term 1\|plan_failed\|Planning failed: .*cycle/m,
    );

    // A second trigger finds the failure at once and says why (the issue has
    // not changed): no second election, no 5-minute wait (killed at 60 s).
    const two = await new Proc(
      ["run", "--issue", "1", "--exec", "true", ...SLOW_ELECTION],
      world.env,
    )
      .end();
    assert.equal(two.code, 1, two.stderr);
    assert.match(
      two.stderr,
      /Planning failed: .*cycle.* \(earlier, and the issue has not changed since/,
    );
    assert.doesNotMatch(two.stdout, /campaigning/);

    // --retry-failed plans it again as it is: a new term at once, failing the same way.
    const retry = await new Proc(
      ["run", "--issue", "1", "--exec", "true", "--retry-failed", ...SLOW_ELECTION],
      world.env,
    ).end();
    assert.equal(retry.code, 1, retry.stderr);
    assert.match(retry.stdout, /campaigning for term 2/);

    // The issue fixed, the next run campaigns at once and finishes.
    const fixed = await fetch(`${world.emulator.url}/repos/o/r/issues/1`, {
      method: "PATCH",
      headers: { authorization: `token ${WRITER_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ body: "- [ ] A1: first\n- [ ] B1: second (after: A1)" }),
    });
    assert.equal(fixed.status, 200, await fixed.text());
    const three = await new Proc(
      ["run", "--issue", "1", "--exec", "echo ok", ...SLOW_ELECTION],
      world.env,
    )
      .end();
    assert.equal(three.code, 0, three.stderr);
    assert.match(three.stdout, /campaigning for term 3/);
    const state = JSON.parse((await runCli(["state", "--issue", "1", "--json"], world.env)).stdout);
    assert.equal(state.terms.length, 3);
    assert.equal(state.terms[1].resigned.cause, "plan_failed");
    assert.equal(state.plan.term, 3);
  },
});

Deno.test({
  name:
    "a leader interrupted while planning resigns before it exits; the next node campaigns at once",
  sanitizeResources: false,
  async fn() {
    await using world = await startWorld(["- [ ] T1: one"]);
    const leader = new Proc([
      "run",
      "--issue",
      "1",
      "--exec",
      "true",
      "--planner",
      "command",
      "--planner-cmd",
      "sleep 30",
      ...SLOW_ELECTION,
    ], world.env);
    await leader.waitFor(/elected leader of term 1/);
    leader.child.kill("SIGTERM");
    const stopped = await leader.end();
    assert.equal(stopped.code, 130, stopped.stderr);
    assert.match(stopped.stdout, /resigned as leader of term 1 \(interrupted\)/);
    const next = await runCli(
      ["run", "--issue", "1", "--exec", "echo ok", ...SLOW_ELECTION],
      world.env,
    );
    assert.equal(next.code, 0, next.stderr);
    assert.match(next.stdout, /campaigning for term 2/);
  },
});

Deno.test({
  name: "the demo stops at the first planning failure and says why (one election, not five)",
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "p2p-demo-cycle-" });
    try {
      await Deno.writeTextFile(`${dir}/issue.md`, `# A cycle\n\n${CYCLE}\n`);
      const r = await runCli([
        "demo",
        "--nodes",
        "3",
        "--issue-file",
        `${dir}/issue.md`,
        "--out",
        `${dir}/out`,
        "--timeout",
        "60000",
      ]);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stdout, /^Demo failed: .* said: Planning failed: .*cycle/m);
      const metrics = JSON.parse(await Deno.readTextFile(`${dir}/out/metrics.json`));
      assert.equal(metrics.terms, 1);
      assert.match(r.stdout, /^❌ /m);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
