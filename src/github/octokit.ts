/**
 * The GitHub adapter: {@linkcode GitHub} over `@octokit/rest`, with
 * `@octokit/plugin-throttling` (rate limits), `@octokit/plugin-retry` (5xx and
 * network errors), an ETag cache for the comment list, nonce recovery for
 * comment posts, a per-request timeout and exact request accounting.
 *
 * GitHub documentation this relies on:
 * - Rate limits, primary and secondary, and what to do on each:
 *   https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api#exceeding-the-rate-limit
 *   and https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api#handle-rate-limit-errors-appropriately
 *   ("If the retry-after response header is present, you should not retry
 *   your request until after that many seconds has elapsed. If the
 *   x-ratelimit-remaining header is 0, you should not make another request
 *   until after the time specified by the x-ratelimit-reset header ...
 *   Otherwise, wait for at least one minute before retrying. If your request
 *   continues to fail due to a secondary rate limit, wait for an exponentially
 *   increasing amount of time between retries, and throw an error after a
 *   specific number of retries.")
 * - Conditional requests: a `304` answered to an authorised request does not
 *   count against the primary limit:
 *   https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api#use-conditional-requests-if-appropriate
 * - Pagination with the `Link` header (`rel="next"`), `per_page` at most 100:
 *   https://docs.github.com/en/rest/using-the-rest-api/using-pagination-in-the-rest-api
 * - Issue comments (`since` filters on update time):
 *   https://docs.github.com/en/rest/issues/comments#list-issue-comments
 * - Permissions of a user: https://docs.github.com/en/rest/collaborators/collaborators#get-repository-permissions-for-a-user
 * - A workflow token's permissions (`permissions:` key):
 *   https://docs.github.com/en/actions/writing-workflows/workflow-syntax-for-github-actions#permissions
 *
 * @module
 */
import { Octokit } from "@octokit/rest";
import { retry } from "@octokit/plugin-retry";
import { throttling, type ThrottlingOptions } from "@octokit/plugin-throttling";
import type { LogComment } from "../protocol/types.ts";
import type {
  ApiStats,
  CommentPage,
  GitHub,
  Identity,
  IssueInfo,
  LabelSpec,
  Permission,
  RateLimitStatus,
  ReactionContent,
  ReactionSubject,
  WorkflowGitHub,
} from "./port.ts";
import {
  type FailedRequest,
  GitHubError,
  OutcomeUnknownError,
  PermissionError,
  RateLimitError,
} from "./errors.ts";
import { type CachedPage, PageCache } from "./page_cache.ts";
import { followingPage, nextLink, type RestComment, toLogComment, toPermission } from "./rest.ts";
import { instrumentFetch, type RequestLog, Traffic } from "./traffic.ts";

/**
 * Comments per page: GitHub's maximum.
 *
 * @example
 * ```ts
 * const pages = Math.ceil(250 / PER_PAGE); // 3 requests for 250 comments
 * ```
 */
export const PER_PAGE = 100;

/**
 * GitHub's limit on a comment body, in characters.
 *
 * @example
 * ```ts
 * const fits = (body: string) => body.length <= MAX_COMMENT_LENGTH;
 * ```
 */
export const MAX_COMMENT_LENGTH = 65_536;

/**
 * The account GitHub shows as the author of what a workflow's `GITHUB_TOKEN`
 * writes. The adapter never assumes it: an installation token's identity is
 * learned from what it writes (see {@linkcode GitHub.identity}), so neither
 * another workflow's bot nor another App is ever taken for the swarm.
 *
 * @example
 * ```ts
 * const isActions = (login: string) => login === ACTIONS_BOT.login;
 * ```
 */
export const ACTIONS_BOT: Identity = { login: "github-actions[bot]", id: 41898282, type: "Bot" };

/**
 * What the adapter reports each time GitHub answers with a rate limit.
 *
 * @example
 * ```ts
 * const onRateLimit = (i: RateLimitInfo) => i.willRetry;
 * ```
 */
export interface RateLimitInfo {
  /** `primary` (hourly quota used up) or `secondary` (too fast or too much). */
  kind: "primary" | "secondary";
  /** HTTP method of the limited request. */
  method: string;
  /** Route template or URL of the limited request. */
  url: string;
  /** How long the adapter waits before retrying, or would have waited (ms, before `timeScale`). */
  waitMs: number;
  /** Retries of this request so far. */
  retryCount: number;
  /** Whether the adapter retries; when false the call throws {@linkcode RateLimitError}. */
  willRetry: boolean;
}

/**
 * Options of {@linkcode createGitHub}.
 *
 * @example
 * ```ts
 * const options: GitHubOptions = { token: "ghp_x", owner: "octo", repo: "demo" };
 * ```
 */
