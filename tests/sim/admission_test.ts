/**
 * Admission control in the simulator: a swarm larger than its token's budget
 * works with as many nodes as the budget allows, the rest stand by and step
 * in when a worker leaves, and nobody meets a rate limit.
 *
 * @module
 */
import assert from "node:assert/strict";
import { benchScenario, claimWaitsMs, simFigures } from "../../bench/sim.ts";
import { admit } from "../../src/protocol/admission.ts";
import { decodeBody } from "../../src/protocol/codec.ts";
import { designed } from "./designed.ts";
import { runSwarm, type SwarmRun } from "./harness.ts";
import { checkRun, figures } from "./invariants.ts";
import { ours } from "./ours.ts";

function describe(run: SwarmRun): string {
  return checkRun(run).map((v) => `invariant ${v.invariant} ${v.code}: ${v.detail}`).join("\n");
}

/** Most executions running at one time. */
function peakConcurrency(run: SwarmRun): number {
  let peak = 0;
  for (const e of run.execs) {
    const at = e.start;
    peak = Math.max(
      peak,
      run.execs.filter((x) => x.start <= at && (x.end ?? Infinity) > at).length,
    );
  }
  return peak;
}

Deno.test("admission: 40 nodes on one GITHUB_TOKEN work a budget's worth at once, standbys step in for a crashed worker, no rate-limit answer", async () => {
  const s = designed({
    nodes: 40,
    tasks: 120,
    execMs: 10 * 60_000,
    // A worker of the first seats leaves for good after half an hour.
    nodeFaults: [{ kind: "crash", node: "run-1-job-2", at: 30 * 60_000, restartAfterMs: null }],
  });
  const run = await runSwarm(s, ours);
  assert.equal(describe(run), "");
  const f = figures(run);
  assert.equal(f.done, 120);
  assert.equal(f.executedTwice, 0);
  assert.equal(f.rateLimited, 0, "no rate-limit answer, primary or secondary");
  // At most as many work at once as the budget admits after its first hour (a
  // node or two over while a count corrects itself).
  const steady = admit({
    requestsPerHour: 1_000,
    nodes: 40,
    taskMs: 10 * 60_000,
    leaseMs: s.config.leaseMs,
    renewMs: s.config.renewMs,
    settleMs: s.config.settleMs,
    pollMinMs: s.config.pollMinMs,
    pollMaxMs: s.config.pollMaxMs,
    strict: false,
    firstHour: false,
    remainingTasks: 120,
    writesLastHour: 0,
  });
  assert.ok(steady.workers < 40);
  const peak = peakConcurrency(run);
  assert.ok(peak <= steady.workers + 2, `${peak} at once, ${steady.workers} admitted`);
  // Nodes beyond the first seats stepped in (the crashed worker's share, and more later).
  const late = run.execs.filter((e) => Number(e.node.split("-").at(-1)) > steady.workers);
  assert.ok(late.length > 0, "a standby stepped in");
  assert.ok(late.some((e) => e.start > s.start + 30 * 60_000));
  // With the swarm's size known, nobody posted a standalone announcement (the
  // first seats all wrote, standbys write nothing until they step in).
  const announcements = run.model.finalLog().filter((c) => {
    const d = decodeBody(c.body);
    return d.kind === "message" && d.message.events.every((e) => e.type === "announce");
  });
  assert.equal(announcements.length, 0);
});

Deno.test("admission: without the swarm's size, announcements are spread over the first 20 s, not bunched", async () => {
  const s = designed({ nodes: 12, tasks: 6, execMs: 60_000, sizeHint: false });
  const run = await runSwarm(s, ours);
  assert.equal(describe(run), "");
  const times = run.model.comments
    .filter((c) => !c.poster.startsWith("human:"))
    .filter((c) => {
      const d = decodeBody(c.versions[0]!.body);
      return d.kind === "message" && d.message.events.some((e) => e.type === "announce");
    })
    .map((c) => c.effect - s.start)
    .sort((a, b) => a - b);
  assert.equal(times.length, 12, "every node announced itself once");
  const perSecond = new Map<number, number>();
  for (const t of times) {
    perSecond.set(Math.floor(t / 1000), (perSecond.get(Math.floor(t / 1000)) ?? 0) + 1);
  }
  assert.ok(Math.max(...perSecond.values()) <= 4, JSON.stringify([...perSecond]));
  assert.ok(
    times.at(-1)! - times[0]! > 5_000,
    `announcements within ${times.at(-1)! - times[0]!} ms`,
  );
  assert.ok(times.at(-1)! < 25_000);
});

