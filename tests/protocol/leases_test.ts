import assert from "node:assert/strict";
import fc from "fast-check";
import { canonicalJson } from "../../src/protocol/canonical.ts";
import { toEntry } from "../../src/protocol/entry.ts";
import { applyEntry, fold } from "../../src/protocol/fold.ts";
import { NO_FACTS } from "../../src/protocol/facts.ts";
import { lapseLeases, leaseFor, leaseIndexSize } from "../../src/protocol/leases.ts";
import { emptyState, type SwarmState } from "../../src/protocol/state.ts";
import type { LogComment, PlanSettings } from "../../src/protocol/types.ts";
import { at, ev, mulberry32, planned, SETTINGS, task, trustPolicy } from "./_log.ts";
import { buildSwarmLog } from "./_swarm.ts";

/**
 * The straightforward rule the index replaces: before a comment at `t`, visit
 * every task and end each live attempt whose lease ended before `t`.
 */
function lapseByScan(state: SwarmState, t: number): void {
  const { leaseMs, maxAttempts } = state.settings;
  for (const id of state.order) {
    const task = state.tasks[id]!;
    if (task.status !== "active") continue;
    const live = task.attempts.at(-1)!;
    // An attempt's own lease counts between the plan's and four times it.
    const own = live.leaseMs === undefined
      ? leaseMs
      : Math.min(Math.max(live.leaseMs, leaseMs), 4 * leaseMs);
    const deadline = live.lastBeat + own;
    if (t > deadline) {
      live.end = { kind: "lapsed", at: deadline };
      task.failures++;
      if (task.failures >= maxAttempts) {
        task.status = "failed";
        task.failedAt = deadline;
      } else {
        task.status = "pending";
        task.openAt = deadline;
      }
    }
  }
}

/** Server times moved back by up to 30 s on a share of comments: ids and times need not agree. */
function jitter(comments: readonly LogComment[], seed: number, share: number): LogComment[] {
  const rng = mulberry32(seed);
  return comments.map((c) => {
    if (rng() >= share) return c;
    const back = Math.floor(rng() * 30) * 1000;
    return { ...c, createdAt: c.createdAt - back, updatedAt: c.updatedAt - back };
  });
}

const leases = fc.constantFrom<PlanSettings>(
  { leaseMs: 1_000, maxAttempts: 3, backoffMs: 1_000 },
  { leaseMs: 5_000, maxAttempts: 2, backoffMs: 2_000 },
  { leaseMs: 20_000, maxAttempts: 5, backoffMs: 0 },
  { leaseMs: 60_000, maxAttempts: 3, backoffMs: 5_000 },
);

Deno.test("leases property: the indexed fold equals the fold that scans every task, after every comment", () => {
  fc.assert(
    fc.property(
      fc.record({
        seed: fc.integer(),
        steps: fc.integer({ min: 0, max: 200 }),
        nodes: fc.integer({ min: 1, max: 6 }),
        tasks: fc.integer({ min: 1, max: 30 }),
        settings: leases,
        jitter: fc.constantFrom(0, 0.2),
        copyAt: fc.nat(),
      }),
      (o) => {
        const built = buildSwarmLog({ ...o, noise: 0.1 });
        const comments = jitter(built.comments, o.seed, o.jitter);
        const policy = built.policy;
        let indexed = emptyState();
        const reference = emptyState();
        const copyAt = comments.length === 0 ? 0 : o.copyAt % comments.length;
        comments.forEach((c, i) => {
          const entry = toEntry(c);
          // A copy (a checkpoint, a preview) carries no index: it must build its own.
          if (i === copyAt) indexed = structuredClone(indexed);
          applyEntry(indexed, entry, policy, NO_FACTS);
          if (entry.id > reference.lastId) lapseByScan(reference, entry.createdAt);
          applyEntry(reference, entry, policy, NO_FACTS);
          assert.equal(canonicalJson(indexed), canonicalJson(reference), `after comment ${i}`);
        });
      },
    ),
    { seed: 12, numRuns: 80 },
  );
});

Deno.test("leases property: generated swarms with short leases do lapse (the property above is not vacuous)", () => {
  let lapsed = 0;
  for (let seed = 1; seed <= 20; seed++) {
    const { comments, policy } = buildSwarmLog({
      seed,
      steps: 150,
      nodes: 4,
      tasks: 12,
      settings: { leaseMs: 5_000, maxAttempts: 3, backoffMs: 1_000 },
    });
    const s = fold(comments, policy);
    for (const id of s.order) {
      lapsed += s.tasks[id]!.attempts.filter((a) => a.end?.kind === "lapsed").length;
    }
  }
  assert.ok(lapsed >= 20, `only ${lapsed} lapses in 20 swarms`);
});

Deno.test("leases: a renewed attempt keeps its task; one silent for a lease lapses at its deadline", () => {
  const tasks = Array.from({ length: 500 }, (_, i) => task(`T${i}`));
  const { log } = planned(tasks);
  log.at(2).post("node-1", [ev.claim("T7", 1)]);
  log.at(3).post("node-2", [ev.claim("T400", 1)]);
  for (let sec = 30; sec <= 150; sec += 30) {
    log.at(sec).post("node-2", [ev.heartbeat({ task: "T400", attempt: 1 })]);
  }
  const s = log.fold();
  assert.equal(s.tasks["T7"]!.status, "pending");
  assert.deepEqual(s.tasks["T7"]!.attempts[0]!.end, { kind: "lapsed", at: at(2) + 60_000 });
  assert.equal(s.tasks["T7"]!.openAt, at(2) + 60_000);
  assert.equal(s.tasks["T400"]!.status, "active");
  assert.equal(s.tasks["T400"]!.attempts[0]!.end, undefined);
});