export interface GitHubOptions {
  /** A token: a workflow's `GITHUB_TOKEN`, a PAT, or an App installation token (or `tokenSource`). */
  token?: string;
  /** API root (default `https://api.github.com`; the emulator's URL in tests). */
  baseUrl?: string;
  /** Repository owner. */
  owner: string;
  /** Repository name. */
  repo: string;
  /** Product token sent in `User-Agent` (default `p2p-dev`). */
  userAgent?: string;
  /** The `fetch` to send requests with (default: the global one). */
  fetch?: typeof fetch;
  /** Per-request timeout covering headers and body, in ms (default 30 000). */
  timeoutMs?: number;
  /**
   * Retries per request (default 3): of reads after a 5xx or network error,
   * of any request after a rate limit, and of a comment post whose outcome
   * was unknown and whose nonce was not found.
   */
  retries?: number;
  /** Base of the backoff after a 5xx: waits (n+1)² × this, in ms (default 1000). */
  serverErrorRetryBaseMs?: number;
  /** Wait after a secondary limit without `retry-after`, doubling per retry, in ms (default 60 000). */
  minSecondaryWaitMs?: number;
  /** Longest primary-limit wait the adapter sits out; past it the call throws (ms, default 15 min). */
  maxRateLimitWaitMs?: number;
  /**
   * Multiplies every wait the adapter itself decides (rate limits, backoff,
   * pacing, recovery settle): below 1 to shrink time against an emulator
   * (default 1). GitHub's own answers are still reported unscaled.
   */
  timeScale?: number;
  /** How the adapter waits (default: a timer). Tests pass one that records and returns. */
  sleep?: (ms: number) => Promise<void>;
  /**
   * Minimum spacing of writes in ms. When this or `contentIntervalMs` is set,
   * this client paces its own writes; otherwise plugin-throttling's
   * process-wide pacing applies (1 s between writes).
   */
  writeIntervalMs?: number;
  /**
   * Minimum spacing of content-creating posts (comments, pull requests) in
   * ms; see `writeIntervalMs` (plugin-throttling's default is 3 s).
   */
  contentIntervalMs?: number;
  /** Wait before re-reading to look for a nonce after an unknown outcome, in ms (default 2000). */
  recoverySettleMs?: number;
  /** How far before the newest server time that re-read starts (`since`), in ms (default 5 min). */
  recoveryWindowMs?: number;
  /** Who the token is, when known (an App knows its bot): skips `GET /user`. */
  identity?: Identity;
  /**
   * The token is an installation token (a workflow's `GITHUB_TOKEN`, an
   * App's): its identity is asked of GraphQL's `viewer` first, sparing the
   * REST budget a `GET /user` that would answer 403.
   */
  installationToken?: boolean;
  /**
   * How requests are authenticated, instead of `token`: a function that
   * returns the token to send now (an App's installation token, refreshed
   * before it expires), and may be told that GitHub refused one.
   */
  tokenSource?: TokenSource;
  /** Pages the ETag cache holds (default 256). */
  cacheLimit?: number;
  /** Where to record every HTTP exchange. */
  requestLog?: RequestLog;
  /** Called on every rate-limited answer, for logging. */
  onRateLimit?: (info: RateLimitInfo) => void;
}

/**
 * A token that changes over time (GitHub App installation tokens last an
 * hour): `token()` returns the one to use now; `refused()` says GitHub
 * answered 401 to it, so the next call mints a new one.
 *
 * @example
 * ```ts
 * const fixed: TokenSource = { token: () => Promise.resolve("ghs_x"), refused: () => {} };
 * ```
 */
export interface TokenSource {
  token(): Promise<string>;
  refused(token: string): void;
}

const ThrottledOctokit = Octokit.plugin(retry, throttling);
type Client = InstanceType<typeof ThrottledOctokit>;

/** What an operation is, for error messages. */
interface Op {
  /** Completes "Cannot …", e.g. `post a comment on issue #7`. */
  what: string;
  /** The workflow permission it needs, as written under `permissions:`. */
  permission: string;
  request: FailedRequest;
}

/** The parts of an Octokit `RequestError` the adapter reads. */
interface HttpFailure {
  status: number;
  message: string;
  response?: { headers: Record<string, string | number | undefined>; data?: unknown };
}

function httpFailure(error: unknown): HttpFailure | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const status = (error as { status?: unknown }).status;
  return typeof status === "number" ? error as HttpFailure : undefined;
}

/** GitHub's own message of a failed answer, without Octokit's documentation suffix. */
function githubMessage(failure: HttpFailure): string {
  const data = failure.response?.data;
  if (typeof data === "object" && data !== null) {
    const { message, errors } = data as { message?: unknown; errors?: unknown };
    if (typeof message === "string") {
      // Validation failures carry the reason in `errors[].message`.
      const details = Array.isArray(errors)
        ? errors.map((e) => (e as { message?: unknown })?.message).filter((m) =>
          typeof m === "string"
        )
        : [];
      return details.length > 0 ? `${message}: ${details.join("; ")}` : message;
    }
  }
  if (typeof data === "string" && data !== "") return data;
  return failure.message;
}

function header(failure: HttpFailure, name: string): string | undefined {
  const value = failure.response?.headers[name];
  return value === undefined ? undefined : String(value);
}

/** A 5xx, a network error or a timeout: a write may or may not have taken effect. */
function isOutcomeUnknown(error: unknown): boolean {
  const failure = httpFailure(error);
  return failure !== undefined && failure.status >= 500 && failure.status < 600;
}

function isRateLimited(failure: HttpFailure): boolean {
  if (failure.status === 429) return true;
  if (failure.status !== 403) return false;
  return header(failure, "x-ratelimit-remaining") === "0" ||
    header(failure, "retry-after") !== undefined || /rate limit/i.test(githubMessage(failure));
}

function dateOf(headers: Record<string, string | number | undefined> | undefined): number {
  const ms = Date.parse(String(headers?.["date"] ?? ""));
  return Number.isFinite(ms) ? ms : 0;
}

function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!(value >= 0) || !Number.isFinite(value)) {
    throw new RangeError(
      `Option ${name} must be a finite number ≥ 0, got ${value}: fix the value.`,
    );
  }
  return value;
}

function issueNumber(issue: number): number {
  if (!Number.isSafeInteger(issue) || issue <= 0) {
    throw new RangeError(
      `Issue number must be a positive integer, got ${issue}: pass the issue's number.`,
    );
  }
  return issue;
}

/**
 * Paces requests like a Bottleneck group with `maxConcurrent: 1` and
 * `minTime`, in the shape plugin-throttling calls (`key(id).schedule(...)`).
 * Used only when the caller sets its own write spacing.
 */
