/**
 * GitHub's documented limits, on by default at GitHub's values:
 * https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api
 *
 * - Primary: requests per hour per identity: 5,000 for a personal access
 *   token, 1,000 per repository for a workflow's `GITHUB_TOKEN`, 60 per IP
 *   unauthenticated. The window starts with the first request and resets an
 *   hour later (`x-ratelimit-reset`). A 304 answer to a conditional request
 *   sent with an `Authorization` header does not count, and neither does
 *   `GET /rate_limit`.
 * - Secondary: at most 100 concurrent requests; at most 900 points a minute
 *   per endpoint (1 point for GET/HEAD/OPTIONS, 5 for POST/PATCH/PUT/DELETE);
 *   content creation about 80 a minute and 500 an hour. Whether an edit
 *   counts as content is undocumented: this emulator counts every write.
 *
 * @module
 */

/** Primary limits, requests per window. */
export interface PrimaryLimits {
  /** Personal access token, per user (GitHub: 5,000). */
  pat: number;
  /** Workflow `GITHUB_TOKEN`, per repository (GitHub: 1,000). */
  actions: number;
  /** Other installation tokens (GitHub: 5,000). */
  app: number;
  /** Unauthenticated, per IP (GitHub: 60). */
  anonymous: number;
  /** Window length in ms (GitHub: one hour). */
  windowMs: number;
}

/** Secondary limits. */
export interface SecondaryLimits {
  /** Requests in flight per identity (GitHub: 100). */
  maxConcurrent: number;
  /** Content-creating requests per minute per identity (GitHub: about 80). */
  contentPerMinute: number;
  /** Content-creating requests per hour per identity (GitHub: about 500). */
  contentPerHour: number;
  /** Points per minute per endpoint and identity (GitHub: 900). */
  pointsPerMinute: number;
  /** `retry-after` for concurrency answers, in seconds. */
  retryAfterSec: number;
  /** GitHub answers secondary limits with 403 or 429. */
  status: 403 | 429;
}

/**
 * All limit settings.
 *
 * @example
 * ```ts
 * const tight: LimitsPatch = { primary: { pat: 10 }, secondary: { contentPerMinute: 3 } };
 * ```
 */
export interface LimitsConfig {
  /** Whether limits are enforced at all. */
  enabled: boolean;
  /** Primary limits. */
  primary: PrimaryLimits;
  /** Secondary limits. */
  secondary: SecondaryLimits;
}

/** A partial `LimitsConfig`, merged over the current one. */
export interface LimitsPatch {
  /** Whether limits are enforced at all. */
  enabled?: boolean;
  /** Primary limits to change. */
  primary?: Partial<PrimaryLimits>;
  /** Secondary limits to change. */
  secondary?: Partial<SecondaryLimits>;
}

/**
 * GitHub's values.
 *
 * @example
 * ```ts
 * DEFAULT_LIMITS.primary.actions; // 1000
 * ```
 */
export const DEFAULT_LIMITS: LimitsConfig = {
  enabled: true,
  primary: { pat: 5000, actions: 1000, app: 5000, anonymous: 60, windowMs: 3_600_000 },
  secondary: {
    maxConcurrent: 100,
    contentPerMinute: 80,
    contentPerHour: 500,
    pointsPerMinute: 900,
    retryAfterSec: 60,
    status: 403,
  },
};

/**
 * Merges a patch over a config, checking every value. Throws a `RangeError`
 * naming the setting when a value is out of range.
 *
 * @example
 * ```ts
 * const config = mergeLimits(DEFAULT_LIMITS, { primary: { pat: 100 } });
 * ```
 */
export function mergeLimits(base: LimitsConfig, patch: LimitsPatch): LimitsConfig {
  if (typeof patch !== "object" || patch === null) {
    throw new TypeError(`Invalid limits ${JSON.stringify(patch)}: expected an object.`);
  }
  const next: LimitsConfig = {
    enabled: patch.enabled ?? base.enabled,
    primary: { ...base.primary, ...patch.primary },
    secondary: { ...base.secondary, ...patch.secondary },
  };
  if (typeof next.enabled !== "boolean") {
    throw new TypeError(
      `Invalid limits.enabled ${JSON.stringify(next.enabled)}: expected true or false.`,
    );
  }
  for (const [key, value] of Object.entries(next.primary)) {
    checkCount(`limits.primary.${key}`, value, key === "windowMs" ? 1 : 0);
  }
  for (const [key, value] of Object.entries(next.secondary)) {
    if (key === "status") {
      if (value !== 403 && value !== 429) {
        throw new RangeError(`Invalid limits.secondary.status ${value}: expected 403 or 429.`);
      }
    } else checkCount(`limits.secondary.${key}`, value, 0);
  }
  return next;
}

