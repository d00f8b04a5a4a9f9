/**
 * The live source over real HTTP against the emulator: conditional reads
 * (304s are free and change nothing), incremental reads, edits, permission
 * look-ups, runs of this issue only, rate limits (primary and secondary)
 * with the wait GitHub asks for, a bad token, and the token's origin.
 */
import assert from "node:assert/strict";
import { LiveSource, type LiveSourceOptions } from "../../src/dashboard/live_source.ts";
import { buildModel } from "../../src/dashboard/model.ts";
import { type RunningEmulator, startEmulator } from "../../src/emulator/mod.ts";
import { encodeMessage } from "../../src/protocol/codec.ts";
import type { ProtocolEvent } from "../../src/protocol/types.ts";

const BOT = "github-actions[bot]";
const BOT_TOKEN = "ghs_live_bot";
const VIEWER = "vera";
const VIEWER_TOKEN = "ghp_live_vera";
const READER_TOKEN = "ghp_live_reader";
const STRANGER_TOKEN = "ghp_live_sam";
const WORKFLOW = ".github/workflows/p2p-autonomous-dev.yml";

async function world(): Promise<RunningEmulator> {
  return await startEmulator({
    port: 0,
    users: [
      { login: "octo", token: "ghp_live_octo" },
      { login: BOT },
      { login: VIEWER, token: VIEWER_TOKEN },
      { login: "rita", token: READER_TOKEN },
      { login: "sam", token: STRANGER_TOKEN },
    ],
    tokens: [{ token: BOT_TOKEN, login: BOT, kind: "actions", repos: ["octo/app"] }],
    repos: [{
      owner: "octo",
      name: "app",
      permissions: { [VIEWER]: "write" },
      issues: [{ title: "Swarm", author: "octo", body: "Do it." }],
      workflows: [{ name: "P2P", path: WORKFLOW }],
      runs: [
        { id: 501, workflow: WORKFLOW, jobs: [{ name: "swarm (1)" }] },
        { id: 502, workflow: WORKFLOW, displayTitle: "p2p-dev #1", jobs: [] },
        { id: 503, workflow: WORKFLOW, displayTitle: "p2p-dev #12" },
      ],
    }],
  });
}

function source(emu: RunningEmulator, extra: Partial<LiveSourceOptions> = {}): LiveSource {
  return new LiveSource({
    apiUrl: emu.url,
    htmlUrl: "https://github.com",
    repo: "octo/app",
    issue: 1,
    token: VIEWER_TOKEN,
    self: BOT,
    allow: [],
    workflow: "p2p-autonomous-dev.yml",
    source: "live",
    fetch: (input, init) => fetch(input, init),
    now: () => Date.now(),
    ...extra,
  });
}

async function post(emu: RunningEmulator, token: string, body: string): Promise<number> {
  const res = await fetch(`${emu.url}/repos/octo/app/issues/1/comments`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ body }),
  });
  assert.equal(res.status, 201);
  return (await res.json()).id;
}

const message = (node: string, events: ProtocolEvent[], nonce: string) =>
  encodeMessage({ node, nonce, events }, { repo: "octo/app", issue: 1 });

Deno.test("live source: unchanged reads are 304s that cost no rate limit and change nothing", async () => {
  const emu = await world();
  using _ = { [Symbol.dispose]: () => void emu.close() };
  await post(
    emu,
    BOT_TOKEN,
    message("run-501-job-1", [{ type: "election", term: 1, timeoutMs: 60_000 }], "a1"),
  );
  const live = source(emu);
  const first = await live.poll();
  assert.equal(first.changed, true);
  assert.equal(live.snapshot.comments.length, 1);
  // The first incremental read (a new `since` URL) is a 200; from then on, 304s.
  assert.equal((await live.poll()).changed, false);
  const used = emu.control.rateLimit(VIEWER_TOKEN).used;
  const before = emu.control.countsFor(VIEWER);
  const ownBefore = live.counts.notModified;
  const second = await live.poll();
  const after = emu.control.countsFor(VIEWER);
  assert.equal(second.changed, false);
  assert.equal(after.requests - before.requests, after.notModified - before.notModified);
  assert.ok(after.notModified - before.notModified >= 2, "comments and runs revalidated");
  assert.equal(emu.control.rateLimit(VIEWER_TOKEN).used, used);
  assert.equal(live.counts.notModified - ownBefore, after.notModified - before.notModified);
});

