import assert from "node:assert/strict";
import { canonicalJson } from "../../src/protocol/canonical.ts";
import { applyComment, fold } from "../../src/protocol/fold.ts";
import { emptyState } from "../../src/protocol/state.ts";
import { isFinished, taskPhase } from "../../src/protocol/view.ts";
import { at, BOT, essence, ev, Log, planned, SETTINGS, task, trustPolicy } from "./_log.ts";

const TWO = [task("T1"), task("T2", ["T1"])];

// --- election ---------------------------------------------------------------

Deno.test("election: the lowest-id election message of a term wins and its id is the token", () => {
  const log = new Log();
  const first = log.post("node-2", [ev.election(1)]);
  log.post("node-3", [ev.election(1)]);
  log.post("node-1", [ev.election(1)]);
  const s = log.fold();
  assert.equal(s.terms.length, 1);
  assert.equal(s.terms[0]!.node, "node-2");
  assert.equal(s.terms[0]!.token, first.id);
  assert.equal(s.terms[0]!.timeoutMs, 30_000);
  assert.equal(s.nodes["node-2"]!.role, "leader");
  assert.equal(s.ignored.lost_election, 2);
});

Deno.test("election: ids decide, not created_at or array order", () => {
  const log = new Log();
  const a = log.post("node-1", [ev.election(1)]);
  const b = log.post("node-2", [ev.election(1)]);
  // Same second; swap their ids and the other node wins.
  assert.equal(fold([b, a], trustPolicy()).terms[0]!.node, "node-1");
  const swapped = [{ ...a, id: b.id }, { ...b, id: a.id }];
  assert.equal(fold(swapped, trustPolicy()).terms[0]!.node, "node-2");
});

Deno.test("election: a silent leader is replaced in term 2 only after its timeout", () => {
  const log = new Log();
  log.post("node-1", [ev.election(1, 30_000)]);
  log.at(30).post("node-2", [ev.election(2)]); // exactly at the timeout: not yet
  let s = log.fold();
  assert.equal(s.terms.length, 1);
  assert.equal(s.ignored.stale_election, 1);
  const winner = log.at(31).post("node-3", [ev.election(2)]);
  log.post("node-2", [ev.election(2)]);
  s = log.fold();
  assert.equal(s.terms.length, 2);
  assert.equal(s.terms[1]!.node, "node-3");
  assert.equal(s.terms[1]!.token, winner.id);
  assert.equal(s.ignored.lost_election, 1);
});

Deno.test("election: any message of the leader restarts its timeout", () => {
  const log = new Log();
  log.post("node-1", [ev.election(1, 30_000)]);
  log.at(20).post("node-1", [ev.announce("leader")]);
  log.at(45).post("node-2", [ev.election(2)]);
  assert.equal(log.fold().terms.length, 1);
  log.at(51).post("node-2", [ev.election(2)]);
  const s = log.fold();
  assert.equal(s.terms.length, 2);
  assert.equal(s.terms[1]!.node, "node-2");
});

Deno.test("election: a campaign that skips a term is stale; a late one for a won term is lost", () => {
  const log = new Log();
  log.post("node-1", [ev.election(1)]);
  log.at(100).post("node-2", [ev.election(3)]);
  log.post("node-3", [ev.election(1)]);
  const s = log.fold();
  assert.equal(s.terms.length, 1);
  assert.equal(s.ignored.stale_election, 1);
  assert.equal(s.ignored.lost_election, 1);
});

Deno.test("election: once a plan is in force no election counts", () => {
  const { log } = planned(TWO);
  log.at(10_000).post("node-2", [ev.election(2)]);
  const s = log.fold();
  assert.equal(s.terms.length, 1);
  assert.equal(s.ignored.stale_election, 1);
  assert.ok(s.plan);
});

Deno.test("election: after an end message no election counts, even without a plan", () => {
  const log = new Log();
  log.post("node-1", [{ type: "end", reason: "cancelled by a maintainer" }]);
  log.at(5).post("node-2", [ev.election(1)]);
  const s = log.fold();
  assert.equal(s.terms.length, 0);
  assert.equal(s.ignored.stale_election, 1);
  assert.equal(s.ended?.reason, "cancelled by a maintainer");
});

// --- plan -------------------------------------------------------------------

