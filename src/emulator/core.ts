/**
 * The request pipeline: authentication, limits, faults, routing, conditional
 * requests and GitHub's response headers, plus the request log and counts.
 *
 * @module
 */
import { EmulatedTime, type EmulatorClock, systemEmulatorClock } from "./clock.ts";
import { controlHttp } from "./control.ts";
import {
  type FaultConfig,
  type FaultDecision,
  type FaultPatch,
  Faults,
  mergeFaults,
  NO_FAULTS,
} from "./faults.ts";
import {
  CORS_EXPOSE,
  DOCS,
  errorBody,
  etagMatches,
  HttpError,
  isoSeconds,
  notFound,
  preflightHeaders,
  RATE_LIMIT_DOCS,
  weakEtag,
} from "./http.ts";
import { DEFAULT_LIMITS, Limits, type LimitsPatch, mergeLimits, type RateView } from "./limits.ts";
import { looksLikeJwt, verifyAppJwt } from "./app_auth.ts";
import { hash32 } from "./random.ts";
import type { Identity, RouteContext, RouteDef, RouteResult } from "./router.ts";
import { Router } from "./router.ts";
import { ROUTES } from "./routes/mod.ts";
import { latestRelease } from "./routes/releases.ts";
import { checkScope, effectiveRole, tokenCovers } from "./routes/common.ts";
import {
  gitCredential,
  gitRefusal,
  type GitRequest,
  matchGitRequest,
  runHttpBackend,
} from "./git_http.ts";
import { roleAtLeast } from "./state.ts";
import { base64ToBytes } from "./seed.ts";
import { World } from "./state.ts";
import type { EmulatorSnapshot } from "./types.ts";

/**
 * Settings of an emulator instance.
 *
 * @example
 * ```ts
 * const options: CoreOptions = { seed: 7, timeScale: 60 };
 * ```
 */
export interface CoreOptions {
  /** Source of time (default: the platform clock). */
  clock?: EmulatorClock;
  /** Emulated ms per real ms (default 1). */
  timeScale?: number;
  /** Seed of every random choice (default 1). Overrides `faults.seed` when given. */
  seed?: number;
  /** Faults to start with (default: none). */
  faults?: FaultPatch;
  /** Limits to change from GitHub's values. */
  limits?: LimitsPatch;
  /** Base URL for `html_url` fields (default `https://github.com`). */
  htmlUrl?: string;
  /** Request log entries kept (default 10,000). */
  logLimit?: number;
  /** When set, `/_emulator/*` requires `Authorization: Bearer <controlToken>`. */
  controlToken?: string;
  /** A world to start from (e.g. a saved snapshot). */
  state?: EmulatorSnapshot;
}

/**
 * One line of the request log.
 *
 * @example
 * ```ts
 * function failed(log: RequestLogEntry[]) { return log.filter((e) => e.status >= 500); }
 * ```
 */
export interface RequestLogEntry {
  /** Position in the log (1, 2, 3, ...). */
  seq: number;
  /** GitHub-style `x-github-request-id` of the answer. */
  requestId: string;
  /** Emulated epoch ms when the request arrived. */
  at: number;
  /** HTTP method. */
  method: string;
  /** Path and query. */
  path: string;
  /** GitHub operationId, when a route matched. */
  operation: string | null;
  /** The caller, or null when anonymous or the token was bad. */
  login: string | null;
  /** 0 when the connection was dropped without an answer. */
  status: number;
  /** Content-creating request (counted against the content limit). */
  write: boolean;
  /** Counted against the primary rate limit. */
  counted: boolean;
  /** The fault injected, if any: `5xx`, `timeout-applied`, `timeout-lost`, `secondary-burst`, ... */
  fault: string | null;
  /** Emulated milliseconds from arrival to answer. */
  durationMs: number;
}

/**
 * What one identity has done so far.
 *
 * @example
 * ```ts
 * function spent(c: IdentityCounts) { return c.requests - c.notModified; }
 * ```
 */
