/**
 * How a node classifies errors from the GitHub port: fatal ones stop it,
 * transient ones (5xx, timeouts, unknown outcomes, rate limits) make it wait
 * and go on.
 *
 * @module
 */

/**
 * Errors that retrying cannot fix: bad credentials, missing permission, missing issue.
 *
 * @example
 * ```ts
 * if (isFatalApiError(error)) throw error;
 * ```
 */
export function isFatalApiError(error: unknown): boolean {
  const status = (error as { status?: unknown })?.status;
  const message = error instanceof Error ? error.message : "";
  if (status === 401 || status === 404) return true;
  return status === 403 && /not accessible|permission/i.test(message) &&
    !/rate limit/i.test(message);
}

/**
 * Errors that waiting can fix: 5xx, timeouts, network failures, writes with
 * an unknown outcome, and rate limits.
 *
 * @example
 * ```ts
 * if (isTransientApiError(error)) await backOff();
 * ```
 */
export function isTransientApiError(error: unknown): boolean {
  if (isFatalApiError(error)) return false;
  const name = (error as { name?: unknown })?.name;
  if (
    name === "RateLimitError" || name === "OutcomeUnknownError" ||
    name === "RequestTimeoutError" || name === "TimeoutError"
  ) return true;
  const status = (error as { status?: unknown })?.status;
  if (typeof status === "number") return status >= 500 || status === 403 || status === 429;
  return error instanceof TypeError && /fetch|network|connect|socket/i.test(error.message);
}

/**
 * One line for an error.
 *
 * @example
 * ```ts
 * errorText(new Error("boom")); // "boom"
 * ```
 */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
