import assert from "node:assert/strict";
import { OutcomeUnknownError, RateLimitError } from "../../src/github/errors.ts";
import type { GitHub } from "../../src/github/port.ts";
import type { Clock } from "../../src/node/ports.ts";
import { RateGate, SECONDARY_WAIT_MS } from "../../src/node/rate_gate.ts";

/** A clock whose sleeps advance time at once and are recorded. */
function fakeClock(): Clock & { slept: number[] } {
  let t = 1_000_000;
  const slept: number[] = [];
  return {
    slept,
    now: () => t,
    sleep: (ms, signal) => {
      if (signal?.aborted) return Promise.reject(signal.reason);
      slept.push(ms);
      t += ms;
      return Promise.resolve();
    },
  };
}

function limited(retryAfterMs: number | undefined): RateLimitError {
  return new RateLimitError("Rate limited.", "primary", retryAfterMs, { status: 403 });
}

Deno.test("rate gate: after a primary limit no request leaves before the reset GitHub named", async () => {
  const clock = fakeClock();
  const gate = new RateGate(clock, new AbortController().signal);
  gate.note(limited(2_981_000));
  assert.equal(gate.remainingMs(), 2_981_000);
  await gate.pass();
  assert.deepEqual(clock.slept, [2_981_000]);
  assert.equal(gate.remainingMs(), 0);
});

Deno.test("rate gate: a rate limit inside an unknown outcome's cause is waited for too", () => {
  const clock = fakeClock();
  const gate = new RateGate(clock, new AbortController().signal);
  gate.note(
    new OutcomeUnknownError("Cannot tell.", {
      cause: new AggregateError([new Error("502"), limited(60_000)]),
    }),
  );
  assert.equal(gate.remainingMs(), 60_000);
  gate.note(new Error("not a rate limit"));
  assert.equal(gate.remainingMs(), 60_000);
});

Deno.test("rate gate: a secondary limit without retry-after waits a minute, doubling while it repeats", async () => {
  const clock = fakeClock();
  const gate = new RateGate(clock, new AbortController().signal);
  gate.note(new RateLimitError("Secondary.", "secondary", undefined));
  assert.equal(gate.remainingMs(), SECONDARY_WAIT_MS);
  await gate.pass();
  gate.note(new RateLimitError("Secondary.", "secondary", undefined));
  assert.equal(gate.remainingMs(), 2 * SECONDARY_WAIT_MS);
});

Deno.test("rate gate: a node stopped during the wait sends nothing (RateLimitError, not a request)", async () => {
  const clock = fakeClock();
  const controller = new AbortController();
  const gate = new RateGate(clock, controller.signal);
  let calls = 0;
  const github = gate.wrap({
    listComments: () => {
      calls++;
      return Promise.resolve({ comments: [], serverTime: 0, notModified: true });
    },
  } as unknown as GitHub);
  gate.note(limited(600_000));
  controller.abort(new Error("stop"));
  await assert.rejects(() => github.listComments(1), RateLimitError);
  assert.equal(calls, 0);
});

Deno.test("rate gate: wrapped calls wait for the gate and note the limits they meet", async () => {
  const clock = fakeClock();
  const gate = new RateGate(clock, new AbortController().signal);
  const answers: (() => Promise<unknown>)[] = [
    () => Promise.reject(limited(30_000)),
    () => Promise.resolve("main"),
  ];
  const github = gate.wrap({ defaultBranch: () => answers.shift()!() } as unknown as GitHub);
  await assert.rejects(() => github.defaultBranch(), RateLimitError);
  assert.equal(await github.defaultBranch(), "main");
  assert.deepEqual(clock.slept, [30_000]);
});
