import assert from "node:assert/strict";
import fc from "fast-check";
import {
  assertValidGraph,
  dependents,
  type GraphProblem,
  GraphValidationError,
  isValidTaskId,
  topologicalOrder,
  validateGraph,
} from "../../src/protocol/graph.ts";
import type { PlanTask, Priority } from "../../src/protocol/types.ts";

function t(id: string, deps: string[] = [], extra: Partial<PlanTask> = {}): PlanTask {
  return { id, title: `Task ${id}`, priority: "medium", deps, ...extra };
}

function messages(tasks: PlanTask[]): string[] {
  return validateGraph(tasks).map((p) => p.message);
}

Deno.test("validateGraph: a valid graph has no problems", () => {
  assert.deepEqual(validateGraph([t("T1"), t("T2", ["T1"]), t("T3", ["T1", "T2"])]), []);
  assertValidGraph([t("a.b_c-1")]);
});

Deno.test("validateGraph: empty plan", () => {
  assert.deepEqual(messages([]), ["The plan has no tasks: add at least one task."]);
  assert.equal(validateGraph([])[0]!.kind, "empty-plan");
});

Deno.test("validateGraph: duplicate ids name the positions once", () => {
  assert.deepEqual(messages([t("T1"), t("T2"), t("T3"), t("T1")]), [
    'Duplicate task id "T1" (tasks 1 and 4): give each task its own id.',
  ]);
  assert.deepEqual(messages([t("A"), t("A"), t("B"), t("A")]), [
    'Duplicate task id "A" (tasks 1, 2 and 4): give each task its own id.',
  ]);
  const [p] = validateGraph([t("T1"), t("T1")]);
  assert.deepEqual(p!.positions, [1, 2]);
});

Deno.test("validateGraph: unknown dependency names the task and the missing id", () => {
  assert.deepEqual(messages([t("T1"), t("T2", ["T1", "T9"])]), [
    'Task "T2" depends on unknown task "T9": add a task with id "T9" or remove the dependency.',
  ]);
});

Deno.test("validateGraph: self-dependency", () => {
  const problems = validateGraph([t("T1", ["T1"])]);
  assert.deepEqual(problems.map((p) => p.message), [
    'Task "T1" depends on itself: remove "T1" from its dependencies.',
  ]);
  assert.equal(problems[0]!.kind, "self-dependency");
});

Deno.test("validateGraph: cycle is named from its first task, arrows read 'depends on'", () => {
  const tasks = [t("T1", ["T3"]), t("T2", ["T1"]), t("T3", ["T2"]), t("T4", ["T1"])];
  const problems = validateGraph(tasks);
  assert.deepEqual(problems.map((p) => p.message), [
    "Dependency cycle: T1 -> T3 -> T2 -> T1: remove one of these dependencies.",
  ]);
  assert.deepEqual(problems[0]!.cycle, ["T1", "T3", "T2", "T1"]);
});

Deno.test("validateGraph: two separate cycles are both reported, shortest through the first task", () => {
  const tasks = [
    t("A", ["B", "C"]),
    t("B", ["C"]),
    t("C", ["A"]),
    t("X", ["Y"]),
    t("Y", ["X"]),
  ];
  assert.deepEqual(messages(tasks), [
    "Dependency cycle: A -> C -> A: remove one of these dependencies.",
    "Dependency cycle: X -> Y -> X: remove one of these dependencies.",
  ]);
});

Deno.test("validateGraph: invalid ids", () => {
  assert.deepEqual(messages([t("a b")]), [
    'Invalid task id "a b" (task 1): use 1 to 64 letters, digits, "-", "_" or ".".',
  ]);
  assert.deepEqual(messages([t("ok"), t("")]), [
    'Invalid task id "" (task 2): use 1 to 64 letters, digits, "-", "_" or ".".',
  ]);
  assert.equal(messages([t("x".repeat(65))]).length, 1);
  assert.deepEqual(messages([t("x".repeat(64))]), []);
  assert.deepEqual(messages([t("tâche")]), [
    'Invalid task id "tâche" (task 1): use 1 to 64 letters, digits, "-", "_" or ".".',
  ]);
  const bad = { ...t("T1"), id: 7 } as unknown as PlanTask;
  assert.deepEqual(messages([bad]), [
    'Invalid task id 7 (task 1): use 1 to 64 letters, digits, "-", "_" or ".".',
  ]);
  assert.equal(isValidTaskId("T-1.2_x"), true);
  assert.equal(isValidTaskId("T/1"), false);
});

