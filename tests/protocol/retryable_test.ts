/**
 * A failure its node marks `retryable: false` (Claude Code's permission
 * denial: every node would be denied the same) ends the task for good at
 * once, not after `maxAttempts`; `retry` reopens it; only `false` counts.
 */
import assert from "node:assert/strict";
import { decodeBody } from "../../src/protocol/codec.ts";
import type { ProtocolEvent, TaskResult } from "../../src/protocol/types.ts";
import { taskPhase } from "../../src/protocol/view.ts";
import { ev, planned, SETTINGS, task } from "./_log.ts";

const denied = (retryable?: unknown): ProtocolEvent =>
  ev.progress("T1", 1, "failed", {
    result: {
      summary: "Claude Code was denied 1 tool call the task needed: Bash(npm test).",
      failure: "permission_denied",
      denied: ["Bash(npm test)"],
      costUsd: 0.02,
      ...(retryable === undefined ? {} : { retryable }),
    } as TaskResult,
  });

Deno.test("a failure marked retryable: false fails its task for good at once; its dependents are skipped", () => {
  assert.ok(SETTINGS.maxAttempts > 1, "attempts were left");
  const { log } = planned([task("T1"), task("T2", ["T1"])]);
  log.at(2).post("node-1", [ev.claim("T1", 1)]);
  log.at(3).post("node-1", [denied(false)]);
  const state = log.fold();
  const t1 = state.tasks.T1!;
  assert.equal(t1.status, "failed");
  assert.equal(t1.failures, 1);
  assert.equal(t1.attempts[0]!.result?.retryable, false);
  assert.equal(taskPhase(state, state.tasks.T2!, log.now), "skipped");
  // A claim of the failed task is not an attempt.
  log.at(30).post("node-2", [ev.claim("T1", 2)]);
  assert.equal(log.fold().tasks.T1!.attempts.length, 1);
  assert.equal(log.fold().ignored.invalid_claim, 1);
});

Deno.test("without retryable: false, the same failure is retried after the backoff", () => {
  const { log } = planned([task("T1")]);
  log.at(2).post("node-1", [ev.claim("T1", 1)]);
  log.at(3).post("node-1", [denied()]);
  const state = log.fold();
  assert.equal(state.tasks.T1!.status, "pending");
  assert.equal(state.tasks.T1!.openAt, log.now + SETTINGS.backoffMs);
});

Deno.test("retry reopens a task a non-retryable failure ended (a person allowed the calls)", () => {
  const { log } = planned([task("T1")]);
  log.at(2).post("node-1", [ev.claim("T1", 1)]);
  log.at(3).post("node-1", [denied(false)]);
  log.at(60).post("node-1", [ev.retry("T1")]);
  const reopened = log.fold().tasks.T1!;
  assert.equal(reopened.status, "pending");
  log.at(61).post("node-2", [ev.claim("T1", 2)]);
  log.at(62).post("node-2", [ev.done("T1", 2)]);
  assert.equal(log.fold().tasks.T1!.status, "done");
});

Deno.test("the codec carries retryable only as false: other values are dropped", () => {
  const { log } = planned([task("T1")]);
  for (const value of [false, true, "false", 0, null]) {
    const body = log.body("node-1", [denied(value)]);
    const decoded = decodeBody(body);
    assert.equal(decoded.kind, "message");
    if (decoded.kind !== "message") continue;
    const event = decoded.message.events[0] as Extract<ProtocolEvent, { type: "progress" }>;
    assert.equal(event.result?.retryable, value === false ? false : undefined, String(value));
  }
});