const SIX = ["T1", "T2", "T3", "T4", "T5", "T6"].map((id) => task(id));
const PERMUTATIONS = [[1, 2, 3], [1, 3, 2], [2, 1, 3], [2, 3, 1], [3, 1, 2], [3, 2, 1]];

Deno.test("plan: a plan in 3 parts comes into force only when all parts are present, in any order", () => {
  for (const order of PERMUTATIONS) {
    const log = new Log();
    const token = log.post("node-1", [ev.election(1)]).id;
    const ids: number[] = [];
    for (const [i, part] of order.entries()) {
      log.wait(1);
      const tasks = SIX.slice((part - 1) * 2, part * 2);
      ids.push(log.post("node-1", [ev.plan(token, tasks, { part, parts: 3 })]).id);
      const s = log.fold();
      if (i < 2) {
        assert.equal(s.plan, null, `order ${order}: in force after ${i + 1} parts`);
        assert.equal(Object.keys(s.pending["1:1"]!.received).length, i + 1);
      } else {
        assert.ok(s.plan, `order ${order}: not in force after all parts`);
        assert.deepEqual(s.order, ["T1", "T2", "T3", "T4", "T5", "T6"]);
        assert.deepEqual(s.plan.commentIds, ids);
        assert.equal(s.plan.token, token);
        assert.equal(s.plan.planner, "test");
        assert.deepEqual(s.settings, SETTINGS);
        assert.deepEqual(s.pending, {});
        assert.equal(s.tasks["T6"]!.status, "pending");
      }
    }
  }
});

Deno.test("plan: parts from a node that did not win the term are not_leader", () => {
  const log = new Log();
  const token = log.post("node-1", [ev.election(1)]).id;
  log.post("node-2", [ev.plan(token, TWO)]);
  log.post("node-1", [ev.plan(token, TWO, { term: 2 })]); // no term 2 winner
  const s = log.fold();
  assert.equal(s.plan, null);
  assert.equal(s.ignored.not_leader, 2);
});

Deno.test("plan: a part carrying another token is bad_token", () => {
  const log = new Log();
  const token = log.post("node-1", [ev.election(1)]).id;
  log.post("node-1", [ev.plan(token + 1, TWO)]);
  const s = log.fold();
  assert.equal(s.plan, null);
  assert.equal(s.ignored.bad_token, 1);
});

Deno.test("plan: a replaced leader's plan and a version not newer than the plan in force are stale_plan", () => {
  const log = new Log();
  const oldToken = log.post("node-1", [ev.election(1)]).id;
  const token = log.at(40).post("node-2", [ev.election(2)]).id;
  log.post("node-1", [ev.plan(oldToken, TWO)]); // term 1's leader wakes up too late
  assert.equal(log.fold().ignored.stale_plan, 1);
  log.post("node-2", [ev.plan(token, TWO, { term: 2 })]);
  log.post("node-2", [ev.plan(token, [task("X")], { term: 2, version: 1 })]);
  const s = log.fold();
  assert.equal(s.plan?.term, 2);
  assert.deepEqual(s.order, ["T1", "T2"]);
  assert.equal(s.ignored.stale_plan, 2);
});

Deno.test("plan: parts of one version that disagree on the part count are malformed_plan", () => {
  const log = new Log();
  const token = log.post("node-1", [ev.election(1)]).id;
  log.post("node-1", [ev.plan(token, [task("T1")], { part: 1, parts: 2 })]);
  log.post("node-1", [ev.plan(token, [task("T2")], { part: 2, parts: 3 })]);
  const s = log.fold();
  assert.equal(s.plan, null);
  assert.equal(s.ignored.malformed_plan, 1);
});

Deno.test("plan: a part received twice is duplicate_part and the first copy counts", () => {
  const log = new Log();
  const token = log.post("node-1", [ev.election(1)]).id;
  log.post("node-1", [ev.plan(token, [task("T1")], { part: 1, parts: 2 })]);
  log.post("node-1", [ev.plan(token, [task("X1")], { part: 1, parts: 2 })]);
  log.post("node-1", [ev.plan(token, [task("T2")], { part: 2, parts: 2, settings: null })]);
  const s = log.fold();
  assert.equal(s.ignored.duplicate_part, 1);
  assert.deepEqual(s.order, ["T1", "T2"]);
});

