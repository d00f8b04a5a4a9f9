/**
 * How long GitHub's comment lists take to show a new comment, as one node
 * measures it, and the settle window that follows from it.
 *
 * Every list read carries GitHub's `Date` header, and every comment its
 * server `created_at`. A node re-reads anyway, so it learns the lag of its
 * own writes and of others' for free. Each observation is a lag the reads
 * prove (a lower bound; the reads cannot tell more):
 *
 * - a comment first shown by the first read sent after it was created
 *   showed no lag (observed 0);
 * - a comment that a read sent at least a second after its creation did not
 *   show (that read was served by a replica behind it) lagged at least from
 *   its creation to that read;
 * - a node's own comment that a read does not show yet counts at once as
 *   lagging at least `Date − created_at` of that read, before it ever shows:
 *   a replica that is behind shows nothing, so the read that misses is the
 *   observation, not the one that finally shows it.
 *
 * Reads that come seconds apart (a settle window, a poll) bound the lag
 * closely; the estimate stays conservative otherwise:
 *
 * The window is the larger of a high quantile of the recent observations and
 * the largest one seen, halved every `halfLifeMs`, plus a margin, between a
 * floor and a ceiling: an observation above the window widens it at once, and
 * it narrows only slowly. With no observation yet it is the ceiling.
 *
 * @module
 */

/** Timing of a {@linkcode LagEstimator}. */
export interface LagEstimatorOptions {
  /** The shortest window. */
  floorMs: number;
  /** The longest window (the configured settle window). */
  ceilingMs: number;
  /** Added to the estimate of the lag. */
  marginMs: number;
  /** The largest lag seen counts half as much after this long. */
  halfLifeMs: number;
  /** The quantile of the recent observations the window covers (0.8: four in five). */
  quantile: number;
  /** Observations kept. */
  size: number;
}

/**
 * The defaults: floor 1 s, margin 1 s, the quantile 0.8 of the last 64
 * observations, half-life 30 s. Chosen on the benchmark's GitHub-like and
 * harsher lag (bench/README.md): with the quantile 0.9 and a 2-minute
 * half-life, one lagging comment kept a node's window at the ceiling for
 * minutes; these cut the p99 of claims at 5 nodes from 15 s to 11 s, for
 * about one more started run (then stopped by the late look) per hundred
 * claims.
 */
export const LAG_DEFAULTS: Omit<LagEstimatorOptions, "ceilingMs"> = {
  floorMs: 1_000,
  marginMs: 1_000,
  halfLifeMs: 30_000,
  quantile: 0.8,
  size: 64,
};

/**
 * A conservative estimate of list lag from observations in server time.
 *
 * @example
 * ```ts
 * const lag = new LagEstimator({ ...LAG_DEFAULTS, ceilingMs: 10_000 });
 * lag.windowMs(0); // 10000: nothing observed yet
 * lag.observe(0, 1_000);
 * lag.windowMs(1_000); // 1500: the floor
 * lag.observe(6_000, 2_000);
 * lag.windowMs(2_000); // 7000: widened at once
 * ```
 */
export class LagEstimator {
  readonly options: LagEstimatorOptions;
  #recent: number[] = [];
  #next = 0;
  #peak = 0;
  #peakAt = 0;
  #count = 0;

  constructor(options: LagEstimatorOptions) {
    this.options = options;
  }

  /** Observations made so far. */
  get count(): number {
    return this.#count;
  }

