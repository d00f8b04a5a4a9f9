import assert from "node:assert/strict";
import { emptyState } from "../../src/protocol/state.ts";
import {
  activeNodes,
  canCampaign,
  currentLeader,
  isFinished,
  liveAttempt,
  nextAttempt,
  phaseCounts,
  taskPhase,
} from "../../src/protocol/view.ts";
import { at, ev, Log, planned, task } from "./_log.ts";

const THREE = [task("T1"), task("T2", ["T1"]), task("T3")];

Deno.test("taskPhase: blocked until its dependencies are done, then ready", () => {
  const { log } = planned(THREE);
  let s = log.fold();
  assert.equal(taskPhase(s, s.tasks["T1"]!, at(2)), "ready");
  assert.equal(taskPhase(s, s.tasks["T2"]!, at(2)), "blocked");
  log.at(5).post("node-2", [ev.claim("T1", 1)]);
  log.at(6).post("node-2", [ev.done("T1", 1)]);
  s = log.fold();
  assert.equal(taskPhase(s, s.tasks["T1"]!, at(6)), "done");
  assert.equal(taskPhase(s, s.tasks["T2"]!, at(6)), "ready");
});

Deno.test("taskPhase: running while the lease holds, ready the second after it lapses", () => {
  const { log } = planned(THREE);
  log.at(10).post("node-2", [ev.claim("T1", 1)]);
  const s = log.fold();
  const t = s.tasks["T1"]!;
  assert.equal(taskPhase(s, t, at(70)), "running");
  assert.equal(liveAttempt(s, t, at(70))?.node, "node-2");
  assert.equal(taskPhase(s, t, at(70) + 1), "ready");
  assert.equal(liveAttempt(s, t, at(70) + 1), undefined);
});

Deno.test("taskPhase: waiting during the backoff after a failure", () => {
  const { log } = planned(THREE);
  log.at(10).post("node-2", [ev.claim("T1", 1)]);
  log.at(20).post("node-2", [ev.failed("T1", 1)]);
  const s = log.fold();
  assert.equal(taskPhase(s, s.tasks["T1"]!, at(29)), "waiting");
  assert.equal(taskPhase(s, s.tasks["T1"]!, at(30)), "ready");
  assert.equal(nextAttempt(s.tasks["T1"]!), 2);
  assert.equal(nextAttempt(s.tasks["T3"]!), 1);
});

Deno.test("taskPhase: failed once the last attempt failed, or its lease lapsed", () => {
  const { log } = planned(THREE);
  log.at(10).post("node-2", [ev.claim("T1", 1), ev.claim("T3", 1)]);
  log.at(11).post("node-2", [ev.failed("T1", 1), ev.failed("T3", 1)]);
  log.at(30).post("node-2", [ev.claim("T1", 2), ev.claim("T3", 2)]);
  log.at(31).post("node-2", [ev.failed("T1", 2), ev.failed("T3", 2)]);
  log.at(60).post("node-2", [ev.claim("T1", 3), ev.claim("T3", 3)]);
  log.at(61).post("node-2", [ev.failed("T1", 3)]);
  const s = log.fold();
  assert.equal(taskPhase(s, s.tasks["T1"]!, at(61)), "failed");
  // T3's third attempt is still running; when its lease lapses nothing is left.
  assert.equal(taskPhase(s, s.tasks["T3"]!, at(120)), "running");
  assert.equal(taskPhase(s, s.tasks["T3"]!, at(121)), "failed");
  assert.equal(isFinished(s, at(120)), false);
});

Deno.test("isFinished: false without a plan, true once every task is done or failed for good", () => {
  assert.equal(isFinished(emptyState(), at(0)), false);
  const { log } = planned([task("T1"), task("T2")]);
  log.at(5).post("node-2", [ev.claim("T1", 1), ev.claim("T2", 1)]);
  log.at(6).post("node-2", [ev.done("T1", 1)]);
  let s = log.fold();
  assert.equal(isFinished(s, at(6)), false);
  for (const [n, sec] of [[1, 7], [2, 18], [3, 39]] as const) {
    if (n > 1) log.at(sec - 1).post("node-2", [ev.claim("T2", n)]);
    log.at(sec).post("node-2", [ev.failed("T2", n)]);
  }
  s = log.fold();
  assert.equal(s.tasks["T2"]!.status, "failed");
  assert.equal(isFinished(s, at(39)), true);
  assert.deepEqual(phaseCounts(s, at(39)), {
    blocked: 0,
    ready: 0,
    waiting: 0,
    running: 0,
    done: 1,
    failed: 1,
    skipped: 0,
  });
});

