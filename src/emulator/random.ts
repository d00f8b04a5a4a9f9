/**
 * Seeded randomness for the emulator: a small PRNG for faults drawn in
 * request order, and order-independent hashing for decisions that must not
 * depend on which request came first (list lag per reader and comment).
 *
 * @module
 */

/**
 * A reproducible stream of uniform numbers in [0, 1) (mulberry32).
 *
 * @example
 * ```ts
 * const rng = new SeededRandom(7);
 * const x = rng.next();
 * ```
 */
export class SeededRandom {
  #state: number;

  /** Starts the stream at `seed` (any number; only its low 32 bits matter). */
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Whether an event of probability `p` happens on this draw (no draw when `p` is 0). */
  chance(p: number): boolean {
    if (p <= 0) return false;
    if (p >= 1) return true;
    return this.next() < p;
  }

  /** Integer in [min, max], both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** A draw from a standard normal distribution (Box-Muller). */
  normal(): number {
    const u = Math.max(this.next(), 1e-12);
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}

/**
 * 32-bit FNV-1a hash of a string, mixed with `seed`.
 *
 * @example
 * ```ts
 * const h = hash32("reader|42", 1);
 * ```
 */
export function hash32(text: string, seed = 0): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // Final avalanche (murmur3 fmix32) so close inputs give distant outputs.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * A 64-bit digest of a (possibly large) string in one pass, as 16 hex
 * characters: two FNV-1a lanes with different offsets, then mixed.
 *
 * @example
 * ```ts
 * digest64("[]").length; // 16
 * ```
 */
export function digest64(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  return hash32(String(a), b).toString(16).padStart(8, "0") +
    hash32(String(b), a).toString(16).padStart(8, "0");
}

/**
 * A uniform number in [0, 1) that depends only on `seed` and `key`: the same
 * question always gets the same answer, whatever the order of requests.
 *
 * @example
 * ```ts
 * const u = hashUniform(1, "token|2147483701|0");
 * ```
 */
export function hashUniform(seed: number, key: string): number {
  return hash32(key, seed) / 4294967296;
}

/**
 * A hex string of `length` characters derived from `text` (not cryptographic):
 * commit SHAs, ETags, node ids.
 *
 * @example
 * ```ts
 * hexDigest("commit|root", 40).length; // 40
 * ```
 */
export function hexDigest(text: string, length: number): string {
  let out = "";
  for (let round = 0; out.length < length; round++) {
    out += hash32(text, round * 0x9e3779b9).toString(16).padStart(8, "0");
  }
  return out.slice(0, length);
}