class Pacer {
  #next = 0;
  constructor(readonly intervalMs: number, readonly sleep: (ms: number) => Promise<void>) {}
  key(_id: string): Pacer {
    return this;
  }
  async schedule<T>(
    _options: unknown,
    task: (...args: unknown[]) => T | Promise<T>,
    ...args: unknown[]
  ): Promise<T> {
    if (this.intervalMs > 0) {
      const now = Date.now();
      const start = Math.max(now, this.#next);
      this.#next = start + this.intervalMs;
      if (start > now) await this.sleep(start - now);
    }
    return await task(...args);
  }
}

class OctokitGitHub implements GitHub, WorkflowGitHub {
  readonly #octokit: Client;
  readonly #owner: string;
  readonly #repo: string;
  readonly #baseUrl: string;
  readonly #traffic: Traffic;
  readonly #cache: PageCache;
  readonly #retries: number;
  readonly #scale: number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #serverErrorRetryBaseMs: number;
  readonly #minSecondaryWaitMs: number;
  readonly #maxRateLimitWaitMs: number;
  readonly #recoverySettleMs: number;
  readonly #recoveryWindowMs: number;
  readonly #fixedIdentity: Identity | undefined;
  readonly #onRateLimit: ((info: RateLimitInfo) => void) | undefined;
  #identity: Promise<Identity | undefined> | undefined;
  readonly #installation: boolean;
  /** Learned from the author of something this client created. */
  #learned: Identity | undefined;
  readonly repository: { owner: string; repo: string };