export interface IdentityCounts {
  /** Requests made (every answer but 401). */
  requests: number;
  /** Content-creating requests admitted (POST/PATCH/PUT/DELETE). */
  writes: number;
  /** Conditional requests answered 304. */
  notModified: number;
  /** Primary plus secondary limit answers. */
  rateLimited: number;
  /** 403s for an exhausted primary limit. */
  primaryLimited: number;
  /** 403/429s for a secondary limit (injected bursts included). */
  secondaryLimited: number;
  /** 5xx answers (injected errors and timeouts included). */
  serverErrors: number;
  /** Injected timeouts (held or dropped). */
  timeouts: number;
  /** 401 Bad credentials answers (counted under `anonymous`). */
  unauthorized: number;
}

/**
 * Thrown by the in-process handler when a fault drops the connection (a
 * `TypeError`, like a failed `fetch`).
 *
 * @example
 * ```ts
 * function dropped(e: unknown) { return e instanceof DroppedConnection; }
 * ```
 */
export class DroppedConnection extends TypeError {
  constructor() {
    super("Connection closed before a response was sent (emulated timeout).");
    this.name = "DroppedConnection";
  }
}

const VARY = "Accept, Authorization, Cookie, X-GitHub-OTP, Accept-Encoding";
const CACHE = "private, max-age=60, s-maxage=60";
const TIMEOUT_MESSAGE =
  "We couldn't respond to your request in time. Sorry about that. Please try resubmitting your request and contact us if the problem persists.";
const SECONDARY_DOCS = `${RATE_LIMIT_DOCS}#about-secondary-rate-limits`;

interface Pending {
  seq: number;
  requestId: string;
  at: number;
  method: string;
  path: string;
  operation: string | null;
  identity: Identity | null;
  write: boolean;
  counted: boolean;
  fault: string | null;
  rate: RateView | null;
}

/**
 * The emulator's engine. `createEmulator` wraps it; tests rarely need it.
 *
 * @example
 * ```ts
 * const core = new EmulatorCore({});
 * const res = await core.handle(new Request("http://127.0.0.1/rate_limit"));
 * ```
 */
export class EmulatorCore {
  readonly world: World;
  readonly time: EmulatedTime;
  readonly limits: Limits;
  readonly faults: Faults;
  readonly router: Router;
  readonly htmlUrl: string;
  readonly controlToken: string | undefined;
  logLimit: number;
  log: RequestLogEntry[] = [];
  counts = new Map<string, IdentityCounts>();
  /** Called after a request that changed the world. */
  onChange: (() => void) | undefined;
  #seq = 0;
  #closing = new AbortController();

  /** Builds an empty world with the given settings. */
  constructor(options: CoreOptions) {
    this.time = new EmulatedTime(options.clock ?? systemEmulatorClock, options.timeScale ?? 1);
    const faults = mergeFaults(NO_FAULTS, {
      ...options.faults,
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
    });
    this.faults = new Faults(faults);
    this.limits = new Limits(mergeLimits(DEFAULT_LIMITS, options.limits ?? {}));
    this.world = new World(faults.seed, this.time.now());
    if (options.state) {
      this.world.restore(options.state);
      this.time.advanceTo(options.state.now);
    }
    this.router = new Router(ROUTES);
    this.htmlUrl = (options.htmlUrl ?? "https://github.com").replace(/\/+$/, "");
    this.logLimit = options.logLimit ?? 10_000;
    this.controlToken = options.controlToken;
  }

  /** Current fault settings. */
  get faultConfig(): FaultConfig {
    return this.faults.config;
  }

  /** Releases held requests (used on close). */
  abortHolds(): void {
    this.#closing.abort();
  }

  /** Counts of one identity (created on first use). */
  countsFor(key: string): IdentityCounts {
    let c = this.counts.get(key);
    if (!c) {
      c = {
        requests: 0,
        writes: 0,
        notModified: 0,
        rateLimited: 0,
        primaryLimited: 0,
        secondaryLimited: 0,
        serverErrors: 0,
        timeouts: 0,
        unauthorized: 0,
      };
      this.counts.set(key, c);
    }
    return c;
  }

