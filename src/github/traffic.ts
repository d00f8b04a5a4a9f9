/**
 * Exact accounting of the HTTP traffic one GitHub client sends: a `fetch`
 * wrapper that counts every request (retries included), applies the
 * per-request timeout, buffers bodies, and remembers the newest server time
 * and the last primary rate-limit answer.
 *
 * @module
 */
import type { ApiStats } from "./port.ts";
import { RequestTimeoutError } from "./errors.ts";

/**
 * One HTTP exchange as the client saw it.
 *
 * @example
 * ```ts
 * const e: RequestLogEntry = { method: "GET", url: "https://api.github.com/user", status: 200 };
 * ```
 */
export interface RequestLogEntry {
  /** HTTP method, upper case. */
  method: string;
  /** Absolute URL, query included. */
  url: string;
  /** HTTP status; `0` when no answer came (network error or timeout). */
  status: number;
  /** Whether the answer was a rate limit (403/429 naming a limit). */
  rateLimited?: boolean;
  /** Why no answer came, when `status` is `0`. */
  error?: string;
}

/**
 * Options of {@linkcode RequestLog}.
 *
 * @example
 * ```ts
 * const o: RequestLogOptions = { limit: 10_000 };
 * ```
 */
export interface RequestLogOptions {
  /** Keep at most this many entries, dropping the oldest (default: unlimited). */
  limit?: number;
}

/**
 * A record of every HTTP exchange of a client, in the order they finished.
 * Pass one to `createGitHub({ requestLog })`; tests and the benchmark read
 * {@linkcode RequestLog.entries}.
 *
 * @example
 * ```ts
 * const log = new RequestLog();
 * log.record({ method: "GET", url: "https://api.github.com/user", status: 200 });
 * console.assert(log.count({ method: "GET", path: "/user" }) === 1);
 * ```
 */
export class RequestLog {
  /** The exchanges, oldest first. */
  readonly entries: RequestLogEntry[] = [];
  readonly #limit: number;

  /** Create an empty log. */
  constructor(options: RequestLogOptions = {}) {
    this.#limit = options.limit ?? Infinity;
  }

  /** Append one exchange. */
  record(entry: RequestLogEntry): void {
    this.entries.push(entry);
    if (this.entries.length > this.#limit) {
      this.entries.splice(0, this.entries.length - this.#limit);
    }
  }

  /**
   * Entries matching every given field: `method`, `status`, and `path` (a
   * string the URL's pathname must equal, or a pattern it must match).
   */
  filter(
    match: { method?: string; status?: number; path?: string | RegExp } = {},
  ): RequestLogEntry[] {
    return this.entries.filter((e) => {
      if (match.method !== undefined && e.method !== match.method.toUpperCase()) return false;
      if (match.status !== undefined && e.status !== match.status) return false;
      if (match.path !== undefined) {
        const path = new URL(e.url).pathname;
        if (typeof match.path === "string" ? path !== match.path : !match.path.test(path)) {
          return false;
        }
      }
      return true;
    });
  }

  /** How many entries match (see {@linkcode RequestLog.filter}). */
  count(match: { method?: string; status?: number; path?: string | RegExp } = {}): number {
    return this.filter(match).length;
  }

  /** Forget every entry. */
  clear(): void {
    this.entries.length = 0;
  }
}

/**
 * The last primary rate-limit answer: when the quota resets, by the server's clock.
 *
 * @example
 * ```ts
 * const a: PrimaryLimitAnswer = { resetMs: 1_735_732_830_000, serverDateMs: 1_735_732_800_000 };
 * ```
 */
export interface PrimaryLimitAnswer {
  /** `x-ratelimit-reset`, in epoch ms. */
  resetMs: number;
  /** The answer's `Date` header, in epoch ms, or `NaN` when it had none. */
  serverDateMs: number;
}

/**
 * Counters and memory shared by one client's requests. Mutable; the adapter
 * owns it.
 *
 * @example
 * ```ts
 * const t = new Traffic();
 * console.assert(t.snapshot().requests === 0);
 * ```
 */
export class Traffic {
  /** The counts `stats()` reports. */
  readonly stats: ApiStats = {
    requests: 0,
    notModified: 0,
    writes: 0,
    rateLimited: 0,
    serverErrors: 0,
  };
  /** Newest `Date` response header seen, epoch ms (0 before any). */
  newestServerTime = 0;
  /** The last answer that said the primary quota is used up. */
  lastPrimaryLimit: PrimaryLimitAnswer | undefined;
  /** Where exchanges are recorded, if anywhere. */
  readonly log: RequestLog | undefined;

