import assert from "node:assert/strict";
import { runCli } from "./_run.ts";
import { FAST, startWorld, without } from "./_world.ts";

const ELECT_FAST = without(FAST, ["--lease-ms", "--renew-ms", "--backoff-ms"]);
const PLAN_FAST = without(FAST, ["--renew-ms"]);

Deno.test({
  name:
    "plan after elect (same node id) says it published the plan, never also 'nothing to publish'",
  sanitizeResources: false,
  async fn() {
    await using world = await startWorld(["- [ ] T1: one\n- [ ] T2: two (after: T1)"]);
    const elect = await runCli(
      ["elect", "--issue", "1", "--node-id", "lead", ...ELECT_FAST],
      world.env,
    );
    assert.equal(elect.code, 0, elect.stderr);
    assert.match(elect.stdout, /^leader: lead \(term 1\)$/m);
    const plan = await runCli(
      ["plan", "--issue", "1", "--node-id", "lead", ...PLAN_FAST],
      world.env,
    );
    assert.equal(plan.code, 0, plan.stderr);
    assert.match(plan.stdout, /published a plan of 2 tasks in 1 comment, planner markdown/);
    assert.match(plan.stdout, /^published the plan \(2 tasks\) as leader of term 1$/m);
    assert.doesNotMatch(plan.stdout, /nothing to publish/);
    const again = await runCli(
      ["plan", "--issue", "1", "--node-id", "other", ...PLAN_FAST],
      world.env,
    );
    assert.match(again.stdout, /^a plan is in force \(term 1, by lead\); nothing to publish$/m);
    assert.doesNotMatch(again.stdout, /published a plan/);
  },
});
