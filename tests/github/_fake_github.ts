/**
 * A small fake of the GitHub REST API for the adapter's tests: real HTTP on
 * 127.0.0.1, only the endpoints the adapter calls, weak per-page ETags,
 * `Link` pagination, a controllable server clock (`Date` header), and
 * one-shot interceptors to inject faults. (The full emulator lives in
 * src/emulator; these tests do not depend on it.)
 *
 * @module
 */
import { createGitHub, type GitHubOptions, type RateLimitInfo } from "../../src/github/octokit.ts";
import type { GitHub } from "../../src/github/port.ts";
import { RequestLog } from "../../src/github/traffic.ts";

/** The token the fake accepts. */
export const TOKEN = "test-token";
/** Owner and repository the fake serves. */
export const OWNER = "octo";
export const REPO = "demo";

/** A comment as the REST API returns it. */
export interface FakeComment {
  id: number;
  body: string;
  user: { login: string; type: string };
  created_at: string;
  updated_at: string;
  author_association: string;
}

/** One request the fake received, with the status it answered. */
export interface ReceivedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  ifNoneMatch: string | null;
  status: number;
}

/** What an interceptor gets: the request, and `next()` to run the normal handler. */
export interface InterceptContext {
  req: Request;
  url: URL;
  body: unknown;
  fake: FakeGitHub;
  next: () => Promise<Response>;
}

interface Interceptor {
  method: string;
  path: string | RegExp;
  remaining: number;
  handle: (ctx: InterceptContext) => Response | Promise<Response>;
}

/** FNV-1a, enough for a test ETag. */
function hash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, "0");
}

