import assert from "node:assert/strict";
import {
  type AdmissionInput,
  admit,
  mayWork,
  medianRunTime,
  observe,
  observeLog,
  REQUEST_SHARE,
  STANDBY_SHARE,
  WRITE_SHARE,
} from "../../src/protocol/admission.ts";
import { WRITE_LIMIT } from "../../src/protocol/budget.ts";
import { defaultConfig } from "../../src/node/config.ts";
import { BOT, ev, Log, planned, task } from "./_log.ts";

const HOUR = 3_600_000;

/** GITHUB_TOKEN, production timings, ten-minute tasks, a plan of 400 tasks. */
const BASE: AdmissionInput = {
  requestsPerHour: 1_000,
  nodes: 1,
  taskMs: 10 * 60_000,
  leaseMs: 10 * 60_000,
  renewMs: 4 * 60_000,
  settleMs: 10_000,
  pollMinMs: 5_000,
  pollMaxMs: 5 * 60_000,
  strict: false,
  firstHour: false,
  remainingTasks: 400,
  writesLastHour: 0,
};

/** What `k` workers and the standbys of `a` spend per hour, by the admission's own arithmetic. */
function spend(input: AdmissionInput) {
  const a = admit(input);
  return {
    a,
    requests: a.workers * a.perWorker.requestsPerHour + a.budget.standbyRequestsPerHour +
      a.budget.startupRequests,
    writes: a.workers * a.perWorker.writesPerHour,
  };
}

Deno.test("admission: with the default renewal, a lease is renewed only once a quarter of it is left", () => {
  const a = admit({ ...BASE, nodes: 5, renewMs: defaultConfig(1, "n1").renewMs });
  assert.equal(a.renewMs, 7.5 * 60_000);
  // Ten-minute tasks: the claim and 10 / 7.5 renewals.
  assert.equal(a.perWorker.writesPerTask, 1 + 10 / 7.5);
  // A shorter lease is renewed at 75% of it whatever the configured interval.
  assert.equal(
    admit({ ...BASE, nodes: 5, leaseMs: 60_000, renewMs: 7.5 * 60_000 }).renewMs,
    45_000,
  );
});

Deno.test("admission: a small swarm all works, renewing as configured", () => {
  const a = admit({ ...BASE, nodes: 5 });
  assert.equal(a.workers, 5);
  assert.equal(a.limitedBy, "nodes");
  assert.equal(a.renewMs, 4 * 60_000);
  // Ten-minute tasks renewed every 4 minutes: the claim and 2.5 renewals (task
  // times spread around the median); reads: before and after the claim, once
  // list lag has passed, one per renewal, one for polls between tasks.
  assert.equal(a.perWorker.writesPerTask, 3.5);
  assert.equal(a.perWorker.requestsPerTask, 3.5 + 4 + 2.5);
  assert.equal(a.perWorker.tasksPerHour, 3_600_000 / (600_000 + 10_000));
  assert.match(a.reason, /^5 of 5 node\(s\) may work at once: every node fits the budget/);
});

Deno.test("admission: 100 nodes on one GITHUB_TOKEN: a worker count that fits 85% of 1,000 requests/h, the rest stand by", () => {
  for (const firstHour of [true, false]) {
    const { a, requests, writes } = spend({ ...BASE, nodes: 100, firstHour });
    assert.ok(a.workers > 1 && a.workers < 100, `${a.workers} workers`);
    assert.equal(a.limitedBy, "requests");
    assert.ok(requests <= 1_000 * REQUEST_SHARE + 1e-9, `${requests} requests/h`);
    assert.ok(writes <= WRITE_LIMIT.perHour * WRITE_SHARE, `${writes} writes/h`);
    // One more worker would not fit.
    const more = a.workers + 1;
    assert.ok(
      more * a.perWorker.requestsPerHour + a.budget.standbyRequestsPerHour * 0.99 +
          a.budget.startupRequests > 1_000 * REQUEST_SHARE,
    );
    // The renewal interval stretched to when the lease is at risk (a quarter
    // left: 75% of it) to fit more workers.
    assert.equal(a.renewMs, 7.5 * 60_000);
    // Standbys share a fifth of the usable budget (at least one poll an hour
    // each, plus the first), polling no faster than the longest poll.
    const standbys = 100 - a.workers;
    assert.ok(
      a.budget.standbyRequestsPerHour <=
        Math.max(1_000 * REQUEST_SHARE * STANDBY_SHARE, 2 * standbys) + 1e-9,
    );
    assert.ok(a.standbyPollMs >= BASE.pollMaxMs);
    assert.match(a.reason, /standby node\(s\) poll every/);
  }
  // Start-up reads of every node count in the first hour: fewer workers then.
  assert.ok(
    admit({ ...BASE, nodes: 100, firstHour: true }).workers <
      admit({ ...BASE, nodes: 100, firstHour: false }).workers,
  );
});