  /** Create counters, recording exchanges into `log` when given. */
  constructor(log?: RequestLog) {
    this.log = log;
  }

  /** A copy of the counters. */
  snapshot(): ApiStats {
    return { ...this.stats };
  }
}

const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/**
 * Whether an answer is a rate limit, by GitHub's documented signs: 429, or a
 * 403 with `x-ratelimit-remaining: 0`, a `retry-after` header, or a message
 * naming a rate limit. A 403 "Resource not accessible by integration" is not.
 *
 * See https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api#exceeding-the-rate-limit
 *
 * @example
 * ```ts
 * const h = new Headers({ "x-ratelimit-remaining": "0" });
 * console.assert(isRateLimitAnswer(403, h, "API rate limit exceeded"));
 * ```
 */
export function isRateLimitAnswer(status: number, headers: Headers, bodyText: string): boolean {
  if (status === 429) return true;
  if (status !== 403) return false;
  return headers.get("x-ratelimit-remaining") === "0" || headers.has("retry-after") ||
    /rate limit/i.test(bodyText);
}

/**
 * Wrap `base` so that every call is counted into `traffic`, limited to
 * `timeoutMs` (headers and body, via `AbortSignal.timeout`), and answered
 * with a fully buffered `Response`. A timeout rejects with
 * {@linkcode RequestTimeoutError}.
 *
 * @example
 * ```ts
 * const traffic = new Traffic();
 * const counted = instrumentFetch(fetch, traffic, 30_000);
 * // new Octokit({ request: { fetch: counted } })
 * ```
 */
export function instrumentFetch(
  base: typeof fetch,
  traffic: Traffic,
  timeoutMs: number,
): typeof fetch {
  return async (input, init) => {
    const method = (init?.method ?? (input instanceof Request ? input.method : "GET"))
      .toUpperCase();
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    traffic.stats.requests++;
    if (method !== "GET" && method !== "HEAD") traffic.stats.writes++;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    let status = 0;
    let rateLimited = false;
    try {
      const response = await base(input, { ...init, signal });
      status = response.status;
      const body = NULL_BODY_STATUSES.has(status) ? null : await response.arrayBuffer();
      const date = Date.parse(response.headers.get("date") ?? "");
      if (Number.isFinite(date) && date > traffic.newestServerTime) {
        traffic.newestServerTime = date;
      }
      if (status === 304) traffic.stats.notModified++;
      if (status >= 500) traffic.stats.serverErrors++;
      if (status === 403 || status === 429) {
        const text = body === null ? "" : new TextDecoder().decode(body);
        rateLimited = isRateLimitAnswer(status, response.headers, text);
        if (rateLimited) traffic.stats.rateLimited++;
        const reset = Number(response.headers.get("x-ratelimit-reset"));
        if (response.headers.get("x-ratelimit-remaining") === "0" && reset > 0) {
          traffic.lastPrimaryLimit = { resetMs: reset * 1000, serverDateMs: date };
        }
      }
      const copy = new Response(body, {
        status,
        statusText: response.statusText,
        headers: response.headers,
      });
      Object.defineProperty(copy, "url", { value: response.url });
      traffic.log?.record({ method, url, status, ...(rateLimited ? { rateLimited } : {}) });
      return copy;
    } catch (error) {
      // A failure after the status arrived (body cut off) still counts once, as a network error.
      traffic.stats.serverErrors++;
      const timedOut = timeout.aborted && !init?.signal?.aborted;
      const failure = timedOut
        ? new RequestTimeoutError(method, url, timeoutMs, { cause: error })
        : error;
      traffic.log?.record({
        method,
        url,
        status: 0,
        error: failure instanceof Error ? failure.message : String(failure),
      });
      throw failure;
    }
  };
}