Deno.test("taskPhase: a task behind a task failed for good is skipped, transitively; a retry unblocks it", () => {
  const { log } = planned([task("T1"), task("T2", ["T1"]), task("T3", ["T2"]), task("T4")]);
  for (const [n, sec] of [[1, 7], [2, 18], [3, 39]] as const) {
    log.at(sec - 1).post("node-2", [ev.claim("T1", n)]);
    log.at(sec).post("node-2", [ev.failed("T1", n)]);
  }
  log.at(40).post("node-3", [ev.claim("T4", 1)]);
  log.at(41).post("node-3", [ev.done("T4", 1)]);
  let s = log.fold();
  assert.equal(taskPhase(s, s.tasks["T2"]!, at(41)), "skipped");
  assert.equal(taskPhase(s, s.tasks["T3"]!, at(41)), "skipped");
  assert.equal(isFinished(s, at(41)), true);
  log.at(50).post("node-1", [{ type: "retry", tasks: ["T1"] }]);
  s = log.fold();
  assert.equal(taskPhase(s, s.tasks["T1"]!, at(50)), "ready");
  assert.equal(taskPhase(s, s.tasks["T3"]!, at(50)), "blocked");
  assert.equal(isFinished(s, at(50)), false);
});

Deno.test("phaseCounts: counts every task of the plan once", () => {
  const { log } = planned([...THREE, task("T4")]);
  log.at(10).post("node-2", [ev.claim("T1", 1), ev.claim("T3", 1)]);
  log.at(11).post("node-2", [ev.failed("T3", 1)]);
  const s = log.fold();
  assert.deepEqual(phaseCounts(s, at(12)), {
    blocked: 1,
    ready: 1,
    waiting: 1,
    running: 1,
    done: 0,
    failed: 0,
    skipped: 0,
  });
});

Deno.test("canCampaign: with no leader yes; within the leader's timeout no; after it yes", () => {
  assert.equal(canCampaign(emptyState(), at(0)), true);
  const log = new Log();
  log.post("node-1", [ev.election(1, 30_000)]);
  log.at(10).post("node-1", [ev.announce()]);
  const s = log.fold();
  assert.equal(currentLeader(s)?.node, "node-1");
  assert.equal(canCampaign(s, at(40)), false);
  assert.equal(canCampaign(s, at(40) + 1), true);
});

Deno.test("canCampaign: never once a plan is in force or the swarm has ended", () => {
  const { log } = planned(THREE);
  assert.equal(canCampaign(log.fold(), at(1_000_000)), false);
  const ended = new Log();
  ended.post("node-1", [ev.end("cancelled")]);
  assert.equal(canCampaign(ended.fold(), at(1)), false);
});

Deno.test("currentLeader: the winner of the newest term", () => {
  const log = new Log();
  log.post("node-1", [ev.election(1)]);
  log.at(31).post("node-2", [ev.election(2)]);
  assert.equal(currentLeader(log.fold())?.node, "node-2");
  assert.equal(currentLeader(emptyState()), undefined);
});

Deno.test("activeNodes: nodes heard from within the window, sorted", () => {
  const log = new Log();
  log.post("node-b", [ev.announce()]);
  log.at(100).post("node-c", [ev.announce()]);
  log.at(200).post("node-a", [ev.announce()]);
  const s = log.fold();
  assert.deepEqual(activeNodes(s, at(200), 100_000), ["node-a", "node-c"]);
  assert.deepEqual(activeNodes(s, at(200), 1_000_000), ["node-a", "node-b", "node-c"]);
});
