/**
 * The live source: reads an issue's comments, the swarm's workflow runs and
 * their jobs from the GitHub REST API and keeps a {@linkcode Snapshot}. It
 * runs in the browser (the viewer's token) and in `dashboard serve` (the
 * server's token), with the same code.
 *
 * - Every read is conditional: the source keeps each URL's `ETag` and body
 *   and sends `If-None-Match` itself. A browser sees
 *   `Cache-Control: private, max-age=60` on API answers, so its own cache
 *   would serve minute-old lists; requests go out with `cache: "no-store"`
 *   and a `304` (free: it does not count against the primary rate limit,
 *   https://docs.github.com/rest/using-the-rest-api/best-practices-for-using-the-rest-api#use-conditional-requests-if-appropriate)
 *   reuses the kept body.
 * - Comments are read incrementally with `since` (the newest `updated_at`
 *   seen, less a slack, floored to the minute so the URL, and its ETag, stay
 *   stable between changes); edited comments come back and replace the old
 *   version; a comment never disappears from the view.
 * - Rate limits: a `403`/`429` with `x-ratelimit-remaining: 0` waits until
 *   `x-ratelimit-reset`; a secondary limit waits `retry-after` seconds, or
 *   at least a minute and doubling while it repeats
 *   (https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#exceeding-the-rate-limit).
 *   The snapshot's `notice` says so.
 * - The token is sent to the configured API origin only: every URL is built
 *   from that origin, and a `Link` header pointing elsewhere is not followed.
 *
 * @module
 */
import { decodeBody } from "../protocol/codec.ts";
import type { TokenKind } from "../protocol/budget.ts";
import type { JobView, RateView, RunView, Snapshot, SnapshotComment } from "./snapshot.ts";

/** What a live source needs. */
export interface LiveSourceOptions {
  /** API base URL, e.g. https://api.github.com. */
  apiUrl: string;
  /** Base of web links, e.g. https://github.com. */
  htmlUrl: string;
  repo: string;
  issue: number;
  token: string;
  /** The swarm's own login (its messages are trusted). */
  self: string | null;
  allow: string[];
  workflow: string;
  /** `live` in the browser, `serve` in `dashboard serve`. */
  source: "live" | "serve";
  tokenKind?: TokenKind | null;
  fetch: typeof fetch;
  /** Local clock in epoch ms (only differences and back-off deadlines use it). */
  now: () => number;
}

/** The outcome of one poll. */
export interface PollResult {
  /** Whether anything the page shows changed. */
  changed: boolean;
  /** How long to wait before the next poll, at least (back-off); 0 for the normal interval. */
  waitMs: number;
  /** Whether polling cannot go on (bad token, no such repository). */
  fatal: boolean;
}

/** Requests made, by outcome (the tests count them). */
export interface RequestCounts {
  total: number;
  notModified: number;
  rateLimited: number;
}

interface Cached {
  etag: string;
  body: unknown;
  link: string | null;
}

class RateLimited extends Error {
  constructor(readonly waitMs: number, message: string) {
    super(message);
  }
}

class Fatal extends Error {}

const WRITE_LEVELS = new Set(["admin", "maintain", "write"]);
const SLACK_MS = 120_000;

/**
 * One viewer's (or one server's) view of an issue, refreshed by `poll()`.
 *
 * @example
 * ```ts
 * const source = new LiveSource({ apiUrl: "https://api.github.com", htmlUrl: "https://github.com",
 *   repo: "o/r", issue: 7, token, self: "github-actions[bot]", allow: [],
 *   workflow: "p2p-autonomous-dev.yml", source: "live", fetch, now: Date.now });
 * await source.poll();
 * source.snapshot.comments.length;
 * ```
 */
export class LiveSource {
  readonly counts: RequestCounts = { total: 0, notModified: 0, rateLimited: 0 };
  #o: LiveSourceOptions;
  #origin: string;
  #base: string;
  #cache = new Map<string, Cached>();
  #comments = new Map<number, SnapshotComment>();
  #maxUpdated = 0;
  #checked = new Map<string, boolean>();
  #writers = new Set<string>();
  #byAssociation = false;
  #runs: RunView[] | null = null;
  #runsNote: string | null = null;
  #rate: RateView | null = null;
  #notice: string | null = null;
  #polls = 0;
  #serverTime = 0;
  #localAtServer = 0;
  #blockedUntil = 0;
  #secondaryStreak = 0;
  #wantRuns = true;

  constructor(options: LiveSourceOptions) {
    if (
      !/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(options.repo) ||
      options.repo.split("/").some((part) => /^\.+$/.test(part))
    ) {
      throw new TypeError(`Invalid repository "${options.repo}": use owner/name.`);
    }
    if (!Number.isSafeInteger(options.issue) || options.issue <= 0) {
      throw new TypeError(`Invalid issue "${options.issue}": use a positive number.`);
    }
    this.#o = options;
    const api = new URL(options.apiUrl);
    this.#origin = api.origin;
    this.#base = api.href.replace(/\/+$/, "");
  }