Deno.test("admission: whatever the swarm's size, never more workers than the budget allows, and never fewer than one", () => {
  for (const nodes of [1, 2, 5, 10, 20, 30, 50, 75, 100, 200, 500]) {
    const { a, requests } = spend({ ...BASE, nodes, firstHour: true });
    assert.ok(a.workers >= 1 && a.workers <= nodes);
    if (a.workers > 1) assert.ok(requests <= 1_000 * REQUEST_SHARE + 1e-9, `n=${nodes}`);
  }
  assert.equal(admit({ ...BASE, nodes: 5_000, firstHour: true }).workers, 1);
});

Deno.test("admission: with 5,000 requests/h (a PAT or an App installation) writes bind: 90% of 500 comments/h", () => {
  const { a, writes } = spend({ ...BASE, requestsPerHour: 5_000, nodes: 100 });
  assert.equal(a.limitedBy, "writes");
  assert.ok(writes <= WRITE_LIMIT.perHour * WRITE_SHARE + 1e-9);
  assert.ok((a.workers + 1) * a.perWorker.writesPerHour > WRITE_LIMIT.perHour * WRITE_SHARE);
  // More workers than on GITHUB_TOKEN.
  assert.ok(a.workers > admit({ ...BASE, nodes: 100 }).workers);
});

Deno.test("admission: writes do not bind when the work left fits what the hour has left", () => {
  const zeroWork = { ...BASE, requestsPerHour: 1e9, nodes: 20, taskMs: 0 };
  assert.equal(admit({ ...zeroWork, remainingTasks: 30 }).workers, 20);
  // 600 tasks need more than 450 writes: the per-minute share binds the rate.
  const big = admit({ ...zeroWork, remainingTasks: 600 });
  assert.equal(big.limitedBy, "writes");
  assert.ok(big.workers * big.perWorker.writesPerHour / 60 <= 40);
  // Writes already made this hour count against what is left.
  assert.ok(admit({ ...zeroWork, remainingTasks: 300, writesLastHour: 400 }).workers < 20);
});

Deno.test("admission: strict mode's lock create and delete cost two requests per task", () => {
  const plain = admit({ ...BASE, nodes: 100 });
  const strict = admit({ ...BASE, nodes: 100, strict: true });
  assert.equal(strict.perWorker.requestsPerTask, plain.perWorker.requestsPerTask + 2);
  assert.ok(strict.workers <= plain.workers);
});

Deno.test("admission: poll intervals stay within bounds; a tight budget leaves a read per renewal", () => {
  for (const nodes of [1, 5, 20, 100]) {
    for (const requestsPerHour of [1_000, 5_000, 12_500]) {
      const a = admit({ ...BASE, nodes, requestsPerHour, firstHour: true });
      // Between the shortest poll and the longest or the renewal interval, whichever is longer.
      assert.ok(a.workerPollMs >= BASE.pollMinMs);
      assert.ok(a.workerPollMs <= Math.max(BASE.pollMaxMs, a.renewMs));
      assert.ok(a.standbyPollMs >= BASE.pollMaxMs && a.standbyPollMs <= HOUR);
      assert.ok(a.renewMs < a.perWorker.tasksPerHour * HOUR);
    }
  }
  // A tight budget: about one read per renewal while busy.
  const tight = admit({ ...BASE, nodes: 100 });
  assert.ok(tight.workerPollMs >= BASE.pollMaxMs * 0.9 && tight.workerPollMs <= tight.renewMs);
});

Deno.test("observe: nodes of one identity in order of their first message, holders, the median task time", () => {
  const { log } = planned([task("T1"), task("T2"), task("T3")]);
  log.at(10).post("B", [ev.claim("T1", 1)]);
  log.at(20).post("C", [ev.claim("T2", 1)]);
  log.at(40).post("D", [ev.announce()], { author: "bob" });
  log.at(70).post("B", [ev.done("T1", 1), ev.claim("T3", 1)]);
  const state = log.fold();
  const now = state.lastTime;
  const o = observe(state, now, BOT, HOUR);
  assert.deepEqual(o.nodes, ["node-1", "B", "C"]);
  assert.deepEqual(o.holders, ["B", "C"]);
  assert.equal(o.taskMs, 60_000);
  assert.equal(o.remaining, 2);
  assert.deepEqual(observe(state, now, "bob", HOUR).nodes, ["D"]);
  assert.deepEqual(observe(state, now, "bob", HOUR).holders, []);
  // Two hold work: with two workers admitted, a third may not start; one of them may go on.
  const two = { ...admit({ ...BASE, nodes: 3 }), workers: 2 };
  assert.equal(mayWork(two, o, "node-1"), false);
  assert.equal(mayWork(two, o, "B"), true);
});

