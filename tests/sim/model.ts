/**
 * An in-memory model of GitHub for one repository and issue, shared by every
 * simulated node. Each process gets its own identity-bound client
 * ({@linkcode ModelClient}) implementing the {@linkcode GitHub} port.
 *
 * What it models (see DESIGN.md "GitHub facts"):
 * - server time from the virtual clock; `created_at`/`updated_at` and the
 *   `Date` header with one-second resolution;
 * - comment ids increasing from 2^31 plus a per-seed offset, with gaps;
 * - `since` filtering on `updated_at`, at-or-after; pages of 100;
 * - eventual consistency: each comment version reaches each of a few
 *   replicas after its own lag, and each request reads one replica at
 *   random, so a list may lack a comment a previous list showed ("going
 *   backwards");
 * - conditional requests: a page identical to the one this client last got
 *   for the same query answers 304 and costs no quota;
 * - limits: primary per token per hour (fixed window), secondary content
 *   creation 80/min and 500/h per identity (sliding windows), answered with
 *   403/429 and the headers GitHub sends;
 * - faults at per-seed rates: 5xx and timeouts before and after a write took
 *   effect, spurious secondary limits with and without `retry-after`.
 *
 * A client either answers like raw HTTP (errors shaped like Octokit's
 * `RequestError`: `status`, `response.headers`, `response.data.message`) or,
 * by default, emulates what the real adapter (`src/github/octokit.ts`) does
 * on top of that: read retries with backoff, rate-limit waits and retries,
 * write pacing, nonce recovery after a post of unknown outcome, and the same
 * error classes ({@linkcode RateLimitError}, {@linkcode OutcomeUnknownError},
 * {@linkcode GitHubError}) when it gives up.
 *
 * @module
 */
import { GitHubError, OutcomeUnknownError, RateLimitError } from "../../src/github/errors.ts";
import type {
  ApiStats,
  CommentPage,
  GitHub,
  Identity,
  IssueInfo,
  Permission,
  RateLimitStatus,
} from "../../src/github/port.ts";
import type { Clock } from "../../src/node/ports.ts";
import type { LogComment } from "../../src/protocol/types.ts";
import type { Rng } from "./rng.ts";
import type { ProcessGroup, Scheduler } from "./virtual_clock.ts";

/**
 * Fault rates of one seed (probabilities per request unless noted).
 *
 * @example
 * ```ts
 * const faults: ModelFaults = { ...NO_FAULTS, replicas: 3, lagProbability: 0.2, maxLagMs: 20_000 };
 * ```
 */
export interface ModelFaults {
  /** Read replicas (1 = every lag is the same for every reader). */
  replicas: number;
  /** Chance that a (comment version, replica) pair lags. */
  lagProbability: number;
  /** Longest lag, ms. */
  maxLagMs: number;
  /** Shortest lag of a version that lags, ms (default 0: lags are drawn from 0 to `maxLagMs`). */
  minLagMs?: number;
  /** Request latency range, ms. */
  latencyMs: [number, number];
  /** A read answers 5xx. */
  readError: number;
  /** A read times out. */
  readTimeout: number;
  /** A write answers 5xx before it took effect. */
  writeErrorBefore: number;
  /** A write answers 5xx after it took effect. */
  writeErrorAfter: number;
  /** A write times out before it took effect. */
  writeTimeoutBefore: number;
  /** A write times out after it took effect. */
  writeTimeoutAfter: number;
  /** Any request answers a secondary limit without cause. */
  spuriousLimit: number;
  /** A secondary-limit answer carries `retry-after`. */
  retryAfterProbability: number;
  /** Client-side request timeout, ms. */
  timeoutMs: number;
}

/**
 * No faults at all: a consistent, fast GitHub.
 *
 * @example
 * ```ts
 * const m = new GitHubModel({ ...options, faults: NO_FAULTS });
 * ```
 */
export const NO_FAULTS: ModelFaults = {
  replicas: 1,
  lagProbability: 0,
  maxLagMs: 0,
  latencyMs: [50, 50],
  readError: 0,
  readTimeout: 0,
  writeErrorBefore: 0,
  writeErrorAfter: 0,
  writeTimeoutBefore: 0,
  writeTimeoutAfter: 0,
  spuriousLimit: 0,
  retryAfterProbability: 1,
  timeoutMs: 30_000,
};

/** A GitHub account as the model knows it. */
export interface Actor extends Identity {
  /** The token it authenticates with; the primary limit is per token. */
  token: string;
}

/** API use of one identity, as {@linkcode GitHubModel.usageByIdentity} counts it. */
export interface IdentityUsage {
  requests: number;
  counted: number;
  notModified: number;
  writes: number;
  rateLimited: number;
}

/**
 * One HTTP exchange, as the model recorded it.
 *
 * @example
 * ```ts
 * const limited = model.requests.filter((r) => r.limit !== undefined).length;
 * ```
 */
export interface RequestRecord {
  /** True time the request reached the server. */
  t: number;
  /** The process (client label) that sent it. */
  proc: string;
  login: string;
  token: string;
  method: string;
  route: string;
  /** HTTP status; 0 for a timeout. */
  status: number;
  write: boolean;
  /** Set on a rate-limit answer: what the server asked for. */
  limit?: { kind: "primary" | "secondary"; waitMs: number; spurious: boolean };
}

interface Version {
  body: string;
  updatedAt: number;
  /** True time it took effect. */
  effect: number;
  /** Per-replica lag. */
  lags: number[];
  deleted: boolean;
  /** The REST view of this version, made once (see {@linkcode toLog}). */
  shown?: LogComment;
}

/** A comment as stored, with its history. */
export interface StoredComment {
  id: number;
  author: string;
  authorType: string;
  createdAt: number;
  /** Label of the process whose request created it. */
  poster: string;
  /** True time it took effect. */
  effect: number;
  versions: Version[];
}

/** Options of {@linkcode GitHubModel}. */
export interface ModelOptions {
  scheduler: Scheduler;
  /** The model's fault stream. */
  rng: Rng;
  faults: ModelFaults;
  owner: string;
  repo: string;
  issue: { number: number; title: string; body: string; author: string };
  /** Permission per login; others get 404 (`none`). */
  permissions: Record<string, Permission>;
  /** Primary requests per hour for a token (GITHUB_TOKEN 1000, PAT 5000). */
  primaryLimit: (token: string) => number;
  /** First comment id (2^31 + something). */
  firstId: number;
  /** Called for every exchange (trace hashing). */
  trace?: (record: RequestRecord) => void;
  /** Faults on chosen requests, to reproduce one fault exactly. */
  script?: ScriptedFault[];
  /** Every comment version reaches every replica exactly this late (overrides the random lag). */
  fixedLagMs?: number;
}

