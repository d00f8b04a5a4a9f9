/**
 * Virtual time for the simulation: a scheduler that runs many async
 * "processes" in one JS thread, deterministically, and the per-node
 * {@linkcode Clock} they see.
 *
 * How it runs: every wait is a virtual timer in a heap ordered by
 * `(time, seq)`. The loop fires every timer due at the earliest time (in
 * `seq` order), then awaits one macrotask (`setImmediate`, ~2 µs; a
 * `setTimeout(0)` costs ~2 ms here because timers are clamped) so that every
 * promise chain those timers released runs to its next virtual wait before
 * time advances. Promise continuations run in a deterministic order, and
 * nothing else (no I/O, no real timers) is involved, so the same inputs give
 * the same run.
 *
 * Processes belong to a {@linkcode ProcessGroup} (one simulated node
 * process): a group can be paused (its timers fire no earlier than the end of
 * the pause) or killed (its timers never fire again, and its pending
 * promises never settle: a crash, with no chance to clean up).
 *
 * @module
 */
import { setImmediate } from "node:timers";
import type { Clock } from "../../src/node/ports.ts";

/**
 * One simulated process (or actor): the unit that is paused or killed.
 *
 * @example
 * ```ts
 * const s = new Scheduler(0);
 * const g = s.group("node-1#0");
 * g.pause(s.now + 60_000);
 * ```
 */
export class ProcessGroup {
  /** Timers of this group fire no earlier than this (true) time. */
  pausedUntil = -Infinity;
  /** A killed group's timers never fire; its promises never settle. */
  dead = false;

  /** Makes a group; use {@linkcode Scheduler.group}. */
  constructor(readonly id: number, readonly name: string) {}

  /** Holds every timer of the group until `until` (true time), keeping their order. */
  pause(until: number): void {
    if (until > this.pausedUntil) this.pausedUntil = until;
  }

  /** Crashes the process: nothing of it runs again. */
  kill(): void {
    this.dead = true;
  }
}

interface Timer {
  time: number;
  seq: number;
  group: ProcessGroup | undefined;
  fire: () => void;
  cancelled: boolean;
}

/**
 * Why {@linkcode Scheduler.run} returned.
 *
 * @example
 * ```ts
 * const end: RunEnd = await scheduler.run({ until: 3_600_000 });
 * ```
 */
export type RunEnd = "stopped" | "idle" | "horizon";

/**
 * The virtual-time scheduler.
 *
 * @example
 * ```ts
 * const s = new Scheduler(0);
 * const g = s.group("p");
 * let woke = 0;
 * (async () => { await s.sleep(g, 5_000); woke = s.now; })();
 * await s.run({ until: 60_000 });
 * // woke === 5000
 * ```
 */
export class Scheduler {
  #now: number;
  #seq = 0;
  #heap: Timer[] = [];
  #groups = 0;
  /** Timers fired so far (a measure of work). */
  fired = 0;
  /** Macrotask turns awaited so far. */
  turns = 0;

  /** A scheduler whose virtual time starts at `start` (epoch ms). */
  constructor(readonly start: number) {
    this.#now = start;
  }

  /** Virtual ("true", server) time, epoch ms. */
  get now(): number {
    return this.#now;
  }

  /** Number of pending timers. */
  get pending(): number {
    return this.#heap.length;
  }