Deno.test("plan: a complete plan whose graph is invalid is invalid_plan and nothing comes into force", () => {
  const log = new Log();
  const token = log.post("node-1", [ev.election(1)]).id;
  log.post("node-1", [ev.plan(token, [task("T1", ["T2"]), task("T2", ["T1"])])]);
  log.post("node-1", [ev.plan(token, [task("T1", ["nope"])], { version: 2 })]);
  let s = log.fold();
  assert.equal(s.plan, null);
  assert.equal(s.ignored.invalid_plan, 2);
  assert.deepEqual(s.pending, {});
  // The leader may still publish a valid version.
  log.post("node-1", [ev.plan(token, TWO, { version: 3 })]);
  s = log.fold();
  assert.equal(s.plan?.version, 3);
});

Deno.test("plan: a newer version replaces the task list and keeps the state of tasks it keeps", () => {
  const { log, token } = planned(TWO);
  log.at(5).post("node-2", [ev.claim("T1", 1)]);
  log.at(6).post("node-2", [ev.done("T1", 1)]);
  log.at(7).post("node-1", [ev.plan(token, [task("T1"), task("T3", ["T1"])], { version: 2 })]);
  const s = log.fold();
  assert.equal(s.plan?.version, 2);
  assert.deepEqual(s.order, ["T1", "T3"]);
  assert.equal(s.tasks["T1"]!.status, "done");
  assert.equal(s.tasks["T3"]!.status, "pending");
  assert.equal(s.tasks["T2"], undefined);
});

// --- claims -----------------------------------------------------------------

Deno.test("claim: the first valid claim wins; a later claim for a held attempt is lost_claim", () => {
  const { log } = planned(TWO);
  const win = log.at(5).post("node-2", [ev.claim("T1", 1)]);
  log.post("node-3", [ev.claim("T1", 1)]); // same second, higher id
  const s = log.fold();
  const a = s.tasks["T1"]!.attempts;
  assert.equal(a.length, 1);
  assert.equal(a[0]!.node, "node-2");
  assert.equal(a[0]!.claimId, win.id);
  assert.equal(a[0]!.claimedAt, at(5));
  assert.equal(s.tasks["T1"]!.status, "active");
  assert.equal(s.ignored.lost_claim, 1);
});

Deno.test("claim: a claim for a task with unfinished dependencies is invalid_claim", () => {
  const { log } = planned(TWO);
  log.at(5).post("node-2", [ev.claim("T2", 1)]);
  assert.equal(log.fold().ignored.invalid_claim, 1);
  assert.equal(log.fold().tasks["T2"]!.attempts.length, 0);
  log.post("node-2", [ev.claim("T1", 1)]);
  log.at(6).post("node-2", [ev.done("T1", 1), ev.claim("T2", 1)]);
  const s = log.fold();
  assert.equal(s.tasks["T1"]!.status, "done");
  assert.equal(s.tasks["T2"]!.attempts[0]!.node, "node-2");
});

Deno.test("claim: an attempt number other than the next one is invalid_claim", () => {
  const { log } = planned(TWO);
  log.at(5).post("node-2", [ev.claim("T1", 2)]);
  log.post("node-3", [ev.claim("T1", 1)]);
  const s = log.fold();
  assert.equal(s.ignored.invalid_claim, 1);
  assert.equal(s.tasks["T1"]!.attempts[0]!.node, "node-3");
  assert.equal(s.tasks["T1"]!.attempts[0]!.n, 1);
});

Deno.test("claim: a claim for a task outside the plan in force is unknown_task", () => {
  const log = new Log();
  const token = log.post("node-1", [ev.election(1)]).id;
  log.post("node-2", [ev.claim("T1", 1)]); // no plan yet
  log.post("node-1", [ev.plan(token, TWO)]);
  for (const id of ["T9", "constructor", "toString", "__proto__", "hasOwnProperty"]) {
    log.post("node-2", [ev.claim(id, 1), ev.done(id, 1), ev.heartbeat({ task: id, attempt: 1 })]);
    log.post("node-2", [ev.release(id, 1), ev.retry(id)]);
  }
  const s = log.fold();
  assert.equal(s.ignored.unknown_task, 1 + 5 * 4);
  assert.equal(s.ignored.not_owner, 5); // the heartbeats
});