/**
 * A fault on chosen requests: the first `times` requests that match fail with
 * `status` (0: a timeout), before or after they took effect.
 *
 * @example
 * ```ts
 * const fault: ScriptedFault = { method: "POST", route: /\/git\/refs$/, proc: /^n1#/, times: 9, status: 502, when: "before" };
 * ```
 */
export interface ScriptedFault {
  method: string;
  route: RegExp;
  /** Only requests of processes whose label matches. */
  proc?: RegExp;
  /** Only posts whose body matches. */
  body?: RegExp;
  times: number;
  status: number;
  when: "before" | "after";
}

/**
 * An error shaped like Octokit's `RequestError`.
 *
 * @example
 * ```ts
 * throw new HttpFailure("GET", "/user", 502, "Server Error", {});
 * ```
 */
export class HttpFailure extends Error {
  override name = "HttpError";
  /** HTTP status (500 for a network error or timeout, as Octokit reports it). */
  readonly status: number;
  /** The answer, as Octokit exposes it. */
  readonly response: {
    status: number;
    url: string;
    headers: Record<string, string | number | undefined>;
    data: { message: string };
  };
  /** The request. */
  readonly request: { method: string; url: string; headers: Record<string, string> };

  /** Builds the failure of `method route` with `status`, GitHub's `message` and `headers`. */
  constructor(
    method: string,
    url: string,
    status: number,
    message: string,
    headers: Record<string, string | number | undefined>,
  ) {
    super(`${message} - ${method} ${url}`);
    this.status = status;
    this.response = { status, url, headers, data: { message } };
    this.request = { method, url, headers: {} };
  }
}

const PER_PAGE = 100;
const SECOND = 1000;
const MINUTE = 60_000;
const HOUR = 3_600_000;

function floorSecond(t: number): number {
  return Math.floor(t / SECOND) * SECOND;
}

const NO_READERS: ReadonlyMap<string, unknown> = new Map();

/**
 * The shared GitHub model.
 *
 * @example
 * ```ts
 * const s = new Scheduler(Date.UTC(2025, 0, 1));
 * const model = new GitHubModel({
 *   scheduler: s, rng: new Rng(1), faults: NO_FAULTS, owner: "o", repo: "r",
 *   issue: { number: 7, title: "t", body: "b", author: "alice" }, permissions: {},
 *   primaryLimit: () => 5000, firstId: 2 ** 31 + 1,
 * });
 * const gh = model.client({ login: "bot", id: 1, type: "Bot", token: "T" }, {
 *   proc: "n1", clock: new VirtualClock(s, s.group("n1")),
 * });
 * ```
 */
export class GitHubModel {
  readonly scheduler: Scheduler;
  readonly rng: Rng;
  readonly faults: ModelFaults;
  readonly options: ModelOptions;
  /** Every comment ever created, ascending id. */
  readonly comments: StoredComment[] = [];
  /** Comments edited or deleted at least once (checked on every read whatever `since`). */
  readonly #changed = new Set<StoredComment>();
  /** Per comment, per process: the first and newest version indexes reads showed it. */
  readonly #seen = new Map<number, Map<string, { first: number; newest: number }>>();
  readonly #wholes = new Map<string, { r: number; t: number }[][]>();
  readonly #byId = new Map<number, StoredComment>();
  /** Every exchange, in order. */
  readonly requests: RequestRecord[] = [];
  /** Git refs: name -> sha. */
  readonly refs = new Map<string, string>();
  /** Called right after a comment was created (before its answer leaves): fault injection. */
  onComment: ((comment: StoredComment, proc: string) => void) | undefined;
  #nextId: number;
  readonly #primary = new Map<string, { resetAt: number; used: number }>();
  readonly #content = new Map<string, number[]>();

  /** Builds an empty issue thread. */
  constructor(options: ModelOptions) {
    this.options = options;
    this.scheduler = options.scheduler;
    this.rng = options.rng;
    this.faults = options.faults;
    this.#nextId = options.firstId;
  }

  /** Server (true) time. */
  get now(): number {
    return this.scheduler.now;
  }

  /** A client bound to `actor`, sending as process `options.proc`. */
  client(actor: Actor, options: ClientOptions): ModelClient {
    return new ModelClient(this, actor, options);
  }

  /** A stored comment by id. */
  comment(id: number): StoredComment | undefined {
    return this.#byId.get(id);
  }