  constructor(options: GitHubOptions) {
    if (!options.token && !options.tokenSource) {
      throw new TypeError("A GitHub token is required: pass options.token (e.g. GITHUB_TOKEN).");
    }
    if (!options.owner || !options.repo) {
      throw new TypeError(
        `Repository "${options.owner}/${options.repo}" is incomplete: pass both owner and repo.`,
      );
    }
    this.#owner = options.owner;
    this.#repo = options.repo;
    this.repository = { owner: options.owner, repo: options.repo };
    this.#baseUrl = (options.baseUrl ?? "https://api.github.com").replace(/\/+$/, "");
    this.#retries = nonNegative("retries", options.retries, 3);
    this.#scale = nonNegative("timeScale", options.timeScale, 1);
    this.#serverErrorRetryBaseMs = nonNegative(
      "serverErrorRetryBaseMs",
      options.serverErrorRetryBaseMs,
      1000,
    );
    this.#minSecondaryWaitMs = nonNegative(
      "minSecondaryWaitMs",
      options.minSecondaryWaitMs,
      60_000,
    );
    this.#maxRateLimitWaitMs = nonNegative(
      "maxRateLimitWaitMs",
      options.maxRateLimitWaitMs,
      15 * 60_000,
    );
    this.#recoverySettleMs = nonNegative("recoverySettleMs", options.recoverySettleMs, 2000);
    this.#recoveryWindowMs = nonNegative("recoveryWindowMs", options.recoveryWindowMs, 5 * 60_000);
    const timeoutMs = nonNegative("timeoutMs", options.timeoutMs, 30_000);
    if (timeoutMs === 0) {
      throw new RangeError(
        "Option timeoutMs must be above 0, got 0: pass the per-request timeout in ms.",
      );
    }
    this.#sleep = options.sleep ??
      ((ms) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms))));
    this.#fixedIdentity = options.identity;
    this.#installation = options.installationToken ?? options.tokenSource !== undefined;
    this.#onRateLimit = options.onRateLimit;
    this.#traffic = new Traffic(options.requestLog);
    this.#cache = new PageCache(options.cacheLimit ?? 256);

    const paced = options.writeIntervalMs !== undefined || options.contentIntervalMs !== undefined;
    const pacing = paced
      ? {
        write: new Pacer(
          nonNegative("writeIntervalMs", options.writeIntervalMs, 1000) * this.#scale,
          this.#sleep,
        ),
        notifications: new Pacer(
          nonNegative("contentIntervalMs", options.contentIntervalMs, 3000) * this.#scale,
          this.#sleep,
        ),
      }
      : {};
    const silent = () => {};
    const source = options.tokenSource;
    this.#octokit = new ThrottledOctokit({
      ...(source ? { authStrategy: () => sourceAuth(source) } : { auth: options.token }),
      baseUrl: this.#baseUrl,
      userAgent: options.userAgent ?? "p2p-dev",
      log: { debug: silent, info: silent, warn: silent, error: silent },
      request: { fetch: instrumentFetch(options.fetch ?? fetch, this.#traffic, timeoutMs) },
      retry: {
        retries: this.#retries,
        retryAfterBaseValue: this.#serverErrorRetryBaseMs * this.#scale,
        // 403 and 429 belong to plugin-throttling; 422 needs the caller's judgement.
        doNotRetry: [400, 401, 403, 404, 410, 422, 429, 451],
      },
      throttle: {
        // The handlers below do all the waiting (so that it is exact, scaled and
        // testable); the plugin itself retries at once when they say so.
        retryAfterBaseValue: 0,
        // 0 tells the secondary handler that the answer had no retry-after.
        fallbackSecondaryRateRetryAfter: 0,
        onRateLimit: (
          retryAfter: number,
          req: { method: string; url: string },
          _o: unknown,
          n: number,
        ) => this.#onPrimaryLimit(retryAfter, req, n),
        onSecondaryRateLimit: (
          retryAfter: number,
          req: { method: string; url: string },
          _o: unknown,
          n: number,
        ) => this.#onSecondaryLimit(retryAfter, req, n),
        ...pacing,
      } as unknown as ThrottlingOptions,
    });
  }

  // --- rate limits ---------------------------------------------------------

  #report(info: RateLimitInfo): void {
    try {
      this.#onRateLimit?.(info);
    } catch {
      // A logging callback must not change what the client does.
    }
  }

  /**
   * Primary limit (`x-ratelimit-remaining: 0`): wait until `x-ratelimit-reset`
   * by the server's clock (the answer's `Date`), plus a second, unless that
   * is longer than `maxRateLimitWaitMs`.
   */
  async #onPrimaryLimit(
    retryAfterSeconds: number,
    req: { method: string; url: string },
    retryCount: number,
  ): Promise<boolean> {
    const last = this.#traffic.lastPrimaryLimit;
    const waitMs = last !== undefined && Number.isFinite(last.serverDateMs)
      ? Math.max(0, last.resetMs - last.serverDateMs) + 1000
      : retryAfterSeconds * 1000;
    const willRetry = retryCount < this.#retries && waitMs <= this.#maxRateLimitWaitMs;
    this.#report({
      kind: "primary",
      method: req.method,
      url: req.url,
      waitMs,
      retryCount,
      willRetry,
    });
    if (willRetry) await this.#sleep(waitMs * this.#scale);
    return willRetry;
  }

  /**
   * Secondary limit: honour `retry-after`; without it wait at least
   * `minSecondaryWaitMs` (a minute), doubling on every further retry.
   */
  async #onSecondaryLimit(
    retryAfterSeconds: number,
    req: { method: string; url: string },
    retryCount: number,
  ): Promise<boolean> {
    const waitMs = retryAfterSeconds > 0
      ? retryAfterSeconds * 1000
      : this.#minSecondaryWaitMs * 2 ** retryCount;
    const willRetry = retryCount < this.#retries;
    this.#report({
      kind: "secondary",
      method: req.method,
      url: req.url,
      waitMs,
      retryCount,
      willRetry,
    });
    if (willRetry) await this.#sleep(waitMs * this.#scale);
    return willRetry;
  }

  // --- errors --------------------------------------------------------------

  #op(what: string, permission: string, method: string, path: string): Op {
    return { what, permission, request: { method, url: `${this.#baseUrl}${path}` } };
  }

  #error(error: unknown, op: Op): Error {
    if (error instanceof GitHubError) return error;
    const failure = httpFailure(error);
    const base = { request: op.request, cause: error };
    if (failure === undefined) {
      const text = error instanceof Error ? error.message : String(error);
      return new GitHubError(`Cannot ${op.what}: ${text}`, base);
    }
    const said = githubMessage(failure);
    const status = failure.status;
    const options = { ...base, status };
    if (status === 403 && /not accessible by integration/i.test(said)) {
      return new PermissionError(
        `Cannot ${op.what}: GitHub answered 403 "${said}", so the token lacks the ` +
          `"${op.permission}" permission. Add "${op.permission}" under "permissions:" in the ` +
          `workflow job, or use a token that has it.`,
        op.permission,
        options,
      );
    }
    if (isRateLimited(failure)) {
      const primary = header(failure, "x-ratelimit-remaining") === "0" && !/secondary/i.test(said);
      const retryAfter = Number(header(failure, "retry-after"));
      const reset = Number(header(failure, "x-ratelimit-reset"));
      const date = dateOf(failure.response?.headers);
      const retryAfterMs = retryAfter > 0
        ? retryAfter * 1000
        : reset > 0 && date > 0
        ? Math.max(0, reset * 1000 - date) + 1000
        : undefined;
      const wait = retryAfterMs === undefined
        ? "Wait at least a minute"
        : `Wait ${Math.ceil(retryAfterMs / 1000)} s`;
      return new RateLimitError(
        `Cannot ${op.what}: GitHub's ${primary ? "primary" : "secondary"} rate limit applies ` +
          `(${status} "${said}") and the client stopped retrying (at most ${this.#retries} ` +
          `retries, primary-limit waits up to ${Math.round(this.#maxRateLimitWaitMs / 1000)} s). ` +
          `${wait} before retrying, and poll or write less often.`,
        primary ? "primary" : "secondary",
        retryAfterMs,
        options,
      );
    }
    if (status >= 500) {
      const what = failure.response === undefined ? "no answer" : `${status}`;
      return new GitHubError(
        `Cannot ${op.what}: GitHub failed with ${what} ("${said}") after ${this.#retries} ` +
          `retries. Retry later; if it persists, check baseUrl "${this.#baseUrl}" and the network.`,
        options,
      );
    }
    if (status === 401) {
      return new GitHubError(
        `Cannot ${op.what}: GitHub answered 401 "${said}": the token is missing, invalid or ` +
          `expired. Pass a valid token.`,
        options,
      );
    }
    if (status === 404) {
      return new GitHubError(
        `Cannot ${op.what}: GitHub answered 404 "${said}": check that it exists in ` +
          `"${this.#owner}/${this.#repo}" and that the token can see that repository.`,
        options,
      );
    }
    return new GitHubError(`Cannot ${op.what}: GitHub answered ${status} "${said}".`, options);
  }

  async #backoff(attempt: number): Promise<void> {
    await this.#sleep(this.#serverErrorRetryBaseMs * (attempt + 1) ** 2 * this.#scale);
  }

  // --- reads ---------------------------------------------------------------

  identity(): Promise<Identity | undefined> {
    if (this.#learned) return Promise.resolve(this.#learned);
    this.#identity ??= this.#readIdentity().catch((error) => {
      this.#identity = undefined;
      throw error;
    });
    return this.#identity.then((known) => known ?? this.#learned);
  }

  async #readIdentity(): Promise<Identity | undefined> {
    if (this.#fixedIdentity !== undefined) return this.#fixedIdentity;
    // An installation token asks GraphQL's `viewer` first: it answers with
    // the token's bot (https://docs.github.com/en/graphql/reference/queries#viewer)
    // and spends GraphQL's own points, not the REST budget a workflow's
    // GITHUB_TOKEN shares with every job; `GET /user` would refuse it anyway.
    if (this.#installation) {
      const viewer = await this.#viewer();
      if (viewer) return viewer;
    }
    const op = this.#op("read the token's identity", "(none)", "GET", "/user");
    try {
      const { data } = await this.#octokit.rest.users.getAuthenticated();
      return { login: data.login, id: data.id, type: data.type };
    } catch (error) {
      const failure = httpFailure(error);
      // Installation tokens (GITHUB_TOKEN, an App's) may not read /user:
      // https://docs.github.com/en/rest/users/users#get-the-authenticated-user
      // lists no installation access. GraphQL names them (unless asked
      // already); failing that, their first comment shows who they are.
      if (
        failure?.status === 403 && /not accessible by integration/i.test(githubMessage(failure))
      ) {
        return this.#installation ? undefined : await this.#viewer();
      }
      throw this.#error(error, op);
    }
  }

  /** GraphQL `viewer`: the login behind the token; `undefined` when GraphQL does not answer it. */
  async #viewer(): Promise<Identity | undefined> {
    const op = this.#op("read the token's identity", "(none)", "POST", "/graphql");
    try {
      const data = await this.#octokit.graphql<
        { viewer?: { login?: unknown; databaseId?: unknown; __typename?: unknown } }
      >("query { viewer { login databaseId __typename } }");
      const v = data.viewer;
      if (typeof v?.login !== "string" || v.login === "") return undefined;
      return {
        login: v.login,
        id: typeof v.databaseId === "number" ? v.databaseId : 0,
        type: typeof v.__typename === "string" ? v.__typename : "Bot",
      };
    } catch (error) {
      const failure = httpFailure(error);
      // A GraphQL error (e.g. a server that does not offer the query) or a
      // refusal: the identity shows on the first comment this client writes.
      if (failure === undefined || failure.status === 403 || failure.status === 404) {
        if (failure === undefined && !(error as { errors?: unknown })?.errors) {
          throw this.#error(error, op);
        }
        return undefined;
      }
      throw this.#error(error, op);
    }
  }

  /** Remembers the author of something this client created: that is the token's identity. */
  #learn(user: { login?: string; id?: number; type?: string } | null | undefined): void {
    if (this.#learned || this.#fixedIdentity || !user?.login) return;
    this.#learned = { login: user.login, id: user.id ?? 0, type: user.type ?? "User" };
  }

  async getComment(id: number): Promise<LogComment | null> {
    const path = this.#repoPath(`/issues/comments/${id}`);
    const op = this.#op(`read comment ${id}`, "issues: read", "GET", path);
    try {
      const { data } = await this.#octokit.rest.issues.getComment({
        owner: this.#owner,
        repo: this.#repo,
        comment_id: id,
      });
      return toLogComment(data as RestComment);
    } catch (error) {
      if (httpFailure(error)?.status === 404) return null;
      throw this.#error(error, op);
    }
  }

  async getIssue(issue: number): Promise<IssueInfo> {
    const n = issueNumber(issue);
    const op = this.#op(`read issue #${n}`, "issues: read", "GET", this.#repoPath(`/issues/${n}`));
    try {
      const { data } = await this.#octokit.rest.issues.get({
        owner: this.#owner,
        repo: this.#repo,
        issue_number: n,
      });
      return {
        number: data.number,
        title: data.title,
        body: data.body ?? "",
        state: data.state,
        labels: data.labels
          .map((label) => typeof label === "string" ? label : label.name ?? "")
          .filter((name) => name !== ""),
        author: data.user?.login ?? "ghost",
        url: data.html_url,
        ...(data.pull_request ? { pullRequest: true } : {}),
      };
    } catch (error) {
      throw this.#error(error, op);
    }
  }

  async listOpenIssues(label: string): Promise<IssueInfo[]> {
    const op = this.#op(
      `list open issues labelled "${label}"`,
      "issues: read",
      "GET",
      this.#repoPath(`/issues?state=open&labels=${encodeURIComponent(label)}`),
    );
    try {
      // https://docs.github.com/rest/issues/issues#list-repository-issues:
      // pull requests are issues too; they carry a `pull_request` key.
      const data = await this.#octokit.paginate(this.#octokit.rest.issues.listForRepo, {
        owner: this.#owner,
        repo: this.#repo,
        state: "open",
        labels: label,
        per_page: 100,
      });
      return data.filter((i) => !i.pull_request).map((i) => ({
        number: i.number,
        title: i.title,
        body: i.body ?? "",
        state: i.state,
        labels: i.labels.map((l) => typeof l === "string" ? l : l.name ?? "").filter(Boolean),
        author: i.user?.login ?? "ghost",
        url: i.html_url,
      })).sort((a, b) => a.number - b.number);
    } catch (error) {
      throw this.#error(error, op);
    }
  }

  #repoPath(rest: string): string {
    return `/repos/${encodeURIComponent(this.#owner)}/${encodeURIComponent(this.#repo)}${rest}`;
  }

  async listComments(issue: number, since?: string): Promise<CommentPage> {
    const n = issueNumber(issue);
    if (since !== undefined && !Number.isFinite(Date.parse(since))) {
      throw new RangeError(
        `Cannot list comments since "${since}": pass an ISO 8601 time such as "2025-01-01T00:00:00Z".`,
      );
    }
    const query = new URLSearchParams({ per_page: String(PER_PAGE) });
    if (since !== undefined) query.set("since", since);
    const path = this.#repoPath(`/issues/${n}/comments`);
    const op = this.#op(`list the comments of issue #${n}`, "issues: read", "GET", path);
    const byId = new Map<number, LogComment>();
    const visited = new Set<string>();
    let url: string | undefined = `${this.#baseUrl}${path}?${query}`;
    let serverTime = 0;
    let notModified = true;
    while (url !== undefined) {
      if (visited.has(url)) {
        throw new GitHubError(
          `Cannot ${op.what}: the pagination links loop back to "${url}". Check the server at ` +
            `baseUrl "${this.#baseUrl}".`,
          { request: { method: "GET", url } },
        );
      }
      visited.add(url);
      const cached = this.#cache.get(url);
      let page: CachedPage;
      try {
        const response = await this.#octokit.request({
          method: "GET",
          url,
          headers: cached === undefined ? {} : { "if-none-match": cached.etag },
        });
        serverTime = Math.max(serverTime, dateOf(response.headers));
        if (!Array.isArray(response.data)) {
          throw new GitHubError(
            `Cannot ${op.what}: the answer to "${url}" is not a JSON array. Check the server at ` +
              `baseUrl "${this.#baseUrl}".`,
            { status: response.status, request: { method: "GET", url } },
          );
        }
        page = {
          etag: String(response.headers.etag ?? ""),
          comments: (response.data as RestComment[]).map(toLogComment),
          next: nextLink(response.headers.link),
        };
        if (page.etag !== "") this.#cache.set(url, page);
        else this.#cache.delete(url);
        notModified = false;
      } catch (error) {
        const failure = httpFailure(error);
        // Octokit throws on 304; the cached page (body and next link) stands.
        if (failure?.status === 304 && cached !== undefined) {
          serverTime = Math.max(serverTime, dateOf(failure.response?.headers));
          page = cached;
          // A full last page answers 304 even when a page was added after it
          // (its body is unchanged; only its Link header would say so): look.
          if (page.next === undefined && page.comments.length >= PER_PAGE) {
            page = { ...page, next: followingPage(url) };
          }
        } else {
          throw this.#error(error, { ...op, request: { method: "GET", url } });
        }
      }
      for (const comment of page.comments) {
        const seen = byId.get(comment.id);
        if (seen === undefined || comment.updatedAt >= seen.updatedAt) {
          byId.set(comment.id, comment);
        }
      }
      url = page.next;
    }
    return {
      comments: [...byId.values()].sort((a, b) => a.id - b.id),
      serverTime: serverTime || this.#traffic.newestServerTime,
      notModified,
    };
  }

  async permission(user: string): Promise<Permission> {
    const path = this.#repoPath(`/collaborators/${encodeURIComponent(user)}/permission`);
    const op = this.#op(`read the permission of "${user}"`, "metadata: read", "GET", path);
    try {
      const { data } = await this.#octokit.rest.repos.getCollaboratorPermissionLevel({
        owner: this.#owner,
        repo: this.#repo,
        username: user,
      });
      return toPermission(data);
    } catch (error) {
      if (httpFailure(error)?.status === 404) return "none";
      throw this.#error(error, op);
    }
  }

  async branchSha(branch: string): Promise<string> {
    const path = this.#repoPath(`/branches/${encodeURIComponent(branch)}`);
    const op = this.#op(`read branch "${branch}"`, "contents: read", "GET", path);
    try {
      const { data } = await this.#octokit.rest.repos.getBranch({
        owner: this.#owner,
        repo: this.#repo,
        branch,
      });
      return data.commit.sha;
    } catch (error) {
      throw this.#error(error, op);
    }
  }

  async defaultBranch(): Promise<string> {
    const op = this.#op("read the repository", "metadata: read", "GET", this.#repoPath(""));
    try {
      const { data } = await this.#octokit.rest.repos.get({ owner: this.#owner, repo: this.#repo });
      return data.default_branch;
    } catch (error) {
      throw this.#error(error, op);
    }
  }

  // --- writes --------------------------------------------------------------

  async createComment(issue: number, body: string, nonce: string): Promise<LogComment> {
    const n = issueNumber(issue);
    if (nonce === "" || !body.includes(nonce)) {
      throw new TypeError(
        `Cannot post a comment whose body lacks its nonce "${nonce}": put the nonce in the body, ` +
          `so that a retry after a timeout can find the comment instead of posting it twice.`,
      );
    }
    if (body.length > MAX_COMMENT_LENGTH) {
      throw new RangeError(
        `Cannot post a comment of ${body.length} characters on issue #${n}: GitHub takes at most ` +
          `${MAX_COMMENT_LENGTH}. Split the message.`,
      );
    }
    const path = this.#repoPath(`/issues/${n}/comments`);
    const op = this.#op(`post a comment on issue #${n}`, "issues: write", "POST", path);
    let unknown: unknown = undefined;
    for (let attempt = 0; attempt <= this.#retries; attempt++) {
      if (unknown !== undefined) {
        const found = await this.#recover(n, nonce, op, unknown);
        if (found !== undefined) return found;
      }
      try {
        const { data } = await this.#octokit.rest.issues.createComment({
          owner: this.#owner,
          repo: this.#repo,
          issue_number: n,
          body,
          // Never let plugin-retry repeat this POST blindly: a 5xx or a timeout
          // may have created the comment. Recovery below looks for the nonce.
          request: { retries: 0 },
        });
        this.#learn(data.user);
        return toLogComment(data as RestComment);
      } catch (error) {
        if (!isOutcomeUnknown(error)) throw this.#error(error, op);
        unknown = error;
      }
    }
    const found = await this.#recover(n, nonce, op, unknown);
    if (found !== undefined) return found;
    const last = httpFailure(unknown);
    throw new OutcomeUnknownError(
      `Cannot ${op.what}: ${this.#retries + 1} attempts failed (last: ${
        last === undefined ? String(unknown) : `${last.status} "${githubMessage(last)}"`
      }) and no comment carries nonce "${nonce}". Retry later with the same nonce; it makes a ` +
        `repeat safe.`,
      { request: op.request, cause: unknown, status: last?.status },
    );
  }

  /**
   * After a post with an unknown outcome: wait for the list to settle, re-read
   * the recent comments and return ours carrying `nonce`, if any.
   */
  async #recover(
    issue: number,
    nonce: string,
    op: Op,
    cause: unknown,
  ): Promise<LogComment | undefined> {
    await this.#sleep(this.#recoverySettleMs * this.#scale);
    const newest = this.#traffic.newestServerTime;
    const since = newest > 0 ? isoSeconds(newest - this.#recoveryWindowMs) : undefined;
    let me: Identity | undefined;
    let page: CommentPage;
    try {
      me = await this.identity();
      page = await this.listComments(issue, since);
    } catch (error) {
      throw new OutcomeUnknownError(
        `Cannot ${op.what}: the post failed with an unknown outcome and re-reading the comments ` +
          `to look for nonce "${nonce}" failed too. Retry later with the same nonce.`,
        { request: op.request, cause: new AggregateError([cause, error]) },
      );
    }
    // An installation token that never wrote does not know its login yet: the
    // nonce (128 random bits, unseen before this post) is what identifies ours.
    const login = me?.login.toLowerCase();
    const found = page.comments.find((c) =>
      (login === undefined || c.author.toLowerCase() === login) && c.body.includes(nonce)
    );
    if (found && !me) this.#learned = { login: found.author, id: 0, type: found.authorType };
    return found;
  }

  async updateComment(id: number, body: string): Promise<LogComment> {
    if (body.length > MAX_COMMENT_LENGTH) {
      throw new RangeError(
        `Cannot set comment ${id} to ${body.length} characters: GitHub takes at most ` +
          `${MAX_COMMENT_LENGTH}. Shorten the message.`,
      );
    }
    const path = this.#repoPath(`/issues/comments/${id}`);
    const op = this.#op(`edit comment ${id}`, "issues: write", "PATCH", path);
    try {
      // Idempotent: plugin-retry may repeat it after a 5xx.
      const { data } = await this.#octokit.rest.issues.updateComment({
        owner: this.#owner,
        repo: this.#repo,
        comment_id: id,
        body,
      });
      return toLogComment(data as RestComment);
    } catch (error) {
      throw this.#error(error, op);
    }
  }

  async deleteComment(id: number): Promise<boolean> {
    const path = this.#repoPath(`/issues/comments/${id}`);
    const op = this.#op(`delete comment ${id}`, "issues: write", "DELETE", path);
    try {
      // https://docs.github.com/rest/issues/comments#delete-an-issue-comment
      // answers 204; a repeat (plugin-retry after a 5xx) answers 404.
      await this.#octokit.rest.issues.deleteComment({
        owner: this.#owner,
        repo: this.#repo,
        comment_id: id,
      });
      return true;
    } catch (error) {
      if (httpFailure(error)?.status === 404) return false;
      throw this.#error(error, op);
    }
  }

  async createRef(ref: string, sha: string): Promise<boolean> {
    const full = ref.startsWith("refs/") ? ref : `refs/${ref}`;
    const op = this.#op(
      `create ref "${full}"`,
      "contents: write",
      "POST",
      this.#repoPath("/git/refs"),
    );
    let unknown: unknown = undefined;
    for (let attempt = 0; attempt <= this.#retries; attempt++) {
      if (attempt > 0) await this.#backoff(attempt - 1);
      try {
        // Not retried by plugin-retry: a repeat after a lost 201 would answer
        // 422 and turn a win into a loss.
        await this.#octokit.rest.git.createRef({
          owner: this.#owner,
          repo: this.#repo,
          ref: full,
          sha,
          request: { retries: 0 },
        });
        return true;
      } catch (error) {
        const failure = httpFailure(error);
        const said = failure === undefined ? "" : githubMessage(failure);
        if (failure?.status === 422 && /already exists/i.test(said)) {
          if (unknown === undefined) return false;
          return await this.#settleRefRace(full, sha, op);
        }
        // "Reference update failed" is a transient fault, not a lost race.
        if (failure?.status === 422 && /reference update failed/i.test(said)) continue;
        if (isOutcomeUnknown(error)) {
          unknown = error;
          continue;
        }
        throw this.#error(error, op);
      }
    }
    throw new OutcomeUnknownError(
      `Cannot ${op.what}: ${this.#retries + 1} attempts failed with transient errors. Retry later.`,
      { request: op.request, cause: unknown },
    );
  }

  /**
   * The ref exists after an attempt of ours had an unknown outcome. If it
   * points elsewhere someone else made it; at our SHA it is ours (callers
   * that must tell refs apart point each at an object of their own).
   */
  async #settleRefRace(full: string, sha: string, op: Op): Promise<boolean> {
    const found = await this.#readRef(full.slice("refs/".length), op);
    return found === sha;
  }

  async #readRef(short: string, op: Op): Promise<string | undefined> {
    try {
      const { data } = await this.#octokit.rest.git.getRef({
        owner: this.#owner,
        repo: this.#repo,
        ref: short,
      });
      return data.object.sha;
    } catch (error) {
      if (httpFailure(error)?.status === 404) return undefined;
      throw this.#error(error, {
        ...op,
        what: `read ref "refs/${short}"`,
        permission: "contents: read",
      });
    }
  }

  async getRef(ref: string): Promise<string | undefined> {
    const short = ref.startsWith("refs/") ? ref.slice("refs/".length) : ref;
    return await this.#readRef(
      short,
      this.#op(
        `read ref "refs/${short}"`,
        "contents: read",
        "GET",
        this.#repoPath(`/git/ref/${short}`),
      ),
    );
  }

  async commitTree(sha: string): Promise<string> {
    const op = this.#op(
      `read commit "${sha}"`,
      "contents: read",
      "GET",
      this.#repoPath(`/git/commits/${sha}`),
    );
    try {
      const { data } = await this.#octokit.rest.git.getCommit({
        owner: this.#owner,
        repo: this.#repo,
        commit_sha: sha,
      });
      return data.tree.sha;
    } catch (error) {
      throw this.#error(error, op);
    }
  }

  async createCommit(
    commit: { message: string; tree: string; parents: string[] },
  ): Promise<string> {
    const op = this.#op(
      "create a commit object",
      "contents: write",
      "POST",
      this.#repoPath("/git/commits"),
    );
    try {
      // Retried after a 5xx: a repeat only makes another unreferenced object.
      const { data } = await this.#octokit.rest.git.createCommit({
        owner: this.#owner,
        repo: this.#repo,
        message: commit.message,
        tree: commit.tree,
        parents: commit.parents,
      });
      return data.sha;
    } catch (error) {
      throw this.#error(error, op);
    }
  }

  async rateLimit(): Promise<RateLimitStatus> {
    const op = this.#op("read the rate limit", "(none)", "GET", "/rate_limit");
    try {
      const { data } = await this.#octokit.rest.rateLimit.get();
      const core = data.resources.core;
      return { limit: core.limit, remaining: core.remaining, resetAt: core.reset * 1000 };
    } catch (error) {
      throw this.#error(error, op);
    }
  }

  async deleteRef(ref: string): Promise<void> {
    const short = ref.startsWith("refs/") ? ref.slice("refs/".length) : ref;
    const op = this.#op(
      `delete ref "refs/${short}"`,
      "contents: write",
      "DELETE",
      this.#repoPath(`/git/refs/${short}`),
    );
    try {
      await this.#octokit.rest.git.deleteRef({ owner: this.#owner, repo: this.#repo, ref: short });
    } catch (error) {
      const status = httpFailure(error)?.status;
      // 422 "Reference does not exist" and 404: already gone, which is what we wanted.
      if (status === 404 || status === 422) return;
      throw this.#error(error, op);
    }
  }

  async createPullRequest(
    pr: { title: string; head: string; base: string; body: string; draft: boolean },
  ): Promise<string> {
    const op = this.#op(
      `open a pull request from "${pr.head}" into "${pr.base}"`,
      "pull-requests: write",
      "POST",
      this.#repoPath("/pulls"),
    );
    let unknown: unknown = undefined;
    for (let attempt = 0; attempt <= this.#retries; attempt++) {
      if (unknown !== undefined) {
        await this.#backoff(attempt - 1);
        const existing = await this.#findPullRequest(pr.head, pr.base, op);
        if (existing !== undefined) return existing;
      }
      try {
        const { data } = await this.#octokit.rest.pulls.create({
          owner: this.#owner,
          repo: this.#repo,
          title: pr.title,
          head: pr.head,
          base: pr.base,
          body: pr.body,
          draft: pr.draft,
          request: { retries: 0 },
        });
        return data.html_url;
      } catch (error) {
        const failure = httpFailure(error);
        if (failure?.status === 422 && /already exists/i.test(githubMessage(failure))) {
          const existing = await this.#findPullRequest(pr.head, pr.base, op);
          if (existing !== undefined) return existing;
        }
        if (!isOutcomeUnknown(error)) throw this.#error(error, op);
        unknown = error;
      }
    }
    throw new OutcomeUnknownError(
      `Cannot ${op.what}: ${this.#retries + 1} attempts failed with an unknown outcome and no ` +
        `open pull request was found for it. Retry later.`,
      { request: op.request, cause: unknown },
    );
  }

  async #findPullRequest(head: string, base: string, op: Op): Promise<string | undefined> {
    try {
      const { data } = await this.#octokit.rest.pulls.list({
        owner: this.#owner,
        repo: this.#repo,
        head: head.includes(":") ? head : `${this.#owner}:${head}`,
        base,
        state: "open",
      });
      return data[0]?.html_url;
    } catch (error) {
      throw this.#error(error, { ...op, what: `look for ${op.what.replace(/^open /, "")}` });
    }
  }

  // --- workflow commands (trigger, init) ------------------------------------

  async react(subject: ReactionSubject, content: ReactionContent): Promise<void> {
    const isIssue = "issue" in subject;
    const path = isIssue
      ? this.#repoPath(`/issues/${issueNumber(subject.issue)}/reactions`)
      : this.#repoPath(`/issues/comments/${subject.comment}/reactions`);
    const what = isIssue
      ? `react to issue #${subject.issue}`
      : `react to comment ${subject.comment}`;
    const op = this.#op(what, "issues: write", "POST", path);
    try {
      // https://docs.github.com/rest/reactions/reactions#create-reaction-for-an-issue
      await this.#octokit.request({ method: "POST", url: `${this.#baseUrl}${path}`, content });
    } catch (error) {
      throw this.#error(error, op);
    }
  }

  async createLabel(label: LabelSpec): Promise<boolean> {
    const path = this.#repoPath("/labels");
    const op = this.#op(`create the label "${label.name}"`, "issues: write", "POST", path);
    try {
      // https://docs.github.com/rest/issues/labels#create-a-label
      await this.#octokit.rest.issues.createLabel({
        owner: this.#owner,
        repo: this.#repo,
        name: label.name,
        color: label.color,
        description: label.description,
      });
      return true;
    } catch (error) {
      const failure = httpFailure(error);
      const data = failure?.response?.data as { errors?: { code?: string }[] } | undefined;
      if (failure?.status === 422 && data?.errors?.some((e) => e.code === "already_exists")) {
        return false;
      }
      throw this.#error(error, op);
    }
  }

  stats(): ApiStats {
    return this.#traffic.snapshot();
  }
}