function stripWeak(tag: string): string {
  return tag.trim().replace(/^W\//, "");
}

/**
 * The fake server. Start with {@linkcode FakeGitHub.start}; dispose with
 * `await using` or {@linkcode FakeGitHub.close}.
 */
export class FakeGitHub {
  /** Server clock, epoch ms, whole seconds; every write advances it by a second. */
  nowMs = Date.UTC(2025, 0, 1, 12, 0, 0);
  /** The token's identity. */
  login = "p2p-bot";
  comments: FakeComment[] = [];
  nextCommentId = 2_200_000_001;
  issues = new Map<number, { title: string; body: string; labels: string[]; state: string }>([
    [1, { title: "Build it", body: "- [ ] T1", labels: ["p2p-dev", "enhancement"], state: "open" }],
  ]);
  branches = new Map<string, string>([["main", "a".repeat(40)]]);
  refs = new Map<string, string>();
  /** username → [permission, role_name]. */
  collaborators = new Map<string, [string, string]>([["p2p-bot", ["admin", "admin"]]]);
  pulls: { number: number; head: string; base: string; html_url: string }[] = [];
  /** Every request received, in arrival order (status filled in on answer). */
  readonly requests: ReceivedRequest[] = [];
  readonly #interceptors: Interceptor[] = [];
  readonly #closing = new AbortController();
  readonly #server: Deno.HttpServer<Deno.NetAddr>;
  readonly baseUrl: string;

  private constructor() {
    this.#server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      (req) => this.#handle(req),
    );
    this.baseUrl = `http://127.0.0.1:${this.#server.addr.port}`;
  }

  /** Start a fake on a free port of 127.0.0.1. */
  static start(): Promise<FakeGitHub> {
    return Promise.resolve(new FakeGitHub());
  }

  /** Release stalled handlers and stop the server. */
  async close(): Promise<void> {
    this.#closing.abort();
    await this.#server.shutdown();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Resolves when the server closes: a handler awaiting it never answers in time. */
  stall(): Promise<void> {
    const signal = this.#closing.signal;
    return new Promise((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener("abort", () => resolve(), { once: true });
    });
  }

  /**
   * Answer the next `times` requests matching `method` and `path` (exact
   * pathname or pattern) with `handle` instead of the normal handler.
   */
  intercept(
    method: string,
    path: string | RegExp,
    handle: (ctx: InterceptContext) => Response | Promise<Response>,
    times = 1,
  ): void {
    this.#interceptors.push({ method, path, handle, remaining: times });
  }

  /** Requests received that match `method` and `path`. */
  received(method: string, path: string | RegExp): ReceivedRequest[] {
    return this.requests.filter((r) =>
      r.method === method && (typeof path === "string" ? r.path === path : path.test(r.path))
    );
  }

  /** Append a comment, as `login` unless another author is given. */
  addComment(body: string, author = this.login, type = "User"): FakeComment {
    this.nowMs += 1000;
    const at = new Date(this.nowMs).toISOString().replace(/\.000Z$/, "Z");
    const comment: FakeComment = {
      id: this.nextCommentId++,
      body,
      user: { login: author, type },
      created_at: at,
      updated_at: at,
      author_association: author === this.login ? "OWNER" : "NONE",
    };
    this.comments.push(comment);
    return comment;
  }

  /** Change a comment's body (and its updated_at). */
  editComment(id: number, body: string): FakeComment {
    const comment = this.comments.find((c) => c.id === id);
    if (!comment) throw new Error(`No comment ${id} in the fake.`);
    this.nowMs += 1000;
    comment.body = body;
    comment.updated_at = new Date(this.nowMs).toISOString().replace(/\.000Z$/, "Z");
    return comment;
  }

  /** A JSON answer stamped with the server clock. */
  json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
    return new Response(body === null ? null : JSON.stringify(body), {
      status,
      headers: {
        "content-type": "application/json; charset=utf-8",
        date: new Date(this.nowMs).toUTCString(),
        ...headers,
      },
    });
  }

  async #handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const record: ReceivedRequest = {
      method: req.method,
      path: url.pathname,
      query: url.searchParams,
      ifNoneMatch: req.headers.get("if-none-match"),
      status: 0,
    };
    this.requests.push(record);
    const text = req.method === "GET" || req.method === "HEAD" ? "" : await req.text();
    const body: unknown = text === "" ? undefined : JSON.parse(text);
    const next = () => Promise.resolve(this.#route(req, url, body));
    const interceptor = this.#interceptors.find((i) =>
      i.remaining > 0 && i.method === req.method &&
      (typeof i.path === "string" ? i.path === url.pathname : i.path.test(url.pathname))
    );
    let response: Response;
    if (interceptor) {
      interceptor.remaining--;
      response = await interceptor.handle({ req, url, body, fake: this, next });
    } else {
      response = await next();
    }
    record.status = response.status;
    return response;
  }

  #route(req: Request, url: URL, body: unknown): Response {
    const auth = req.headers.get("authorization") ?? "";
    if (auth !== `token ${TOKEN}` && auth !== `bearer ${TOKEN}`) {
      return this.json(401, { message: "Bad credentials" });
    }
    const repo = `/repos/${OWNER}/${REPO}`;
    const path = url.pathname;
    const m = req.method;
    const input = (body ?? {}) as Record<string, unknown>;
    let match: RegExpMatchArray | null;

    if (m === "GET" && path === "/user") {
      return this.json(200, { login: this.login, id: 1001, type: "User" });
    }
    if (!path.startsWith(repo)) return this.json(404, { message: "Not Found" });
    const rest = path.slice(repo.length);

    if (m === "GET" && rest === "") {
      return this.json(200, { full_name: `${OWNER}/${REPO}`, default_branch: "main" });
    }
    if (m === "GET" && (match = rest.match(/^\/branches\/(.+)$/))) {
      const name = decodeURIComponent(match[1] ?? "");
      const sha = this.branches.get(name);
      return sha === undefined
        ? this.json(404, { message: "Branch not found" })
        : this.json(200, { name, commit: { sha } });
    }
    if (m === "GET" && (match = rest.match(/^\/issues\/(\d+)$/))) {
      const n = Number(match[1]);
      const issue = this.issues.get(n);
      if (!issue) return this.json(404, { message: "Not Found" });
      return this.json(200, {
        number: n,
        title: issue.title,
        body: issue.body,
        state: issue.state,
        labels: issue.labels.map((name) => ({ name })),
        user: { login: "alice", type: "User" },
        html_url: `https://github.com/${OWNER}/${REPO}/issues/${n}`,
      });
    }
    if ((match = rest.match(/^\/issues\/(\d+)\/comments$/))) {
      if (!this.issues.has(Number(match[1]))) return this.json(404, { message: "Not Found" });
      if (m === "GET") return this.#listComments(req, url);
      if (m === "POST") {
        const comment = this.addComment(String(input.body ?? ""));
        return this.json(201, comment);
      }
    }
    if (m === "PATCH" && (match = rest.match(/^\/issues\/comments\/(\d+)$/))) {
      const id = Number(match[1]);
      if (!this.comments.some((c) => c.id === id)) return this.json(404, { message: "Not Found" });
      return this.json(200, this.editComment(id, String(input.body ?? "")));
    }
    if (m === "DELETE" && (match = rest.match(/^\/issues\/comments\/(\d+)$/))) {
      const at = this.comments.findIndex((c) => c.id === Number(match![1]));
      if (at < 0) return this.json(404, { message: "Not Found" });
      this.comments.splice(at, 1);
      return new Response(null, { status: 204 });
    }
    if (m === "GET" && (match = rest.match(/^\/collaborators\/([^/]+)\/permission$/))) {
      const who = decodeURIComponent(match[1] ?? "");
      const level = this.collaborators.get(who);
      if (!level) return this.json(404, { message: "Not Found" });
      return this.json(200, { permission: level[0], role_name: level[1], user: { login: who } });
    }
    if (m === "POST" && rest === "/git/refs") {
      const ref = String(input.ref ?? "");
      if (this.refs.has(ref)) return this.json(422, { message: "Reference already exists" });
      this.refs.set(ref, String(input.sha ?? ""));
      this.nowMs += 1000;
      return this.json(201, { ref, object: { sha: input.sha, type: "commit" } });
    }
    if (m === "GET" && (match = rest.match(/^\/git\/ref\/(.+)$/))) {
      const ref = `refs/${decodeURIComponent(match[1] ?? "")}`;
      const sha = this.refs.get(ref);
      return sha === undefined
        ? this.json(404, { message: "Not Found" })
        : this.json(200, { ref, object: { sha, type: "commit" } });
    }
    if (m === "DELETE" && (match = rest.match(/^\/git\/refs\/(.+)$/))) {
      const ref = `refs/${decodeURIComponent(match[1] ?? "")}`;
      if (!this.refs.delete(ref)) return this.json(422, { message: "Reference does not exist" });
      return new Response(null, {
        status: 204,
        headers: { date: new Date(this.nowMs).toUTCString() },
      });
    }
    if (rest === "/pulls") {
      if (m === "POST") {
        const head = String(input.head ?? "");
        const base = String(input.base ?? "");
        if (this.pulls.some((p) => p.head === head && p.base === base)) {
          return this.json(422, {
            message: "Validation Failed",
            errors: [{
              resource: "PullRequest",
              code: "custom",
              message: `A pull request already exists for ${OWNER}:${head}.`,
            }],
          });
        }
        const number = this.pulls.length + 1;
        const pr = {
          number,
          head,
          base,
          html_url: `https://github.com/${OWNER}/${REPO}/pull/${number}`,
        };
        this.pulls.push(pr);
        return this.json(201, pr);
      }
      if (m === "GET") {
        const head = url.searchParams.get("head") ?? "";
        const base = url.searchParams.get("base");
        return this.json(
          200,
          this.pulls.filter((p) =>
            `${OWNER}:${p.head}` === head && (base === null || p.base === base)
          ),
        );
      }
    }
    return this.json(404, { message: "Not Found" });
  }

  #listComments(req: Request, url: URL): Response {
    const perPage = Math.min(100, Number(url.searchParams.get("per_page") ?? "30"));
    const page = Number(url.searchParams.get("page") ?? "1");
    const since = url.searchParams.get("since");
    const all = since === null
      ? this.comments
      : this.comments.filter((c) => Date.parse(c.updated_at) >= Date.parse(since));
    const items = all.slice((page - 1) * perPage, page * perPage);
    const links: string[] = [];
    if (page * perPage < all.length) {
      const next = new URL(url);
      next.searchParams.set("page", String(page + 1));
      links.push(`<${next.href}>; rel="next"`);
      const last = new URL(url);
      last.searchParams.set("page", String(Math.ceil(all.length / perPage)));
      links.push(`<${last.href}>; rel="last"`);
    }
    const json = JSON.stringify(items);
    // Like GitHub's, the ETag covers the body only, not the Link header.
    const etag = `W/"${hash(json)}"`;
    const headers: Record<string, string> = { etag };
    if (links.length > 0) headers.link = links.join(", ");
    const sent = req.headers.get("if-none-match");
    if (sent !== null && sent.split(",").some((t) => stripWeak(t) === stripWeak(etag))) {
      return new Response(null, {
        status: 304,
        headers: { etag, date: new Date(this.nowMs).toUTCString() },
      });
    }
    return this.json(200, items, headers);
  }
}