  /** A new process group. */
  group(name: string): ProcessGroup {
    return new ProcessGroup(this.#groups++, name);
  }

  /**
   * Resolves after `ms` of virtual time, unless `group` is killed (then never)
   * or `signal` aborts (then rejects with its reason, at once).
   */
  sleep(group: ProcessGroup | undefined, ms: number, signal?: AbortSignal): Promise<void> {
    if (group?.dead) return new Promise<void>(() => {});
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const timer = this.#push(this.#now + Math.max(0, ms), group, () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      });
      const onAbort = () => {
        timer.cancelled = true;
        reject(signal!.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Calls `fn` at virtual time `time` (or now, if past), subject to `group`'s pause and death. */
  at(time: number, fn: () => void, group?: ProcessGroup): void {
    this.#push(Math.max(time, this.#now), group, fn);
  }

  #push(time: number, group: ProcessGroup | undefined, fire: () => void): Timer {
    const timer: Timer = { time, seq: this.#seq++, group, fire, cancelled: false };
    const h = this.#heap;
    h.push(timer);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(timer, h[p]!)) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = timer;
    return timer;
  }

  #pop(): Timer | undefined {
    const h = this.#heap;
    const top = h[0];
    if (top === undefined) return undefined;
    const last = h.pop()!;
    if (h.length > 0) {
      let i = 0;
      const n = h.length;
      while (true) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        let best = last;
        if (l < n && before(h[l]!, best)) {
          m = l;
          best = h[l]!;
        }
        if (r < n && before(h[r]!, best)) m = r;
        if (m === i) break;
        h[i] = h[m]!;
        i = m;
      }
      h[i] = last;
    }
    return top;
  }

  /** Drops cancelled timers and timers of dead groups from the top of the heap. */
  #peek(): Timer | undefined {
    while (true) {
      const top = this.#heap[0];
      if (top === undefined) return undefined;
      if (top.cancelled || top.group?.dead) {
        this.#pop();
        continue;
      }
      return top;
    }
  }

  /** Lets every runnable promise chain run to its next virtual wait. */
  async settle(): Promise<void> {
    this.turns++;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  /**
   * Runs until `stop()` says so, no timer is left, or the next timer is past
   * `until`. Time never advances while a released chain is still running.
   */
  async run(options: { until: number; stop?: () => boolean }): Promise<RunEnd> {
    while (true) {
      await this.settle();
      if (options.stop?.()) return "stopped";
      const next = this.#peek();
      if (next === undefined) return "idle";
      if (next.time > options.until) return "horizon";
      const t = next.time;
      if (t > this.#now) this.#now = t;
      while (true) {
        const top = this.#peek();
        if (top === undefined || top.time > t) break;
        this.#pop();
        const g = top.group;
        if (g !== undefined && g.pausedUntil > t) {
          // Held by a pause: re-queued at the pause's end (after timers already there).
          this.#push(g.pausedUntil, g, top.fire);
          continue;
        }
        this.fired++;
        top.fire();
      }
    }
  }
}

function before(a: Timer, b: Timer): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}

/**
 * A node's local clock: `now()` is `start + (true - start) × (1 + drift) +
 * offset`, and a local sleep of `ms` lasts `ms / (1 + drift)` of true time.
 *
 * @example
 * ```ts
 * const s = new Scheduler(0);
 * const clock = new VirtualClock(s, s.group("n1"), { offsetMs: 5_000, drift: 0.001 });
 * clock.now(); // 5000
 * ```
 */
export class VirtualClock implements Clock {
  readonly #scheduler: Scheduler;
  readonly #group: ProcessGroup;
  readonly #offset: number;
  readonly #rate: number;

  /** A clock for `group`; `drift` must be above -1. */
  constructor(
    scheduler: Scheduler,
    group: ProcessGroup,
    skew: { offsetMs?: number; drift?: number } = {},
  ) {
    this.#scheduler = scheduler;
    this.#group = group;
    this.#offset = skew.offsetMs ?? 0;
    this.#rate = 1 + (skew.drift ?? 0);
    if (!(this.#rate > 0)) throw new RangeError(`Drift ${skew.drift} must be above -1.`);
  }

  /** The process group this clock's sleeps belong to. */
  get group(): ProcessGroup {
    return this.#group;
  }

  /** Local epoch ms (integer). */
  now(): number {
    const s = this.#scheduler;
    return Math.floor(s.start + (s.now - s.start) * this.#rate + this.#offset);
  }

  /** Sleeps `ms` of local time. */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return this.#scheduler.sleep(this.#group, Math.max(0, ms) / this.#rate, signal);
  }
}