/** An Octokit auth strategy over a {@linkcode TokenSource}: asks it for every request, once again after a 401. */
function sourceAuth(source: TokenSource) {
  const auth = async () => ({
    type: "token",
    tokenType: "installation",
    token: await source.token(),
  });
  const hook = async (
    request: ((options: unknown) => Promise<unknown>) & {
      endpoint: {
        merge: (route: unknown, parameters?: unknown) => { headers: Record<string, string> };
      };
    },
    route: unknown,
    parameters?: unknown,
  ) => {
    const send = async () => {
      const endpoint = request.endpoint.merge(route, parameters);
      const token = await source.token();
      endpoint.headers.authorization = `token ${token}`;
      try {
        return await request(endpoint);
      } catch (error) {
        if (httpFailure(error)?.status === 401) source.refused(token);
        throw error;
      }
    };
    try {
      return await send();
    } catch (error) {
      // A token that expired early or was revoked: one more try with a new one.
      if (httpFailure(error)?.status !== 401) throw error;
      return await send();
    }
  };
  return Object.assign(auth, { hook });
}

/**
 * Create the GitHub adapter for one repository.
 *
 * @example
 * ```ts
 * import { createGitHub } from "./octokit.ts";
 * const gh = createGitHub({
 *   token: Deno.env.get("GITHUB_TOKEN") ?? "",
 *   owner: "octo",
 *   repo: "demo",
 * });
 * const page = await gh.listComments(1);
 * console.log(page.comments.length, gh.stats().requests);
 * ```
 */
export function createGitHub(options: GitHubOptions): GitHub & WorkflowGitHub {
  return new OctokitGitHub(options);
}