  /** Whether runs are read on each poll (the page turns this off while the Workflows tab is hidden). */
  set wantRuns(value: boolean) {
    this.#wantRuns = value;
  }

  /** The current snapshot (a fresh object each call). */
  get snapshot(): Snapshot {
    return {
      source: this.#o.source,
      repo: this.#o.repo,
      issue: this.#o.issue,
      htmlUrl: this.#o.htmlUrl,
      comments: [...this.#comments.values()].sort((a, b) => a.id - b.id),
      trust: {
        self: this.#o.self,
        allow: [...this.#o.allow],
        writers: [...this.#writers].sort(),
        byAssociation: this.#byAssociation,
      },
      workflow: this.#o.workflow,
      runs: this.#runs,
      runsNote: this.#runsNote,
      rate: this.#rate,
      notice: this.#notice,
      polls: this.#polls,
      // GitHub's clock, where its `Date` header is readable (a browser does
      // not see it on cross-origin answers: the page then uses its own clock).
      serverNow: this.#serverTime
        ? this.#serverTime + Math.max(0, this.#o.now() - this.#localAtServer)
        : null,
      tokenKind: this.#o.tokenKind ?? null,
      apiByIdentity: null,
    };
  }

  /**
   * Reads what changed. Never throws for API answers: rate limits and errors
   * become the snapshot's notice and a wait.
   */
  async poll(): Promise<PollResult> {
    const now = this.#o.now();
    if (now < this.#blockedUntil) {
      return { changed: false, waitMs: this.#blockedUntil - now, fatal: false };
    }
    const noticeBefore = this.#notice;
    try {
      let changed = await this.#readComments();
      changed = (await this.#checkAuthors()) || changed;
      if (this.#wantRuns) changed = (await this.#readRuns()) || changed;
      this.#polls++;
      this.#notice = null;
      this.#secondaryStreak = 0;
      return { changed: changed || noticeBefore !== null, waitMs: 0, fatal: false };
    } catch (error) {
      if (error instanceof RateLimited) {
        this.#blockedUntil = this.#o.now() + error.waitMs;
        this.#notice = error.message;
        return { changed: true, waitMs: error.waitMs, fatal: false };
      }
      if (error instanceof Fatal) {
        this.#notice = error.message;
        return { changed: true, waitMs: 0, fatal: true };
      }
      // Network trouble: say so and try again after a while.
      this.#notice = `Cannot reach ${this.#origin}: ${
        error instanceof Error ? error.message : String(error)
      }. Trying again.`;
      return { changed: this.#notice !== noticeBefore, waitMs: 15_000, fatal: false };
    }
  }

  async #readComments(): Promise<boolean> {
    const { repo, issue } = this.#o;
    const since = this.#maxUpdated > 0
      ? new Date(Math.floor((this.#maxUpdated - SLACK_MS) / 60_000) * 60_000).toISOString()
      : null;
    let url: string | null = `${this.#base}/repos/${repo}/issues/${issue}/comments?per_page=100` +
      (since ? `&since=${encodeURIComponent(since)}` : "");
    let changed = false;
    const prefix = `${this.#base}/repos/${repo}/issues/${issue}/comments?`;
    const visited = new Set<string>();
    while (url) {
      visited.add(url);
      const page: { fresh: boolean; body: unknown; link: string | null } = await this.#get(url);
      if (!Array.isArray(page.body)) throw new Fatal(`Unexpected answer from ${url}.`);
      if (page.fresh) {
        for (const c of page.body as SnapshotComment[]) {
          if (this.#merge(c)) changed = true;
        }
      }
      url = nextLink(page.link, this.#origin);
    }
    // Pages of an older `since` will not be asked for again: keep memory flat in a tab left open.
    for (const key of [...this.#cache.keys()]) {
      if (key.startsWith(prefix) && !visited.has(key)) this.#cache.delete(key);
    }
    return changed;
  }

  #merge(c: SnapshotComment): boolean {
    if (typeof c?.id !== "number") return false;
    const updated = Date.parse(c.updated_at);
    const known = this.#comments.get(c.id);
    if (known) {
      if (known.updated_at === c.updated_at && known.body === c.body) return false;
      if (Date.parse(known.updated_at) > updated) return false; // a stale read
      if (known.updated_at === c.updated_at) {
        // Edited within the second it was posted: `updated_at` cannot show
        // it, but this viewer saw the first body. Mark it edited.
        c = { ...c, updated_at: new Date(Date.parse(c.created_at) + 1000).toISOString() };
      }
    }
    this.#comments.set(c.id, c);
    if (updated > this.#maxUpdated) this.#maxUpdated = updated;
    return true;
  }

  /** Resolves write permission of authors of protocol-looking comments, once per author. */
  async #checkAuthors(): Promise<boolean> {
    let changed = false;
    for (const c of this.#comments.values()) {
      const login = c.user?.login;
      if (!login || login === this.#o.self || this.#o.allow.includes(login)) continue;
      if (this.#checked.has(login)) continue;
      if (decodeBody(c.body ?? "").kind === "foreign") continue;
      const url = `${this.#base}/repos/${this.#o.repo}/collaborators/${
        encodeURIComponent(login)
      }/permission`;
      try {
        const page = await this.#get(url);
        const level = String((page.body as { permission?: unknown }).permission ?? "none");
        const trusted = WRITE_LEVELS.has(level);
        this.#checked.set(login, trusted);
        if (trusted) {
          this.#writers.add(login);
          changed = true;
        }
      } catch (error) {
        if (!(error instanceof HttpStatus)) throw error;
        // The permission API needs push access (and 404s for unknown users):
        // fall back to what GitHub marks on the comment, as offline.
        this.#checked.set(login, false);
        if (error.status === 403 || error.status === 401) {
          if (!this.#byAssociation) changed = true;
          this.#byAssociation = true;
        }
      }
    }
    return changed;
  }

  async #readRuns(): Promise<boolean> {
    const { repo, workflow } = this.#o;
    const url = `${this.#base}/repos/${repo}/actions/workflows/${
      encodeURIComponent(workflow)
    }/runs?per_page=50`;
    let page;
    try {
      page = await this.#get(url);
    } catch (error) {
      if (!(error instanceof HttpStatus)) throw error;
      const note = error.status === 404
        ? `No workflow ${workflow} in ${repo} (or the token cannot read Actions).`
        : `Cannot read the runs of ${workflow}: HTTP ${error.status}.`;
      const changed = this.#runsNote !== note || this.#runs === null || this.#runs.length > 0;
      this.#runs = [];
      this.#runsNote = note;
      return changed;
    }
    const known = new Map((this.#runs ?? []).map((r) => [r.id, r]));
    const runIds = this.#nodeRunIds();
    const all = ((page.body as { workflow_runs?: unknown[] }).workflow_runs ?? []) as Record<
      string,
      unknown
    >[];
    const mine = all.filter((r) =>
      runIds.has(Number(r.id)) ||
      new RegExp(`#${this.#o.issue}(?![0-9])`).test(String(r.display_title ?? ""))
    );
    const runs: RunView[] = [];
    let changed = !page.fresh ? false : true;
    for (const r of mine) {
      const view = toRunView(r);
      const before = known.get(view.id);
      if (before && before.updatedAt === view.updatedAt && before.jobs) {
        view.jobs = before.jobs;
      } else {
        view.jobs = await this.#readJobs(view.id);
        changed = true;
      }
      runs.push(view);
    }
    if (this.#runs === null || this.#runsNote !== null) changed = true;
    this.#runs = runs;
    this.#runsNote = null;
    return changed;
  }

  async #readJobs(runId: number): Promise<JobView[] | null> {
    const url = `${this.#base}/repos/${this.#o.repo}/actions/runs/${runId}/jobs?per_page=100`;
    try {
      const page = await this.#get(url);
      const jobs = ((page.body as { jobs?: unknown[] }).jobs ?? []) as Record<string, unknown>[];
      return jobs.map((j) => ({
        id: Number(j.id),
        name: String(j.name ?? ""),
        status: String(j.status ?? ""),
        conclusion: j.conclusion == null ? null : String(j.conclusion),
        startedAt: j.started_at == null ? null : String(j.started_at),
        completedAt: j.completed_at == null ? null : String(j.completed_at),
        htmlUrl: j.html_url == null ? null : String(j.html_url),
      }));
    } catch (error) {
      if (error instanceof HttpStatus) return null;
      throw error;
    }
  }

  /** Run ids named by node ids of the log (`run-<run id>-job-<n>`, Actions' default). */
  #nodeRunIds(): Set<number> {
    const ids = new Set<number>();
    for (const c of this.#comments.values()) {
      const decoded = decodeBody(c.body ?? "");
      if (decoded.kind !== "message") continue;
      const m = /^run-(\d+)(?:-a\d+)?-job-/.exec(decoded.message.node);
      if (m) ids.add(Number(m[1]));
    }
    return ids;
  }

  /** A conditional GET; `fresh` is false when the server answered 304. */
  async #get(url: string): Promise<{ fresh: boolean; body: unknown; link: string | null }> {
    if (new URL(url).origin !== this.#origin) {
      throw new Fatal(`Refusing to send the token to ${new URL(url).origin}.`);
    }
    const cached = this.#cache.get(url);
    const headers: Record<string, string> = {
      accept: "application/vnd.github+json",
      authorization: `Bearer ${this.#o.token}`,
      "x-github-api-version": "2022-11-28",
    };
    if (cached) headers["if-none-match"] = cached.etag;
    const res = await this.#o.fetch(url, { headers, cache: "no-store" });
    this.counts.total++;
    this.#noteRate(res.headers);
    const date = Date.parse(res.headers.get("date") ?? "");
    if (Number.isFinite(date) && date > this.#serverTime) {
      this.#serverTime = date;
      this.#localAtServer = this.#o.now();
    }
    if (res.status === 304 && cached) {
      this.counts.notModified++;
      await res.body?.cancel();
      return { fresh: false, body: cached.body, link: cached.link };
    }
    if (res.ok) {
      const body = await res.json();
      const etag = res.headers.get("etag");
      const link = res.headers.get("link");
      if (etag) this.#cache.set(url, { etag, body, link });
      return { fresh: true, body, link };
    }
    const text = await res.text();
    let message = text;
    try {
      message = String((JSON.parse(text) as { message?: unknown }).message ?? text);
    } catch { /* not JSON */ }
    this.#checkRateLimit(res, message);
    if (res.status === 401) {
      throw new Fatal("GitHub answered 401 Bad credentials: check the token, or forget it.");
    }
    if (res.status === 404 && url.includes("/issues/")) {
      throw new Fatal(
        `GitHub answered 404 for ${this.#o.repo}#${this.#o.issue}: check the repository and issue, ` +
          `and that the token can read them.`,
      );
    }
    throw new HttpStatus(res.status, message);
  }

  #checkRateLimit(res: Response, message: string): void {
    if (res.status !== 403 && res.status !== 429) return;
    const retryAfter = Number(res.headers.get("retry-after"));
    const remaining = res.headers.get("x-ratelimit-remaining");
    const reset = Number(res.headers.get("x-ratelimit-reset"));
    const now = this.#o.now();
    if (remaining === "0" && Number.isFinite(reset) && reset > 0 && !retryAfter) {
      this.counts.rateLimited++;
      const waitMs = Math.max(1_000, reset * 1000 - now);
      throw new RateLimited(
        waitMs,
        `Rate limit reached (${message.split(".")[0]}): polling paused until ${
          new Date(now + waitMs).toLocaleTimeString()
        }.`,
      );
    }
    if (
      res.status === 429 || retryAfter > 0 || /secondary rate limit|abuse/i.test(message)
    ) {
      this.counts.rateLimited++;
      this.#secondaryStreak++;
      const waitMs = retryAfter > 0
        ? retryAfter * 1000
        : 60_000 * 2 ** Math.min(5, this.#secondaryStreak - 1);
      throw new RateLimited(
        waitMs,
        `GitHub's secondary rate limit: backing off for ${Math.round(waitMs / 1000)} s ` +
          `(until ${new Date(now + waitMs).toLocaleTimeString()}).`,
      );
    }
  }

  #noteRate(headers: Headers): void {
    const limit = Number(headers.get("x-ratelimit-limit"));
    const remaining = Number(headers.get("x-ratelimit-remaining"));
    if (!headers.has("x-ratelimit-limit") || !Number.isFinite(limit)) return;
    this.#rate = {
      limit,
      remaining,
      used: Number(headers.get("x-ratelimit-used") ?? limit - remaining),
      reset: Number(headers.get("x-ratelimit-reset") ?? 0),
    };
  }
}

class HttpStatus extends Error {
  constructor(readonly status: number, message: string) {
    super(`HTTP ${status}: ${message}`);
  }
}

/** The `rel="next"` URL of a `Link` header, if it stays on `origin`. */
function nextLink(link: string | null, origin: string): string | null {
  if (!link) return null;
  for (const part of link.split(",")) {
    const m = /<([^>]+)>\s*;\s*rel="next"/.exec(part);
    if (m) {
      const url = new URL(m[1]!);
      return url.origin === origin ? url.href : null;
    }
  }
  return null;
}

function toRunView(r: Record<string, unknown>): RunView {
  return {
    id: Number(r.id),
    runNumber: Number(r.run_number ?? 0),
    status: String(r.status ?? ""),
    conclusion: r.conclusion == null ? null : String(r.conclusion),
    event: String(r.event ?? ""),
    title: String(r.display_title ?? r.name ?? ""),
    htmlUrl: String(r.html_url ?? ""),
    createdAt: String(r.created_at ?? ""),
    updatedAt: String(r.updated_at ?? ""),
    startedAt: r.run_started_at == null ? null : String(r.run_started_at),
    jobs: null,
  };
}