  /** The primary bucket of an identity (null: anonymous). */
  bucket(identity: Identity | null): { key: string; limit: number; subject: string } {
    const p = this.limits.config.primary;
    if (!identity) return { key: "ip:127.0.0.1", limit: p.anonymous, subject: "127.0.0.1" };
    const t = identity.token;
    const limit = t.limit ?? p[t.kind];
    if (t.app !== undefined) {
      return { key: `app:${t.app}`, limit, subject: `app ID ${t.app}` };
    }
    if (t.bucket) {
      return { key: `bucket:${t.bucket}`, limit, subject: `user ID ${identity.user.id}` };
    }
    if (t.kind === "actions" && t.repos?.[0]) {
      const key = `repo:${t.repos[0].toLowerCase()}`;
      return { key, limit, subject: `installation ID ${hash32(key) % 100_000_000}` };
    }
    return { key: `user:${identity.user.id}`, limit, subject: `user ID ${identity.user.id}` };
  }

  /** Handles one request (never rejects, except to emulate a dropped connection). */
  async handle(req: Request): Promise<Response> {
    const at = this.time.now();
    const url = new URL(req.url);
    const method = req.method.toUpperCase();
    const seq = ++this.#seq;
    const requestId = requestIdFor(seq, at);
    const version = this.world.version;
    try {
      if (method === "OPTIONS") {
        return new Response(null, {
          status: 204,
          headers: {
            ...preflightHeaders(),
            date: new Date(at).toUTCString(),
            "x-github-request-id": requestId,
          },
        });
      }
      if (url.pathname === "/_emulator" || url.pathname.startsWith("/_emulator/")) {
        return await controlHttp(this, req, url);
      }
      const git = matchGitRequest(method, url);
      if (git) return await this.#git(req, url, git, { seq, requestId, at });
      const download = /^\/([^/]+)\/([^/]+)\/releases\/download\/(.+)\/([^/]+)$/.exec(url.pathname);
      const web = (method === "GET" || method === "HEAD") && !url.pathname.startsWith("/repos/");
      if (download && web) {
        return this.#download(download.slice(1).map(decodeURIComponent), at);
      }
      const latest = /^\/([^/]+)\/([^/]+)\/releases\/latest\/download\/([^/]+)$/.exec(url.pathname);
      if (latest && web) return this.#latestDownload(url.origin, latest.slice(1), at);
      return await this.#api(req, url, method, { seq, requestId, at });
    } catch (error) {
      if (error instanceof DroppedConnection) throw error;
      // A bug in a route must not take the server down: answer 500 and say why.
      this.countsFor("anonymous").serverErrors++;
      const message = `Emulator error: ${error instanceof Error ? error.message : String(error)}`;
      return new Response(JSON.stringify({ message, documentation_url: DOCS, status: "500" }), {
        status: 500,
        headers: {
          "content-type": "application/json; charset=utf-8",
          date: new Date(at).toUTCString(),
        },
      });
    } finally {
      if (this.world.version !== version) this.onChange?.();
    }
  }