function checkCount(name: string, value: unknown, min: number): void {
  if (typeof value !== "number" || !Number.isFinite(value) || value < min) {
    throw new RangeError(`Invalid ${name} ${JSON.stringify(value)}: expected a number >= ${min}.`);
  }
}

/** The state of one primary bucket, as headers and `GET /rate_limit` show it. */
export interface RateView {
  /** Requests allowed in the window. */
  limit: number;
  /** Requests left in the window. */
  remaining: number;
  /** Requests counted in the window. */
  used: number;
  /** Epoch seconds when the window resets. */
  reset: number;
}

interface Bucket {
  windowStart: number;
  used: number;
}

/**
 * Usage counters for every limit.
 *
 * @example
 * ```ts
 * const limits = new Limits(DEFAULT_LIMITS);
 * limits.consume("user:octo", 5000, Date.now());
 * ```
 */
export class Limits {
  /** Current settings. */
  config: LimitsConfig;
  #buckets = new Map<string, Bucket>();
  #inflight = new Map<string, number>();
  #content = new Map<string, number[]>();
  #points = new Map<string, { at: number; points: number }[]>();

  /** Starts with no usage. */
  constructor(config: LimitsConfig) {
    this.config = config;
  }

  /** Forgets all usage (every window starts afresh). */
  reset(): void {
    this.#buckets.clear();
    this.#content.clear();
    this.#points.clear();
  }

  /** The primary bucket `key` as of `now`. */
  view(key: string, limit: number, now: number): RateView {
    const bucket = this.#bucket(key, now);
    const start = bucket?.windowStart ?? now;
    const used = bucket?.used ?? 0;
    return {
      limit,
      used,
      remaining: Math.max(0, limit - used),
      reset: Math.ceil((start + this.config.primary.windowMs) / 1000),
    };
  }

  /** Whether bucket `key` has nothing left. */
  exhausted(key: string, limit: number, now: number): boolean {
    return this.config.enabled && this.view(key, limit, now).remaining <= 0;
  }

  /** Counts one request against bucket `key`. */
  consume(key: string, limit: number, now: number): void {
    let bucket = this.#bucket(key, now);
    if (!bucket) this.#buckets.set(key, bucket = { windowStart: now, used: 0 });
    if (bucket.used < limit || !this.config.enabled) bucket.used++;
  }

  #bucket(key: string, now: number): Bucket | undefined {
    const bucket = this.#buckets.get(key);
    if (bucket && now >= bucket.windowStart + this.config.primary.windowMs) {
      this.#buckets.delete(key);
      return undefined;
    }
    return bucket;
  }

  /** Enters a request of `identity`; false when over the concurrency limit (then do not `leave`). */
  enter(identity: string): boolean {
    const n = (this.#inflight.get(identity) ?? 0) + 1;
    if (this.config.enabled && n > this.config.secondary.maxConcurrent) return false;
    this.#inflight.set(identity, n);
    return true;
  }

  /** Leaves a request entered with `enter`. */
  leave(identity: string): void {
    const n = (this.#inflight.get(identity) ?? 1) - 1;
    if (n <= 0) this.#inflight.delete(identity);
    else this.#inflight.set(identity, n);
  }

  /**
   * Checks and records `points` for `identity` on `endpoint`; returns the
   * seconds to wait when the per-minute budget is spent, else null.
   */
  points(identity: string, endpoint: string, points: number, now: number): number | null {
    if (!this.config.enabled) return null;
    const key = `${identity} ${endpoint}`;
    const list = (this.#points.get(key) ?? []).filter((p) => p.at > now - 60_000);
    const spent = list.reduce((sum, p) => sum + p.points, 0);
    if (spent + points > this.config.secondary.pointsPerMinute) {
      this.#points.set(key, list);
      return Math.max(1, Math.ceil((list[0]!.at + 60_000 - now) / 1000));
    }
    list.push({ at: now, points });
    this.#points.set(key, list);
    return null;
  }

  /**
   * Checks and records one content-creating request for `identity`; returns
   * the seconds until the oldest counted one leaves its window when a window
   * is full, else null.
   */
  content(identity: string, now: number): number | null {
    if (!this.config.enabled) return null;
    const { contentPerMinute, contentPerHour } = this.config.secondary;
    const list = (this.#content.get(identity) ?? []).filter((t) => t > now - 3_600_000);
    this.#content.set(identity, list);
    const lastMinute = list.filter((t) => t > now - 60_000);
    if (lastMinute.length >= contentPerMinute) {
      return Math.max(
        1,
        Math.ceil((lastMinute[lastMinute.length - contentPerMinute]! + 60_000 - now) / 1000),
      );
    }
    if (list.length >= contentPerHour) {
      return Math.max(1, Math.ceil((list[list.length - contentPerHour]! + 3_600_000 - now) / 1000));
    }
    list.push(now);
    return null;
  }
}