Deno.test("admission: without the swarm's size, a node whose announcement moment finds a ready task announces itself on its claim (one comment, not two)", async () => {
  const s = designed({ nodes: 12, tasks: 6, execMs: 60_000, sizeHint: false });
  const run = await runSwarm(s, ours);
  assert.equal(describe(run), "");
  const byNode = new Map<string, { at: number; types: string[] }[]>();
  let planAt = Infinity;
  for (const c of [...run.model.comments].sort((a, b) => a.effect - b.effect)) {
    const d = decodeBody(c.versions[0]!.body);
    if (d.kind !== "message") continue;
    const types = d.message.events.map((e) => e.type);
    if (types.includes("plan")) planAt = Math.min(planAt, c.effect - s.start);
    const list = byNode.get(d.message.node) ?? [];
    list.push({ at: c.effect - s.start, types });
    byNode.set(d.message.node, list);
  }
  let carried = 0;
  for (const [node, list] of byNode) {
    const [first, second] = list;
    assert.ok(first!.types.includes("announce"), `${node}'s first comment announces it`);
    if (first!.types.includes("claim")) carried++;
    // Once the plan is out, an announcement alone means the node had nothing
    // to claim: its own claim does not follow within a settle window.
    if (first!.at > planAt && first!.types.length === 1 && second?.types.includes("claim")) {
      assert.ok(
        second.at - first!.at > s.config.settleMs,
        `${node}: ${JSON.stringify(list.slice(0, 2))}`,
      );
    }
  }
  // The plan is out within seconds, before most moments: those nodes' claims
  // carried their announcements.
  assert.ok(planAt < 10_000, `the plan at ${planAt} ms`);
  assert.ok(carried >= 2, `${carried} claims carried an announcement`);
});

Deno.test("admission: without the swarm's size, a node that starts after the plan is out claims at once, not at a random moment of the spread (it joined a running swarm)", async () => {
  const late: string[] = [];
  for (let seed = 1; seed <= 5; seed++) {
    const joinAt = 120_000;
    const s = designed({
      seed,
      nodes: 3,
      tasks: 6,
      execMs: 10 * 60_000,
      sizeHint: false,
      startAt: (i) => (i === 2 ? joinAt : i * 100),
    });
    const run = await runSwarm(s, ours);
    assert.equal(describe(run), "");
    const first = run.model.comments
      .filter((c) => {
        const d = decodeBody(c.versions[0]!.body);
        return d.kind === "message" && d.message.node === "run-1-job-3";
      })
      .sort((a, b) => a.effect - b.effect)[0];
    const types = first ? decodeBody(first.versions[0]!.body) : undefined;
    const claims = types?.kind === "message" &&
      types.message.events.some((e) => e.type === "claim");
    const after = first ? first.effect - s.start - joinAt : Infinity;
    if (!claims || after > 3_000) {
      late.push(`seed ${seed}: first comment ${after} ms after its start`);
    }
  }
  assert.deepEqual(late, []);
});

Deno.test("admission: 600 zero-work tasks on one PAT stay at the 450 writes an hour planned, with no rate-limit answer (a worker's cycle counted the settle window's 10 s ceiling, not its 1 s floor: 493 an hour and 22 content-limit answers)", async () => {
  const f = await simFigures(
    benchScenario({ seed: 1, nodes: 5, tasks: 600, tokenKind: "pat", execMs: 0, dag: "flat" }),
    "ours",
  );
  assert.equal(f.done, 600);
  assert.equal(f.secondaryLimited, 0);
  assert.equal(f.primaryLimited, 0);
  assert.ok(f.peakWritesPerHour <= 470, `${f.peakWritesPerHour} writes in one hour`);
});

Deno.test("admission: --time-scale shrinks a standby's poll interval like the other timings (an emulator run of 5 nodes whose standbys slept 88 s of the budget's interval outlived its swarm and its 90 s deadline)", async () => {
  const longest = async (timeScale: number | undefined) => {
    const s = designed({
      nodes: 40,
      tasks: 20,
      execMs: 10 * 60_000,
      ...(timeScale !== undefined ? { config: { timeScale } } : {}),
    });
    const run = await runSwarm(s, ours);
    assert.equal(describe(run), "");
    assert.equal(figures(run).done, 20);
    const polls = run.processes.flatMap((p) =>
      p.events.flatMap(({ e }) => e.type === "poll" ? [Number(e.intervalMs)] : [])
    );
    return { ms: Math.max(...polls), max: s.config.pollMaxMs * 1.2 };
  };
  // Unscaled, a standby of 40 nodes on one GITHUB_TOKEN polls every 20 minutes or so.
  const unscaled = await longest(undefined);
  assert.ok(unscaled.ms > unscaled.max, `${unscaled.ms} ms`);
  // At 0.05, no node waits longer than the longest poll interval configured.
  const scaled = await longest(0.05);
  assert.ok(scaled.ms <= scaled.max, `${scaled.ms} ms, longer than ${scaled.max} ms`);
});

Deno.test("admission: a worker whose view shows every slot taken reads the log again before it stands by (100 nodes on one GITHUB_TOKEN, seed 1: median ready → start 63 s; standing by on the view its run left it, 126 s)", async () => {
  const s = benchScenario({
    seed: 1,
    nodes: 100,
    tasks: 200,
    tokenKind: "actions",
    execMs: 600_000,
  });
  const run = await runSwarm(s, ours);
  assert.equal(describe(run), "");
  assert.equal(figures(run).done, 200);
  const waits = [...claimWaitsMs(run).values()].sort((a, b) => a - b);
  const median = waits[Math.floor(waits.length / 2)]!;
  assert.ok(median < 95_000, `median ready → start ${Math.round(median / 1000)} s`);
});