/** A client of a fake plus what it recorded. */
export interface TestClient {
  gh: GitHub;
  log: RequestLog;
  /** Every wait the adapter asked for, in ms. */
  waits: number[];
  rateLimits: RateLimitInfo[];
}

/**
 * A client of `fake` whose waits are recorded and skipped (`sleep` returns at
 * once), with no pacing and immediate 5xx retries: tests count requests, not
 * time.
 */
export function clientOf(fake: FakeGitHub, options: Partial<GitHubOptions> = {}): TestClient {
  const log = new RequestLog();
  const waits: number[] = [];
  const rateLimits: RateLimitInfo[] = [];
  const gh = createGitHub({
    token: TOKEN,
    baseUrl: fake.baseUrl,
    owner: OWNER,
    repo: REPO,
    requestLog: log,
    sleep: (ms) => {
      waits.push(ms);
      return Promise.resolve();
    },
    serverErrorRetryBaseMs: 0,
    writeIntervalMs: 0,
    contentIntervalMs: 0,
    onRateLimit: (info) => rateLimits.push(info),
    ...options,
  });
  return { gh, log, waits, rateLimits };
}

/** Path of issue 1's comments on the fake. */
export const COMMENTS_PATH = `/repos/${OWNER}/${REPO}/issues/1/comments`;
