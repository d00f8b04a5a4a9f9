import assert from "node:assert/strict";
import { fnv1a, nextTask, readyTasks } from "../../src/protocol/schedule.ts";
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

Deno.test("schedule: among equal priorities, the task that unblocks the most goes first", () => {
  const { log } = planned([
    task("A"),
    task("B"),
    task("C"),
    task("X", ["B"]),
    task("Y", ["B", "C"]),
    task("Z", ["B"]),
    task("HOT", [], { priority: "high" }),
  ]);
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

Deno.test("schedule: ties are broken deterministically by a hash of node and task", () => {
  const tasks = Array.from({ length: 8 }, (_, i) => task(`T${i}`));
  const { log } = planned(tasks);
  const s = log.fold();
  const again = log.fold();
  for (const node of ["node-1", "node-2", "run-42-job-3"]) {
    const order = ids(readyTasks(s, node, at(2)));
    assert.deepEqual(ids(readyTasks(again, node, at(2))), order);
    const byHash = [...order].sort((a, b) =>
      fnv1a(`${node}\u0000${a}`) - fnv1a(`${node}\u0000${b}`)
    );
    assert.deepEqual(order, byHash);
  }
});

Deno.test("schedule: different nodes tend to get different first picks", () => {
  const tasks = Array.from({ length: 12 }, (_, i) => task(`T${i + 1}`));
  const { log } = planned(tasks);
  const s = log.fold();
  const nodes = Array.from({ length: 12 }, (_, i) => `run-7-job-${i + 1}`);
  const firsts = new Set(nodes.map((n) => nextTask(s, n, at(2))!.task));
  // Everyone taking the same task would make 11 of 12 claims lose.
  assert.ok(firsts.size >= 6, `only ${firsts.size} distinct first picks`);
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
