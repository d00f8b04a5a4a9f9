/**
 * The scheduling policy: which ready task a node should claim next.
 *
 * Order: highest priority first; then the task that unblocks the most other
 * tasks; among tasks equal on both, plan order with the nodes spread over its
 * front by rendezvous hashing of (node, task id), so that nodes with the same
 * view tend to pick different tasks and lose fewer claim races, while every
 * choice stays deterministic (see {@linkcode readyTasks}).
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

/** How long a node counts as part of the swarm after its last message (for the spread). */
export const SPREAD_WINDOW_MS = 15 * 60_000;

/**
 * A rendezvous weight of `node` for `task`: a well-mixed 32-bit hash of the
 * pair (FNV-1a, then MurmurHash3's finaliser), so that each node ranks the
 * same tasks in its own, unrelated order.
 *
 * @example
 * ```ts
 * rendezvousWeight("node-1", "T1") === rendezvousWeight("node-1", "T1"); // true
 * ```
 */
export function rendezvousWeight(node: string, task: string): number {
  let h = fnv1a(`${node}\u0000${task}`);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Ready tasks at `now`, in the order `node` should try them.
 *
 * Highest priority first, then the task that unblocks the most others. Among
 * tasks equal on both, the swarm takes them in plan order while its nodes
 * spread over them: the first `k` of them in plan order (`k` = the nodes heard
 * from within {@linkcode SPREAD_WINDOW_MS}, this one included) come first,
 * ranked by each node's {@linkcode rendezvousWeight}, then the rest in plan
 * order. So `k` nodes with the same view tend to claim `k` different tasks,
 * and the plan's order still shows in what runs first. Who gets a task is
 * still decided by the log (the first valid claim).
 *
 * A task is ready when a claim posted at `now` would be valid: GitHub stamps
 * a comment's `created_at` to the second, and the fold judges a claim by that
 * stamp, so phases are judged at `now` truncated to the second (see
 * {@linkcode claimStamp}). A lease that lapses within the current second has
 * not lapsed yet for a claim posted now (it would be lost, and cost a write).
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
  const position = new Map(state.order.map((id, i) => [id, i]));
  const at = claimStamp(now);
  const ready = state.order.filter((id) => taskPhase(state, state.tasks[id]!, at) === "ready");
  const group = (id: string) =>
    PRIORITIES.indexOf(state.tasks[id]!.def.priority) * 1e9 - (unblocks.get(id) ?? 0);
  const groups = new Map<number, string[]>();
  for (const id of ready) {
    const g = group(id);
    const list = groups.get(g);
    if (list) list.push(id);
    else groups.set(g, [id]);
  }
  const width = swarmWidth(state, node, now);
  const out: string[] = [];
  for (const g of [...groups.keys()].sort((a, b) => a - b)) {
    const ids = groups.get(g)!.sort((a, b) => position.get(a)! - position.get(b)!);
    const front = ids.slice(0, width).map((id) => ({ id, w: rendezvousWeight(node, id) }));
    front.sort((a, b) => b.w - a.w || position.get(a.id)! - position.get(b.id)!);
    out.push(...front.map((f) => f.id), ...ids.slice(width));
  }
  return out.map((task) => ({ task, attempt: nextAttempt(state.tasks[task]!) }));
}

/**
 * The plan's first wave: its tasks without dependencies, in the order every
 * node ranks them alike (highest priority first, then the task that unblocks
 * the most, then plan order), whoever claimed them since. At the plan's
 * start every admitted node is idle and claims one of these at once: seat
 * `s` trying the `s`-th of them first spares most lost claims.
 *
 * @example
 * ```ts
 * const [forSeat0, forSeat1] = firstWave(state);
 * ```
 */
export function firstWave(state: SwarmState): string[] {
  const unblocks = new Map<string, number>();
  for (const id of state.order) {
    for (const d of state.tasks[id]!.def.deps) unblocks.set(d, (unblocks.get(d) ?? 0) + 1);
  }
  const rank = (id: string) =>
    PRIORITIES.indexOf(state.tasks[id]!.def.priority) * 1e9 - (unblocks.get(id) ?? 0);
  const position = new Map(state.order.map((id, i) => [id, i]));
  return state.order
    .filter((id) => state.tasks[id]!.def.deps.length === 0)
    .sort((a, b) => rank(a) - rank(b) || position.get(a)! - position.get(b)!);
}

/**
 * The earliest `created_at` a comment posted at server time `now` can carry:
 * `now` truncated to the second. Timestamps the REST API returns are UTC in
 * ISO 8601 (docs.github.com/en/rest/using-the-rest-api/timezones-and-the-rest-api),
 * and a comment's `created_at` comes with whole seconds (`2013-01-15T20:09:47Z`),
 * as the emulator and the simulator's model write it.
 *
 * @example
 * ```ts
 * claimStamp(Date.UTC(2025, 0, 6, 9, 0, 7, 480)) === Date.UTC(2025, 0, 6, 9, 0, 7); // true
 * ```
 */
export function claimStamp(now: number): number {
  return Math.floor(now / 1000) * 1000;
}

/** Nodes heard from within {@linkcode SPREAD_WINDOW_MS} of `now`, `node` included. */
function swarmWidth(state: SwarmState, node: string, now: number): number {
  let n = Object.hasOwn(state.nodes, node) ? 0 : 1;
  for (const info of Object.values(state.nodes)) {
    if (info.node === node || now - info.lastSeen <= SPREAD_WINDOW_MS) n++;
  }
  return Math.max(1, n);
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
