/**
 * A leader that is stopped after it won the election and before its plan is
 * out gives its term up, so the next node campaigns at once instead of waiting
 * out the election timeout the dead leader declared (issue 15).
 *
 * @module
 */
import assert from "node:assert/strict";
import type { NodeEvent } from "../../src/node/events.ts";
import {
  BOT_TOKENS,
  fixedPlanner,
  type NodeHandle,
  recordingExecutor,
  startNode,
  startWorld,
  stopAll,
  waitFor,
} from "./_harness.ts";

Deno.test({
  name:
    "a leader stopped right after it was elected resigns before it exits; the next node campaigns at once although the dead leader declared a 10-minute election timeout",
  sanitizeResources: false,
  async fn() {
    const emulator = await startWorld();
    const planner = fixedPlanner([{ id: "T1", title: "One", priority: "high", deps: [] }]);
    const executor = recordingExecutor();
    const nodes: NodeHandle[] = [];
    /** A node that declares a 10-minute election timeout when it campaigns. */
    const start = (i: number) => {
      const node = startNode(emulator, {
        node: `n${i}`,
        token: BOT_TOKENS[i - 1]!,
        executor,
        planner,
        config: { electionTimeoutMs: 600_000 },
      });
      nodes.push(node);
      return node;
    };
    try {
      const leader = start(1);
      // SIGTERM the moment it knows it won: before it starts planning.
      const push = leader.events.push.bind(leader.events);
      leader.events.push = (...events: NodeEvent[]) => {
        if (events.some((e) => e.type === "elected")) leader.controller.abort(new Error("SIGTERM"));
        return push(...events);
      };
      const stopped = await leader.done;
      assert.equal(stopped.reason, "interrupted");
      assert.equal(planner.calls, 0, "stopped before planning");
      const resigned = leader.events.find((e) => e.type === "resign");
      assert.ok(resigned?.type === "resign");
      assert.deepEqual([resigned.term, resigned.cause], [1, "interrupted"]);

      const next = start(2);
      // Without the resignation it would wait 10 minutes: a generous bound tells the two apart.
      let report: Awaited<typeof next.done> | undefined;
      next.done.then((r) => report = r);
      await waitFor("the next node to finish", () => report !== undefined, 60_000);
      assert.equal(report!.reason, "finished");
      assert.ok(next.events.some((e) => e.type === "campaign" && e.term === 2));
      assert.deepEqual(executor.runs.map((r) => [r.task, r.node]), [["T1", "n2"]]);
    } finally {
      await stopAll(nodes);
      await emulator.close();
    }
  },
});
