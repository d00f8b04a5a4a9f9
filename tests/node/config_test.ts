import assert from "node:assert/strict";
import { defaultConfig, type NodeConfig, validateTiming } from "../../src/node/config.ts";
import { runNode } from "../../src/node/node.ts";
import type { GitHub } from "../../src/github/port.ts";
import { seededRandom, systemClock } from "../../src/node/ports.ts";
import { fastConfig } from "./_harness.ts";

const with_ = (overrides: Partial<NodeConfig>) => defaultConfig(1, "n1", overrides);

function refuses(overrides: Partial<NodeConfig>, why: RegExp): void {
  assert.throws(() => validateTiming(with_(overrides)), (error: unknown) => {
    assert.ok(error instanceof RangeError, `expected a RangeError, got ${error}`);
    assert.match(error.message, why);
    return true;
  });
}

Deno.test("validateTiming accepts the defaults and the compressed test timings", () => {
  validateTiming(defaultConfig(1, "n1"));
  validateTiming(fastConfig("n1"));
  const d = defaultConfig(7, "laptop-1");
  assert.equal(d.issue, 7);
  assert.equal(d.node, "laptop-1");
  assert.ok(d.leaseMs > d.renewMs && d.renewMs > d.pollMinMs * (1 + d.jitter));
  assert.ok(d.settleMs < d.leaseMs - d.renewMs);
});

Deno.test("defaultConfig lets overrides win over every default", () => {
  const c = defaultConfig(3, "n", { settleMs: 1, strict: true, role: "work", issue: 9 });
  assert.equal(c.settleMs, 1);
  assert.equal(c.strict, true);
  assert.equal(c.role, "work");
  assert.equal(c.issue, 9);
});

Deno.test("validateTiming refuses a lease not longer than the renew interval, saying the claim would lapse", () => {
  refuses({ leaseMs: 240_000, renewMs: 240_000 }, /Lease 240000 ms must be longer than the renew/);
  refuses({ leaseMs: 100_000, renewMs: 240_000 }, /lapses before it renews/);
});

Deno.test("validateTiming refuses a renew interval not longer than the poll interval with jitter, saying a lost claim would go unnoticed", () => {
  // 5000 × 1.2 = 6000: equal is refused too.
  refuses(
    { renewMs: 6_000, leaseMs: 60_000, settleMs: 1_000 },
    /Renew interval 6000 ms must be longer than the poll interval with jitter \(6000 ms\)/,
  );
  refuses(
    { pollMinMs: 10_000, jitter: 0.5, renewMs: 14_000, leaseMs: 60_000, settleMs: 1_000 },
    /cannot notice a lost claim before renewing/,
  );
});

Deno.test("validateTiming refuses a settle window that does not fit between a claim and its first renewal", () => {
  // lease − renew = 600000 − 240000 = 360000.
  refuses({ settleMs: 360_000 }, /Settle window 360000 ms must be shorter than lease minus renew/);
  refuses({ settleMs: 500_000 }, /confirmed before its first renewal is due/);
});

Deno.test("validateTiming refuses a longest poll interval below the shortest, saying to swap them", () => {
  refuses({ pollMinMs: 5_000, pollMaxMs: 4_999 }, /Longest poll interval 4999 ms .* 5000 ms: swap/);
});

Deno.test("validateTiming refuses jitter outside [0, 1], asking for a fraction", () => {
  refuses({ jitter: -0.1 }, /Invalid jitter -0.1: use a fraction between 0 and 1/);
  refuses({ jitter: 1.5 }, /Invalid jitter 1.5/);
  validateTiming(with_({ jitter: 0 }));
  validateTiming(with_({ jitter: 1, renewMs: 11_000 }));
});

// Regression test (a bug found in src/node/config.ts validateTiming, now fixed): `jitter < 0 || jitter > 1` is false
// for NaN, and every later relation involving NaN is false too, so NaN jitter
// passes; a node then sleeps `base × (1 + NaN × r)` = NaN ms, which
// setTimeout treats as 0: the node polls in a busy loop.
Deno.test({
  name: "validateTiming refuses a jitter that is not a number",
  fn() {
    refuses({ jitter: Number.NaN }, /Invalid jitter NaN/);
  },
});

Deno.test("validateTiming refuses every non-positive or non-finite duration, naming it", () => {
  const keys = [
    "settleMs",
    "electionTimeoutMs",
    "leaseMs",
    "renewMs",
    "pollMinMs",
    "pollMaxMs",
  ] as const;
  for (const key of keys) {
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      refuses(
        { [key]: bad },
        new RegExp(`Invalid ${key} ${String(bad)}: it must be a positive number of ms`),
      );
    }
  }
});

Deno.test("validateTiming refuses maxAttempts below 1 or fractional", () => {
  refuses({ maxAttempts: 0 }, /Invalid maxAttempts 0: use 1 or more/);
  refuses({ maxAttempts: 1.5 }, /Invalid maxAttempts 1.5/);
  validateTiming(with_({ maxAttempts: 1 }));
});

Deno.test("runNode checks the timing before it makes a single request", () => {
  let calls = 0;
  const github = new Proxy({}, {
    get: () => () => {
      calls++;
      return Promise.reject(new Error("no requests expected"));
    },
  }) as GitHub;
  assert.throws(
    () =>
      runNode({
        github,
        clock: systemClock,
        random: seededRandom(1),
        executor: { name: "x", run: () => Promise.reject(new Error("no")) },
        planner: { name: "x", plan: () => Promise.reject(new Error("no")) },
        signal: new AbortController().signal,
      }, with_({ leaseMs: 1_000, renewMs: 2_000 })),
    /Lease 1000 ms must be longer/,
  );
  assert.equal(calls, 0);
});

Deno.test("validateTiming refuses a settle floor that is not positive or lies above the settle window, saying the window adapts between them", () => {
  refuses({ settleFloorMs: 0 }, /Invalid settleFloorMs 0: it must be a positive number of ms/);
  refuses({ settleFloorMs: Number.NaN }, /Invalid settleFloorMs NaN/);
  refuses(
    { settleFloorMs: 12_000 },
    /Settle floor 12000 ms is longer than the settle window 10000 ms: the window adapts between the floor and that ceiling/,
  );
  validateTiming(with_({ settleFloorMs: 10_000 }));
  validateTiming(with_({ settleFloorMs: 500 }));
});