Deno.test("validateGraph: empty title", () => {
  assert.deepEqual(messages([t("T1", [], { title: "  " })]), [
    'Task "T1" has an empty title: give it a one-line title.',
  ]);
});

Deno.test("validateGraph: unknown priority", () => {
  assert.deepEqual(messages([t("T1", [], { priority: "urgent" as Priority })]), [
    'Task "T1" has unknown priority "urgent": use one of "critical", "high", "medium" or "low".',
  ]);
});

Deno.test("validateGraph: malformed deps and estimates from untrusted JSON", () => {
  const noDeps = { id: "T1", title: "x", priority: "low" } as unknown as PlanTask;
  assert.deepEqual(messages([noDeps]), [
    'Task "T1" has dependencies undefined that are not a list: give a list of task ids, possibly empty.',
  ]);
  const numDep = { id: "T1", title: "x", priority: "low", deps: [3] } as unknown as PlanTask;
  assert.deepEqual(messages([numDep]), [
    'Task "T1" has dependency 3 that is not a task id: use task ids (strings).',
  ]);
  assert.deepEqual(messages([t("T1", [], { estimateHours: -2 })]), [
    'Task "T1" has invalid estimate -2: give a number of hours of 0 or more, or none.',
  ]);
});

Deno.test("validateGraph: a task with several problems reports each, invalid ids by position", () => {
  const problems = validateGraph([
    t("bad id", ["nope"], { title: "", priority: "x" as Priority }),
  ]);
  assert.deepEqual(problems.map((p) => p.kind), [
    "invalid-id",
    "empty-title",
    "unknown-priority",
    "unknown-dependency",
  ]);
  assert.equal(problems[1]!.message, "Task 1 has an empty title: give it a one-line title.");
});

Deno.test("assertValidGraph: throws GraphValidationError with all problems", () => {
  const tasks = [t("T1", ["T1"]), t("T1")];
  assert.throws(
    () => assertValidGraph(tasks),
    (e: unknown) => {
      assert.ok(e instanceof GraphValidationError);
      assert.equal(e.problems.length, 2);
      assert.equal(
        e.message,
        "The task graph has 2 problems:\n" +
          '- Duplicate task id "T1" (tasks 1 and 2): give each task its own id.\n' +
          '- Task "T1" depends on itself: remove "T1" from its dependencies.',
      );
      return true;
    },
  );
  assert.throws(() => assertValidGraph([]), {
    name: "GraphValidationError",
    message: "The plan has no tasks: add at least one task.",
  });
});

Deno.test("topologicalOrder: dependencies first, ties in input order", () => {
  const tasks = [t("D", ["B", "C"]), t("C"), t("B", ["A"]), t("A"), t("E")];
  assert.deepEqual(topologicalOrder(tasks).map((x) => x.id), ["C", "A", "B", "D", "E"]);
  assert.throws(() => topologicalOrder([t("A", ["B"]), t("B", ["A"])]), GraphValidationError);
});

Deno.test("dependents: reverse edges in input order", () => {
  const d = dependents([t("A"), t("B", ["A"]), t("C", ["A", "A", "B"])]);
  assert.deepEqual([...d.entries()], [["A", ["B", "C"]], ["B", ["C"]], ["C", []]]);
});

// ---- properties ---------------------------------------------------------

/** A random DAG: task i may depend only on tasks placed before it in `rank`. */
const dagArb = fc
  .integer({ min: 1, max: 25 })
  .chain((n) =>
    fc.record({
      n: fc.constant(n),
      // A permutation: the input order differs from the topological order.
      perm: fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n }),
      edges: fc.array(fc.tuple(fc.nat(n - 1), fc.nat(n - 1)), { maxLength: n * 3 }),
    })
  )
  .map(({ n, perm, edges }) => {
    // Node k (in topological rank) depends on j < k.
    const deps: string[][] = Array.from({ length: n }, () => []);
    for (const [a, b] of edges) {
      if (a === b) continue;
      const [lo, hi] = a < b ? [a, b] : [b, a];
      if (!deps[hi]!.includes(`N${lo}`)) deps[hi]!.push(`N${lo}`);
    }
    return perm.map((k) => t(`N${k}`, deps[k]!));
  });

