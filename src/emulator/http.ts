/**
 * HTTP vocabulary shared by routes and the pipeline: errors in GitHub's JSON
 * shape, timestamps, pagination with `Link`, ETags and CORS.
 *
 * @module
 */
import { digest64, hexDigest } from "./random.ts";

/**
 * GitHub's documentation root, used in error bodies when no page fits better.
 *
 * @example
 * ```ts
 * errorBody(new HttpError(404, "Not Found"), DOCS);
 * ```
 */
export const DOCS = "https://docs.github.com/rest";

/**
 * Rate-limit documentation, cited by limit answers.
 *
 * @example
 * ```ts
 * const secondary = `${RATE_LIMIT_DOCS}#about-secondary-rate-limits`;
 * ```
 */
export const RATE_LIMIT_DOCS =
  "https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api";

/**
 * An error a route or the pipeline answers with: status, message and the
 * extra fields GitHub puts in its error body.
 *
 * @example
 * ```ts
 * throw new HttpError(404, "Not Found");
 * ```
 */
export class HttpError extends Error {
  /** HTTP status. */
  readonly status: number;
  /** `errors` array of a 422 `Validation Failed` body. */
  readonly errors: unknown[] | undefined;
  /** Overrides the route's documentation URL. */
  readonly docs: string | undefined;
  /** Extra response headers (e.g. `retry-after`). */
  readonly headers: Record<string, string>;

  /** Builds the error; `extra` adds GitHub's optional fields. */
  constructor(
    status: number,
    message: string,
    extra: { errors?: unknown[]; docs?: string; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = "HttpError";
    this.status = status;
    this.errors = extra.errors;
    this.docs = extra.docs;
    this.headers = extra.headers ?? {};
  }
}

/**
 * A 404 in GitHub's words.
 *
 * @example
 * ```ts
 * throw notFound();
 * ```
 */
export function notFound(): HttpError {
  return new HttpError(404, "Not Found");
}

/**
 * A 422 `Validation Failed` with one entry in `errors`.
 *
 * @example
 * ```ts
 * throw validationFailed({ resource: "Label", code: "already_exists", field: "name" });
 * ```
 */
export function validationFailed(error: Record<string, unknown>): HttpError {
  return new HttpError(422, "Validation Failed", { errors: [error] });
}

/**
 * GitHub's error body for an `HttpError`.
 *
 * @example
 * ```ts
 * errorBody(new HttpError(404, "Not Found"), "https://docs.github.com/rest");
 * ```
 */
export function errorBody(error: HttpError, docs: string): Record<string, unknown> {
  const body: Record<string, unknown> = { message: error.message };
  if (error.errors) body.errors = error.errors;
  body.documentation_url = error.docs ?? docs;
  body.status = String(error.status);
  return body;
}

/**
 * ISO 8601 with one-second resolution, as GitHub writes timestamps.
 *
 * @example
 * ```ts
 * isoSeconds(0); // "1970-01-01T00:00:00Z"
 * ```
 */
export function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * Truncates epoch milliseconds to whole seconds.
 *
 * @example
 * ```ts
 * toSecond(1_500); // 1_000
 * ```
 */
export function toSecond(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}

/**
 * A weak ETag for a body as seen by one identity (GitHub varies on Authorization).
 *
 * @example
 * ```ts
 * weakEtag("[]", "octo"); // 'W/"…"'
 * ```
 */
export function weakEtag(body: string, identity: string): string {
  return `W/"${hexDigest(`${identity}|${digest64(body)}`, 64)}"`;
}

/**
 * Whether an `If-None-Match` header matches `etag` (weak comparison, lists and `*`).
 *
 * @example
 * ```ts
 * etagMatches('W/"a", W/"b"', 'W/"b"'); // true
 * ```
 */
export function etagMatches(ifNoneMatch: string | null, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, "");
  const wanted = opaque(etag);
  return ifNoneMatch.split(",").some((tag) => tag.trim() === "*" || opaque(tag) === wanted);
}

/**
 * Headers api.github.com exposes to browsers (its `Access-Control-Expose-Headers`).
 *
 * @example
 * ```ts
 * new Headers({ "access-control-expose-headers": CORS_EXPOSE });
 * ```
 */
