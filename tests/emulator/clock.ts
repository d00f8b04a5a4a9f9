/**
 * A manual clock for tests: time moves only when the test says so, and
 * sleeps (latency, held requests) resolve only when released.
 *
 * @module
 */
import type { EmulatorClock } from "../../src/emulator/mod.ts";

/** A clock a test drives by hand. */
export interface ManualClock extends EmulatorClock {
  /** Current reading, epoch ms. */
  t: number;
  /** Real milliseconds each pending sleep asked for, in order. */
  sleeps: number[];
  /** Resolves every pending sleep. */
  release(): void;
  /** How many sleeps are pending. */
  readonly pending: number;
}

/**
 * A manual clock starting at `start`; with `autoRelease`, sleeps resolve at once.
 *
 * @example
 * ```ts
 * const clock = manualClock(Date.UTC(2025, 0, 1), { autoRelease: true });
 * clock.t += 1000;
 * ```
 */
export function manualClock(start: number, options: { autoRelease?: boolean } = {}): ManualClock {
  const waiting: (() => void)[] = [];
  const clock: ManualClock = {
    t: start,
    sleeps: [],
    now: () => clock.t,
    sleep(ms, signal) {
      clock.sleeps.push(ms);
      if (options.autoRelease || signal?.aborted) return Promise.resolve();
      return new Promise<void>((resolve) => {
        waiting.push(resolve);
        signal?.addEventListener("abort", () => resolve(), { once: true });
      });
    },
    release() {
      for (const resolve of waiting.splice(0)) resolve();
    },
    get pending() {
      return waiting.length;
    },
  };
  return clock;
}