Deno.test("claim: claims for a done task or a task failed for good are invalid_claim", () => {
  const { log } = planned([task("T1"), task("T2")]);
  log.at(5).post("node-2", [ev.claim("T1", 1), ev.claim("T2", 1)]);
  log.post("node-2", [ev.done("T1", 1)]);
  // Backoff 10 s, then 20 s: attempts open at 16 and 37.
  for (const [n, sec] of [[1, 5], [2, 16], [3, 37]] as const) {
    if (n > 1) log.at(sec).post("node-2", [ev.claim("T2", n)]);
    log.at(sec + 1).post("node-2", [ev.failed("T2", n)]);
  }
  log.at(100).post("node-2", [ev.claim("T2", 4)]);
  log.post("node-3", [ev.claim("T1", 2)]);
  const s = log.fold();
  assert.equal(s.tasks["T2"]!.status, "failed");
  assert.equal(s.tasks["T2"]!.attempts.length, 3);
  assert.equal(s.ignored.invalid_claim, 2);
});

Deno.test("lease: a claim for attempt 2 is lost until the lease lapses by server time, then wins", () => {
  const { log } = planned(TWO);
  log.at(10).post("node-2", [ev.claim("T1", 1)]); // lease until second 70
  log.at(70).post("node-3", [ev.claim("T1", 2)]);
  let s = log.fold();
  assert.equal(s.ignored.lost_claim, 1);
  assert.equal(s.tasks["T1"]!.attempts.length, 1);
  log.at(71).post("node-3", [ev.claim("T1", 2)]);
  s = log.fold();
  const [first, second] = s.tasks["T1"]!.attempts;
  assert.deepEqual(first!.end, { kind: "lapsed", at: at(70) });
  assert.equal(second!.node, "node-3");
  assert.equal(second!.n, 2);
  assert.equal(s.tasks["T1"]!.failures, 1);
  assert.equal(s.tasks["T1"]!.status, "active");
});

Deno.test("lease: heartbeats and progress of the owner renew the lease", () => {
  const { log } = planned(TWO);
  log.at(10).post("node-2", [ev.claim("T1", 1)]);
  log.at(60).post("node-2", [ev.heartbeat({ task: "T1", attempt: 1, percent: 30 })]);
  log.at(110).post("node-2", [ev.progress("T1", 1, "in_progress", { percent: 60, note: "half" })]);
  log.at(165).post("node-3", [ev.claim("T1", 2)]);
  const s = log.fold();
  const a = s.tasks["T1"]!.attempts[0]!;
  assert.equal(a.lastBeat, at(110));
  assert.equal(a.percent, 60);
  assert.equal(a.note, "half");
  assert.equal(s.tasks["T1"]!.percent, 60);
  assert.equal(s.ignored.lost_claim, 1);
});

Deno.test("failure: a failed attempt opens the next one after the backoff, doubling each time", () => {
  const { log } = planned(TWO);
  log.at(10).post("node-2", [ev.claim("T1", 1)]);
  log.at(20).post("node-2", [ev.failed("T1", 1)]);
  let s = log.fold();
  assert.equal(s.tasks["T1"]!.status, "pending");
  assert.equal(s.tasks["T1"]!.openAt, at(30));
  assert.deepEqual(s.tasks["T1"]!.attempts[0]!.end, { kind: "failed", at: at(20) });
  log.at(29).post("node-3", [ev.claim("T1", 2)]); // backoff not over
  assert.equal(log.fold().ignored.invalid_claim, 1);
  log.at(30).post("node-3", [ev.claim("T1", 2)]);
  log.at(40).post("node-3", [ev.failed("T1", 2)]);
  s = log.fold();
  assert.equal(s.tasks["T1"]!.attempts[1]!.node, "node-3");
  assert.equal(s.tasks["T1"]!.failures, 2);
  assert.equal(s.tasks["T1"]!.openAt, at(60)); // 10 s × 2
});

Deno.test("failure: after maxAttempts failures a task is failed for good", () => {
  const { log } = planned(TWO);
  log.at(10).post("node-2", [ev.claim("T1", 1)]);
  log.at(11).post("node-2", [ev.failed("T1", 1)]);
  log.at(30).post("node-2", [ev.claim("T1", 2)]);
  log.at(31).post("node-2", [ev.failed("T1", 2)]);
  log.at(60).post("node-2", [ev.claim("T1", 3)]);
  log.at(61).post("node-2", [ev.failed("T1", 3)]);
  const s = log.fold();
  assert.equal(s.tasks["T1"]!.status, "failed");
  assert.equal(s.tasks["T1"]!.failedAt, at(61));
  assert.equal(s.tasks["T1"]!.failures, 3);
  // T2 depends on T1: it cannot run until T1 is retried.
  assert.equal(taskPhase(s, s.tasks["T2"]!, at(1000)), "skipped");
});

