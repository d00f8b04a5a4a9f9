/**
 * Errors the GitHub adapter throws when it cannot resolve a failure itself.
 * Every message says what failed, quotes what GitHub answered, and says what
 * to do about it.
 *
 * @module
 */

/**
 * Where a failed request went, for error messages and logs.
 *
 * @example
 * ```ts
 * const r: FailedRequest = { method: "GET", url: "https://api.github.com/user" };
 * ```
 */
export interface FailedRequest {
  /** HTTP method, upper case. */
  method: string;
  /** URL or route template of the request. */
  url: string;
}

/**
 * Options common to every {@linkcode GitHubError}.
 *
 * @example
 * ```ts
 * const o: GitHubErrorOptions = { status: 502, cause: new Error("Bad Gateway") };
 * ```
 */
export interface GitHubErrorOptions {
  /** HTTP status of the last answer; `undefined` when none came (network error, timeout). */
  status?: number | undefined;
  /** The request that failed. */
  request?: FailedRequest | undefined;
  /** The underlying error. */
  cause?: unknown;
}

/**
 * A GitHub request failed and the adapter could not recover.
 *
 * @example
 * ```ts
 * const e = new GitHubError('GitHub answered 404 "Not Found": check the repository name.', { status: 404 });
 * ```
 */
export class GitHubError extends Error {
  /** Always `"GitHubError"`. */
  override name = "GitHubError";
  /** HTTP status of the last answer; `undefined` when none came. */
  readonly status: number | undefined;
  /** The request that failed, when known. */
  readonly request: FailedRequest | undefined;

  /** Build an error; `options.cause` is kept as the standard `cause`. */
  constructor(message: string, options: GitHubErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = options.status;
    this.request = options.request;
  }
}

/**
 * GitHub answered 403 "Resource not accessible by integration": the token
 * (typically a workflow's `GITHUB_TOKEN`) lacks a permission. Never retried.
 *
 * @example
 * ```ts
 * const e = new PermissionError("Cannot post: grant issues: write.", "issues: write");
 * console.assert(e.permission === "issues: write");
 * ```
 */
export class PermissionError extends GitHubError {
  /** Always `"PermissionError"`. */
  override name = "PermissionError";
  /** The permission the workflow needs, as written under `permissions:` (e.g. `issues: write`). */
  readonly permission: string;

  /** Build an error naming the missing `permission`. */
  constructor(message: string, permission: string, options: GitHubErrorOptions = {}) {
    super(message, { status: 403, ...options });
    this.permission = permission;
  }
}

/**
 * GitHub still answered with a rate limit after the adapter waited and
 * retried as often as it was allowed to.
 *
 * @example
 * ```ts
 * const e = new RateLimitError("Rate limited: wait.", "secondary", 60_000, { status: 429 });
 * console.assert(e.retryAfterMs === 60_000);
 * ```
 */
export class RateLimitError extends GitHubError {
  /** Always `"RateLimitError"`. */
  override name = "RateLimitError";
  /** `primary` (hourly quota used up) or `secondary` (too fast, too many at once, too much content). */
  readonly kind: "primary" | "secondary";
  /** How long GitHub asked to wait, when it said (`retry-after` or `x-ratelimit-reset`). */
  readonly retryAfterMs: number | undefined;

  /** Build an error for a rate limit of `kind`. */
  constructor(
    message: string,
    kind: "primary" | "secondary",
    retryAfterMs: number | undefined,
    options: GitHubErrorOptions = {},
  ) {
    super(message, options);
    this.kind = kind;
    this.retryAfterMs = retryAfterMs;
  }
}

/**
 * A write's outcome could not be established: the request timed out or
 * failed with a 5xx or a network error, and re-reading did not settle whether
 * it took effect. Retrying with the same nonce is safe.
 *
 * @example
 * ```ts
 * const e = new OutcomeUnknownError("Cannot tell whether the comment was created: retry later.");
 * ```
 */
export class OutcomeUnknownError extends GitHubError {
  /** Always `"OutcomeUnknownError"`. */
  override name = "OutcomeUnknownError";
}

/**
 * GitHub did not answer one request within the adapter's per-request timeout.
 * The Octokit client sees it as a network error (and retries reads).
 *
 * @example
 * ```ts
 * const e = new RequestTimeoutError("GET", "https://api.github.com/user", 30_000);
 * console.assert(e.timeoutMs === 30_000);
 * ```
 */
export class RequestTimeoutError extends Error {
  /** Always `"RequestTimeoutError"`. */
  override name = "RequestTimeoutError";
  /** The timeout that elapsed, in milliseconds. */
  readonly timeoutMs: number;

  /** Build the error for `method url` after `timeoutMs`. */
  constructor(method: string, url: string, timeoutMs: number, options?: ErrorOptions) {
    super(
      `GitHub did not answer ${method} "${url}" within ${timeoutMs} ms: the request was abandoned; ` +
        `raise timeoutMs if GitHub is merely slow.`,
      options,
    );
    this.timeoutMs = timeoutMs;
  }
}