function reachable(tasks: PlanTask[], from: string): Set<string> {
  const byId = new Map(tasks.map((x) => [x.id, x]));
  const seen = new Set<string>();
  const todo = [...byId.get(from)!.deps];
  while (todo.length > 0) {
    const v = todo.pop()!;
    if (seen.has(v)) continue;
    seen.add(v);
    todo.push(...byId.get(v)!.deps);
  }
  return seen;
}

function assertRealCycle(tasks: PlanTask[], p: GraphProblem): void {
  const cycle = p.cycle!;
  // Edges as the union over tasks sharing an id (duplicates are reported apart).
  const edges = new Set<string>();
  for (const x of tasks) {
    for (const d of Array.isArray(x.deps) ? x.deps : []) edges.add(`${x.id}\u0000${d}`);
  }
  assert.ok(cycle.length >= 3, `cycle too short: ${cycle.join(" -> ")}`);
  assert.equal(cycle[0], cycle[cycle.length - 1]);
  assert.equal(new Set(cycle.slice(0, -1)).size, cycle.length - 1, "cycle repeats a task");
  for (let i = 0; i + 1 < cycle.length; i++) {
    assert.ok(
      edges.has(`${cycle[i]}\u0000${cycle[i + 1]}`),
      `${cycle[i]} does not depend on ${cycle[i + 1]}`,
    );
  }
  assert.equal(
    p.message,
    `Dependency cycle: ${cycle.join(" -> ")}: remove one of these dependencies.`,
  );
}

Deno.test("property: random DAGs validate clean and order topologically", () => {
  fc.assert(
    fc.property(dagArb, (tasks) => {
      assert.deepEqual(validateGraph(tasks), []);
      const order = topologicalOrder(tasks);
      assert.equal(order.length, tasks.length);
      const done = new Set<string>();
      for (const task of order) {
        for (const d of task.deps) assert.ok(done.has(d), `${task.id} before its dependency ${d}`);
        done.add(task.id);
      }
      assert.deepEqual(topologicalOrder(tasks), order, "deterministic");
    }),
    { numRuns: 300 },
  );
});

Deno.test("property: adding a back edge yields a cycle error naming a real cycle", () => {
  const arb = dagArb
    .filter((tasks) => tasks.some((x) => x.deps.length > 0))
    .chain((tasks) => {
      const pairs: [string, string][] = [];
      for (const x of tasks) for (const y of reachable(tasks, x.id)) pairs.push([x.id, y]);
      return fc.record({ tasks: fc.constant(tasks), pair: fc.constantFrom(...pairs) });
    });
  fc.assert(
    fc.property(arb, ({ tasks, pair: [from, to] }) => {
      // `from` depends (transitively) on `to`; making `to` depend on `from` closes a cycle.
      const cyclic = tasks.map((x) => (x.id === to ? { ...x, deps: [...x.deps, from] } : x));
      const problems = validateGraph(cyclic);
      assert.ok(problems.length > 0);
      for (const p of problems) {
        assert.equal(p.kind, "cycle", p.message);
        assertRealCycle(cyclic, p);
      }
      // The new edge lies on a cycle, so some reported cycle shares its component:
      const involved = new Set(problems.flatMap((p) => p.cycle!));
      assert.ok(involved.has(to) || involved.has(from));
      assert.throws(() => assertValidGraph(cyclic), GraphValidationError);
    }),
    { numRuns: 300 },
  );
});

Deno.test("property: validateGraph is deterministic and never throws on arbitrary data", () => {
  const taskArb = fc.record({
    id: fc.oneof(fc.constantFrom("A", "B", "C", "D"), fc.string(), fc.integer()),
    title: fc.oneof(fc.string(), fc.constant(undefined)),
    priority: fc.oneof(fc.constantFrom("critical", "high", "medium", "low"), fc.string()),
    deps: fc.oneof(
      fc.array(fc.oneof(fc.constantFrom("A", "B", "C", "D"), fc.string(), fc.integer())),
      fc.constant(null),
    ),
  }, { requiredKeys: [] });
  fc.assert(
    fc.property(fc.array(taskArb, { maxLength: 8 }), (raw) => {
      const tasks = raw as unknown as PlanTask[];
      const a = validateGraph(tasks);
      assert.deepEqual(validateGraph(tasks), a);
      for (const p of a) {
        assert.match(p.message, /^[A-Z]/);
        assert.match(p.message, /[.]$/);
        if (p.kind === "cycle") assertRealCycle(tasks, p);
      }
    }),
    { numRuns: 500 },
  );
});