Deno.test("failure: lapsed leases count as failures up to failed for good", () => {
  const { log } = planned(TWO);
  log.at(10).post("node-2", [ev.claim("T1", 1)]); // lapses at 70
  log.at(80).post("node-3", [ev.claim("T1", 2)]); // lapses at 140
  log.at(150).post("node-2", [ev.claim("T1", 3)]); // lapses at 210
  log.at(211).post("node-4", [ev.announce()]);
  const s = log.fold();
  const t = s.tasks["T1"]!;
  assert.deepEqual(t.attempts.map((a) => a.end?.kind), ["lapsed", "lapsed", "lapsed"]);
  assert.equal(t.status, "failed");
  assert.equal(t.failedAt, at(210));
});

Deno.test("retry: a retry event reopens tasks failed for good with a fresh count", () => {
  const { log } = planned(TWO);
  for (const [n, sec] of [[1, 10], [2, 30], [3, 60]] as const) {
    log.at(sec).post("node-2", [ev.claim("T1", n)]);
    log.at(sec + 1).post("node-2", [ev.failed("T1", n)]);
  }
  log.at(100).post("node-1", [ev.retry("T1", "T2")]); // T2 is pending: unchanged
  let s = log.fold();
  assert.equal(s.tasks["T1"]!.status, "pending");
  assert.equal(s.tasks["T1"]!.failures, 0);
  assert.equal(s.tasks["T1"]!.openAt, at(100));
  assert.equal(s.tasks["T1"]!.failedAt, undefined);
  assert.equal(s.tasks["T2"]!.openAt, at(1));
  log.at(100).post("node-3", [ev.claim("T1", 4)]);
  log.at(101).post("node-3", [ev.done("T1", 4)]);
  s = log.fold();
  assert.equal(s.tasks["T1"]!.status, "done");
  assert.equal(s.tasks["T1"]!.done?.attempt, 4);
});

Deno.test("retry: a retry before any plan or of an unknown task is unknown_task", () => {
  const log = new Log();
  log.post("node-1", [ev.retry("T1")]);
  assert.equal(log.fold().ignored.unknown_task, 1);
  const { log: l2 } = planned(TWO);
  l2.at(5).post("node-1", [ev.retry("T1", "T7")]);
  assert.equal(l2.fold().ignored.unknown_task, 1);
});

Deno.test("release: opens the next attempt at once without counting a failure", () => {
  const { log } = planned(TWO);
  log.at(10).post("node-2", [ev.claim("T1", 1)]);
  log.at(20).post("node-2", [ev.release("T1", 1)]);
  log.post("node-3", [ev.claim("T1", 2)]); // same second
  const s = log.fold();
  const t = s.tasks["T1"]!;
  assert.deepEqual(t.attempts[0]!.end, { kind: "released", at: at(20) });
  assert.equal(t.attempts[1]!.node, "node-3");
  assert.equal(t.failures, 0);
  assert.equal(t.status, "active");
});

Deno.test("release: by a node that does not hold the attempt, or of an ended attempt, is not_owner", () => {
  const { log } = planned(TWO);
  log.at(10).post("node-2", [ev.claim("T1", 1)]);
  log.post("node-3", [ev.release("T1", 1)]);
  log.post("node-2", [ev.release("T1", 1)]);
  log.post("node-2", [ev.release("T1", 1)]);
  const s = log.fold();
  assert.equal(s.ignored.not_owner, 2);
  assert.equal(s.tasks["T1"]!.attempts[0]!.end?.kind, "released");
});

// --- results ----------------------------------------------------------------

Deno.test("result: a late completion from a lapsed owner makes the task done; a second is a duplicate", () => {
  const { log } = planned(TWO);
  log.at(10).post("node-2", [ev.claim("T1", 1)]);
  log.at(80).post("node-3", [ev.claim("T1", 2)]);
  const late = log.at(90).post("node-2", [ev.done("T1", 1)]);
  log.at(95).post("node-3", [ev.done("T1", 2)]);
  const s = log.fold();
  const t = s.tasks["T1"]!;
  assert.equal(t.status, "done");
  assert.deepEqual(t.done, { at: at(90), node: "node-2", attempt: 1, commentId: late.id });
  assert.equal(t.attempts[0]!.end?.kind, "lapsed");
  assert.deepEqual(t.attempts[1]!.end, { kind: "superseded", at: at(90) });
  assert.equal(s.duplicateResults, 1);
  assert.equal(s.ignored.duplicate_result, 1);
});