  /** Processes that a read (list or by id) has shown comment `id` to, in any version. */
  readers(id: number): Iterable<string> {
    return (this.#seen.get(id) ?? NO_READERS).keys();
  }

  /**
   * Records that a read showed process `proc` comment `id` as its version
   * `index` (a 404 by id: its deleting version).
   */
  noteShown(id: number, proc: string, index: number): void {
    let map = this.#seen.get(id);
    if (!map) this.#seen.set(id, map = new Map());
    const was = map.get(proc);
    if (!was) map.set(proc, { first: index, newest: index });
    else was.newest = Math.max(was.newest, index);
  }

  /** Whether a read showed process `proc` comment `id` as first posted. */
  knewFirst(id: number, proc: string): boolean {
    return this.#seen.get(id)?.get(proc)?.first === 0;
  }

  /** Records that process `proc` read the whole thread (no `since`), page by page. */
  noteWhole(proc: string, pages: { r: number; t: number }[]): void {
    let reads = this.#wholes.get(proc);
    if (!reads) this.#wholes.set(proc, reads = []);
    reads.push(pages);
  }

  /**
   * Whether a process that had read comment `c` was later shown its newest
   * version: an edit in any list or by-id answer; a deletion by a 404, or by
   * a whole list every page of which came from a replica past the deletion.
   */
  newestShown(c: StoredComment): boolean {
    const k = c.versions.length - 1;
    const v = c.versions[k]!;
    const seen = this.#seen.get(c.id);
    if (!seen) return false;
    for (const [proc, { first, newest }] of seen) {
      if (first >= k) continue; // it never knew the comment as it was
      if (newest >= k) return true;
      if (!v.deleted) continue;
      for (const pages of this.#wholes.get(proc) ?? []) {
        // A read in the very moment of the deletion came before it (it ran first).
        if (pages.every((p) => p.t > v.effect && versionAt(c, p.r, p.t) === v)) return true;
      }
    }
    return false;
  }

  /**
   * The log as the swarm could know it: like {@linkcode finalLog}, except that
   * a comment of `rewritten` whose newest version no process that had read
   * it was ever shown stands as first posted (docs/PROTOCOL.md: a rewrite
   * every node that saw the comment leaves behind unread cannot be undone).
   */
  knowableLog(rewritten: ReadonlySet<number>): LogComment[] {
    const out: LogComment[] = [];
    for (const c of this.comments) {
      const v = rewritten.has(c.id) && !this.newestShown(c) ? c.versions[0]! : c.versions.at(-1)!;
      if (!v.deleted) out.push(toLog(c, v));
    }
    return out;
  }

  /** The log as it finally is (newest versions, deleted comments left out). */
  finalLog(): LogComment[] {
    const out: LogComment[] = [];
    for (const c of this.comments) {
      const v = c.versions.at(-1)!;
      if (!v.deleted) out.push(toLog(c, v));
    }
    return out;
  }

  /** Records an exchange. */
  record(r: RequestRecord): void {
    this.requests.push(r);
    this.options.trace?.(r);
  }

  /** The scripted fault for this request, if one matches (counting it). */
  scripted(
    method: string,
    route: string,
    proc: string,
    body: string | undefined,
  ): ScriptedFault | undefined {
    const hit = this.options.script?.find((f) =>
      f.times > 0 && f.method === method && f.route.test(route) &&
      (f.proc === undefined || f.proc.test(proc)) &&
      (f.body === undefined || (body !== undefined && f.body.test(body)))
    );
    if (hit) hit.times--;
    return hit;
  }

  #lags(): number[] {
    const f = this.faults;
    if (this.options.fixedLagMs !== undefined) {
      return Array.from({ length: f.replicas }, () => this.options.fixedLagMs!);
    }
    const lags: number[] = [];
    for (let r = 0; r < f.replicas; r++) {
      lags.push(
        f.lagProbability > 0 && this.rng.chance(f.lagProbability)
          ? this.rng.range(f.minLagMs ?? 0, f.maxLagMs)
          : 0,
      );
    }
    return lags;
  }

