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
import type { SwarmState, TaskState } from "./state.ts";

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
    heap.push({ deadline: live.lastBeat + leaseMs, task: id, attempt: live.n });
  }
  INDEXES.set(state, { leaseMs, heap });
  return heap;
}

/**
 * Records that the live attempt of task `id` was claimed or renewed: its
 * lease now ends at `lastBeat + leaseMs`. The fold calls it after every change
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
  kept.heap.push({ deadline: live.lastBeat + kept.leaseMs, task: id, attempt });
}

/**
 * Ends every live attempt whose lease lapsed by server time `t`
 * (`lastBeat + leaseMs < t`): the lapse is recorded at the deadline and counts
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
  const { leaseMs, maxAttempts } = state.settings;
  for (let top = heap.peek(); top && top.deadline < t; top = heap.peek()) {
    heap.pop();
    const task: TaskState | undefined = Object.hasOwn(state.tasks, top.task)
      ? state.tasks[top.task]
      : undefined;
    if (task?.status !== "active") continue;
    const live = task.attempts.at(-1)!;
    const deadline = live.lastBeat + leaseMs;
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