Deno.test("result: the completion's result details are kept", () => {
  const { log } = planned(TWO);
  log.at(10).post("node-2", [ev.claim("T1", 1)]);
  const result = { summary: "added API", costUsd: 0.42, turns: 7, pr: "https://x/pr/1" };
  log.at(20).post("node-2", [ev.progress("T1", 1, "completed", { result })]);
  const s = log.fold();
  assert.deepEqual(s.tasks["T1"]!.done?.result, result);
  assert.equal(s.tasks["T1"]!.percent, 100);
  assert.deepEqual(s.tasks["T1"]!.attempts[0]!.end, { kind: "completed", at: at(20) });
});

Deno.test("result: progress from a node that holds no such attempt is not_owner", () => {
  const { log } = planned(TWO);
  log.at(10).post("node-2", [ev.claim("T1", 1)]);
  log.post("node-3", [ev.done("T1", 1)]);
  log.post("node-3", [ev.heartbeat({ task: "T1", attempt: 1 })]);
  log.post("node-2", [ev.done("T1", 2)]);
  const s = log.fold();
  assert.equal(s.ignored.not_owner, 3);
  assert.equal(s.tasks["T1"]!.status, "active");
});

Deno.test("result: progress or failure for an attempt that already ended is stale_attempt", () => {
  const { log } = planned(TWO);
  log.at(10).post("node-2", [ev.claim("T1", 1)]);
  log.at(80).post("node-2", [ev.progress("T1", 1, "in_progress", { percent: 90 })]);
  log.post("node-2", [ev.failed("T1", 1)]);
  const s = log.fold();
  assert.equal(s.ignored.stale_attempt, 2);
  assert.equal(s.tasks["T1"]!.failures, 1); // the lapse only
  assert.equal(s.tasks["T1"]!.attempts[0]!.lastBeat, at(10));
});

// --- message level ----------------------------------------------------------

Deno.test("idempotency: a repeated nonce counts once", () => {
  const { log } = planned(TWO);
  const claim = log.at(10).post("node-2", [ev.claim("T1", 1)], { nonce: "n-42" });
  log.at(10).raw(claim.body); // the same POST, retried after a timeout
  log.at(12).post("node-2", [ev.failed("T1", 1)], { nonce: "n-43" });
  log.at(13).post("node-2", [ev.failed("T1", 1)], { nonce: "n-43" });
  const s = log.fold();
  assert.equal(s.ignored.duplicate_nonce, 2);
  assert.equal(s.tasks["T1"]!.failures, 1);
  assert.equal(s.nonces["n-42"], claim.id);
  assert.equal(s.nodes["node-2"]!.messages, 2);
});

Deno.test("identity: a node id is bound to the first login that used it (node_impersonation)", () => {
  const { log } = planned(TWO);
  log.at(5).post("node-2", [ev.announce()], { author: "alice" });
  log.post("node-2", [ev.claim("T1", 1)], { author: "bob" });
  log.post("node-1", [ev.plan(12_345, [task("EVIL")], { version: 2 })], { author: "alice" });
  const s = log.fold();
  assert.equal(s.ignored.node_impersonation, 2);
  assert.equal(s.nodes["node-2"]!.author, "alice");
  assert.equal(s.tasks["T1"]!.attempts.length, 0);
  assert.deepEqual(s.order, ["T1", "T2"]);
});

Deno.test("applyComment: a comment not newer than the last one folded is out_of_order and changes nothing else", () => {
  const { log } = planned(TWO);
  const claim = log.at(5).post("node-2", [ev.claim("T1", 1)]);
  const s = log.fold();
  const before = canonicalJson({ ...s, ignored: {} });
  applyComment(s, claim, trustPolicy());
  applyComment(s, { ...claim, id: claim.id - 1, body: "x" }, trustPolicy());
  assert.equal(s.ignored.out_of_order, 2);
  assert.equal(canonicalJson({ ...s, ignored: {} }), before);
});

