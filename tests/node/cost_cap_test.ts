/**
 * The swarm-wide cost cap (`--max-cost-usd`) with real nodes on the emulator:
 * the leader publishes it with the plan, every node sums the costs reported
 * in the log, and once they reach it nobody claims new work while running
 * tasks finish.
 *
 * @module
 */
import assert from "node:assert/strict";
import { exitCodeOf } from "../../src/cli/run.ts";
import { spentUsd } from "../../src/protocol/cost.ts";
import { decodeBody } from "../../src/protocol/codec.ts";
import { fold } from "../../src/protocol/fold.ts";
import type { LogComment, PlanTask } from "../../src/protocol/types.ts";
import type { RunningEmulator } from "../../src/emulator/mod.ts";
import {
  BOT_POLICY,
  BOT_TOKENS,
  fixedPlanner,
  issueComments,
  type NodeHandle,
  recordingExecutor,
  startNode,
  startWorld,
  stopAll,
  waitFor,
} from "./_harness.ts";

const policy = BOT_POLICY;

function logOf(emulator: RunningEmulator): LogComment[] {
  return issueComments(emulator).map((c) => ({
    id: c.id,
    body: c.body,
    author: c.author,
    authorType: "Bot",
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
  }));
}

function claims(emulator: RunningEmulator): string[] {
  return issueComments(emulator).flatMap((c) => {
    const d = decodeBody(c.body);
    return d.kind === "message"
      ? d.message.events.flatMap((e) => e.type === "claim" ? [`${d.message.node}:${e.task}`] : [])
      : [];
  });
}

const FOUR: PlanTask[] = ["T1", "T2", "T3", "T4"].map((id) => ({
  id,
  title: `Task ${id}`,
  priority: "medium" as const,
  deps: [],
}));

Deno.test("once the reported costs reach --max-cost-usd no node claims new work, running tasks finish, and a node with its own higher cap goes on", async () => {
  const emulator = await startWorld();
  // Every run waits until the test lets it finish, then reports $0.60.
  const gates = new Map<string, () => void>();
  const executor = recordingExecutor({
    hold: (task) => new Promise<void>((resolve) => gates.set(task.id, resolve)),
    decide: (task) => ({ ok: true, result: { summary: `did ${task.id}`, costUsd: 0.6 } }),
  });
  const planner = fixedPlanner(FOUR);
  const nodes: NodeHandle[] = [1, 2].map((i) =>
    startNode(emulator, {
      node: `n${i}`,
      token: BOT_TOKENS[i - 1]!,
      executor,
      planner,
      config: { maxCostUsd: 0.5 },
    })
  );
  try {
    await waitFor("both nodes running a task", () => executor.runs.length === 2);
    const [first, second] = executor.runs.map((r) => r.task);
    // The first completion reaches the cap ($0.60 ≥ $0.50) while the other task runs.
    gates.get(first!)!();
    const firstNode = nodes.find((n) => n.node === executor.runs[0]!.node)!;
    const firstReport = await firstNode.done;
    assert.equal(firstReport.reason, "budget");
    assert.equal(executor.runs.length, 2, "nothing was claimed after the cap was reached");
    // The running task finishes and reports.
    gates.get(second!)!();
    const reports = await Promise.all(nodes.map((n) => n.done));

    const state = fold(logOf(emulator), policy);
    assert.equal(state.settings.maxCostUsd, 0.5, "the leader published the cap with the plan");
    assert.deepEqual(
      state.order.map((id) => [id, state.tasks[id]!.status]).sort(),
      [
        [first, "done"],
        [second, "done"],
        ...["T1", "T2", "T3", "T4"]
          .filter((id) => id !== first && id !== second)
          .map((id) => [id, "pending"]),
      ].sort(),
    );
    assert.equal(spentUsd(state), 1.2);
    // (Two claims may race for one task at the start: the loser claims another.)
    assert.equal(state.order.reduce((n, id) => n + state.tasks[id]!.attempts.length, 0), 2);
    for (const r of reports) {
      assert.equal(r.reason, "budget");
      assert.equal(exitCodeOf(r), 1, "work left undone is not a success");
    }
    for (const n of nodes) {
      // The first to stop saw its own $0.60; the other, both tasks' $1.20.
      const spent = n === firstNode ? "0.6" : "1.2";
      const stop = n.events.findLast((e) => e.type === "stop");
      assert.ok(stop?.type === "stop");
      assert.equal(
        stop.detail,
        `The costs reported in the log, $${spent}, reached the cap of $0.5 (--max-cost-usd): no ` +
          "new task is claimed. Raise the cap to go on.",
      );
    }

    // A node that joins later obeys the plan's cap: it claims nothing.
    const late = startNode(emulator, {
      node: "late",
      token: BOT_TOKENS[2]!,
      executor,
      planner,
      config: { role: "work" },
    });
    nodes.push(late);
    const lateReport = await late.done;
    assert.equal(lateReport.reason, "budget");
    assert.deepEqual(claims(emulator).filter((c) => c.startsWith("late:")), []);
    assert.equal(lateReport.writes, 0, "not even an announcement");

    // A node started with a higher cap of its own finishes the rest.
    const more = startNode(emulator, {
      node: "more",
      token: BOT_TOKENS[3]!,
      executor: recordingExecutor({
        decide: (task) => ({ ok: true, result: { summary: `did ${task.id}`, costUsd: 0.6 } }),
      }),
      planner,
      config: { role: "work", maxCostUsd: 5 },
    });
    nodes.push(more);
    const moreReport = await more.done;
    assert.equal(moreReport.reason, "finished");
    assert.equal(moreReport.completed.length, 2);
    assert.equal(spentUsd(fold(logOf(emulator), policy)), 2.4);
  } finally {
    for (const open of gates.values()) open();
    await stopAll(nodes);
    await emulator.close();
  }
});