Deno.test("observe: a kept observeLog of the state gives the same answer at every time (leases lapse, nodes leave the window)", () => {
  const log = new Log();
  const token = log.post("node-1", [ev.election(1)]).id;
  const tasks = [task("T1"), task("T2", ["T1"]), task("T3"), task("T4", ["T3"])];
  const settings = { leaseMs: 60_000, maxAttempts: 1, backoffMs: 0 };
  log.at(1).post("node-1", [ev.plan(token, tasks, { settings })]);
  log.at(10).post("B", [ev.claim("T1", 1)]);
  log.at(20).post("C", [ev.claim("T3", 1)]);
  log.at(70).post("B", [ev.done("T1", 1)]);
  const state = log.fold();
  const kept = observeLog(state, BOT);
  // T3's only attempt lapses: T4 becomes skipped, B and C leave a short window.
  for (const dt of [0, 30_000, 61_000, 10 * 60_000, 2 * HOUR]) {
    const now = state.lastTime + dt;
    for (const window of [60_000, HOUR]) {
      assert.deepEqual(observe(state, now, BOT, window, kept), observe(state, now, BOT, window));
    }
  }
  assert.notDeepEqual(
    observe(state, state.lastTime, BOT, HOUR, kept),
    observe(state, state.lastTime + 2 * HOUR, BOT, 60_000, kept),
  );
});

Deno.test("admission: tasks too short for even one worker's budget are paced: a least time between claims", () => {
  const zeroWork = { ...BASE, nodes: 5, taskMs: 0 };
  const a = admit(zeroWork);
  assert.equal(a.workers, 1);
  assert.ok(a.claimSpacingMs > 0);
  // At that pace the one worker stays within what standbys and start-up leave.
  const perHour = (HOUR / a.claimSpacingMs) * a.perWorker.requestsPerTask;
  assert.ok(perHour + a.budget.standbyRequestsPerHour <= 1_000 * REQUEST_SHARE + 1e-6);
  assert.match(a.reason, /a worker claims at most every \d+ s/);
  // Ten-minute tasks need no pacing.
  assert.equal(admit({ ...BASE, nodes: 5 }).claimSpacingMs, 0);
});

Deno.test("admission: when the work left fits (twice) what the token has left this hour, every node works at once", () => {
  const small = { ...BASE, nodes: 100, firstHour: false, remainingTasks: 1 };
  // One task left: 10 requests, and every node reads its 3.5 comments once.
  const a = admit({ ...small, requestsLeft: 800 });
  assert.equal(a.workers, 100);
  assert.equal(a.claimSpacingMs, 0);
  assert.match(a.reason, /the 1 task\(s\) left need about 360 requests, under half the 800/);
  // Not when what is left is not twice what they need, nor when it is unknown.
  assert.ok(admit({ ...small, requestsLeft: 600 }).workers < 100);
  assert.ok(admit(small).workers < 100);
  // In the first hour every node's first comment is read by every other.
  assert.ok(admit({ ...small, firstHour: true, requestsLeft: 800 }).workers < 100);
  assert.equal(admit({ ...BASE, nodes: 5, remainingTasks: 11, requestsLeft: 700 }).workers, 5);
  // Work that needs more than a minute's share of comments (40) is paced to it.
  const quick = { ...BASE, nodes: 20, taskMs: 300, settleMs: 1_000, requestsLeft: 1e6 };
  const paced = admit({ ...quick, remainingTasks: 40 });
  assert.equal(paced.workers, 20);
  const perMinute = (20 * 60_000 / paced.claimSpacingMs) * paced.perWorker.writesPerTask;
  assert.ok(perMinute <= 40 + 1e-9, `${perMinute} comments a minute`);
  assert.equal(admit({ ...quick, remainingTasks: 10 }).claimSpacingMs, 0);
});

Deno.test("observe: the median task time counts the attempts still running (Kaplan–Meier), so a swarm's first and shortest result does not halve it", () => {
  const log = new Log();
  const token = log.post("node-1", [ev.election(1)]).id;
  // An hour's lease: the two still running hold live attempts throughout.
  const settings = { leaseMs: HOUR, maxAttempts: 3, backoffMs: 10_000 };
  log.at(1).post("node-1", [ev.plan(token, [task("T1"), task("T2"), task("T3")], { settings })]);
  log.at(10).post("B", [ev.claim("T1", 1)]);
  log.at(10).post("C", [ev.claim("T2", 1)]);
  log.at(10).post("D", [ev.claim("T3", 1)]);
  log.at(310).post("B", [ev.done("T1", 1)]);
  const state = log.fold();
  // One of three done at 5 min, two still running at 5 min: the median is not known yet.
  assert.equal(observe(state, state.lastTime, BOT, HOUR).taskMs, undefined);
  log.at(610).post("C", [ev.done("T2", 1)]);
  const later = log.fold();
  assert.equal(observe(later, later.lastTime, BOT, HOUR).taskMs, 600_000);
});

Deno.test("medianRunTime: the product-limit median over attempts done and still running", () => {
  assert.equal(medianRunTime([60_000], [50_000, 0]), 60_000);
  assert.equal(medianRunTime([300_000], Array(9).fill(300_000)), undefined);
  assert.equal(medianRunTime([1, 2, 3, 4, 5], []), 3);
  // Ties end together: 4 of 4 at risk at 2 end.
  assert.equal(medianRunTime([2, 2, 2, 2], []), 2);
  assert.equal(medianRunTime([], [5]), undefined);
});
