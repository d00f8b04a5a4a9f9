/**
 * Task-graph validation: the checks every plan must pass before a leader
 * publishes it and before a node trusts it. Pure: no I/O, no clock.
 *
 * A dependency edge `A -> B` reads "A depends on B" (B must be done before A
 * may start). Cycle messages follow the same direction.
 *
 * @module
 */
import { type PlanTask, PRIORITIES } from "./types.ts";

/**
 * The kinds of problem {@linkcode validateGraph} reports.
 *
 * @example
 * ```ts
 * const cycles = validateGraph(tasks).filter((p) => p.kind === "cycle");
 * ```
 */
export type GraphProblemKind =
  | "empty-plan"
  | "invalid-id"
  | "duplicate-id"
  | "empty-title"
  | "unknown-priority"
  | "invalid-deps"
  | "self-dependency"
  | "unknown-dependency"
  | "invalid-estimate"
  | "cycle";

/**
 * One problem found in a task graph, with a message a person can act on.
 *
 * @example
 * ```ts
 * const p: GraphProblem = {
 *   kind: "self-dependency",
 *   taskId: "T1",
 *   message: 'Task "T1" depends on itself: remove "T1" from its dependencies.',
 * };
 * ```
 */
export interface GraphProblem {
  /** What kind of problem this is. */
  kind: GraphProblemKind;
  /** Sentence-case message that quotes the offending value and says what to do. */
  message: string;
  /** The task the problem is about, when there is one. */
  taskId?: string;
  /** 1-based positions of the tasks involved, when positions matter (duplicates). */
  positions?: number[];
  /** For `cycle`: the ids along the cycle, first id repeated at the end. */
  cycle?: string[];
}

/**
 * Thrown by {@linkcode assertValidGraph}; `problems` lists every problem found.
 *
 * @example
 * ```ts
 * try {
 *   assertValidGraph([]);
 * } catch (e) {
 *   if (e instanceof GraphValidationError) console.log(e.problems.length);
 * }
 * ```
 */
export class GraphValidationError extends Error {
  /** Every problem found, in a deterministic order. */
  readonly problems: readonly GraphProblem[];

  /** Builds the error; the message joins the problems' messages. */
  constructor(problems: readonly GraphProblem[]) {
    super(formatProblems(problems));
    this.name = "GraphValidationError";
    this.problems = problems;
  }
}

/** Ids: 1–64 of ASCII letters, digits, `-`, `_`, `.` (safe in branch names and comments). */
const ID_RE = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * Whether `id` is a valid task id: 1–64 ASCII letters, digits, `-`, `_` or `.`.
 *
 * @example
 * ```ts
 * isValidTaskId("T1"); // true
 * isValidTaskId("a b"); // false
 * ```
 */
export function isValidTaskId(id: unknown): id is string {
  return typeof id === "string" && ID_RE.test(id);
}

