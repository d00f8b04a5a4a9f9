/**
 * `dashboard serve` without a browser: real HTTP between the emulator, the
 * server and event-stream clients. One poll serves every viewer; nobody
 * watching means no polling; the token never leaves the server.
 */
import assert from "node:assert/strict";
import { LiveSource } from "../../src/dashboard/live_source.ts";
import { DashboardServer } from "../../src/dashboard/serve.ts";
import type { Snapshot } from "../../src/dashboard/snapshot.ts";
import { startEmulator } from "../../src/emulator/mod.ts";
import { runCli } from "../cli/_run.ts";
import { startServe } from "./_serve.ts";

const TOKEN = "ghp_serve_vera";

/** Reads `snapshot` events from an event stream. */
class EventClient {
  readonly snapshots: Snapshot[] = [];
  #controller = new AbortController();
  #done: Promise<void>;
  #waiters: (() => void)[] = [];

  constructor(url: string) {
    this.#done = (async () => {
      const res = await fetch(url, { signal: this.#controller.signal });
      assert.equal(res.headers.get("content-type"), "text/event-stream; charset=utf-8");
      let buffer = "";
      try {
        for await (const chunk of res.body!.pipeThrough(new TextDecoderStream())) {
          buffer += chunk;
          let end: number;
          while ((end = buffer.indexOf("\n\n")) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const data = /^data: (.*)$/m.exec(block);
            if (/^event: snapshot$/m.test(block) && data) {
              this.snapshots.push(JSON.parse(data[1]!));
              for (const w of this.#waiters.splice(0)) w();
            }
          }
        }
      } catch (error) {
        if (!this.#controller.signal.aborted) throw error;
      }
    })();
  }

  async until(check: (s: Snapshot) => boolean): Promise<Snapshot> {
    for (;;) {
      const found = this.snapshots.find(check);
      if (found) return found;
      await new Promise<void>((r) => this.#waiters.push(r));
    }
  }

  async close(): Promise<void> {
    this.#controller.abort();
    await this.#done.catch(() => {});
  }
}

Deno.test("dashboard serve: one poll for every viewer, pushes after the poll that saw a change, none without viewers, no token sent", async () => {
  const emu = await startEmulator({
    port: 0,
    users: [{ login: "octo", token: "ghp_serve_octo" }, { login: "vera", token: TOKEN }],
    repos: [{
      owner: "octo",
      name: "app",
      permissions: { vera: "write" },
      issues: [{ title: "Swarm", author: "octo", body: "Do it." }],
    }],
  });
  const source = new LiveSource({
    apiUrl: emu.url,
    htmlUrl: "https://github.com",
    repo: "octo/app",
    issue: 1,
    token: TOKEN,
    self: "github-actions[bot]",
    allow: [],
    workflow: "p2p-autonomous-dev.yml",
    source: "serve",
    fetch: (input, init) => fetch(input, init),
    now: () => Date.now(),
  });
  const polls: number[] = [];
  const server = new DashboardServer({
    source,
    apiUrl: emu.url,
    htmlUrl: "https://github.com",
    workflow: "p2p-autonomous-dev.yml",
    pollMs: 1_000,
    onPoll: (_r, s) => polls.push(s.polls),
  });
  const http = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen: () => {} },
    (req) => server.handle(req),
  );
  const base = `http://127.0.0.1:${http.addr.port}`;
  const clients: EventClient[] = [];
  try {
    const page = await fetch(`${base}/`);
    assert.match(page.headers.get("content-security-policy")!, /frame-ancestors 'none'/);
    const html = await page.text();
    assert.ok(!html.includes(TOKEN));
    assert.match(html, /"served":true/);
    assert.equal(emu.control.countsFor("vera").requests, 0, "nobody watches: no poll");

    clients.push(new EventClient(`${base}/events`), new EventClient(`${base}/events`));
    await Promise.all(clients.map((c) => c.until(() => true)));
    const res = await fetch(`${emu.url}/repos/octo/app/issues/1/comments`, {
      method: "POST",
      headers: { authorization: "Bearer ghp_serve_octo", "content-type": "application/json" },
      body: JSON.stringify({ body: "A new note." }),
    });
    assert.equal(res.status, 201);
    const id = (await res.json()).id;
    const seen = await Promise.all(
      clients.map((c) => c.until((s) => s.comments.some((x) => x.id === id))),
    );
    // Both viewers got the same push: the poll that saw the comment.
    assert.equal(seen[0]!.polls, seen[1]!.polls);
    const firstWithIt = seen[0]!.polls;
    assert.ok(polls.includes(firstWithIt));
    for (const c of clients) {
      assert.equal(
        c.snapshots.filter((s) => s.comments.some((x) => x.id === id))[0]!.polls,
        firstWithIt,
      );
    }
    // One comments read per poll, whatever the number of viewers.
    const reads = emu.control.requestLog().filter((e) =>
      e.login === "vera" && e.method === "GET" && e.path.includes("/issues/1/comments")
    );
    assert.equal(reads.length, polls.length);
    const snapshot = await (await fetch(`${base}/snapshot.json`)).text();
    assert.ok(!snapshot.includes(TOKEN), "the token stays on the server");
    for (const c of clients.splice(0)) await c.close();
    // Nobody watches any more: polling stops.
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(server.viewers, 0);
    const after = emu.control.countsFor("vera").requests;
    await new Promise((r) => setTimeout(r, 1_500));
    assert.equal(emu.control.countsFor("vera").requests, after, "no viewer, no poll");
  } finally {
    for (const c of clients) await c.close();
    server.close();
    await http.shutdown();
    await emu.close();
  }
});

Deno.test("dashboard serve refuses a poll interval below a second", () => {
  assert.throws(
    () =>
      new DashboardServer({
        source: {} as LiveSource,
        apiUrl: "https://api.github.com",
        htmlUrl: "https://github.com",
        workflow: "w.yml",
        pollMs: 200,
      }),
    /Invalid poll interval 200 ms: use at least 1000 ms/,
  );
});

Deno.test("p2p-dev dashboard: usage errors are one line with exit code 2", async () => {
  const env = { GITHUB_TOKEN: "ghp_x", GITHUB_REPOSITORY: "o/r" };
  const badPort = await runCli(["dashboard", "serve", "--issue", "1", "--port", "http"], env);
  assert.equal(badPort.code, 2);
  assert.equal(badPort.stderr.trim(), 'p2p-dev: Invalid port "http" (--port): use 0 to 65535.');
  const badEnvPort = await runCli(["dashboard", "serve", "--issue", "1"], {
    ...env,
    PORT: "99999",
  });
  assert.equal(badEnvPort.code, 2);
  assert.match(badEnvPort.stderr, /Invalid port "99999" \(PORT\)/);
  const noIssue = await runCli(["dashboard", "serve"], env);
  assert.equal(noIssue.code, 2);
  assert.match(noIssue.stderr, /--issue/);
  const fast = await runCli(["dashboard", "serve", "--issue", "1", "--poll-ms", "10"], env);
  assert.equal(fast.code, 2);
  assert.match(fast.stderr, /Invalid --poll-ms "10": expected at least 1000 milliseconds/);
  const noOut = await runCli(["dashboard", "build"]);
  assert.equal(noOut.code, 2);
});

/** A port nothing listens on right now. */
function freePort(): number {
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close();
  return port;
}

Deno.test("dashboard serve listens on every interface at $PORT when --port is not given, as hosting platforms expect; --port wins and stays on 127.0.0.1", async () => {
  const port = freePort();
  for (
    const [env, args, url] of [
      [{ PORT: String(port) }, [], `http://0.0.0.0:${port}/`],
      [{ PORT: "1" }, ["--port", String(port)], `http://127.0.0.1:${port}/`],
    ] as const
  ) {
    // Nobody watches, so the server never polls: the API is never asked.
    await using served = startServe(["--issue", "1", ...args, "--self", "bot"], {
      PATH: Deno.env.get("PATH") ?? "",
      HOME: Deno.env.get("HOME") ?? "/tmp",
      NO_COLOR: "1",
      GITHUB_TOKEN: TOKEN,
      GITHUB_REPOSITORY: "octo/app",
      GITHUB_API_URL: "http://127.0.0.1:9",
      ...env,
    });
    const { line, url: shown } = await served.listening;
    assert.equal(shown, url, line);
    const page = await fetch(`http://127.0.0.1:${port}/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<title>[^<]*p2p-dev/);
  }
});

Deno.test("p2p-dev dashboard build writes one page, with metrics.json and comments.json inside when they are beside it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "p2p-dashboard-build-" });
  try {
    const bare = await runCli([
      "dashboard",
      "build",
      "--out",
      dir,
      "--api-url",
      "https://ghe.example/api/v3",
    ]);
    assert.equal(bare.code, 0, bare.stderr);
    const page = await Deno.readTextFile(`${dir}/index.html`);
    assert.match(page, /connect-src 'self' https:\/\/ghe\.example;/);
    assert.match(page, /"snapshot":null/);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["index.html"]);

    await Deno.writeTextFile(`${dir}/metrics.json`, JSON.stringify({ repo: "o/r", issue: 3 }));
    await Deno.writeTextFile(
      `${dir}/comments.json`,
      JSON.stringify([{
        id: 5,
        body: "hi",
        user: { login: "a" },
        created_at: "2025-01-01T00:00:00Z",
        updated_at: "2025-01-01T00:00:00Z",
      }]),
    );
    const full = await runCli(["dashboard", "build", "--out", dir]);
    assert.equal(full.code, 0, full.stderr);
    assert.match(full.stdout, /with metrics\.json and comments\.json inside/);
    assert.match(await Deno.readTextFile(`${dir}/index.html`), /"repo":"o\/r","issue":3/);

    await Deno.writeTextFile(`${dir}/comments.json`, "{");
    const broken = await runCli(["dashboard", "build", "--out", dir]);
    assert.equal(broken.code, 2);
    assert.match(broken.stderr, /comments\.json" is not JSON/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
