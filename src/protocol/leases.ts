/**
 * Live attempts indexed by lease deadline, so the fold ends lapsed leases
 * without visiting every task on every comment. Applying one comment then
 * costs about the same in a log of 100 comments as in one of 100,000, and in a
 * plan of 10 tasks as in one of 10,000.
 *
 * The rule it computes is the fold's (docs/PROTOCOL.md, "Leases"): before a
 * comment at server time `t` is applied, every active task whose live attempt
 * has `lastBeat + leaseMs < t` lapses, recorded at that deadline.
 *
 * The index is a binary min-heap of `(deadline, task, attempt)` entries, kept
 * beside the state (a `WeakMap`), not in it: the state stays plain JSON that
 * two readers compare with `canonicalJson`. Entries are never removed when an
 * attempt is renewed or ends; one that no longer matches the live attempt is
 * dropped when it reaches the top. A state without an index (a copy made with
 * `structuredClone`, a checkpoint) gets one built from its tasks on first use.
 *
 * @module
 */
import type { Attempt, SwarmState, TaskState } from "./state.ts";
import { MAX_LEASE_FACTOR } from "./types.ts";

/** One heap entry: the deadline an attempt had when it was claimed or renewed. */
interface Due {
  deadline: number;
  task: string;
  attempt: number;
}

/** A binary min-heap of lease deadlines. */
class DueHeap {
  readonly #items: Due[] = [];

  get size(): number {
    return this.#items.length;
  }

  peek(): Due | undefined {
    return this.#items[0];
  }

  push(item: Due): void {
    const a = this.#items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (a[parent]!.deadline <= item.deadline) break;
      a[i] = a[parent]!;
      i = parent;
    }
    a[i] = item;
  }

  pop(): Due | undefined {
    const a = this.#items;
    const top = a[0];
    const last = a.pop();
    if (a.length === 0 || last === undefined) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= a.length) break;
      const r = l + 1;
      const c = r < a.length && a[r]!.deadline < a[l]!.deadline ? r : l;
      if (a[c]!.deadline >= last.deadline) break;
      a[i] = a[c]!;
      i = c;
    }
    a[i] = last;
    return top;
  }
}

/**
 * The lease `attempt` runs on: the one its claim asked for, else the plan's;
 * never shorter than the plan's lease in force nor longer than
 * {@linkcode MAX_LEASE_FACTOR} times it.
 *
 * @example
 * ```ts
 * const deadline = live.lastBeat + leaseOf(state, live);
 * ```
 */
export function leaseOf(state: SwarmState, attempt: Attempt): number {
  // Clamped again with the plan's lease in force: a later plan version may change it.
  const plan = state.settings.leaseMs;
  return grantedLease(attempt.leaseMs, plan) ?? plan;
}

/**
 * The lease a claim that asked for `asked` ms runs on under `planLeaseMs`:
 * at least the plan's (a claim cannot shorten it), at most
 * {@linkcode MAX_LEASE_FACTOR} times it; undefined when that is the plan's
 * own (the attempt keeps no lease of its own).
 *
 * @example
 * ```ts
 * grantedLease(1_200_000, 600_000); // 1200000
 * grantedLease(9e9, 600_000); // 2400000
 * grantedLease(60_000, 600_000); // undefined: the plan's
 * ```
 */
export function grantedLease(asked: number | undefined, planLeaseMs: number): number | undefined {
  if (asked === undefined || asked <= planLeaseMs) return undefined;
  return Math.min(asked, MAX_LEASE_FACTOR * planLeaseMs);
}

/**
 * The lease a claim asks for, in the longest task time seen so far: a task
 * as long as the longest so far, plus a fifth, ends before its owner's
 * renewal point, so it writes no renewal. With the defaults that point is a
 * quarter of the plan's lease before the lease ends (src/node/execution.ts):
 * 1.2 × longest < 1.6 × longest − 2.5 min whenever 1.6 × longest is past
 * the plan's 10 minutes, the only case a claim asks for a lease.
 */
export const LEASE_PER_LONGEST_TASK = 1.2 / 0.75;