  /** Creates a comment now (the effect of a POST). */
  create(author: Identity, body: string, proc: string): StoredComment {
    const t = this.now;
    const createdAt = floorSecond(t);
    const id = this.#nextId;
    // Ids are global on GitHub: other issues' comments take the ids between ours.
    this.#nextId += 1 + (this.rng.chance(0.5) ? this.rng.int(0, 5_000) : 0);
    const c: StoredComment = {
      id,
      author: author.login,
      authorType: author.type,
      createdAt,
      poster: proc,
      effect: t,
      versions: [{ body, updatedAt: createdAt, effect: t, lags: this.#lags(), deleted: false }],
    };
    this.comments.push(c);
    this.#byId.set(id, c);
    this.onComment?.(c, proc);
    return c;
  }

  /** Edits (or deletes) a comment now. */
  change(c: StoredComment, body: string | null): void {
    const t = this.now;
    const last = c.versions.at(-1)!;
    c.versions.push({
      body: body ?? last.body,
      updatedAt: Math.max(floorSecond(t), last.updatedAt),
      effect: t,
      lags: this.#lags(),
      deleted: body === null,
    });
    this.#changed.add(c);
  }

  /** What replica `r` shows of the thread at true time `t`, `since` filtered, ascending id. */
  visible(r: number, t: number, since: number | undefined): LogComment[] {
    const out: LogComment[] = [];
    const list = this.comments;
    let start = 0;
    if (since !== undefined) {
      // createdAt is non-decreasing with id: skip what was created before `since`.
      let lo = 0, hi = list.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (list[mid]!.createdAt < since) lo = mid + 1;
        else hi = mid;
      }
      start = lo;
      for (const c of this.#changed) {
        if (c.createdAt >= since) continue; // seen in the scan below
        const v = versionAt(c, r, t);
        if (v && !v.deleted && v.updatedAt >= since) out.push(toLog(c, v));
      }
    }
    for (let i = start; i < list.length; i++) {
      const c = list[i]!;
      if (c.effect > t) break;
      const v = versionAt(c, r, t);
      if (!v || v.deleted) continue;
      if (since !== undefined && v.updatedAt < since) continue;
      out.push(toLog(c, v));
    }
    if (since !== undefined && out.length > 1) out.sort((a, b) => a.id - b.id);
    return out;
  }

  /** Takes one primary-quota unit of `token`; returns the reset time when exhausted. */
  takePrimary(token: string, consume: boolean): { ok: true } | { ok: false; resetAt: number } {
    const t = this.now;
    let b = this.#primary.get(token);
    if (!b || t >= b.resetAt) {
      b = { resetAt: t + HOUR, used: 0 };
      this.#primary.set(token, b);
    }
    if (b.used >= this.options.primaryLimit(token)) return { ok: false, resetAt: b.resetAt };
    if (consume) b.used++;
    return { ok: true };
  }

  /** The primary bucket of `token` as `GET /rate_limit` shows it. */
  primaryStatus(token: string): RateLimitStatus {
    const limit = this.options.primaryLimit(token);
    const b = this.#primary.get(token);
    if (!b || this.now >= b.resetAt) return { limit, remaining: limit, resetAt: this.now + HOUR };
    return { limit, remaining: Math.max(0, limit - b.used), resetAt: b.resetAt };
  }

  /** Checks the content-creation limits of `login`; records the write when allowed. */
  takeContent(login: string): { ok: true } | { ok: false; waitMs: number } {
    const t = this.now;
    let times = this.#content.get(login);
    if (!times) this.#content.set(login, times = []);
    while (times.length > 0 && times[0]! <= t - HOUR) times.shift();
    const lastMinute = times.length - lowerBound(times, t - MINUTE + 1);
    if (lastMinute >= 80) return { ok: false, waitMs: times[times.length - 80]! + MINUTE - t };
    if (times.length >= 500) return { ok: false, waitMs: times[times.length - 500]! + HOUR - t };
    times.push(t);
    return { ok: true };
  }

  /**
   * Exact API use per identity (login) from every exchange recorded: requests
   * sent, requests counted against the primary limit (not 304, not a
   * rate-limit answer), 304s, accepted writes and rate-limit answers.
   *
   * @example
   * ```ts
   * model.usageByIdentity()["github-actions[bot]"]?.counted;
   * ```
   */
  usageByIdentity(): Record<string, IdentityUsage> {
    const out: Record<string, IdentityUsage> = {};
    for (const r of this.requests) {
      const u = out[r.login] ??= {
        requests: 0,
        counted: 0,
        notModified: 0,
        writes: 0,
        rateLimited: 0,
      };
      u.requests++;
      if (r.limit) u.rateLimited++;
      else if (r.status === 304) u.notModified++;
      else u.counted++;
      if (r.write && r.status > 0 && r.status < 400) u.writes++;
    }
    return out;
  }

  /** Accepted content-creating writes of `login` at true times (last hour only). */
  contentTimes(login: string): readonly number[] {
    return this.#content.get(login) ?? [];
  }
}

function lowerBound(a: number[], x: number): number {
  let lo = 0, hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function versionAt(c: StoredComment, r: number, t: number): Version | undefined {
  for (let i = c.versions.length - 1; i >= 0; i--) {
    const v = c.versions[i]!;
    if (v.effect + (v.lags[r] ?? 0) <= t) return v;
  }
  return undefined;
}

/**
 * One version of a stored comment as the REST API shows it.
 *
 * @example
 * ```ts
 * const first = toLog(comment, comment.versions[0]!);
 * ```
 */
export function toLog(c: StoredComment, v: Version): LogComment {
  // One frozen object per version: a client that keeps what it read (as the
  // Octokit adapter's ETag cache does) gets the same object again, and
  // nothing may change it.
  return v.shown ??= Object.freeze({
    id: c.id,
    body: v.body,
    author: c.author,
    authorType: c.authorType,
    createdAt: c.createdAt,
    updatedAt: v.updatedAt,
  });
}

/**
 * Options of one client.
 *
 * @example
 * ```ts
 * model.client(actor, { proc: "n1#0", clock, conditional: false, adapter: false });
 * ```
 */
export interface ClientOptions {
  /** Label of the process, recorded with every request. */
  proc: string;
  /** The process's clock: its waits (latency, adapter backoff) run on it. */
  clock: Clock & { group?: ProcessGroup };
  /** Send `If-None-Match` (default true). */
  conditional?: boolean;
  /** Emulate the Octokit adapter (default true); false answers like raw HTTP. */
  adapter?: boolean;
  /** Retries of the adapter (default 3). */
  retries?: number;
  /** Never fault (the aggregator's truthful reader, the invariant checker). */
  faultless?: boolean;
}

interface Answer<T> {
  value: T;
  status: number;
  date: number;
}

/**
 * One process's view of the model: the {@linkcode GitHub} port.
 *
 * @example
 * ```ts
 * const page = await client.listComments(7);
 * page.comments.length;
 * ```
 */
export class ModelClient implements GitHub {
  readonly #m: GitHubModel;
  readonly #actor: Actor;
  readonly #proc: string;
  readonly #clock: Clock;
  readonly #conditional: boolean;
  readonly #adapter: boolean;
  readonly #retries: number;
  readonly #faultless: boolean;
  /** Per query and page, what the last answer listed (its ETag, see {@linkcode samePage}). */
  readonly #etags = new Map<string, { items: LogComment[]; more: boolean }>();
  readonly #stats: ApiStats = {
    requests: 0,
    notModified: 0,
    writes: 0,
    rateLimited: 0,
    serverErrors: 0,
  };
  #newestServerTime = 0;
  #nextWrite = 0;
  #nextContent = 0;
  /** The identity, once something this client created showed it (installation tokens). */
  #learned: Identity | undefined;

  /** Use {@linkcode GitHubModel.client}. */
  constructor(model: GitHubModel, actor: Actor, options: ClientOptions) {
    this.#m = model;
    this.#actor = actor;
    this.#proc = options.proc;
    this.#clock = options.clock;
    this.#conditional = options.conditional ?? true;
    this.#adapter = options.adapter ?? true;
    this.#retries = options.retries ?? 3;
    this.#faultless = options.faultless ?? false;
  }

  /** The repository every call is about. */
  get repository(): { owner: string; repo: string } {
    return { owner: this.#m.options.owner, repo: this.#m.options.repo };
  }

  /** The process label. */
  get proc(): string {
    return this.#proc;
  }

  /** The actor. */
  get actor(): Actor {
    return this.#actor;
  }

  // --- one exchange -----------------------------------------------------------

  #latency(): number {
    const [lo, hi] = this.#m.faults.latencyMs;
    return this.#faultless ? 0 : this.#m.rng.range(lo, hi);
  }

  /**
   * Sends one request: limits, faults, the effect and the latency. `effect`
   * runs at arrival and returns the answer's value and status (304 is free).
   */
  async #send<T>(
    method: string,
    route: string,
    kind: "read" | "write" | "content",
    effect: () => { value: T; status: number },
    body?: string,
  ): Promise<Answer<T>> {
    const m = this.#m;
    const f = m.faults;
    const rng = m.rng;
    const t = m.now;
    const date = floorSecond(t);
    const write = kind !== "read";
    this.#stats.requests++;
    if (write) this.#stats.writes++;
    const rec: RequestRecord = {
      t,
      proc: this.#proc,
      login: this.#actor.login,
      token: this.#actor.token,
      method,
      route,
      status: 0,
      write,
    };
    const url = `https://api.github.com${route}`;
    const latency = this.#latency();
    const fail = async (
      status: number,
      message: string,
      headers: Record<string, string | number>,
    ) => {
      rec.status = status;
      m.record(rec);
      if (status >= 500 || status === 0) this.#stats.serverErrors++;
      await this.#clock.sleep(status === 0 ? f.timeoutMs : latency);
      this.#noteDate(date);
      throw new HttpFailure(
        method,
        url,
        status === 0 ? 500 : status,
        message,
        status === 0 ? {} : { date: new Date(date).toUTCString(), ...headers },
      );
    };
    const limited = async (
      kindOf: "primary" | "secondary",
      waitMs: number,
      spurious: boolean,
      headers: Record<string, string | number>,
      status: number,
    ) => {
      rec.limit = { kind: kindOf, waitMs, spurious };
      this.#stats.rateLimited++;
      await fail(
        status,
        kindOf === "primary"
          ? `API rate limit exceeded for ${this.#actor.login}.`
          : "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
        headers,
      );
    };
    // GraphQL has a rate limit of its own (points per hour), not the REST one.
    const graphql = route === "/graphql";
    if (!this.#faultless && !graphql) {
      const primary = m.takePrimary(this.#actor.token, false);
      if (!primary.ok) {
        const resetSec = Math.ceil(primary.resetAt / SECOND);
        await limited("primary", resetSec * SECOND - date, false, {
          "x-ratelimit-remaining": "0",
          "x-ratelimit-reset": String(resetSec),
          "x-ratelimit-limit": String(m.options.primaryLimit(this.#actor.token)),
        }, 403);
      }
      if (kind === "content") {
        const content = m.takeContent(this.#actor.login);
        if (!content.ok) {
          const withHeader = rng.chance(f.retryAfterProbability);
          const secs = Math.max(1, Math.ceil(content.waitMs / SECOND));
          await limited(
            "secondary",
            withHeader ? secs * SECOND : Math.max(MINUTE, content.waitMs),
            false,
            withHeader ? { "retry-after": String(secs) } : {},
            rng.chance(0.5) ? 403 : 429,
          );
        }
      }
      if (f.spuriousLimit > 0 && rng.chance(f.spuriousLimit)) {
        const withHeader = rng.chance(f.retryAfterProbability);
        const secs = rng.int(1, 90);
        await limited(
          "secondary",
          withHeader ? secs * SECOND : MINUTE,
          true,
          withHeader ? { "retry-after": String(secs) } : {},
          rng.chance(0.5) ? 403 : 429,
        );
      }
    }
    // From here on the request reaches the server and counts against the quota.
    const script = this.#faultless ? undefined : m.scripted(method, route, this.#proc, body);
    const faultBefore = script?.when === "before"
      ? (script.status === 0 ? "timeout" : "error")
      : !this.#faultless && !script &&
        (write
          ? pickFault(rng, f.writeErrorBefore, f.writeTimeoutBefore)
          : pickFault(rng, f.readError, f.readTimeout));
    if (faultBefore) {
      if (!this.#faultless && !graphql) m.takePrimary(this.#actor.token, true);
      const status = script ? script.status : rng.pick([500, 502, 503]);
      await fail(faultBefore === "timeout" ? 0 : status, "Server Error", {});
    }
    let answer: { value: T; status: number };
    try {
      answer = effect();
    } catch (error) {
      if (!(error instanceof HttpFailure)) throw error;
      if (!this.#faultless && !graphql) m.takePrimary(this.#actor.token, true);
      rec.status = error.status;
      m.record(rec);
      if (latency > 0) await this.#clock.sleep(latency);
      this.#noteDate(date);
      throw error;
    }
    if (answer.status !== 304 && !this.#faultless && !graphql) {
      m.takePrimary(this.#actor.token, true);
    }
    const faultAfter = script?.when === "after"
      ? (script.status === 0 ? "timeout" : "error")
      : !this.#faultless && !script && write
      ? pickFault(rng, f.writeErrorAfter, f.writeTimeoutAfter)
      : undefined;
    if (faultAfter) {
      const status = script ? script.status : rng.pick([500, 502, 504]);
      await fail(faultAfter === "timeout" ? 0 : status, "Server Error", {});
    }
    rec.status = answer.status;
    m.record(rec);
    if (answer.status === 304) this.#stats.notModified++;
    if (latency > 0) await this.#clock.sleep(latency);
    this.#noteDate(date);
    return { value: answer.value, status: answer.status, date };
  }

  #noteDate(date: number): void {
    if (date > this.#newestServerTime) this.#newestServerTime = date;
  }

  // --- the adapter's behaviour --------------------------------------------------

  /** One request with the adapter's rate-limit and (for idempotent ones) 5xx retries. */
  async #call<T>(
    what: string,
    method: string,
    route: string,
    kind: "read" | "write" | "content",
    effect: () => { value: T; status: number },
    retry5xx: boolean,
    body?: string,
  ): Promise<Answer<T>> {
    if (!this.#adapter) return await this.#send(method, route, kind, effect, body);
    let limitRetries = 0;
    let errorRetries = 0;
    while (true) {
      if (kind !== "read") await this.#pace(kind);
      try {
        return await this.#send(method, route, kind, effect, body);
      } catch (error) {
        if (!(error instanceof HttpFailure)) throw error;
        const limit = rateLimitOf(error);
        if (limit) {
          // plugin-throttling via the adapter's handlers (octokit.ts #onPrimaryLimit/#onSecondaryLimit).
          const waitMs = limit.kind === "primary"
            ? limit.resetWaitMs + 1000
            : limit.retryAfterMs ?? 60_000 * 2 ** limitRetries;
          const willRetry = limitRetries < this.#retries &&
            (limit.kind === "secondary" || waitMs <= 15 * MINUTE);
          if (!willRetry) throw adapterError(error, what, this.#retries);
          limitRetries++;
          await this.#clock.sleep(waitMs);
          continue;
        }
        if (retry5xx && error.status >= 500 && errorRetries < this.#retries) {
          // plugin-retry: waits (n+1)^2 × 1000 ms.
          errorRetries++;
          await this.#clock.sleep(1000 * errorRetries ** 2);
          continue;
        }
        // A write that is not retried blindly: its caller judges the unknown outcome.
        if (error.status >= 500 && !retry5xx) throw error;
        throw adapterError(error, what, this.#retries);
      }
    }
  }

  /** plugin-throttling's per-process spacing: 1 s between writes, 3 s between content posts. */
  async #pace(kind: "write" | "content"): Promise<void> {
    const now = this.#clock.now();
    const next = kind === "content"
      ? Math.max(this.#nextWrite, this.#nextContent)
      : this.#nextWrite;
    const start = Math.max(now, next);
    this.#nextWrite = start + 1000;
    if (kind === "content") this.#nextContent = start + 3000;
    if (start > now) await this.#clock.sleep(start - now);
  }

  // --- the port -------------------------------------------------------------------

  /**
   * Like the adapter: an installation token (a bot's, here a workflow's
   * `GITHUB_TOKEN`) asks GraphQL's `viewer`, which names its bot and spends
   * none of the REST budget; a personal token asks `GET /user`.
   */
  async identity(): Promise<Identity | undefined> {
    if (this.#learned) return this.#learned;
    const installation = this.#actor.type === "Bot";
    await this.#call(
      "read the token's identity",
      installation ? "POST" : "GET",
      installation ? "/graphql" : "/user",
      "read",
      () => ({ value: null, status: 200 }),
      true,
    );
    this.#learn();
    return this.#learned;
  }

  #learn(): void {
    const { login, id, type } = this.#actor;
    this.#learned ??= { login, id, type };
  }

  /** `GET .../issues/comments/{id}`: its newest version, `null` once deleted. */
  async getComment(id: number): Promise<LogComment | null> {
    const m = this.#m;
    const o = m.options;
    const route = `/repos/${o.owner}/${o.repo}/issues/comments/${id}`;
    try {
      const answer = await this.#call(`read comment ${id}`, "GET", route, "read", () => {
        const c = m.comment(id);
        const v = c?.versions.at(-1);
        if (c) m.noteShown(id, this.#proc, c.versions.length - 1);
        if (!c || !v || v.deleted) throw new HttpFailure("GET", route, 404, "Not Found", {});
        return { value: toLog(c, v), status: 200 };
      }, true);
      return answer.value;
    } catch (error) {
      if ((error as { status?: number }).status === 404) return null;
      throw error;
    }
  }

  /** `GET /repos/{o}/{r}/issues/{n}`. */
  async getIssue(issue: number): Promise<IssueInfo> {
    const o = this.#m.options;
    const route = `/repos/${o.owner}/${o.repo}/issues/${issue}`;
    await this.#call(`read issue #${issue}`, "GET", route, "read", () => {
      if (issue !== o.issue.number) throw new HttpFailure("GET", route, 404, "Not Found", {});
      return { value: null, status: 200 };
    }, true);
    return {
      number: o.issue.number,
      title: o.issue.title,
      body: o.issue.body,
      state: "open",
      labels: ["p2p-dev"],
      author: o.issue.author,
      url: `https://github.com/${o.owner}/${o.repo}/issues/${o.issue.number}`,
    };
  }

  /** `GET .../issues/{n}/comments`, every page; 304 for pages unchanged since this client's last read. */
  async listComments(issue: number, since?: string): Promise<CommentPage> {
    const m = this.#m;
    const o = m.options;
    const route = `/repos/${o.owner}/${o.repo}/issues/${issue}/comments`;
    const sinceMs = since === undefined ? undefined : Date.parse(since);
    if (sinceMs !== undefined && !Number.isFinite(sinceMs)) {
      throw new RangeError(`Cannot list comments since "${since}": not an ISO 8601 time.`);
    }
    const byId = new Map<number, LogComment>();
    const pages: { r: number; t: number }[] = [];
    let serverTime = 0;
    let notModified = true;
    for (let page = 1;; page++) {
      const key = `${since ?? ""}|${page}`;
      let more = false;
      const answer = await this.#call(
        `list the comments of issue #${issue}`,
        "GET",
        `${route}?page=${page}`,
        "read",
        () => {
          if (issue !== o.issue.number) throw new HttpFailure("GET", route, 404, "Not Found", {});
          const replica = this.#faultless ? 0 : m.rng.int(0, m.faults.replicas - 1);
          const all = m.visible(replica, this.#faultless ? Infinity : m.now, sinceMs);
          const items = all.slice((page - 1) * PER_PAGE, page * PER_PAGE);
          // Who was shown what, for the checker (knowableLog).
          const t = this.#faultless ? Infinity : m.now;
          pages.push({ r: replica, t });
          for (const item of items) {
            const c = m.comment(item.id)!;
            m.noteShown(item.id, this.#proc, c.versions.indexOf(versionAt(c, replica, t)!));
          }
          more = all.length > page * PER_PAGE;
          const etag = { items, more };
          const last = this.#etags.get(key);
          const hit = this.#conditional && last !== undefined && samePage(last, etag);
          if (this.#conditional) this.#etags.set(key, etag);
          return { value: items, status: hit ? 304 : 200 };
        },
        true,
      );
      if (answer.status !== 304) notModified = false;
      serverTime = Math.max(serverTime, answer.date);
      for (const c of answer.value) byId.set(c.id, c);
      if (!more) break;
    }
    if (sinceMs === undefined) m.noteWhole(this.#proc, pages);
    return {
      comments: [...byId.values()].sort((a, b) => a.id - b.id),
      serverTime: serverTime || this.#newestServerTime,
      notModified,
    };
  }

  /** `POST .../comments` with the adapter's nonce recovery after an unknown outcome. */
  async createComment(issue: number, body: string, nonce: string): Promise<LogComment> {
    const m = this.#m;
    const o = m.options;
    if (nonce === "" || !body.includes(nonce)) {
      throw new TypeError(`Cannot post a comment whose body lacks its nonce "${nonce}".`);
    }
    if (body.length > 65_536) {
      throw new RangeError(`Cannot post a comment of ${body.length} characters: at most 65536.`);
    }
    const route = `/repos/${o.owner}/${o.repo}/issues/${issue}/comments`;
    const what = `post a comment on issue #${issue}`;
    const post = () =>
      this.#call(
        what,
        "POST",
        route,
        "content",
        () => {
          if (issue !== o.issue.number) {
            throw new HttpFailure(
              "POST",
              route,
              404,
              "Not Found",
              {},
            );
          }
          const c = m.create(this.#actor, body, this.#proc);
          return { value: toLog(c, c.versions[0]!), status: 201 };
        },
        false,
        body,
      ).then((answer) => {
        this.#learn();
        return answer;
      });
    if (!this.#adapter) return (await post()).value;
    let unknown: unknown = undefined;
    for (let attempt = 0; attempt <= this.#retries; attempt++) {
      if (unknown !== undefined) {
        const found = await this.#recover(issue, nonce, what, unknown);
        if (found) return found;
      }
      try {
        return (await post()).value;
      } catch (error) {
        if (!isUnknownOutcome(error)) throw error;
        unknown = error;
      }
    }
    const found = await this.#recover(issue, nonce, what, unknown);
    if (found) return found;
    throw new OutcomeUnknownError(
      `Cannot ${what}: ${
        this.#retries + 1
      } attempts failed and no comment carries nonce "${nonce}".`,
      { status: (unknown as { status?: number }).status, cause: unknown },
    );
  }

  async #recover(
    issue: number,
    nonce: string,
    what: string,
    cause: unknown,
  ): Promise<LogComment | undefined> {
    await this.#clock.sleep(2000);
    const newest = this.#newestServerTime;
    const since = newest > 0
      ? new Date(newest - 5 * MINUTE).toISOString().replace(/\.\d{3}Z$/, "Z")
      : undefined;
    let page: CommentPage;
    try {
      page = await this.listComments(issue, since);
    } catch (error) {
      throw new OutcomeUnknownError(
        `Cannot ${what}: the post failed with an unknown outcome and re-reading failed too.`,
        { cause: new AggregateError([cause, error]) },
      );
    }
    // Without a known login, the nonce alone identifies ours (as in the adapter).
    const login = this.#learned?.login.toLowerCase() ??
      (this.#actor.type === "Bot" ? undefined : this.#actor.login.toLowerCase());
    const found = page.comments.find((c) =>
      (login === undefined || c.author.toLowerCase() === login) && c.body.includes(nonce)
    );
    if (found) this.#learn();
    return found;
  }

  /** `PATCH .../issues/comments/{id}` (only the author may edit, in this model). */
  async updateComment(id: number, body: string): Promise<LogComment> {
    const m = this.#m;
    const o = m.options;
    const route = `/repos/${o.owner}/${o.repo}/issues/comments/${id}`;
    const answer = await this.#call(`edit comment ${id}`, "PATCH", route, "content", () => {
      const c = m.comment(id);
      if (!c || c.versions.at(-1)!.deleted) {
        throw new HttpFailure("PATCH", route, 404, "Not Found", {});
      }
      m.change(c, body);
      return { value: toLog(c, c.versions.at(-1)!), status: 200 };
    }, true);
    return answer.value;
  }

  /** `DELETE .../issues/comments/{id}`; `false` when it was already gone (404). */
  async deleteComment(id: number): Promise<boolean> {
    const m = this.#m;
    const o = m.options;
    const route = `/repos/${o.owner}/${o.repo}/issues/comments/${id}`;
    try {
      await this.#call(`delete comment ${id}`, "DELETE", route, "write", () => {
        const c = m.comment(id);
        if (!c || c.versions.at(-1)!.deleted) {
          throw new HttpFailure("DELETE", route, 404, "Not Found", {});
        }
        m.change(c, null);
        return { value: null, status: 204 };
      }, true);
      return true;
    } catch (error) {
      if ((error as { status?: number }).status === 404) return false;
      throw error;
    }
  }

  /** `GET .../collaborators/{user}/permission`; 404 means `none`. */
  async permission(user: string): Promise<Permission> {
    const o = this.#m.options;
    const route = `/repos/${o.owner}/${o.repo}/collaborators/${user}/permission`;
    try {
      const answer = await this.#call(
        `read the permission of "${user}"`,
        "GET",
        route,
        "read",
        () => {
          const p = o.permissions[user];
          if (p === undefined) throw new HttpFailure("GET", route, 404, "Not Found", {});
          return { value: p, status: 200 };
        },
        true,
      );
      return answer.value;
    } catch (error) {
      if ((error as { status?: number }).status === 404) return "none";
      throw error;
    }
  }

  /** `GET .../branches/{b}`. */
  async branchSha(branch: string): Promise<string> {
    const o = this.#m.options;
    await this.#call(
      `read branch "${branch}"`,
      "GET",
      `/repos/${o.owner}/${o.repo}/branches/${branch}`,
      "read",
      () => ({ value: null, status: 200 }),
      true,
    );
    return "0123456789abcdef0123456789abcdef01234567";
  }

  /** `GET /repos/{o}/{r}`. */
  async defaultBranch(): Promise<string> {
    const o = this.#m.options;
    await this.#call(
      "read the repository",
      "GET",
      `/repos/${o.owner}/${o.repo}`,
      "read",
      () => ({ value: null, status: 200 }),
      true,
    );
    return "main";
  }

  /** `POST .../git/refs`: false when the ref exists (422). */
  async createRef(ref: string, sha: string): Promise<boolean> {
    const m = this.#m;
    const o = m.options;
    const full = ref.startsWith("refs/") ? ref : `refs/${ref}`;
    const route = `/repos/${o.owner}/${o.repo}/git/refs`;
    const what = `create ref "${full}"`;
    let unknown: unknown = undefined;
    for (let attempt = 0; attempt <= (this.#adapter ? this.#retries : 0); attempt++) {
      if (attempt > 0) await this.#clock.sleep(1000 * attempt ** 2);
      try {
        await this.#call(what, "POST", route, "write", () => {
          // GitHub: a name that does not start with "refs" and have at least two slashes is rejected.
          if (!/^refs\/[^/]+\/.+/.test(full)) {
            throw new HttpFailure("POST", route, 422, "Reference name is invalid", {});
          }
          if (m.refs.has(full)) {
            throw new HttpFailure("POST", route, 422, "Reference already exists", {});
          }
          m.refs.set(full, sha);
          return { value: null, status: 201 };
        }, false);
        return true;
      } catch (error) {
        const status = (error as { status?: number }).status;
        if (status === 422) {
          if (unknown === undefined) return false;
          // The adapter's #settleRefRace: a re-read of the ref says whose it is.
          return (await this.getRef(full)) === sha;
        }
        if (this.#adapter && isUnknownOutcome(error)) {
          unknown = error;
          continue;
        }
        throw error;
      }
    }
    throw new OutcomeUnknownError(`Cannot ${what}: every attempt failed with transient errors.`, {
      cause: unknown,
    });
  }

  /** `GET .../git/ref/{ref}`: the SHA, undefined when missing. */
  async getRef(ref: string): Promise<string | undefined> {
    const m = this.#m;
    const o = m.options;
    const short = ref.startsWith("refs/") ? ref.slice(5) : ref;
    const route = `/repos/${o.owner}/${o.repo}/git/ref/${short}`;
    try {
      const answer = await this.#call(`read ref "refs/${short}"`, "GET", route, "read", () => {
        const sha = m.refs.get(`refs/${short}`);
        if (sha === undefined) throw new HttpFailure("GET", route, 404, "Not Found", {});
        return { value: sha, status: 200 };
      }, true);
      return answer.value;
    } catch (error) {
      if ((error as { status?: number }).status === 404) return undefined;
      throw error;
    }
  }

  /** `GET .../git/commits/{sha}`: the commit's tree. */
  async commitTree(sha: string): Promise<string> {
    const o = this.#m.options;
    await this.#call(
      `read commit "${sha}"`,
      "GET",
      `/repos/${o.owner}/${o.repo}/git/commits/${sha}`,
      "read",
      () => ({ value: null, status: 200 }),
      true,
    );
    return "4b825dc642cb6eb9a060e54bf8d69288fbee4904";
  }

  /** `POST .../git/commits`: a commit object named by its content (a repeat makes the same one). */
  async createCommit(
    commit: { message: string; tree: string; parents: string[] },
  ): Promise<string> {
    const o = this.#m.options;
    const sha = (fnv(`${commit.message}|${commit.tree}|${commit.parents.join(",")}`) >>> 0)
      .toString(16).padStart(8, "0").repeat(5);
    await this.#call(
      "create a commit object",
      "POST",
      `/repos/${o.owner}/${o.repo}/git/commits`,
      "write",
      () => ({ value: null, status: 201 }),
      true,
    );
    return sha;
  }

  /** `GET /rate_limit`: free, never limited, never faulty. */
  rateLimit(): Promise<RateLimitStatus> {
    return Promise.resolve(this.#m.primaryStatus(this.#actor.token));
  }

  /** `DELETE .../git/refs/{ref}`; a missing ref is fine. */
  async deleteRef(ref: string): Promise<void> {
    const m = this.#m;
    const o = m.options;
    const short = ref.startsWith("refs/") ? ref.slice(5) : ref;
    try {
      await this.#call(
        `delete ref "refs/${short}"`,
        "DELETE",
        `/repos/${o.owner}/${o.repo}/git/refs/${short}`,
        "write",
        () => {
          if (!m.refs.delete(`refs/${short}`)) {
            throw new HttpFailure("DELETE", short, 422, "Reference does not exist", {});
          }
          return { value: null, status: 204 };
        },
        true,
      );
    } catch (error) {
      const status = (error as { status?: number }).status;
      if (status === 404 || status === 422) return;
      throw error;
    }
  }

  /** `POST .../pulls`. */
  async createPullRequest(
    pr: { title: string; head: string; base: string; body: string; draft: boolean },
  ): Promise<string> {
    const o = this.#m.options;
    const what = `open a pull request from "${pr.head}"`;
    try {
      const answer = await this.#call(
        what,
        "POST",
        `/repos/${o.owner}/${o.repo}/pulls`,
        "content",
        () => ({
          value: `https://github.com/${o.owner}/${o.repo}/pull/${this.#m.requests.length}`,
          status: 201,
        }),
        false,
      );
      return answer.value;
    } catch (error) {
      if (this.#adapter && error instanceof HttpFailure) {
        throw adapterError(error, what, this.#retries);
      }
      throw error;
    }
  }

  /** Exact counts of this client's exchanges. */
  stats(): ApiStats {
    return { ...this.#stats };
  }
}