Deno.test("live source: new and edited comments arrive incrementally; an edit is folded as edited", async () => {
  const emu = await world();
  using _ = { [Symbol.dispose]: () => void emu.close() };
  const id = await post(
    emu,
    BOT_TOKEN,
    message("n1", [{ type: "election", term: 1, timeoutMs: 60_000 }], "b1"),
  );
  const live = source(emu);
  await live.poll();
  await post(emu, "ghp_live_octo", "A person says hello.");
  assert.equal((await live.poll()).changed, true);
  assert.equal(live.snapshot.comments.length, 2);
  const reads = emu.control.requestLog().filter((e) => e.path.includes("/comments?"));
  assert.match(reads.at(-1)!.path, /since=/, "later reads ask only for what changed");
  // The leader's election edited later: no longer trusted.
  const res = await fetch(`${emu.url}/repos/octo/app/issues/comments/${id}`, {
    method: "PATCH",
    headers: { authorization: `Bearer ${BOT_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({
      body: message("n1", [{ type: "election", term: 1, timeoutMs: 1 }], "b1"),
    }),
  });
  assert.equal(res.status, 200);
  await live.poll();
  const model = buildModel(live.snapshot, Date.now());
  assert.equal(live.snapshot.comments.length, 2, "an edit replaces, never duplicates");
  assert.equal(model.state.ignored.edited, 1);
  assert.equal(model.leader, null);
});

Deno.test("live source: authors of protocol messages are checked once; without push access the page judges by association", async () => {
  const emu = await world();
  using _ = { [Symbol.dispose]: () => void emu.close() };
  await post(
    emu,
    STRANGER_TOKEN,
    message("sam-node", [{ type: "election", term: 1, timeoutMs: 1 }], "c1"),
  );
  await post(
    emu,
    STRANGER_TOKEN,
    message("sam-node", [{ type: "election", term: 2, timeoutMs: 1 }], "c2"),
  );
  await post(emu, STRANGER_TOKEN, "an ordinary comment is never looked up");
  const live = source(emu);
  await live.poll();
  await live.poll();
  const lookups = emu.control.requestLog().filter((e) => e.path.includes("/permission"));
  assert.deepEqual(lookups.map((e) => e.path), ["/repos/octo/app/collaborators/sam/permission"]);
  assert.deepEqual(live.snapshot.trust.writers, []);
  assert.equal(buildModel(live.snapshot, Date.now()).state.ignored.untrusted_author, 2);
});

Deno.test("live source: the Workflows tab gets this issue's runs (named by node ids or #issue) with their jobs", async () => {
  const emu = await world();
  using _ = { [Symbol.dispose]: () => void emu.close() };
  await post(
    emu,
    BOT_TOKEN,
    message("run-501-job-1", [{ type: "announce", role: "worker" }], "d1"),
  );
  const live = source(emu);
  await live.poll();
  const runs = live.snapshot.runs!;
  assert.deepEqual(runs.map((r) => r.id).sort(), [501, 502]);
  assert.deepEqual(runs.find((r) => r.id === 501)!.jobs!.map((j) => j.name), ["swarm (1)"]);
  const none = source(emu, { workflow: "missing.yml" });
  await none.poll();
  assert.deepEqual(none.snapshot.runs, []);
  assert.match(none.snapshot.runsNote!, /No workflow missing\.yml/);
});

Deno.test("live source: a primary rate limit pauses until the reset and says so; no request before then", async () => {
  const emu = await world();
  using _ = { [Symbol.dispose]: () => void emu.close() };
  const live = source(emu);
  await live.poll();
  emu.control.setLimits({ primary: { pat: 1 } });
  const limited = await live.poll();
  assert.ok(limited.waitMs > 60_000, `waits for the reset (${limited.waitMs} ms)`);
  assert.match(live.snapshot.notice!, /Rate limit reached .*polling paused until/);
  const before = emu.control.countsFor(VIEWER).requests;
  const again = await live.poll();
  assert.equal(emu.control.countsFor(VIEWER).requests, before, "no request while paused");
  assert.ok(again.waitMs > 0 && !again.changed);
  assert.equal(live.snapshot.comments.length, 0);
  assert.equal(live.counts.rateLimited, 1);
});

Deno.test("live source: a secondary limit waits retry-after, else a minute doubling", async () => {
  const emu = await world();
  using _ = { [Symbol.dispose]: () => void emu.close() };
  let clock = 1_000_000;
  const live = source(emu, { now: () => clock });
  emu.control.setFaults({
    script: [{ kind: "secondary", method: "GET", path: "/comments$", retryAfterSec: 42 }],
  });
  const first = await live.poll();
  assert.equal(first.waitMs, 42_000);
  assert.match(live.snapshot.notice!, /secondary rate limit: backing off for 42 s/);
  clock += 42_000;
  assert.equal((await live.poll()).waitMs, 0, "back to normal after the wait");
  assert.equal(live.snapshot.notice, null);
});

Deno.test("live source: a bad token stops polling with one clear line", async () => {
  const emu = await world();
  using _ = { [Symbol.dispose]: () => void emu.close() };
  const live = source(emu, { token: "ghp_wrong" });
  const result = await live.poll();
  assert.equal(result.fatal, true);
  assert.match(live.snapshot.notice!, /401 Bad credentials: check the token/);
});

Deno.test("live source: the token goes to the API origin only (a Link elsewhere is not followed)", async () => {
  const seen: { url: string; auth: string | null }[] = [];
  const fake: typeof fetch = (input, init) => {
    const url = String(input);
    seen.push({ url, auth: new Headers(init?.headers).get("authorization") });
    const body = url.includes("/comments") ? "[]" : '{"workflow_runs":[]}';
    return Promise.resolve(
      new Response(body, {
        headers: {
          etag: '"x"',
          link: '<https://evil.example/repos/o/r/issues/1/comments?page=2>; rel="next"',
        },
      }),
    );
  };
  const live = new LiveSource({
    apiUrl: "https://api.github.com",
    htmlUrl: "https://github.com",
    repo: "o/r",
    issue: 1,
    token: "ghp_secret",
    self: BOT,
    allow: [],
    workflow: "p2p-autonomous-dev.yml",
    source: "live",
    fetch: fake,
    now: () => 0,
  });
  await live.poll();
  assert.ok(seen.length >= 2);
  assert.ok(seen.every((s) => new URL(s.url).origin === "https://api.github.com"));
  assert.throws(
    () =>
      new LiveSource({
        apiUrl: "https://api.github.com",
        htmlUrl: "https://github.com",
        repo: "../evil",
        issue: 1,
        token: "t",
        self: BOT,
        allow: [],
        workflow: "w.yml",
        source: "live",
        fetch: fake,
        now: () => 0,
      }),
    /Invalid repository "\.\.\/evil"/,
  );
});
