/**
 * Emulated time: an injectable clock, a time scale (so a test crosses an hour
 * of rate limits in seconds) and an offset that tests move forward.
 *
 * @module
 */

/**
 * The source of time the emulator reads. `sleep` is used for latency and held
 * requests; it defaults to `setTimeout`.
 *
 * @example
 * ```ts
 * let t = 0;
 * const manual: EmulatorClock = { now: () => t };
 * ```
 */
export interface EmulatorClock {
  /** Epoch milliseconds. */
  now(): number;
  /** Resolves after `ms` milliseconds of this clock, or early when `signal` aborts. */
  sleep?(ms: number, signal?: AbortSignal): Promise<void>;
}

/**
 * The platform clock.
 *
 * @example
 * ```ts
 * const t = systemEmulatorClock.now();
 * ```
 */
export const systemEmulatorClock: EmulatorClock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted || ms <= 0) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        resolve();
      }
      signal?.addEventListener("abort", done, { once: true });
    }),
};

/**
 * Emulator time: `start + (clock.now() - anchor) * timeScale + offset`.
 *
 * @example
 * ```ts
 * const time = new EmulatedTime(systemEmulatorClock, 60); // one real second is one minute
 * time.advance(3_600_000); // jump an hour ahead
 * ```
 */
export class EmulatedTime {
  #clock: EmulatorClock;
  #scale: number;
  #anchorReal: number;
  #anchorEmulated: number;

  /** Starts emulated time at the clock's current reading. */
  constructor(clock: EmulatorClock, timeScale = 1) {
    assertScale(timeScale);
    this.#clock = clock;
    this.#scale = timeScale;
    this.#anchorReal = clock.now();
    this.#anchorEmulated = this.#anchorReal;
  }

  /** Emulated epoch milliseconds (never goes backwards). */
  now(): number {
    return Math.floor(this.#anchorEmulated + (this.#clock.now() - this.#anchorReal) * this.#scale);
  }

  /** How many emulated milliseconds pass per real millisecond. */
  get timeScale(): number {
    return this.#scale;
  }

  /** Changes the time scale from now on, without a jump. */
  setTimeScale(timeScale: number): void {
    assertScale(timeScale);
    this.#anchorEmulated = this.now();
    this.#anchorReal = this.#clock.now();
    this.#scale = timeScale;
  }

  /** Moves emulated time forward by `ms` (negative values are refused). */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) {
      throw new RangeError(`Invalid time step ${ms}: expected a number of milliseconds >= 0.`);
    }
    this.#anchorEmulated += ms;
  }

  /** Moves emulated time forward to at least `epochMs` (no time travel backwards). */
  advanceTo(epochMs: number): void {
    const now = this.now();
    if (epochMs > now) this.#anchorEmulated += epochMs - now;
  }

  /** Waits `emulatedMs` of emulated time (real time divided by the scale). */
  sleep(emulatedMs: number, signal?: AbortSignal): Promise<void> {
    if (emulatedMs <= 0) return Promise.resolve();
    const realMs = emulatedMs / this.#scale;
    const sleep = this.#clock.sleep ?? systemEmulatorClock.sleep!;
    return sleep(realMs, signal);
  }
}

function assertScale(timeScale: number): void {
  if (!Number.isFinite(timeScale) || timeScale <= 0) {
    throw new RangeError(
      `Invalid timeScale ${timeScale}: expected a positive number (1 = real time, 60 = a minute per second).`,
    );
  }
}