function pickFault(rng: Rng, error: number, timeout: number): "error" | "timeout" | undefined {
  if (error === 0 && timeout === 0) return undefined;
  const x = rng.next();
  if (x < error) return "error";
  if (x < error + timeout) return "timeout";
  return undefined;
}

/**
 * Whether two answers to one page query are the same page (what equal ETags
 * mean): the same comments, each with the same `updated_at` and body, and
 * the same "more pages" flag.
 */
function samePage(
  a: { items: LogComment[]; more: boolean },
  b: { items: LogComment[]; more: boolean },
): boolean {
  if (a.more !== b.more || a.items.length !== b.items.length) return false;
  for (let i = 0; i < a.items.length; i++) {
    const x = a.items[i]!, y = b.items[i]!;
    if (x === y) continue; // one version's frozen view
    if (x.id !== y.id || x.updatedAt !== y.updatedAt || x.body !== y.body) return false;
  }
  return true;
}

/** What a rate-limit answer asks for, as the adapter reads its headers. */
function rateLimitOf(
  e: HttpFailure,
):
  | { kind: "primary" | "secondary"; retryAfterMs: number | undefined; resetWaitMs: number }
  | undefined {
  const h = e.response.headers;
  const message = e.response.data.message;
  const limited = e.status === 429 ||
    (e.status === 403 &&
      (h["x-ratelimit-remaining"] === "0" || h["retry-after"] !== undefined ||
        /rate limit/i.test(message)));
  if (!limited) return undefined;
  const primary = h["x-ratelimit-remaining"] === "0" && !/secondary/i.test(message);
  const retryAfter = Number(h["retry-after"]);
  const reset = Number(h["x-ratelimit-reset"]);
  const date = Date.parse(String(h["date"] ?? ""));
  return {
    kind: primary ? "primary" : "secondary",
    retryAfterMs: retryAfter > 0 ? retryAfter * 1000 : undefined,
    resetWaitMs: reset > 0 && Number.isFinite(date) ? Math.max(0, reset * 1000 - date) : 60_000,
  };
}