Deno.test("leases: a new plan version's lease applies to attempts already running", () => {
  const { log, token } = planned([task("T1"), task("T2")]);
  log.at(2).post("node-2", [ev.claim("T1", 1)]);
  // Version 2 shortens the lease from 60 s to 10 s.
  log.at(3).post("node-1", [
    ev.plan(token, [task("T1"), task("T2")], {
      version: 2,
      settings: { ...SETTINGS, leaseMs: 10_000 },
    }),
  ]);
  log.at(11).post("node-3", [ev.announce()]);
  assert.equal(log.fold().tasks["T1"]!.status, "active");
  log.at(13).post("node-3", [ev.announce()]);
  const s = log.fold();
  assert.equal(s.tasks["T1"]!.status, "pending");
  assert.deepEqual(s.tasks["T1"]!.attempts[0]!.end, { kind: "lapsed", at: at(12) });
});

Deno.test("leases: the index keeps only the deadlines of the last lease, however long the log", () => {
  const tasks = Array.from({ length: 50 }, (_, i) => task(`T${i}`));
  const { log } = planned(tasks);
  const policy = trustPolicy();
  const state = emptyState();
  let fed = 0;
  const feed = () => {
    for (; fed < log.comments.length; fed++) {
      applyEntry(state, toEntry(log.comments[fed]!), policy, NO_FACTS);
    }
  };
  log.at(2).post("node-1", tasks.slice(0, 10).map((t) => ev.claim(t.id, 1)));
  // Two hours of heartbeats every 10 s for 10 tasks: 7,200 renewals.
  for (let sec = 10; sec <= 7_200; sec += 10) {
    log.at(sec).post("node-1", [
      ev.heartbeat(...tasks.slice(0, 10).map((t) => ({ task: t.id, attempt: 1 }))),
    ]);
    feed();
  }
  feed();
  // A 60 s lease renewed every 10 s: at most seven deadlines per task still ahead.
  assert.ok(leaseIndexSize(state) <= 70, `index holds ${leaseIndexSize(state)} deadlines`);
  assert.equal(Object.values(state.tasks).filter((t) => t.status === "active").length, 10);
  lapseLeases(state, at(7_200) + 61_000);
  assert.equal(leaseIndexSize(state), 0);
  assert.equal(Object.values(state.tasks).filter((t) => t.status === "active").length, 0);
});

Deno.test("leases: a claim that asks for a longer lease runs on it (clamped to four plan leases); one that asks for less, or nothing, runs on the plan's", () => {
  const { log } = planned([task("T1"), task("T2"), task("T3"), task("T4")]);
  log.at(2).post("node-1", [{ type: "claim", task: "T1", attempt: 1, leaseMs: 150_000 }]);
  log.at(2).post("node-2", [{ type: "claim", task: "T2", attempt: 1, leaseMs: 3_600_000 }]);
  log.at(2).post("node-3", [{ type: "claim", task: "T3", attempt: 1, leaseMs: 1_000 }]);
  log.at(2).post("node-4", [ev.claim("T4", 1)]);
  // 61 s later the plan's 60 s lease has lapsed; T1's 150 s has not.
  log.at(63).post("node-5", [ev.announce()]);
  let s = log.fold();
  assert.equal(s.tasks["T1"]!.attempts[0]!.leaseMs, 150_000);
  assert.equal(s.tasks["T2"]!.attempts[0]!.leaseMs, 240_000, "four plan leases at most");
  assert.equal(s.tasks["T3"]!.attempts[0]!.leaseMs, undefined, "never shorter than the plan's");
  assert.equal(s.tasks["T1"]!.status, "active");
  assert.equal(s.tasks["T2"]!.status, "active");
  assert.deepEqual(s.tasks["T3"]!.attempts[0]!.end, { kind: "lapsed", at: at(2) + 60_000 });
  assert.deepEqual(s.tasks["T4"]!.attempts[0]!.end, { kind: "lapsed", at: at(2) + 60_000 });
  log.at(153).post("node-5", [ev.announce()]);
  s = log.fold();
  assert.deepEqual(s.tasks["T1"]!.attempts[0]!.end, { kind: "lapsed", at: at(2) + 150_000 });
  assert.equal(s.tasks["T2"]!.status, "active");
  log.at(243).post("node-5", [ev.announce()]);
  assert.deepEqual(log.fold().tasks["T2"]!.attempts[0]!.end, {
    kind: "lapsed",
    at: at(2) + 240_000,
  });
});

Deno.test("leaseFor: 1.6 times the longest task done so far, in whole seconds, when longer than the plan's lease; never more than four plan leases", () => {
  assert.equal(leaseFor([], 600_000), undefined);
  assert.equal(leaseFor([240_000, 300_000], 600_000), undefined);
  assert.equal(leaseFor([300_000, 840_000], 600_000), 1_344_000);
  assert.equal(leaseFor([400_000.4], 600_000), 641_000);
  assert.equal(leaseFor([3_600_000], 600_000), 2_400_000);
});