Deno.test("end: the first end event is recorded; the swarm is over", () => {
  const { log } = planned(TWO);
  log.at(5).post("node-1", [ev.end("all done")]);
  log.at(6).post("node-2", [ev.end("again")]);
  const s = log.fold();
  assert.deepEqual(s.ended, { at: at(5), node: "node-1", reason: "all done" });
});

Deno.test("nodes: the log records each node's first and last message, role and count", () => {
  const log = new Log();
  log.post("node-1", [{ type: "announce", role: "worker", exec: "claude", version: "1.2" }]);
  log.at(3).post("node-1", [ev.election(1)]);
  log.at(9).post("node-1", [ev.announce("worker")]); // a leader stays a leader
  const n = log.fold().nodes["node-1"]!;
  assert.deepEqual(n, {
    node: "node-1",
    author: BOT,
    firstSeen: at(0),
    lastSeen: at(9),
    role: "leader",
    exec: "claude",
    version: "1.2",
    messages: 3,
  });
});

Deno.test("time: a foreign comment's created_at is server time and folds a lapse the views already showed", () => {
  const { log } = planned(TWO);
  log.at(10).post("node-2", [ev.claim("T1", 1)]);
  const before = log.fold();
  log.at(71).raw("Any news?", { author: "octocat" });
  const after = log.fold();
  assert.equal(before.tasks["T1"]!.status, "active");
  assert.equal(after.tasks["T1"]!.status, "pending");
  assert.equal(after.foreign, 1);
  // Readers see the same phase either way.
  assert.equal(taskPhase(before, before.tasks["T1"]!, at(71)), "ready");
  assert.equal(taskPhase(after, after.tasks["T1"]!, at(71)), "ready");
});

Deno.test("ids: node ids, nonces and task ids named like Object.prototype members are ordinary ids", () => {
  const log = new Log();
  const names = ["__proto__", "constructor", "toString"];
  const token = log.post("constructor", [ev.election(1)], { nonce: "__proto__" }).id;
  log.at(1).post("constructor", [ev.plan(token, names.map((n) => task(n)))], { nonce: "toString" });
  for (const [i, n] of names.entries()) {
    log.at(2 + i).post("__proto__", [ev.claim(n, 1)], { nonce: `hasOwnProperty${i}` });
    log.post("__proto__", [ev.done(n, 1)], { nonce: `valueOf${i}` });
  }
  const s = log.fold();
  assert.equal(s.accepted, 2 + 2 * names.length);
  assert.deepEqual(s.ignored, {});
  assert.ok(Object.hasOwn(s.nodes, "__proto__"));
  assert.ok(Object.hasOwn(s.nonces, "__proto__"));
  assert.equal(s.terms[0]!.node, "constructor");
  for (const n of names) assert.equal(s.tasks[n]!.status, "done");
  assert.ok(isFinished(s, at(100)));
  // The state survives a JSON round trip unchanged.
  assert.equal(canonicalJson(JSON.parse(JSON.stringify(s))), canonicalJson(s));
});

// --- the original design's plain lines --------------------------------------

