/**
 * The node's admission control on a folded log, with a context that holds
 * only what it reads: the watchers' poll intervals by rank, and what the
 * token has left.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  AdmissionControl,
  ON_PACE_SHARE,
  WATCH_INTERVALS,
  WATCHERS_ALWAYS,
} from "../../src/node/admission.ts";
import { defaultConfig } from "../../src/node/config.ts";
import type { NodeContext } from "../../src/node/context.ts";
import { REQUEST_SHARE } from "../../src/protocol/admission.ts";
import type { SwarmState } from "../../src/protocol/state.ts";
import { BOT, ev, ISSUE, Log, SETTINGS, task } from "../protocol/_log.ts";

const HOUR = 3_600_000;
const LIMIT = 1_000;

/**
 * Twelve nodes of one GITHUB_TOKEN: a plan of 40 tasks, every node heard
 * from once a second apart (`n1` first, `n12` last), none holding a task.
 */
function idleSwarm(): { state: SwarmState; now: number; size: number } {
  const log = new Log();
  const election = log.post("n1", [ev.election(1)]);
  const tasks = Array.from({ length: 40 }, (_, i) => task(`T${i + 1}`));
  log.wait(1).post("n1", [
    ev.plan(election.id, tasks, { settings: { ...SETTINGS, leaseMs: 600_000 } }),
  ]);
  for (let i = 2; i <= 12; i++) log.wait(1).post(`n${i}`, [ev.announce()]);
  log.wait(5);
  return { state: log.fold(), now: log.now, size: log.comments.length };
}

/** The idle poll interval of `node`, with the token reporting `remaining` requests left of an hour's window. */
async function idlePollMs(node: string, remaining: number): Promise<number> {
  const { state, now, size } = idleSwarm();
  const config = defaultConfig(ISSUE, node, { jitter: 0 });
  const ctx = {
    config,
    login: BOT,
    announced: true,
    now: () => now,
    fullReadMs: () => 0,
    deps: { clock: { now: () => now }, random: { next: () => 0.5 } },
    view: {
      state,
      size,
      serverNow: () => now,
      requestsPerRead: () => 1,
      authoredTimes: () => [],
    },
    github: { rateLimit: () => Promise.resolve({ limit: LIMIT, remaining, resetAt: now + HOUR }) },
  } as unknown as NodeContext;
  const admission = new AdmissionControl(ctx);
  await admission.measure();
  assert.ok(admission.view().mayClaim, `${node} may claim`);
  return admission.pollMs("idle");
}

Deno.test("idle watchers: the nodes heard from last watch at the watch intervals, in rank order; the rest keep the worker interval", async () => {
  const pollMin = defaultConfig(ISSUE, "n1").pollMinMs;
  // n12 wrote last: rank 0; n11 rank 1; … n7 rank 5; n6 rank 6 (no watcher).
  for (let rank = 0; rank < WATCH_INTERVALS.length; rank++) {
    assert.equal(
      await idlePollMs(`n${12 - rank}`, LIMIT),
      pollMin * WATCH_INTERVALS[rank]!,
      `rank ${rank}`,
    );
  }
  const rest = await idlePollMs(`n${12 - WATCH_INTERVALS.length}`, LIMIT);
  assert.ok(rest > pollMin * Math.max(...WATCH_INTERVALS), `${rest} ms`);
});

Deno.test("idle watchers: past the first three, a watcher watches only while the token keeps its budget's pace (a token that spent a quarter of its limit with its whole hour still to run keeps three watchers, not six)", async () => {
  const pollMin = defaultConfig(ISSUE, "n1").pollMinMs;
  const usable = LIMIT * REQUEST_SHARE;
  const kept = LIMIT * (1 - REQUEST_SHARE);
  // The whole window still to run: on pace means three quarters of the usable share left.
  const onPace = kept + ON_PACE_SHARE * usable;
  const behind = onPace - 50;
  for (let rank = 0; rank < WATCH_INTERVALS.length; rank++) {
    const node = `n${12 - rank}`;
    const watching = pollMin * WATCH_INTERVALS[rank]!;
    assert.equal(await idlePollMs(node, onPace), watching, `rank ${rank}, on pace`);
    const polled = await idlePollMs(node, behind);
    if (rank < WATCHERS_ALWAYS) assert.equal(polled, watching, `rank ${rank}, behind`);
    else assert.ok(polled > pollMin * Math.max(...WATCH_INTERVALS), `rank ${rank}: ${polled} ms`);
  }
});
