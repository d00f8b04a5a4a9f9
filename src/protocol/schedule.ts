/**
 * The scheduling policy: which ready task a node should claim next.
 *
 * Order: highest priority first; then the task that unblocks the most other
 * tasks; then a hash of (node, task id), so that nodes with the same view
 * tend to pick different tasks and lose fewer claim races, while every choice
 * stays deterministic.
 *
 * @module
 */
import { PRIORITIES } from "./types.ts";
import type { SwarmState } from "./state.ts";
import { nextAttempt, taskPhase } from "./view.ts";

/**
 * FNV-1a 32-bit hash of a string.
 *
 * @example
 * ```ts
 * fnv1a("abc") === fnv1a("abc"); // true
 * ```
 */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * Ready tasks at `now`, in the order `node` should try them.
 *
 * @example
 * ```ts
 * const [first] = readyTasks(state, "node-1", now);
 * ```
 */
export function readyTasks(
  state: SwarmState,
  node: string,
  now: number,
): { task: string; attempt: number }[] {
  if (!state.plan || state.ended) return [];
  // A Map: task ids such as "constructor" must not read Object.prototype.
  const unblocks = new Map<string, number>();
  for (const id of state.order) {
    for (const d of state.tasks[id]!.def.deps) unblocks.set(d, (unblocks.get(d) ?? 0) + 1);
  }
  const ready = state.order.filter((id) => taskPhase(state, state.tasks[id]!, now) === "ready");
  const key = (id: string) => {
    const def = state.tasks[id]!.def;
    return [
      PRIORITIES.indexOf(def.priority),
      -(unblocks.get(id) ?? 0),
      fnv1a(`${node}\u0000${id}`),
    ];
  };
  const keys = new Map(ready.map((id) => [id, key(id)]));
  ready.sort((a, b) => {
    const ka = keys.get(a)!, kb = keys.get(b)!;
    for (let i = 0; i < ka.length; i++) {
      if (ka[i] !== kb[i]) return ka[i]! - kb[i]!;
    }
    return a < b ? -1 : a > b ? 1 : 0;
  });
  return ready.map((task) => ({ task, attempt: nextAttempt(state.tasks[task]!) }));
}

/**
 * The task `node` should claim next at `now`, if any is ready.
 *
 * @example
 * ```ts
 * const pick = nextTask(state, "node-1", now); // { task: "T1", attempt: 1 } | undefined
 * ```
 */
export function nextTask(
  state: SwarmState,
  node: string,
  now: number,
): { task: string; attempt: number } | undefined {
  return readyTasks(state, node, now)[0];
}
