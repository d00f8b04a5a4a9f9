/**
 * `dashboard serve`: one server polls the issue for any number of viewers,
 * with the server's token (which never reaches a browser), and pushes each
 * change to every open page with server-sent events right after the poll
 * that saw it. It polls only while someone watches.
 *
 * Routes: `GET /` the page, `GET /events` the event stream (`snapshot`
 * events), `GET /snapshot.json` the current snapshot, `GET /healthz`.
 *
 * @module
 */
import type { LiveSource, PollResult } from "./live_source.ts";
import { contentSecurityPolicy, renderDashboard } from "./render_page.ts";
import type { Snapshot } from "./snapshot.ts";

/** Options of {@linkcode DashboardServer}. */
export interface DashboardServerOptions {
  source: LiveSource;
  /** API base URL (for links and the page's CSP). */
  apiUrl: string;
  htmlUrl: string;
  workflow: string;
  /** Poll interval while viewers are connected. */
  pollMs: number;
  /** Told about each poll (for logs). */
  onPoll?: (result: PollResult, snapshot: Snapshot) => void;
}

interface Viewer {
  send(chunk: string): void;
  close(): void;
}

const encoder = new TextEncoder();

/**
 * The server's request handler and poll loop.
 *
 * @example
 * ```ts
 * const server = new DashboardServer({ source, apiUrl, htmlUrl, workflow, pollMs: 5_000 });
 * Deno.serve({ port: 8080 }, (req) => server.handle(req));
 * ```
 */
export class DashboardServer {
  #o: DashboardServerOptions;
  #page: string;
  #viewers = new Set<Viewer>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #polling: Promise<void> | null = null;
  #snapshot: Snapshot | null = null;
  #closed = false;
  #keepAlive: ReturnType<typeof setInterval> | undefined;

  constructor(options: DashboardServerOptions) {
    if (!(options.pollMs >= 1_000)) {
      throw new RangeError(
        `Invalid poll interval ${options.pollMs} ms: use at least 1000 ms (GitHub's per-minute limits).`,
      );
    }
    this.#o = options;
    this.#page = renderDashboard({
      apiUrl: options.apiUrl,
      htmlUrl: options.htmlUrl,
      served: true,
      workflow: options.workflow,
    });
  }

  /** Number of open event streams. */
  get viewers(): number {
    return this.#viewers.size;
  }

  /** The latest snapshot, once a poll happened. */
  get snapshot(): Snapshot | null {
    return this.#snapshot;
  }

  /** Handles one HTTP request. */
  handle(req: Request): Response {
    const url = new URL(req.url);
    if (req.method !== "GET" && req.method !== "HEAD") {
      return new Response("Method not allowed\n", { status: 405, headers: { allow: "GET, HEAD" } });
    }
    switch (url.pathname) {
      case "/":
      case "/index.html":
        return new Response(this.#page, {
          headers: {
            "content-type": "text/html; charset=utf-8",
            "content-security-policy": `${
              contentSecurityPolicy(this.#o.apiUrl)
            }; frame-ancestors 'none'`,
            "x-content-type-options": "nosniff",
            "referrer-policy": "no-referrer",
            "cache-control": "no-store",
          },
        });
      case "/events":
        return this.#events(req);
      case "/snapshot.json":
        return Response.json(this.#snapshot, { headers: { "cache-control": "no-store" } });
      case "/healthz":
        return new Response("ok\n");
      default:
        return new Response("Not found\n", { status: 404 });
    }
  }

  /** Stops polling and closes every stream. */
  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.#keepAlive !== undefined) clearInterval(this.#keepAlive);
    for (const v of this.#viewers) v.close();
    this.#viewers.clear();
  }

  #events(req: Request): Response {
    let viewer: Viewer | undefined;
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        viewer = {
          send: (chunk) => {
            try {
              controller.enqueue(encoder.encode(chunk));
            } catch {
              this.#drop(viewer!);
            }
          },
          close: () => {
            try {
              controller.close();
            } catch { /* already closed */ }
          },
        };
        this.#viewers.add(viewer);
        viewer.send("retry: 3000\n\n");
        if (this.#snapshot) viewer.send(event(this.#snapshot));
        this.#ensurePolling();
      },
      cancel: () => {
        if (viewer) this.#drop(viewer);
      },
    });
    req.signal.addEventListener("abort", () => viewer && this.#drop(viewer), { once: true });
    return new Response(body, {
      headers: {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-store",
        "x-accel-buffering": "no",
      },
    });
  }

  #drop(viewer: Viewer): void {
    if (!this.#viewers.delete(viewer)) return;
    viewer.close();
    if (this.#viewers.size === 0) {
      if (this.#timer !== undefined) clearTimeout(this.#timer);
      this.#timer = undefined;
      if (this.#keepAlive !== undefined) clearInterval(this.#keepAlive);
      this.#keepAlive = undefined;
    }
  }

  /** Starts the poll loop if viewers wait and it is not running. */
  #ensurePolling(): void {
    if (this.#closed || this.#timer !== undefined || this.#polling) return;
    // Proxies close idle streams: a comment line every 25 s keeps them open.
    this.#keepAlive ??= setInterval(() => {
      for (const v of this.#viewers) v.send(": keep-alive\n\n");
    }, 25_000);
    this.#polling = this.#poll().finally(() => {
      this.#polling = null;
    });
  }

  async #poll(): Promise<void> {
    this.#timer = undefined;
    const result = await this.#o.source.poll();
    const snapshot = this.#o.source.snapshot;
    if (result.changed || this.#snapshot === null) {
      this.#snapshot = snapshot;
      const chunk = event(snapshot);
      for (const v of this.#viewers) v.send(chunk);
    } else {
      this.#snapshot = snapshot;
    }
    this.#o.onPoll?.(result, snapshot);
    if (this.#closed || this.#viewers.size === 0 || result.fatal) return;
    this.#timer = setTimeout(() => {
      this.#polling = this.#poll().finally(() => {
        this.#polling = null;
      });
    }, Math.max(this.#o.pollMs, result.waitMs));
  }
}

function event(snapshot: Snapshot): string {
  return `id: ${snapshot.polls}\nevent: snapshot\ndata: ${JSON.stringify(snapshot)}\n\n`;
}
