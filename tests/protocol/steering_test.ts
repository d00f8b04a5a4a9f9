/**
 * Leadership ends visibly (a resign event) and people steer a running swarm
 * by comment (issue 15): the fold's rules.
 */
import assert from "node:assert/strict";
import { decodeBody } from "../../src/protocol/codec.ts";
import { parseCommand } from "../../src/protocol/command.ts";
import { canCampaign, isFinished, taskPhase } from "../../src/protocol/view.ts";
import { at, ev, Log, planned, task } from "./_log.ts";

const resign = (term: number, cause: "plan_failed" | "interrupted", reason?: string) => ({
  type: "resign" as const,
  term,
  cause,
  ...(reason ? { reason } : {}),
});

Deno.test("resign: the leader's resignation ends its term at once; the next election needs no timeout", () => {
  const log = new Log();
  log.post("node-1", [ev.election(1, 300_000)]);
  const r = log.at(5).post("node-1", [resign(1, "plan_failed", "Planning failed: a cycle")]);
  assert.match(r.body, /^🛑 RESIGN\|node-1\|term 1\|plan_failed\|Planning failed: a cycle$/m);
  let s = log.fold();
  assert.deepEqual(s.terms[0]!.resigned, {
    at: at(5),
    cause: "plan_failed",
    reason: "Planning failed: a cycle",
  });
  assert.ok(canCampaign(s, at(6)), "no 300 s wait after a resignation");
  log.at(6).post("node-2", [ev.election(2)]);
  s = log.fold();
  assert.equal(s.terms.length, 2);
  assert.equal(s.terms[1]!.node, "node-2");
});

Deno.test("resign: only the term's own leader, only its current term, only before a plan", () => {
  const log = new Log();
  log.post("node-1", [ev.election(1, 300_000)]);
  log.post("node-2", [resign(1, "interrupted")]);
  log.post("node-1", [resign(1, "interrupted")], { author: "mallory" });
  let s = log.fold();
  assert.equal(s.terms[0]!.resigned, undefined);
  assert.equal(s.ignored.not_leader, 1);
  assert.equal(s.ignored.untrusted_author, 1);
  assert.equal(canCampaign(s, at(10)), false);
  const { log: withPlan } = planned([task("T1")]);
  withPlan.post("node-1", [resign(1, "interrupted")]);
  s = withPlan.fold();
  assert.equal(s.terms[0]!.resigned, undefined, "a plan in force is kept");
  assert.equal(s.ignored.stale_resign, 1);
});

Deno.test("steering words are told apart from start commands", () => {
  assert.deepEqual(parseCommand("/p2p-dev stop"), { verb: "stop" });
  assert.deepEqual(parseCommand("\n  /p2p-dev CANCEL T3\nbecause"), { verb: "cancel", task: "T3" });
  assert.deepEqual(parseCommand("/p2p-dev retry"), { verb: "retry" });
  assert.deepEqual(parseCommand("/p2p-dev status"), { verb: "status" });
  for (const start of ["/p2p-dev", "/p2p-dev 5", "/p2p-dev start", "please /p2p-dev stop"]) {
    assert.equal(parseCommand(start), undefined, start);
  }
  assert.equal(parseCommand("/p2p-dev stop now"), undefined, "stop takes no argument");
  assert.equal(decodeBody("/p2p-dev stop").kind, "foreign", "commands are not protocol messages");
});

Deno.test("/p2p-dev stop from a writer ends the swarm; from a stranger it is ignored and counted", () => {
  const { log } = planned([task("T1")]);
  log.at(2).raw("/p2p-dev stop", { author: "stranger" });
  let s = log.fold();
  assert.equal(s.ended, null);
  assert.equal(s.ignored.untrusted_command, 1);
  assert.equal(s.foreign, 0);
  log.at(3).raw("/p2p-dev stop", { author: "bob", editedAfter: 1 });
  assert.equal(log.fold().ended, null, "an edited command counts for nothing");
  log.at(4).raw("/p2p-dev stop", { author: "bob" });
  s = log.fold();
  assert.deepEqual(s.ended, { at: at(4), node: "@bob", reason: "stopped by @bob (/p2p-dev stop)" });
});

Deno.test("/p2p-dev cancel ends the live attempt and fails the task for good; retry reopens it", () => {
  const { log } = planned([task("T1"), task("T2", ["T1"])]);
  log.at(2).post("node-2", [ev.claim("T1", 1)]);
  log.at(3).raw("/p2p-dev cancel T1", { author: "alice" });
  let s = log.fold();
  const t1 = s.tasks.T1!;
  assert.equal(t1.status, "failed");
  assert.deepEqual(t1.cancelled, { at: at(3), by: "alice" });
  assert.deepEqual(t1.attempts[0]!.end, { kind: "cancelled", at: at(3) });
  assert.equal(taskPhase(s, s.tasks.T2!, at(4)), "skipped");
  assert.ok(isFinished(s, at(4)));
  log.at(4).post("node-2", [ev.done("T1", 1)]);
  assert.equal(
    log.fold().tasks.T1!.status,
    "failed",
    "a cancelled attempt's result counts for nothing",
  );
  log.at(5).raw("/p2p-dev retry T1", { author: "bob" });
  s = log.fold();
  assert.equal(s.tasks.T1!.status, "pending");
  assert.equal(s.tasks.T1!.cancelled, undefined);
  assert.equal(taskPhase(s, s.tasks.T1!, at(6)), "ready");
  log.at(6).raw("/p2p-dev cancel T9", { author: "bob" });
  log.at(7).raw("/p2p-dev retry T2", { author: "bob" });
  s = log.fold();
  assert.equal(s.ignored.unknown_task, 1);
  assert.equal(s.ignored.stale_command, 1, "retrying a task that did not fail changes nothing");
});

Deno.test("/p2p-dev status records the newest request for the node that answers it", () => {
  const { log } = planned([task("T1")]);
  const first = log.at(2).raw("/p2p-dev status", { author: "bob" });
  assert.deepEqual(log.fold().statusRequest, { id: first.id, at: at(2), by: "bob" });
  const second = log.at(3).raw("/p2p-dev status", { author: "alice" });
  log.at(4).raw("/p2p-dev status", { author: "stranger" });
  const s = log.fold();
  assert.deepEqual(s.statusRequest, { id: second.id, at: at(3), by: "alice" });
  assert.equal(s.ignored.untrusted_command, 1);
});
