/**
 * Ports for time and randomness. Node roles take these instead of touching
 * `Date.now`, `setTimeout` or `Math.random`, so the simulation can run them in
 * virtual time with a seed.
 *
 * @module
 */

/**
 * Time, local to the node. Server time comes from the log, never from here.
 *
 * @example
 * ```ts
 * async function nap(clock: Clock) { await clock.sleep(1000); return clock.now(); }
 * ```
 */
export interface Clock {
  /** Local epoch milliseconds. */
  now(): number;
  /** Resolves after `ms`; rejects with the signal's reason when aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/**
 * A source of randomness: jitter, nonces.
 *
 * @example
 * ```ts
 * function coin(r: Random) { return r.next() < 0.5; }
 * ```
 */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
}

/**
 * The real clock.
 *
 * @example
 * ```ts
 * await systemClock.sleep(10);
 * ```
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const timer = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, Math.max(0, ms));
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
    }),
};

/**
 * Randomness from the platform.
 *
 * @example
 * ```ts
 * const x = systemRandom.next();
 * ```
 */
export const systemRandom: Random = { next: () => Math.random() };

/**
 * A seeded generator (mulberry32), for reproducible simulation runs.
 *
 * @example
 * ```ts
 * const r = seededRandom(42);
 * const a = r.next();
 * ```
 */
export function seededRandom(seed: number): Random {
  let s = seed >>> 0;
  return {
    next() {
      s = (s + 0x6d2b79f5) >>> 0;
      let t = s;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}
