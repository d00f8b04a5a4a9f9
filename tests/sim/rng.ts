/**
 * Seeded randomness for the simulation: independent streams derived from one
 * seed by label, so that adding a draw in one place does not shift another.
 *
 * @module
 */
import { type Random, seededRandom } from "../../src/node/ports.ts";
import { fnv1a } from "../../src/protocol/schedule.ts";

/**
 * A 32-bit seed derived from a seed and labels.
 *
 * @example
 * ```ts
 * derive(7, "model") !== derive(7, "scenario"); // true
 * ```
 */
export function derive(seed: number, ...labels: (string | number)[]): number {
  return fnv1a(`${seed >>> 0}\u0000${labels.join("\u0000")}`);
}

/**
 * A uniform draw in [0, 1) that is a pure function of its labels (no stream).
 *
 * @example
 * ```ts
 * unit(1, "lag", 42) === unit(1, "lag", 42); // true
 * ```
 */
export function unit(seed: number, ...labels: (string | number)[]): number {
  return seededRandom(derive(seed, ...labels)).next();
}

/**
 * A seeded stream with helpers.
 *
 * @example
 * ```ts
 * const r = new Rng(derive(1, "x"));
 * r.int(1, 6); // 1..6
 * ```
 */
export class Rng implements Random {
  readonly #r: Random;

  /** A stream from a 32-bit seed. */
  constructor(seed: number) {
    this.#r = seededRandom(seed);
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.#r.next();
  }

  /** Integer uniform in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.#r.next() * (hi - lo + 1));
  }

  /** Real uniform in [lo, hi). */
  range(lo: number, hi: number): number {
    return lo + this.#r.next() * (hi - lo);
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.#r.next() < p;
  }

  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.#r.next() * items.length)]!;
  }

  /** A rate that is zero with probability `pZero`, else log-uniform in [lo, hi]. */
  rate(pZero: number, lo: number, hi: number): number {
    if (this.chance(pZero)) return 0;
    return lo * (hi / lo) ** this.#r.next();
  }
}