Deno.test("legacy: the original design's plain lines fold into a working swarm", () => {
  const log = new Log();
  log.raw("🎯 LEADER_ELECTION|node-1|1730000000");
  log.raw("🎯 LEADER_ELECTION|node-2|1730000000.42");
  log.at(1).raw('📡 NODE_ANNOUNCE|{"node_id":"node-3","role":"worker"}');
  log.at(3).raw(
    `📦 TASKS_DATA|${
      JSON.stringify({
        node_id: "node-1",
        tasks: [
          { id: "task-1", title: "Implement backend API", priority: "high", estimated_hours: 8 },
          { id: "task-2", description: "Create frontend UI", dependencies: ["task-1"] },
        ],
      })
    }`,
  );
  log.at(5).raw("🎯 CLAIM|task-1|node-2|1730000005");
  log.raw("🎯 CLAIM|task-1|node-3|1730000005"); // lost race
  log.at(9).raw(
    '📊 PROGRESS|{"task_id":"task-1","node_id":"node-2","status":"in_progress","progress":50}',
  );
  log.at(60).raw('💓 HEARTBEAT|{"node_id":"node-2","task_id":"task-1"}');
  log.at(70).raw(
    '📊 PROGRESS|{"task_id":"task-1","node_id":"node-2","status":"completed","progress":100}',
  );
  log.at(71).raw("🎯 CLAIM|task-2|node-3|1730000071");
  log.at(90).raw(
    '📊 PROGRESS|{"task_id":"task-2","node_id":"node-3","status":"completed","progress":100}',
  );

  const s = log.fold();
  assert.equal(s.terms[0]!.node, "node-1");
  assert.equal(s.ignored.lost_election, 1);
  assert.equal(s.plan?.planner, "legacy");
  assert.deepEqual(s.order, ["task-1", "task-2"]);
  assert.equal(s.tasks["task-1"]!.def.priority, "high");
  assert.equal(s.tasks["task-1"]!.def.estimateHours, 8);
  assert.deepEqual(s.tasks["task-2"]!.def.deps, ["task-1"]);
  assert.equal(s.tasks["task-2"]!.def.title, "Create frontend UI");
  assert.equal(s.ignored.lost_claim, 1);
  assert.equal(s.tasks["task-1"]!.attempts[0]!.lastBeat, at(60));
  assert.equal(s.tasks["task-1"]!.done?.node, "node-2");
  assert.equal(s.tasks["task-2"]!.done?.node, "node-3");
  assert.equal(s.nodes["node-3"]!.role, "worker");
  assert.ok(isFinished(s, at(90)));
  assert.equal(s.accepted, 11);
});

Deno.test("legacy: plain lines carry no nonce, so a repeated line counts again", () => {
  const log = new Log();
  log.raw("🎯 LEADER_ELECTION|node-1|1730000000");
  log.raw('📦 TASKS_DATA|{"node_id":"node-1","tasks":[{"id":"task-1","title":"A"}]}');
  log.raw('📦 TASKS_DATA|{"node_id":"node-1","tasks":[{"id":"task-1","title":"A"}]}');
  const s = log.fold();
  assert.equal(s.ignored.duplicate_nonce, undefined);
  assert.equal(s.ignored.stale_plan, 1); // judged as a second copy of version 1
});

Deno.test("legacy: a TASKS_DATA line that names no node is malformed (the leader cannot be known)", () => {
  const log = new Log();
  log.raw("🎯 LEADER_ELECTION|node-1|1730000000");
  log.raw('📦 TASKS_DATA|{"tasks":[{"id":"task-1","title":"A"}]}');
  const s = log.fold();
  assert.equal(s.plan, null);
  assert.equal(s.ignored.malformed, 1);
});

Deno.test("legacy: with a shared secret, unsigned plain lines are missing_signature", () => {
  const log = new Log("k");
  log.raw("🎯 LEADER_ELECTION|node-1|1730000000");
  const s = log.fold();
  assert.equal(s.terms.length, 0);
  assert.equal(s.ignored.missing_signature, 1);
});

// --- trust inside the fold --------------------------------------------------

Deno.test("trust: untrusted, edited and badly signed messages are counted and change nothing", () => {
  const { log } = planned(TWO, "k");
  const noise = [
    // An outsider cannot sign with the swarm's secret.
    log.at(5).post("node-3", [ev.claim("T1", 1)], { author: "mallory", secret: "mallory" }),
    log.post("node-3", [ev.claim("T1", 1)], { editedAfter: 5 }),
    log.post("node-3", [ev.claim("T1", 1)], { secret: "wrong" }),
    log.post("node-3", [ev.claim("T1", 1)], { secret: null }),
    log.post("node-3", [ev.claim("T1", 1)], { issue: 8 }),
    log.post("node-3", [ev.claim("T1", 1)], { repo: "octo-org/other" }),
    log.raw("LGTM", { author: "octocat" }),
  ];
  log.post("node-2", [ev.claim("T1", 1)]);
  const policy = trustPolicy({ secret: "k" });
  const noisy = fold(log.comments, policy);
  const clean = fold(log.comments.filter((c) => !noise.includes(c)), policy);
  assert.deepEqual(noisy.ignored, {
    edited: 1,
    bad_signature: 4,
    missing_signature: 1,
  });
  assert.equal(noisy.foreign, 1);
  assert.equal(noisy.tasks["T1"]!.attempts[0]!.node, "node-2");
  assert.equal(essence(noisy), essence(clean));
});

Deno.test("fold: an empty log is the empty state", () => {
  assert.deepEqual(fold([], trustPolicy()), emptyState());
});