/** A 5xx, network error or timeout (Octokit reports the last two as 500). */
function isUnknownOutcome(error: unknown): boolean {
  const status = (error as { status?: unknown })?.status;
  return error instanceof HttpFailure && typeof status === "number" && status >= 500;
}

/** The adapter's error for a failure it gave up on (octokit.ts `#error`). */
function adapterError(e: HttpFailure, what: string, retries: number): Error {
  const said = e.response.data.message;
  const limit = rateLimitOf(e);
  if (limit) {
    const retryAfterMs = limit.retryAfterMs ??
      (limit.kind === "primary" ? limit.resetWaitMs + 1000 : undefined);
    return Object.assign(
      new RateLimitError(
        `Cannot ${what}: GitHub's ${limit.kind} rate limit still applies after ${retries} retries ` +
          `(${e.status} "${said}").`,
        limit.kind,
        retryAfterMs,
        { status: e.status, cause: e },
      ),
      { response: e.response },
    );
  }
  if (e.status >= 500) {
    return Object.assign(
      new GitHubError(
        `Cannot ${what}: GitHub failed with ${e.status} ("${said}") after ${retries} retries.`,
        { status: e.status, cause: e },
      ),
      { response: e.response },
    );
  }
  return Object.assign(
    new GitHubError(`Cannot ${what}: GitHub answered ${e.status} "${said}".`, {
      status: e.status,
      cause: e,
    }),
    { response: e.response },
  );
}

function fnv(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
