import assert from "node:assert/strict";
import {
  firstWave,
  fnv1a,
  nextTask,
  readyTasks,
  rendezvousWeight,
  SPREAD_WINDOW_MS,
} from "../../src/protocol/schedule.ts";
import type { Priority } from "../../src/protocol/types.ts";
import { at, ev, Log, planned, task } from "./_log.ts";

const ids = (list: { task: string }[]) => list.map((r) => r.task);

Deno.test("fnv1a: the standard FNV-1a 32-bit values", () => {
  assert.equal(fnv1a(""), 0x811c9dc5);
  assert.equal(fnv1a("a"), 0xe40c292c);
  assert.equal(fnv1a("foobar"), 0xbf9cf968);
});

Deno.test("schedule: higher priority first, whatever the plan order", () => {
  const prios: Priority[] = ["low", "medium", "critical", "high"];
  const { log } = planned(prios.map((p, i) => task(`T${i}`, [], { priority: p })));
  const s = log.fold();
  for (const node of ["node-1", "node-2", "node-3"]) {
    assert.deepEqual(ids(readyTasks(s, node, at(2))), ["T2", "T3", "T1", "T0"]);
  }
});

/** Three tasks of one priority that unblock 0, 3 and 1 others, and one of high priority. */
function unblockingPlan() {
  return planned([
    task("A"),
    task("B"),
    task("C"),
    task("X", ["B"]),
    task("Y", ["B", "C"]),
    task("Z", ["B"]),
    task("HOT", [], { priority: "high" }),
  ]);
}

Deno.test("schedule: among equal priorities, the task that unblocks the most goes first", () => {
  const { log } = unblockingPlan();
  const s = log.fold();
  for (const node of ["node-1", "node-2", "node-3", "node-4"]) {
    assert.deepEqual(ids(readyTasks(s, node, at(2))), ["HOT", "B", "C", "A"]);
  }
});

Deno.test("schedule: only ready tasks, each with the attempt number to claim", () => {
  const { log } = planned([task("T1"), task("T2", ["T1"]), task("T3"), task("T4")]);
  log.at(5).post("node-2", [ev.claim("T3", 1), ev.claim("T4", 1)]);
  log.at(6).post("node-2", [ev.release("T4", 1)]);
  const s = log.fold();
  const ready = readyTasks(s, "node-1", at(6));
  assert.deepEqual(
    ready.sort((a, b) => a.task.localeCompare(b.task)),
    [{ task: "T1", attempt: 1 }, { task: "T4", attempt: 2 }],
  );
});

/** A plan of `n` equal tasks, with `nodes` announced (the leader, node-1, is one of them). */
function equalTasks(n: number, nodes: string[]) {
  const { log } = planned(Array.from({ length: n }, (_, i) => task(`T${i + 1}`)));
  for (const node of nodes) log.at(2).post(node, [ev.announce()]);
  return log.fold();
}

Deno.test("schedule: among equal priorities, a node's first picks are the plan's front, ranked by its rendezvous weight", () => {
  const nodes = ["node-1", "node-2", "node-3", "run-42-job-3"];
  const s = equalTasks(12, nodes);
  for (const node of nodes) {
    const order = ids(readyTasks(s, node, at(2)));
    const front = ["T1", "T2", "T3", "T4"].sort((a, b) =>
      rendezvousWeight(node, b) - rendezvousWeight(node, a)
    );
    assert.deepEqual(order, [...front, "T5", "T6", "T7", "T8", "T9", "T10", "T11", "T12"]);
    assert.deepEqual(ids(readyTasks(structuredClone(s), node, at(2))), order);
  }
});

Deno.test("schedule: a node alone takes equal tasks in plan order", () => {
  const s = equalTasks(6, []);
  assert.deepEqual(ids(readyTasks(s, "node-1", at(2))), ["T1", "T2", "T3", "T4", "T5", "T6"]);
});

Deno.test("schedule: nodes silent for longer than the spread window do not widen it", () => {
  const { log } = planned(Array.from({ length: 6 }, (_, i) => task(`T${i + 1}`)));
  log.at(2).post("node-2", [ev.announce()]);
  log.at(2 + SPREAD_WINDOW_MS / 1000 + 5).post("node-3", [ev.announce()]);
  const s = log.fold();
  const now = at(2 + SPREAD_WINDOW_MS / 1000 + 5);
  // node-1 (the leader) and node-2 spoke too long ago: the front is node-3 alone.
  assert.equal(nextTask(s, "node-3", now)!.task, "T1");
});

