import assert from "node:assert/strict";
import { decodeBody, parseMessage } from "../../src/protocol/codec.ts";
import {
  budgetReached,
  costCap,
  roundUsd,
  spentUsd,
  taskCostUsd,
} from "../../src/protocol/cost.ts";
import { ev, Log, SETTINGS, task } from "./_log.ts";

const THREE = [task("T1"), task("T2"), task("T3")];

/** A log whose plan publishes `maxCostUsd` (when given) with the usual settings. */
function plannedWithCap(maxCostUsd?: number): Log {
  const log = new Log();
  const token = log.post("node-1", [ev.election(1)]).id;
  log.at(1).post("node-1", [
    ev.plan(token, THREE, {
      settings: maxCostUsd === undefined ? SETTINGS : { ...SETTINGS, maxCostUsd },
    }),
  ]);
  return log;
}

const done = (task: string, attempt: number, costUsd: number) =>
  ev.progress(task, attempt, "completed", { result: { costUsd, summary: "ok" } });
const failed = (task: string, attempt: number, costUsd: number) =>
  ev.progress(task, attempt, "failed", { result: { costUsd, summary: "no" } });

Deno.test("spentUsd sums what completed and failed attempts reported, duplicates included", () => {
  const log = plannedWithCap();
  log.at(10).post("node-2", [ev.claim("T1", 1)]);
  log.at(11).post("node-2", [failed("T1", 1, 0.25)]);
  log.at(30).post("node-3", [ev.claim("T1", 2)]);
  log.at(31).post("node-3", [done("T1", 2, 0.5)]);
  log.at(32).post("node-2", [ev.claim("T2", 1)]);
  log.at(33).post("node-2", [done("T2", 1, 0.125)]);
  const s = log.fold();
  assert.equal(taskCostUsd(s.tasks["T1"]!), 0.75, "both attempts of T1 cost money");
  assert.equal(taskCostUsd(s.tasks["T2"]!), 0.125);
  assert.equal(taskCostUsd(s.tasks["T3"]!), undefined, "nothing reported for T3");
  assert.equal(spentUsd(s), 0.875);
  assert.equal(s.tasks["T1"]!.attempts[0]!.result?.summary, "no", "a failure keeps its result");
});

Deno.test("a duplicate completion's cost counts although the result is ignored", () => {
  const log = plannedWithCap();
  log.at(10).post("node-2", [ev.claim("T1", 1)]);
  log.at(80).post("node-3", [ev.claim("T1", 2)]); // attempt 1's lease lapsed
  log.at(90).post("node-2", [done("T1", 1, 0.5)]);
  log.at(95).post("node-3", [done("T1", 2, 0.25)]);
  const s = log.fold();
  assert.equal(s.duplicateResults, 1);
  assert.equal(s.tasks["T1"]!.done?.attempt, 1);
  assert.equal(spentUsd(s), 0.75);
});

Deno.test("the plan publishes the cost cap; a node's own cap replaces it", () => {
  const log = plannedWithCap(1);
  const s = log.fold();
  assert.equal(s.settings.maxCostUsd, 1);
  assert.equal(costCap(s, undefined), 1);
  assert.equal(costCap(s, 5), 5);
  assert.equal(costCap(plannedWithCap().fold(), undefined), undefined);
});

Deno.test("budgetReached once the reported costs reach the cap, not before", () => {
  const log = plannedWithCap(0.5);
  log.at(10).post("node-2", [ev.claim("T1", 1)]);
  log.at(11).post("node-2", [done("T1", 1, 0.3)]);
  assert.equal(budgetReached(log.fold(), undefined), false);
  log.at(12).post("node-2", [ev.claim("T2", 1)]);
  log.at(13).post("node-2", [failed("T2", 1, 0.2)]);
  const s = log.fold();
  assert.equal(spentUsd(s), 0.5);
  assert.equal(budgetReached(s, undefined), true, "0.3 + 0.2 reaches 0.5");
  assert.equal(budgetReached(s, 2), false, "a node's higher cap lets it go on");
  assert.equal(budgetReached(plannedWithCap().fold(), undefined), false, "no cap, no stop");
});

Deno.test("settings without a positive maxCostUsd decode without a cap", () => {
  for (const maxCostUsd of [0, -1, "5", null]) {
    const log = new Log();
    const token = log.post("node-1", [ev.election(1)]).id;
    const body = log.body("node-1", [ev.plan(token, THREE)]).replace(
      '"backoffMs":10000',
      `"backoffMs":10000,"maxCostUsd":${JSON.stringify(maxCostUsd)}`,
    );
    // A hand-edited payload is no whole comment (decodeBody: malformed); the
    // payload parser still drops a cap that is not a positive number.
    assert.equal(decodeBody(body).kind, "malformed");
    const payload = body.slice(body.lastIndexOf("\n") + 1).replace(/^<!-- p2p-dev v1 | -->$/g, "");
    const message = parseMessage(JSON.parse(payload), false);
    assert.ok(typeof message !== "string", String(message));
    const plan = message.events[0];
    assert.ok(plan?.type === "plan");
    assert.deepEqual(plan.settings, SETTINGS, `maxCostUsd ${JSON.stringify(maxCostUsd)}`);
  }
});

Deno.test("a result's denied calls and failure kind travel in the log, bounded", () => {
  const log = plannedWithCap();
  log.at(10).post("node-2", [ev.claim("T1", 1)]);
  const denied = Array.from({ length: 30 }, (_, i) => `Bash(npm run check-${i})`);
  denied[0] = `Bash(${"x".repeat(500)})`;
  log.at(11).post("node-2", [
    ev.progress("T1", 1, "failed", {
      result: { costUsd: 0.01, denied, failure: "permission_denied" },
    }),
  ]);
  const result = log.fold().tasks["T1"]!.attempts[0]!.result!;
  assert.equal(result.failure, "permission_denied");
  assert.equal(result.denied?.length, 20);
  assert.equal(result.denied?.[0]?.length, 300);
  assert.equal(result.denied?.[1], "Bash(npm run check-1)");
  assert.match(log.comments.at(-1)!.body, /❌ PROGRESS\|T1\|node-2\|failed\|\$0\.0100\|20 denied/);
});

Deno.test("roundUsd keeps four decimals", () => {
  assert.equal(roundUsd(0.1 + 0.2), 0.3);
  assert.equal(roundUsd(0.00625 * 3), 0.0188);
});
