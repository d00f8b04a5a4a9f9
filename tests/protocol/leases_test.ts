import assert from "node:assert/strict";
import fc from "fast-check";
import { canonicalJson } from "../../src/protocol/canonical.ts";
import { toEntry } from "../../src/protocol/entry.ts";
import { applyEntry, fold } from "../../src/protocol/fold.ts";
import { NO_FACTS } from "../../src/protocol/facts.ts";
import { lapseLeases, leaseIndexSize } from "../../src/protocol/leases.ts";
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
    const deadline = live.lastBeat + leaseMs;
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