Deno.test("schedule: nodes of one swarm spread their first picks over the front of the plan", () => {
  const nodes = Array.from({ length: 12 }, (_, i) => `run-7-job-${i + 1}`);
  const s = equalTasks(40, nodes);
  const firsts = nodes.map((n) => nextTask(s, n, at(2))!.task);
  // The front is the first 13 tasks (12 jobs and the leader).
  const front = new Set(Array.from({ length: 13 }, (_, i) => `T${i + 1}`));
  assert.ok(firsts.every((t) => front.has(t)), firsts.join(", "));
  // Everyone taking the same task would make 11 of 12 claims lose.
  assert.ok(new Set(firsts).size >= 6, `only ${new Set(firsts).size} distinct first picks`);
});

Deno.test("schedule: the rendezvous weight ranks tasks in unrelated orders for similar node names", () => {
  const tasks = Array.from({ length: 8 }, (_, i) => `T${i + 1}`);
  const orders = new Set(
    Array.from({ length: 8 }, (_, i) => `job-${i + 1}`).map((node) =>
      [...tasks].sort((a, b) => rendezvousWeight(node, b) - rendezvousWeight(node, a)).join()
    ),
  );
  assert.equal(orders.size, 8);
  const tops = new Set(
    Array.from({ length: 8 }, (_, i) => `job-${i + 1}`).map((node) =>
      [...tasks].sort((a, b) => rendezvousWeight(node, b) - rendezvousWeight(node, a))[0]
    ),
  );
  assert.ok(tops.size >= 4, `only ${tops.size} distinct top tasks for 8 nodes`);
});

Deno.test("schedule: nothing to pick before a plan, after the end, or when all is taken", () => {
  const log = new Log();
  log.post("node-1", [ev.election(1)]);
  assert.deepEqual(readyTasks(log.fold(), "node-1", at(1)), []);
  const { log: done } = planned([task("T1")]);
  done.at(5).post("node-2", [ev.claim("T1", 1)]);
  assert.equal(nextTask(done.fold(), "node-3", at(6)), undefined);
  const { log: ended } = planned([task("T1")]);
  ended.at(5).post("node-1", [ev.end("cancelled")]);
  assert.deepEqual(readyTasks(ended.fold(), "node-2", at(6)), []);
});

Deno.test("schedule: task ids named like Object.prototype members are ranked like any other", () => {
  const { log } = planned([
    task("constructor"),
    task("toString"),
    task("a", ["toString"]),
    task("b", ["toString"]),
  ]);
  const s = log.fold();
  for (const node of ["node-1", "node-2", "node-3"]) {
    assert.deepEqual(ids(readyTasks(s, node, at(2))), ["toString", "constructor"]);
  }
});

Deno.test("schedule: a lease lapsing within the current second is not ready yet (a claim posted now is stamped to the second and would be lost); it is from the next second", () => {
  const { log } = planned([task("T1")]);
  log.at(5).post("node-2", [ev.claim("T1", 1)]);
  const s = log.fold();
  // Attempt 1's lease (60 s from its claim at second 5) ends at second 65: a
  // claim stamped 65 s is not after it.
  const deadline = at(5) + 60_000;
  assert.deepEqual(readyTasks(s, "node-1", deadline), []);
  assert.deepEqual(readyTasks(s, "node-1", deadline + 1), []);
  assert.deepEqual(readyTasks(s, "node-1", deadline + 999), []);
  assert.deepEqual(readyTasks(s, "node-1", deadline + 1_000), [{ task: "T1", attempt: 2 }]);
  // The fold agrees: a claim stamped in the deadline's second is lost, one a
  // second later takes attempt 2.
  const lost = s.ignored.lost_claim ?? 0;
  log.at(65).post("node-1", [ev.claim("T1", 2)]);
  assert.equal(log.fold().ignored.lost_claim, lost + 1);
  log.at(66).post("node-3", [ev.claim("T1", 2)]);
  assert.equal(log.fold().tasks["T1"]!.attempts[1]?.node, "node-3");
});

Deno.test("schedule: the plan's first wave is its tasks without dependencies, by priority, then what they unblock, then plan order, whoever claimed them since", () => {
  const { log } = unblockingPlan();
  log.at(5).post("node-2", [ev.claim("HOT", 1)]);
  assert.deepEqual(firstWave(log.fold()), ["HOT", "B", "C", "A"]);
});