/**
 * The lease a claim asks for, given the claim-to-result times of the tasks
 * done so far (`durations`, ms): {@linkcode LEASE_PER_LONGEST_TASK} times the
 * longest, in whole seconds, when that is longer than the plan's lease (and
 * at most {@linkcode MAX_LEASE_FACTOR} times it); undefined before any task
 * is done or when the plan's lease is long enough.
 *
 * @example
 * ```ts
 * leaseFor([300_000, 840_000], 600_000); // 1344000: 1.6 × 14 min
 * leaseFor([240_000], 600_000); // undefined: the plan's 10 min cover it
 * ```
 */
export function leaseFor(durations: readonly number[], planLeaseMs: number): number | undefined {
  if (durations.length === 0) return undefined;
  const longest = Math.max(...durations);
  const asked = Math.ceil((longest * LEASE_PER_LONGEST_TASK) / 1000) * 1000;
  return grantedLease(asked, planLeaseMs);
}

/** The index of each state the fold has touched; a state copied without it gets a new one. */
const INDEXES = new WeakMap<SwarmState, { leaseMs: number; heap: DueHeap }>();

/** The index of `state`, built from its active tasks when it has none or the lease changed. */
function indexOf(state: SwarmState): DueHeap {
  const leaseMs = state.settings.leaseMs;
  const kept = INDEXES.get(state);
  if (kept && kept.leaseMs === leaseMs) return kept.heap;
  const heap = new DueHeap();
  for (const id of state.order) {
    const task = state.tasks[id];
    if (task?.status !== "active") continue;
    const live = task.attempts.at(-1)!;
    heap.push({ deadline: live.lastBeat + leaseOf(state, live), task: id, attempt: live.n });
  }
  INDEXES.set(state, { leaseMs, heap });
  return heap;
}

/**
 * Records that the live attempt of task `id` was claimed or renewed: its
 * lease now ends at `lastBeat + leaseOf(attempt)`. The fold calls it after every change
 * of an attempt's `lastBeat`.
 *
 * @example
 * ```ts
 * attempt.lastBeat = t;
 * noteLease(state, "T1", attempt.n);
 * ```
 */
export function noteLease(state: SwarmState, id: string, attempt: number): void {
  const kept = INDEXES.get(state);
  // No index yet (or a stale one): the next lapse builds it from the tasks.
  if (!kept || kept.leaseMs !== state.settings.leaseMs) return;
  const task = Object.hasOwn(state.tasks, id) ? state.tasks[id] : undefined;
  const live = task?.attempts[attempt - 1];
  if (!live) return;
  kept.heap.push({ deadline: live.lastBeat + leaseOf(state, live), task: id, attempt });
}

/**
 * Ends every live attempt whose lease lapsed by server time `t`
 * (`lastBeat + lease < t`, the attempt's lease): the lapse is recorded at the deadline and counts
 * as a failure; after `maxAttempts` failures the task is failed for good,
 * else the next attempt opens at the deadline. Costs O(k log n) for k lapses
 * and stale entries, not a visit of every task.
 *
 * @example
 * ```ts
 * lapseLeases(state, comment.createdAt);
 * ```
 */
export function lapseLeases(state: SwarmState, t: number): void {
  const heap = indexOf(state);
  const { maxAttempts } = state.settings;
  for (let top = heap.peek(); top && top.deadline < t; top = heap.peek()) {
    heap.pop();
    const task: TaskState | undefined = Object.hasOwn(state.tasks, top.task)
      ? state.tasks[top.task]
      : undefined;
    if (task?.status !== "active") continue;
    const live = task.attempts.at(-1)!;
    const deadline = live.lastBeat + leaseOf(state, live);
    // Renewed since (a newer entry stands for it) or a later attempt.
    if (live.n !== top.attempt || deadline !== top.deadline) continue;
    live.end = { kind: "lapsed", at: deadline };
    task.failures++;
    if (task.failures >= maxAttempts) {
      task.status = "failed";
      task.failedAt = deadline;
    } else {
      task.status = "pending";
      task.openAt = deadline;
    }
  }
}

/**
 * How many deadlines the index of `state` holds (live ones and stale ones not
 * yet dropped); 0 when it has no index yet. For tests and benchmarks.
 *
 * @example
 * ```ts
 * leaseIndexSize(state); // 3
 * ```
 */
export function leaseIndexSize(state: SwarmState): number {
  return INDEXES.get(state)?.heap.size ?? 0;
}