  /** Records a lag of `lagMs` observed at server time `at` (clamped to 0 … 3 ceilings). */
  observe(lagMs: number, at: number): void {
    const { size, ceilingMs } = this.options;
    const lag = Math.min(3 * ceilingMs, Math.max(0, lagMs));
    if (this.#recent.length < size) this.#recent.push(lag);
    else this.#recent[this.#next] = lag;
    this.#next = (this.#next + 1) % size;
    this.#count++;
    if (lag >= this.#decayedPeak(at)) {
      this.#peak = lag;
      this.#peakAt = at;
    }
  }

  /** The lag estimate at server time `at`, before the margin and the bounds. */
  estimateMs(at: number): number {
    if (this.#recent.length === 0) return this.options.ceilingMs;
    const sorted = [...this.#recent].sort((a, b) => a - b);
    const i = Math.min(sorted.length - 1, Math.ceil(this.options.quantile * sorted.length) - 1);
    return Math.max(sorted[Math.max(0, i)]!, this.#decayedPeak(at));
  }

  /** The settle window at server time `at`: estimate plus margin, between floor and ceiling. */
  windowMs(at: number): number {
    const { floorMs, ceilingMs, marginMs } = this.options;
    if (this.#recent.length === 0) return ceilingMs;
    return Math.min(ceilingMs, Math.max(floorMs, this.estimateMs(at) + marginMs));
  }

  #decayedPeak(at: number): number {
    if (this.#peak === 0) return 0;
    const age = Math.max(0, at - this.#peakAt);
    return this.#peak * 0.5 ** (age / this.options.halfLifeMs);
  }
}

/** What {@linkcode LagObserver} reads: a list read's comments, server time and first-shown ids. */
export interface ObservedRead {
  comments: readonly { id: number; createdAt: number }[];
  /** The read's server time (`Date`). */
  serverTime: number;
  /** Ids of the comments this read showed for the first time. */
  fresh: ReadonlySet<number>;
}

/**
 * Turns a node's list reads and own writes into observations for a
 * {@linkcode LagEstimator} (the rules are in this module's description).
 *
 * @example
 * ```ts
 * const observer = new LagObserver(new LagEstimator({ ...LAG_DEFAULTS, ceilingMs: 10_000 }));
 * observer.observeRead({ comments: [], serverTime: 0, fresh: new Set() });
 * observer.noteOwn(7, 1_000);
 * observer.observeRead({ comments: [], serverTime: 4_000, fresh: new Set() }); // lag ≥ 3 s
 * ```
 */
export class LagObserver {
  readonly lag: LagEstimator;
  /** This node's comments no list read has shown yet: id → server `created_at`. */
  #unlisted = new Map<number, number>();
  /** Server time of the last list read (undefined before the first). */
  #lastRead: number | undefined;

  constructor(lag: LagEstimator) {
    this.lag = lag;
  }

  /** Notes a comment this node wrote (created at server time `createdAt`). */
  noteOwn(id: number, createdAt: number): void {
    this.#unlisted.set(id, createdAt);
  }

  /** This node's comments no read has shown yet. */
  get unlisted(): number {
    return this.#unlisted.size;
  }

  /** Learns from one list read. */
  observeRead(read: ObservedRead): void {
    const at = read.serverTime;
    const before = this.#lastRead;
    this.#lastRead = at;
    // A read sent a second or more after a comment's creation should have
    // shown it (Date and created_at both have one-second resolution): the
    // comment lagged at least that long.
    const provenLag = (created: number) =>
      before !== undefined && before >= created + 1_000 ? before - created : 0;
    for (const c of read.comments) {
      if (!read.fresh.has(c.id) || this.#unlisted.has(c.id) || before === undefined) continue;
      this.lag.observe(provenLag(c.createdAt), at);
    }
    if (this.#unlisted.size === 0) return;
    const listed = new Set(read.comments.map((c) => c.id));
    for (const [id, created] of this.#unlisted) {
      if (listed.has(id)) {
        this.lag.observe(provenLag(created), at);
        this.#unlisted.delete(id);
      } else if (at - created > 3 * this.lag.options.ceilingMs) {
        // Longer than any lag the node waits for: deleted, or a read `since`
        // that no longer reaches it; either way not a measure of lag.
        this.#unlisted.delete(id);
      } else if (at - created >= 1_000) {
        // Not shown yet: lagging at least this long already.
        this.lag.observe(at - created, at);
      }
    }
  }
}