/** Quotes a value for a message: strings as JSON strings, others as JSON or `String()`. */
function q(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (value === undefined) return "undefined";
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** "1 and 4", "1, 4 and 6". */
function joinAnd(items: readonly (string | number)[]): string {
  if (items.length <= 1) return items.map(String).join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

function formatProblems(problems: readonly GraphProblem[]): string {
  if (problems.length === 1) return problems[0]!.message;
  return `The task graph has ${problems.length} problems:\n` +
    problems.map((p) => `- ${p.message}`).join("\n");
}

/** Dependencies of a task as an array of strings, or undefined when malformed. */
function depsOf(task: PlanTask): unknown[] | undefined {
  const deps: unknown = (task as { deps?: unknown }).deps;
  return Array.isArray(deps) ? deps : undefined;
}

/**
 * Checks a task graph and returns every problem found, in a deterministic
 * order (per task in input order, then cycles). An empty result means the
 * graph is valid: non-empty, ids valid and unique, titles non-empty,
 * priorities known, every dependency names another task of the plan, and no
 * dependency cycle. Defensive about malformed input (data decoded from a
 * comment or a planner's JSON).
 *
 * @example
 * ```ts
 * const problems = validateGraph([
 *   { id: "T1", title: "Add API", priority: "high", deps: ["T2"] },
 *   { id: "T2", title: "Add schema", priority: "medium", deps: ["T1"] },
 * ]);
 * // problems[0].message ===
 * //   "Dependency cycle: T1 -> T2 -> T1: remove one of these dependencies."
 * ```
 */
export function validateGraph(tasks: readonly PlanTask[]): GraphProblem[] {
  const problems: GraphProblem[] = [];
  if (!Array.isArray(tasks) || tasks.length === 0) {
    problems.push({
      kind: "empty-plan",
      message: "The plan has no tasks: add at least one task.",
    });
    return problems;
  }

  // Positions (1-based) of each id, to report duplicates once, at the first.
  const positions = new Map<string, number[]>();
  tasks.forEach((t, i) => {
    const id: unknown = t?.id;
    if (typeof id !== "string") return;
    const list = positions.get(id);
    if (list) list.push(i + 1);
    else positions.set(id, [i + 1]);
  });

  tasks.forEach((task, i) => {
    const n = i + 1;
    const id: unknown = task?.id;
    const name = isValidTaskId(id) ? `Task ${q(id)}` : `Task ${n}`;
    if (!isValidTaskId(id)) {
      problems.push({
        kind: "invalid-id",
        message: `Invalid task id ${
          q(id)
        } (task ${n}): use 1 to 64 letters, digits, "-", "_" or ".".`,
        ...(typeof id === "string" ? { taskId: id } : {}),
        positions: [n],
      });
    }
    if (typeof id === "string") {
      const at = positions.get(id)!;
      if (at.length > 1 && at[0] === n) {
        problems.push({
          kind: "duplicate-id",
          message: `Duplicate task id ${q(id)} (tasks ${joinAnd(at)}): give each task its own id.`,
          taskId: id,
          positions: at,
        });
      }
    }
    const title: unknown = task?.title;
    if (typeof title !== "string" || title.trim() === "") {
      problems.push({
        kind: "empty-title",
        message: `${name} has an empty title: give it a one-line title.`,
        ...(typeof id === "string" ? { taskId: id } : {}),
      });
    }
    const priority: unknown = task?.priority;
    if (!(PRIORITIES as readonly unknown[]).includes(priority)) {
      problems.push({
        kind: "unknown-priority",
        message: `${name} has unknown priority ${q(priority)}: use one of ${
          joinOr(PRIORITIES.map(q))
        }.`,
        ...(typeof id === "string" ? { taskId: id } : {}),
      });
    }
    const est: unknown = (task as { estimateHours?: unknown })?.estimateHours;
    if (est !== undefined && (typeof est !== "number" || !Number.isFinite(est) || est < 0)) {
      problems.push({
        kind: "invalid-estimate",
        message: `${name} has invalid estimate ${
          q(est)
        }: give a number of hours of 0 or more, or none.`,
        ...(typeof id === "string" ? { taskId: id } : {}),
      });
    }
    const deps = task ? depsOf(task) : undefined;
    if (!deps) {
      problems.push({
        kind: "invalid-deps",
        message: `${name} has dependencies ${
          q((task as { deps?: unknown })?.deps)
        } that are not a list: give a list of task ids, possibly empty.`,
        ...(typeof id === "string" ? { taskId: id } : {}),
      });
      return;
    }
    const seen = new Set<unknown>();
    for (const dep of deps) {
      if (seen.has(dep)) continue;
      seen.add(dep);
      if (typeof dep !== "string") {
        problems.push({
          kind: "invalid-deps",
          message: `${name} has dependency ${
            q(dep)
          } that is not a task id: use task ids (strings).`,
          ...(typeof id === "string" ? { taskId: id } : {}),
        });
      } else if (dep === id) {
        problems.push({
          kind: "self-dependency",
          message: `${name} depends on itself: remove ${q(dep)} from its dependencies.`,
          taskId: dep,
        });
      } else if (!positions.has(dep)) {
        problems.push({
          kind: "unknown-dependency",
          message: `${name} depends on unknown task ${q(dep)}: add a task with id ${
            q(dep)
          } or remove the dependency.`,
          ...(typeof id === "string" ? { taskId: id } : {}),
        });
      }
    }
  });

  for (const cycle of findCycles(tasks)) {
    problems.push({
      kind: "cycle",
      message: `Dependency cycle: ${cycle.join(" -> ")}: remove one of these dependencies.`,
      taskId: cycle[0]!,
      cycle,
    });
  }
  return problems;
}

function joinOr(items: readonly string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} or ${items[items.length - 1]}`;
}

/**
 * Throws a {@linkcode GraphValidationError} listing every problem when
 * {@linkcode validateGraph} finds any.
 *
 * @example
 * ```ts
 * assertValidGraph([{ id: "T1", title: "Add API", priority: "high", deps: [] }]); // ok
 * ```
 */
export function assertValidGraph(tasks: readonly PlanTask[]): void {
  const problems = validateGraph(tasks);
  if (problems.length > 0) throw new GraphValidationError(problems);
}

/**
 * The id graph: for each distinct string id (first-seen order), its distinct
 * known, non-self dependencies in their listed order (union over duplicates).
 */
function adjacency(tasks: readonly PlanTask[]): Map<string, string[]> {
  const adj = new Map<string, string[]>();
  for (const t of tasks) {
    if (typeof t?.id === "string" && !adj.has(t.id)) adj.set(t.id, []);
  }
  for (const t of tasks) {
    if (typeof t?.id !== "string") continue;
    const out = adj.get(t.id)!;
    for (const d of depsOf(t) ?? []) {
      if (typeof d === "string" && d !== t.id && adj.has(d) && !out.includes(d)) out.push(d);
    }
  }
  return adj;
}

/**
 * One cycle per strongly connected component of more than one task, each
 * named from the component's first task in input order and as short as
 * possible through it. Deterministic. Self-dependencies are reported apart.
 */
function findCycles(tasks: readonly PlanTask[]): string[][] {
  const adj = adjacency(tasks);
  const order = [...adj.keys()];
  const rank = new Map(order.map((id, i) => [id, i]));

  // Tarjan's algorithm, iterative so deep chains cannot overflow the stack.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;
  for (const root of order) {
    if (index.has(root)) continue;
    const frames: { id: string; next: number }[] = [{ id: root, next: 0 }];
    index.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (frames.length > 0) {
      const frame = frames[frames.length - 1]!;
      const out = adj.get(frame.id)!;
      if (frame.next < out.length) {
        const w = out[frame.next++]!;
        if (!index.has(w)) {
          index.set(w, counter);
          low.set(w, counter++);
          stack.push(w);
          onStack.add(w);
          frames.push({ id: w, next: 0 });
        } else if (onStack.has(w)) {
          low.set(frame.id, Math.min(low.get(frame.id)!, index.get(w)!));
        }
        continue;
      }
      frames.pop();
      const parent = frames[frames.length - 1];
      if (parent) low.set(parent.id, Math.min(low.get(parent.id)!, low.get(frame.id)!));
      if (low.get(frame.id) === index.get(frame.id)) {
        const comp: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          comp.push(w);
        } while (w !== frame.id);
        if (comp.length > 1) components.push(comp);
      }
    }
  }

  const cycles = components.map((comp) => {
    const members = new Set(comp);
    const start = comp.reduce((a, b) => (rank.get(a)! <= rank.get(b)! ? a : b));
    // Breadth-first from start along dependency edges inside the component,
    // until a task that depends on start: the shortest cycle through start.
    const prev = new Map<string, string>();
    const queue = [start];
    const visited = new Set([start]);
    let end: string | undefined;
    for (let i = 0; i < queue.length && end === undefined; i++) {
      const v = queue[i]!;
      for (const w of adj.get(v)!) {
        if (!members.has(w)) continue;
        if (w === start) {
          end = v;
          break;
        }
        if (!visited.has(w)) {
          visited.add(w);
          prev.set(w, v);
          queue.push(w);
        }
      }
    }
    const path: string[] = [];
    for (let v: string | undefined = end; v !== undefined; v = prev.get(v)) path.unshift(v);
    return [...path, start];
  });
  cycles.sort((a, b) => rank.get(a[0]!)! - rank.get(b[0]!)!);
  return cycles;
}

/**
 * The tasks in a deterministic topological order: every task after all of its
 * dependencies; among tasks that are ready together, input order. Throws a
 * {@linkcode GraphValidationError} when the graph is invalid.
 *
 * @example
 * ```ts
 * const order = topologicalOrder([
 *   { id: "B", title: "Use it", priority: "low", deps: ["A"] },
 *   { id: "A", title: "Build it", priority: "low", deps: [] },
 * ]).map((t) => t.id); // ["A", "B"]
 * ```
 */
export function topologicalOrder<T extends PlanTask>(tasks: readonly T[]): T[] {
  assertValidGraph(tasks);
  const pos = new Map(tasks.map((t, i) => [t.id, i]));
  const remaining = tasks.map((t) => new Set(t.deps).size);
  const users = dependents(tasks);
  // Ready tasks kept sorted by input position; plans are small, so a sorted
  // array is simpler than a heap and still O(n^2) at worst.
  const ready: number[] = [];
  remaining.forEach((r, i) => {
    if (r === 0) ready.push(i);
  });
  const out: T[] = [];
  while (ready.length > 0) {
    const i = ready.shift()!;
    const task = tasks[i]!;
    out.push(task);
    for (const u of users.get(task.id) ?? []) {
      const j = pos.get(u)!;
      remaining[j] = remaining[j]! - 1;
      if (remaining[j] === 0) {
        const at = ready.findIndex((k) => k > j);
        ready.splice(at === -1 ? ready.length : at, 0, j);
      }
    }
  }
  return out;
}

/**
 * For each task id, the ids of the tasks that depend on it directly, in input
 * order (each listed once). Every task id is a key, with `[]` when nothing
 * depends on it. Unknown dependencies are ignored.
 *
 * @example
 * ```ts
 * dependents([
 *   { id: "A", title: "Build it", priority: "low", deps: [] },
 *   { id: "B", title: "Use it", priority: "low", deps: ["A"] },
 * ]).get("A"); // ["B"]
 * ```
 */
export function dependents(tasks: readonly PlanTask[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const t of tasks) if (!out.has(t.id)) out.set(t.id, []);
  for (const t of tasks) {
    for (const d of new Set(t.deps)) {
      const list = out.get(d);
      if (list && !list.includes(t.id)) list.push(t.id);
    }
  }
  return out;
}