  /**
   * Git over smart HTTP (src/emulator/git_http.ts): GitHub's authentication
   * and permission rules, then `git http-backend` on the repository's
   * `gitDir`. Logged as `git/upload-pack` or `git/receive-pack`; git traffic
   * does not count against the REST API's rate limits.
   */
  async #git(
    req: Request,
    url: URL,
    git: GitRequest,
    base: { seq: number; requestId: string; at: number },
  ): Promise<Response> {
    const pending: Pending = {
      ...base,
      method: req.method.toUpperCase(),
      path: url.pathname + url.search,
      operation: git.service === null ? "git/dumb-http" : `git/${git.service.slice(4)}`,
      identity: null,
      write: false,
      counted: false,
      fault: null,
      rate: null,
    };
    const answer = (status: number, message: string, headers: Record<string, string> = {}) =>
      this.#finish(pending, gitRefusal(status, message, headers));
    const credential = gitCredential(req.headers.get("authorization"));
    if ("duplicate" in credential) return answer(400, 'Duplicate header: "Authorization"');
    if ("malformed" in credential) {
      return answer(
        401,
        "Invalid username or token. Password authentication is not supported " +
          "for Git operations.",
        { "www-authenticate": 'Basic realm="GitHub"' },
      );
    }
    if ("token" in credential) {
      const record = this.world.token(credential.token);
      const user = record ? this.world.user(record.login) : undefined;
      if (!record || !user) {
        this.countsFor("anonymous").unauthorized++;
        return answer(
          401,
          "Invalid username or token. Password authentication is not supported " +
            "for Git operations.",
          { "www-authenticate": 'Basic realm="GitHub"' },
        );
      }
      pending.identity = { user, token: record };
    }
    const identity = pending.identity;
    const repo = this.world.repo(git.owner, git.repo);
    const ctx = { world: this.world, identity };
    const canRead = repo !== undefined &&
      (!repo.private ||
        (identity !== null && tokenCovers(identity, repo) && effectiveRole(ctx, repo) !== null));
    if (!repo || !repo.gitDir || (!canRead && identity !== null)) {
      return answer(404, "Repository not found.");
    }
    const push = git.service === "git-receive-pack";
    if (!identity && (push || !canRead)) {
      return answer(401, "Authentication required.", {
        "www-authenticate": 'Basic realm="GitHub"',
      });
    }
    if (git.service === null) {
      return answer(
        403,
        "Please upgrade your git client. GitHub no longer supports git over " +
          "dumb-http: https://github.com/blog/809-git-dumb-http-transport-to-be-turned-off-in-90-days",
      );
    }
    if (push) {
      let allowed = tokenCovers(identity!, repo) &&
        roleAtLeast(effectiveRole(ctx, repo), "write");
      try {
        checkScope(ctx, "contents", "write");
      } catch {
        allowed = false;
      }
      if (!allowed) {
        return answer(
          403,
          `Permission to ${repo.owner}/${repo.name}.git denied to ${identity!.user.login}.`,
        );
      }
    }
    const response = await runHttpBackend(repo.gitDir, req, url, identity?.user.login ?? null);
    if (push && !git.advertise && response.ok) {
      repo.pushedAt = this.time.now();
      this.world.touch();
    }
    return this.#finish(pending, response);
  }

  /** `browser_download_url`: the asset's bytes, no authentication (public repositories). */
  #download(parts: string[], at: number): Response {
    const [owner = "", name = "", tag = "", file = ""] = parts;
    const repo = this.world.repo(owner, name);
    const release = repo && !repo.private
      ? repo.releases.find((r) => r.tag === tag && !r.draft)
      : undefined;
    const found = release?.assets.find((a) => a.name === file);
    if (!found) {
      return new Response("Not Found", {
        status: 404,
        headers: { date: new Date(at).toUTCString() },
      });
    }
    found.downloadCount++;
    this.world.touch();
    return new Response(base64ToBytes(found.base64) as Uint8Array<ArrayBuffer>, {
      status: 200,
      headers: {
        "content-type": "application/octet-stream",
        "content-disposition": `attachment; filename=${found.name}`,
        date: new Date(at).toUTCString(),
      },
    });
  }

  /**
   * `/{owner}/{repo}/releases/latest/download/{name}`: GitHub redirects to the
   * asset of the latest release (non-draft, non-prerelease), as installers use it.
   */
  #latestDownload(origin: string, parts: string[], at: number): Response {
    const [owner = "", name = "", file = ""] = parts;
    const repo = this.world.repo(decodeURIComponent(owner), decodeURIComponent(name));
    const release = repo && !repo.private ? latestRelease(repo) : undefined;
    const date = new Date(at).toUTCString();
    if (!release) return new Response("Not Found", { status: 404, headers: { date } });
    const tag = encodeURIComponent(release.tag);
    return new Response(null, {
      status: 302,
      headers: { location: `${origin}/${owner}/${name}/releases/download/${tag}/${file}`, date },
    });
  }

  async #api(
    req: Request,
    url: URL,
    method: string,
    base: { seq: number; requestId: string; at: number },
  ): Promise<Response> {
    const pending: Pending = {
      ...base,
      method,
      path: url.pathname + url.search,
      operation: null,
      identity: null,
      write: false,
      counted: false,
      fault: null,
      rate: null,
    };
    const match = this.router.match(method, url.pathname);
    pending.operation = match?.route.operation ?? null;
    const docs = match?.route.docs ?? DOCS;

    // Authentication: a bad token is 401 whatever the path. An App's JWT
    // (app_auth.ts) acts as the App on its own endpoints only; an expired
    // installation token is a bad one.
    const auth = req.headers.get("authorization");
    if (auth !== null) {
      const token = /^(?:token|bearer)\s+(\S+)$/i.exec(auth.trim())?.[1];
      let record = token === undefined ? undefined : this.world.token(token);
      let message = "Bad credentials";
      if (!record && token !== undefined && looksLikeJwt(token)) {
        const check = await verifyAppJwt(this.world, token, this.time.now());
        if (check.ok) {
          record = { token, login: `${check.app.slug}[bot]`, kind: "app", app: check.app.id };
        } else message = check.message;
      }
      if (record?.expiresAt !== undefined && this.time.now() >= record.expiresAt) {
        record = undefined;
      }
      const user = record ? this.world.user(record.login) : undefined;
      if (!record || !user) {
        this.countsFor("anonymous").unauthorized++;
        return this.#finish(pending, this.#error(pending, new HttpError(401, message), DOCS));
      }
      pending.identity = { user, token: record };
      const jwtRoute = match?.route.jwt === true;
      if (jwtRoute !== (record.app !== undefined)) {
        const error = jwtRoute
          ? new HttpError(401, "A JSON web token could not be decoded")
          : new HttpError(403, "Resource not accessible by integration");
        return this.#finish(pending, this.#error(pending, error, docs));
      }
    }
    const who = pending.identity?.user.login ?? "anonymous";
    const counts = this.countsFor(who);
    counts.requests++;
    const bucket = this.bucket(pending.identity);
    // GraphQL has a limit of its own (points per hour), not the REST one.
    const isRateLimitRoute = match?.route.operation === "rate-limit/get" ||
      match?.route.operation === "graphql";

    if (!this.limits.enter(who)) {
      return this.#finish(
        pending,
        this.#secondary(pending, this.limits.config.secondary.retryAfterSec, null),
      );
    }
    try {
      pending.rate = this.limits.view(bucket.key, bucket.limit, this.time.now());
      if (!isRateLimitRoute && this.limits.exhausted(bucket.key, bucket.limit, this.time.now())) {
        counts.primaryLimited++;
        counts.rateLimited++;
        const now = this.time.now();
        return this.#finish(
          pending,
          this.#error(
            pending,
            new HttpError(
              403,
              `API rate limit exceeded for ${bucket.subject}. If you reach out to GitHub Support for help, ` +
                `please include the request ID ${pending.requestId} and timestamp ${
                  isoSeconds(now)
                }.`,
              { docs: `${RATE_LIMIT_DOCS}#about-primary-rate-limits` },
            ),
            docs,
          ),
        );
      }
      const consume = () => {
        if (isRateLimitRoute) return;
        this.limits.consume(bucket.key, bucket.limit, this.time.now());
        pending.counted = true;
      };
      const isWrite = method !== "GET" && method !== "HEAD";
      const endpoint = match
        ? `${match.route.method} ${match.route.pattern}`
        : `${method} ${url.pathname}`;
      const wait = this.limits.points(who, endpoint, isWrite ? 5 : 1, this.time.now());
      if (wait !== null) {
        consume();
        return this.#finish(pending, this.#secondary(pending, wait, "points"));
      }
      if (match && isWrite && (match.route.content ?? true)) {
        const retry = this.limits.content(who, this.time.now());
        if (retry !== null) {
          consume();
          return this.#finish(pending, this.#secondary(pending, retry, "content"));
        }
        pending.write = true;
        counts.writes++;
      }

      const decision = this.faults.decide(method, url.pathname);
      if (decision.latencyMs > 0) {
        await this.time.sleep(decision.latencyMs, this.#closing.signal);
      }
      if (decision.kind === "secondary") {
        consume();
        pending.fault = `secondary-${decision.source}`;
        return this.#finish(
          pending,
          this.#secondary(pending, decision.retryAfterSec ?? 60, null, decision.status),
        );
      }
      if (decision.kind === "error") {
        consume();
        pending.fault = "5xx";
        counts.serverErrors++;
        const status = decision.status ?? 502;
        const message = status === 503 ? "Service Unavailable" : "Server Error";
        return this.#finish(pending, this.#error(pending, new HttpError(status, message), docs));
      }
      if (!match) {
        consume();
        return this.#finish(pending, this.#error(pending, notFound(), docs));
      }
      if (decision.kind === "timeout" && !decision.applied) {
        consume();
        return await this.#timeout(pending, decision, counts, "timeout-lost");
      }

      let result: RouteResult;
      try {
        result = await this.#route(req, url, match.route, match.params, pending);
      } catch (error) {
        if (!(error instanceof HttpError)) throw error;
        consume();
        if (decision.kind === "timeout") {
          return await this.#timeout(pending, decision, counts, "timeout-applied");
        }
        return this.#finish(pending, this.#error(pending, error, docs));
      }
      if (decision.kind === "timeout") {
        consume();
        return await this.#timeout(pending, decision, counts, "timeout-applied");
      }
      return this.#finish(pending, this.#success(pending, req, method, result, consume, counts));
    } finally {
      this.limits.leave(who);
    }
  }

  async #route(
    req: Request,
    url: URL,
    route: RouteDef,
    params: Record<string, string>,
    pending: Pending,
  ): Promise<RouteResult> {
    let body: Record<string, unknown> = {};
    if (req.body !== null && req.method !== "GET" && req.method !== "HEAD") {
      const text = await req.text();
      if (text.trim() !== "") {
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          throw new HttpError(400, "Problems parsing JSON");
        }
        if (Array.isArray(parsed)) body = { labels: parsed }; // add-labels accepts a bare array
        else if (typeof parsed === "object" && parsed !== null) {
          body = parsed as Record<string, unknown>;
        } else throw new HttpError(400, "Body should be a JSON object");
      }
    }
    const now = this.time.now();
    const reader = pending.identity?.token.token ?? "anonymous";
    const ctx: RouteContext = {
      world: this.world,
      request: req,
      url,
      params,
      body,
      identity: pending.identity,
      readerKey: reader,
      now,
      api: url.origin,
      html: this.htmlUrl,
      docs: route.docs,
      visible: (c) => this.faults.visible(reader, c, now),
      flap: (c) => this.faults.flap(c, now),
      rate: pending.rate!,
    };
    return await route.handle(ctx);
  }

  #success(
    pending: Pending,
    req: Request,
    method: string,
    result: RouteResult,
    consume: () => void,
    counts: IdentityCounts,
  ): Response {
    const headers = this.#headers(pending);
    for (const [k, v] of Object.entries(result.headers ?? {})) headers.set(k, v);
    let payload: BodyInit | null = null;
    if (result.bytes) {
      payload = result.bytes as Uint8Array<ArrayBuffer>;
      headers.set("content-type", result.contentType ?? "application/octet-stream");
    } else if (result.body !== undefined) {
      payload = JSON.stringify(result.body);
      headers.set("content-type", "application/json; charset=utf-8");
    }
    const isRead = method === "GET" || method === "HEAD";
    if (isRead && result.status === 200 && typeof payload === "string") {
      const etag = weakEtag(payload, pending.identity?.user.login ?? "anonymous");
      headers.set("etag", etag);
      headers.set("cache-control", CACHE);
      if (etagMatches(req.headers.get("if-none-match"), etag)) {
        // A 304 to a request with an Authorization header does not count
        // against the primary limit (docs: "Use conditional requests if appropriate").
        if (!pending.identity) consume();
        counts.notModified++;
        this.#rateHeaders(headers, pending);
        headers.delete("content-type");
        headers.delete("link");
        return new Response(null, { status: 304, headers });
      }
    }
    consume();
    this.#rateHeaders(headers, pending);
    return new Response(method === "HEAD" || result.status === 204 ? null : payload, {
      status: result.status,
      headers,
    });
  }

  #headers(pending: Pending): Headers {
    return new Headers({
      date: new Date(this.time.now()).toUTCString(),
      "x-github-request-id": pending.requestId,
      "x-github-media-type": "github.v3; format=json",
      "x-github-api-version-selected": "2022-11-28",
      "access-control-allow-origin": "*",
      "access-control-expose-headers": CORS_EXPOSE,
      vary: VARY,
      "x-content-type-options": "nosniff",
      "x-frame-options": "deny",
      "x-xss-protection": "0",
      "referrer-policy": "origin-when-cross-origin, strict-origin-when-cross-origin",
      "content-security-policy": "default-src 'none'",
    });
  }

  #rateHeaders(headers: Headers, pending: Pending): void {
    const bucket = this.bucket(pending.identity);
    const view = this.limits.view(bucket.key, bucket.limit, this.time.now());
    headers.set("x-ratelimit-limit", String(view.limit));
    headers.set("x-ratelimit-remaining", String(view.remaining));
    headers.set("x-ratelimit-reset", String(view.reset));
    headers.set("x-ratelimit-used", String(view.used));
    headers.set("x-ratelimit-resource", "core");
  }

  #error(pending: Pending, error: HttpError, docs: string): Response {
    const headers = this.#headers(pending);
    headers.set("content-type", "application/json; charset=utf-8");
    for (const [k, v] of Object.entries(error.headers)) headers.set(k, v);
    if (error.status !== 401) this.#rateHeaders(headers, pending);
    if (error.status >= 500) headers.delete("x-ratelimit-used");
    return new Response(JSON.stringify(errorBody(error, docs)), { status: error.status, headers });
  }

  #secondary(
    pending: Pending,
    retryAfterSec: number,
    why: string | null,
    status?: number,
  ): Response {
    const counts = this.countsFor(pending.identity?.user.login ?? "anonymous");
    counts.secondaryLimited++;
    counts.rateLimited++;
    pending.fault ??= why === null ? "secondary-concurrency" : `secondary-${why}`;
    return this.#error(
      pending,
      new HttpError(
        status ?? this.limits.config.secondary.status,
        "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. " +
          `If you reach out to GitHub Support for help, please include the request ID ${pending.requestId}.`,
        { docs: SECONDARY_DOCS, headers: { "retry-after": String(Math.ceil(retryAfterSec)) } },
      ),
      SECONDARY_DOCS,
    );
  }

  async #timeout(
    pending: Pending,
    decision: FaultDecision,
    counts: IdentityCounts,
    fault: string,
  ): Promise<Response> {
    pending.fault = fault;
    counts.timeouts++;
    counts.serverErrors++;
    if (decision.mode === "drop") {
      this.#record(pending, 0);
      throw new DroppedConnection();
    }
    await this.time.sleep(decision.holdMs ?? 10_000, this.#closing.signal);
    return this.#finish(pending, this.#error(pending, new HttpError(502, TIMEOUT_MESSAGE), DOCS));
  }

  #finish(pending: Pending, response: Response): Response {
    this.#record(pending, response.status);
    return response;
  }

  #record(pending: Pending, status: number): void {
    this.log.push({
      seq: pending.seq,
      requestId: pending.requestId,
      at: pending.at,
      method: pending.method,
      path: pending.path,
      operation: pending.operation,
      login: pending.identity?.user.login ?? null,
      status,
      write: pending.write,
      counted: pending.counted,
      fault: pending.fault,
      durationMs: this.time.now() - pending.at,
    });
    if (this.log.length > this.logLimit) this.log.splice(0, this.log.length - this.logLimit);
  }
}

/** A request id in GitHub's `XXXX:XXXX:XXXXXX:XXXXXX:XXXXXXXX` shape. */
function requestIdFor(seq: number, at: number): string {
  const hex = (n: number, width: number) =>
    (n >>> 0).toString(16).toUpperCase().padStart(width, "0");
  return `${hex(hash32(String(seq)) & 0xffff, 4)}:${hex(seq & 0xffff, 4)}:${hex(seq, 6)}:${
    hex(hash32(`${seq}|${at}`) & 0xffffff, 6)
  }:${hex(Math.floor(at / 1000), 8)}`;
}