export const CORS_EXPOSE =
  "ETag, Link, Location, Retry-After, X-GitHub-OTP, X-RateLimit-Limit, X-RateLimit-Remaining, " +
  "X-RateLimit-Used, X-RateLimit-Resource, X-RateLimit-Reset, X-OAuth-Scopes, X-Accepted-OAuth-Scopes, " +
  "X-Poll-Interval, X-GitHub-Media-Type, X-GitHub-SSO, X-GitHub-Request-Id, Deprecation, Sunset";

/**
 * The answer to a CORS preflight, like api.github.com's.
 *
 * @example
 * ```ts
 * const headers = preflightHeaders();
 * ```
 */
export function preflightHeaders(): Record<string, string> {
  return {
    "access-control-allow-origin": "*",
    "access-control-allow-headers":
      "Authorization, Content-Type, If-Match, If-Modified-Since, If-None-Match, If-Unmodified-Since, " +
      "Accept-Encoding, X-GitHub-OTP, X-Requested-With, User-Agent, GraphQL-Features, " +
      "X-Github-Next-Global-ID, X-GitHub-Api-Version",
    "access-control-allow-methods": "GET, POST, PATCH, PUT, DELETE",
    "access-control-max-age": "86400",
    "access-control-expose-headers": CORS_EXPOSE,
  };
}

/** A page of a list, with the `Link` header that leads to the others. */
export interface Page<T> {
  items: T[];
  link: string | null;
}

/**
 * Reads `per_page` (default 30, at most 100) and `page` (default 1).
 * GitHub caps `per_page` at 100 rather than failing
 * (https://docs.github.com/rest/using-the-rest-api/using-pagination-in-the-rest-api).
 *
 * @example
 * ```ts
 * pageParams(new URLSearchParams("per_page=500")); // { perPage: 100, page: 1 }
 * ```
 */
export function pageParams(query: URLSearchParams): { perPage: number; page: number } {
  const perPage = clampInt(query.get("per_page"), 30, 1, 100);
  const page = clampInt(query.get("page"), 1, 1, Number.MAX_SAFE_INTEGER);
  return { perPage, page };
}

function clampInt(raw: string | null, fallback: number, min: number, max: number): number {
  if (raw === null || raw === "") return fallback;
  const n = Number.parseInt(raw, 10);
  if (!Number.isFinite(n)) return fallback;
  return Math.min(max, Math.max(min, n));
}

/**
 * Cuts one page out of `all` and builds the `Link` header (`next`, `last`,
 * `first`, `prev`) from the request URL, as GitHub does; no header when
 * everything fits on one page.
 *
 * @example
 * ```ts
 * const { items, link } = paginate([1, 2, 3], new URL("http://x/list?per_page=2"));
 * ```
 */
export function paginate<T>(all: readonly T[], url: URL): Page<T> {
  const { perPage, page } = pageParams(url.searchParams);
  const start = (page - 1) * perPage;
  const items = all.slice(start, start + perPage);
  const last = Math.max(1, Math.ceil(all.length / perPage));
  if (last === 1 && page === 1) return { items, link: null };
  const at = (n: number) => {
    const u = new URL(url);
    u.searchParams.set("page", String(n));
    if (url.searchParams.has("per_page")) u.searchParams.set("per_page", String(perPage));
    return `<${u.toString()}>`;
  };
  const parts: string[] = [];
  if (page > 1) parts.push(`${at(Math.min(page - 1, last))}; rel="prev"`);
  if (page < last) parts.push(`${at(page + 1)}; rel="next"`, `${at(last)}; rel="last"`);
  if (page > 1) parts.push(`${at(1)}; rel="first"`);
  return { items, link: parts.length > 0 ? parts.join(", ") : null };
}

/**
 * Parses an ISO 8601 timestamp query parameter, or throws GitHub's 422.
 *
 * @example
 * ```ts
 * parseSince("2024-01-01T00:00:00Z"); // 1704067200000
 * ```
 */
export function parseSince(raw: string | null): number | null {
  if (raw === null || raw === "") return null;
  const ms = Date.parse(raw);
  if (!Number.isFinite(ms)) {
    throw validationFailed({ resource: "Search", field: "since", code: "invalid", value: raw });
  }
  return ms;
}
