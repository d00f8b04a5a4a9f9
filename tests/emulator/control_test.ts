/**
 * The control surface (in process and over HTTP), persistence across
 * restarts, and the headers every answer carries (Date, ETag, Cache-Control,
 * Vary, CORS).
 */
import assert from "node:assert/strict";
import { createEmulator, DEMO, seedDemo, startEmulator } from "../../src/emulator/mod.ts";
import { BASIC, harness, rejection, REPO, sharedContract } from "./helpers.ts";
import { contractFetch } from "./openapi_contract.ts";

Deno.test("HTTP control: seed, faults, limits, log, counts, time", async () => {
  const h = await harness({ http: true });
  try {
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${h.url}/_emulator${path}`, {
        method,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.status, body: await res.json() };
    };
    assert.equal((await call("GET", "")).status, 200);
    const demo = await call("POST", "/seed", { demo: true });
    assert.equal(demo.body.tokens.stranger, DEMO.tokens.stranger);
    const seeded = await call("POST", "/seed", { users: [{ login: "extra", token: "ghp_extra" }] });
    assert.deepEqual(seeded.body.tokens, { extra: "ghp_extra" });

    const faults = await call("POST", "/faults", { serverErrors: { rate: 0.5 } });
    assert.equal(faults.body.serverErrors.rate, 0.5);
    const bad = await call("POST", "/faults", { serverErrors: { rate: 5 } });
    assert.equal(bad.status, 400);
    assert.match(
      bad.body.message,
      /Invalid faults.serverErrors.rate 5: expected a number from 0 to 1/,
    );
    const unknown = await call("POST", "/faults", { lag: 1 });
    assert.match(unknown.body.message, /Unknown fault setting "lag"/);
    assert.equal((await call("DELETE", "/faults")).body.serverErrors.rate, 0);
    assert.equal((await call("POST", "/limits", { primary: { pat: 10 } })).body.primary.pat, 10);

    const octo = h.octokit(DEMO.tokens.owner);
    await octo.rest.issues.createComment({
      owner: DEMO.owner,
      repo: DEMO.repo,
      issue_number: 1,
      body: "hi",
    });
    await octo.rest.issues.get({ owner: DEMO.owner, repo: DEMO.repo, issue_number: 1 });
    const log = await call("GET", "/log");
    assert.deepEqual(
      log.body.map((
        e: { operation: string; status: number; login: string },
      ) => [e.operation, e.status, e.login]),
      [["issues/create-comment", 201, "octo-owner"], ["issues/get", 200, "octo-owner"]],
    );
    assert.equal((await call("GET", `/log?since=${log.body[0].seq}`)).body.length, 1);
    const counts = await call("GET", "/counts");
    assert.equal(counts.body["octo-owner"].requests, 2);
    assert.equal(counts.body["octo-owner"].writes, 1);

    const before = (await call("GET", "/time")).body.now;
    const after = (await call("POST", "/time", { advanceMs: 86_400_000 })).body.now;
    assert.ok(after - before >= 86_400_000);
    const dispatches = await call("GET", `/dispatches?repo=${DEMO.owner}/${DEMO.repo}`);
    assert.deepEqual(dispatches.body, []);
    assert.equal((await call("GET", "/nope")).status, 404);
  } finally {
    await h.close();
  }
});

Deno.test("HTTP control: snapshot and restore", async () => {
  const h = await harness({ ...BASIC, http: true });
  try {
    const octo = h.octokit("ghp_octo");
    await octo.rest.issues.createComment({ ...REPO, issue_number: 1, body: "kept" });
    const snapshot = await (await fetch(`${h.url}/_emulator/snapshot`)).json();
    assert.equal(snapshot.format, "p2p-dev-emulator");
    await octo.rest.issues.createComment({ ...REPO, issue_number: 1, body: "dropped" });
    const restored = await fetch(`${h.url}/_emulator/restore`, {
      method: "POST",
      body: JSON.stringify(snapshot),
    });
    assert.equal(restored.status, 200);
    await restored.body?.cancel();
    const list = await octo.rest.issues.listComments({ ...REPO, issue_number: 1 });
    assert.deepEqual(list.data.map((c) => c.body), ["kept"]);
    const next = await octo.rest.issues.createComment({ ...REPO, issue_number: 1, body: "new" });
    assert.ok(next.data.id > list.data[0]!.id);
    const bad = await fetch(`${h.url}/_emulator/restore`, { method: "POST", body: "{}" });
    assert.equal(bad.status, 400);
    assert.match((await bad.json()).message, /Invalid emulator snapshot/);
  } finally {
    await h.close();
  }
});

Deno.test("in-process control: snapshot, restore, counts, demo seed", async () => {
  const emulator = createEmulator();
  const { control } = emulator;
  const handler = contractFetch(
    await sharedContract(),
    (input, init) => emulator.handler(new Request(input, init)),
  );
  const demo = seedDemo(control);
  const snapshot = control.snapshot();
  const res = await handler(`http://x/repos/${demo.owner}/${demo.repo}/issues/1/comments`, {
    method: "POST",
    headers: { authorization: `token ${demo.tokens.stranger}` },
    body: JSON.stringify({ body: "a stranger may comment on a public repository" }),
  });
  assert.equal(res.status, 201);
  await res.body?.cancel();
  assert.equal(control.comments(demo.owner, demo.repo, 1).length, 1);
  assert.equal(control.countsFor(demo.logins.stranger).writes, 1);
  control.restore(snapshot);
  assert.equal(control.comments(demo.owner, demo.repo, 1).length, 0);
  assert.throws(() => control.restore({ format: "other" }), /Invalid emulator snapshot/);
  assert.throws(
    () => control.setFaults({ latency: { distribution: "gamma" } as never }),
    /faults.latency/,
  );
  assert.throws(() => control.setLimits({ primary: { pat: -1 } }), /Invalid limits.primary.pat -1/);
});

Deno.test("--state: the world survives a restart", async () => {
  const dir = await Deno.makeTempDir();
  const statePath = `${dir}/state.json`;
  const checked = contractFetch(await sharedContract(), fetch);
  try {
    const first = await startEmulator({ ...BASIC, statePath });
    const octo = () => first.url;
    const res = await checked(`${octo()}/repos/octo/hello/issues/1/comments`, {
      method: "POST",
      headers: { authorization: "token ghp_octo" },
      body: JSON.stringify({ body: "persisted" }),
    });
    const { id } = await res.json();
    await first.close();

    const second = await startEmulator({ statePath });
    try {
      assert.deepEqual(second.control.comments("octo", "hello", 1).map((c) => c.body), [
        "persisted",
      ]);
      const next = await checked(`${second.url}/repos/octo/hello/issues/1/comments`, {
        method: "POST",
        headers: { authorization: "token ghp_octo" },
        body: JSON.stringify({ body: "after restart" }),
      });
      assert.ok((await next.json()).id > id, "ids keep increasing across restarts");
    } finally {
      await second.close();
    }
    const saved = JSON.parse(await Deno.readTextFile(statePath));
    assert.equal(saved.repos[0].comments.length, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("headers: Date from emulated time, weak ETag, Cache-Control, Vary, request id, CORS", async () => {
  const h = await harness({ ...BASIC, http: true });
  try {
    h.control.advance(10 * 86_400_000);
    const res = await h.fetch(`${h.url}/repos/octo/hello/issues/1`, {
      headers: { authorization: "token ghp_octo" },
    });
    await res.body?.cancel();
    const date = Date.parse(res.headers.get("date")!);
    assert.ok(Math.abs(date - h.control.now()) < 5_000, "Date is emulated time");
    assert.ok(date - Date.now() > 9 * 86_400_000, "not the wall clock");
    assert.match(res.headers.get("etag")!, /^W\/"/);
    assert.equal(res.headers.get("cache-control"), "private, max-age=60, s-maxage=60");
    assert.match(res.headers.get("vary")!, /^Accept, Authorization, Cookie, X-GitHub-OTP/);
    assert.match(res.headers.get("x-github-request-id")!, /^[0-9A-F]{4}:[0-9A-F]{4}:/);
    assert.equal(res.headers.get("access-control-allow-origin"), "*");
    assert.match(
      res.headers.get("access-control-expose-headers")!,
      /ETag, Link, Location, Retry-After/,
    );
    assert.match(res.headers.get("access-control-expose-headers")!, /X-RateLimit-Remaining/);

    const preflight = await fetch(`${h.url}/repos/octo/hello/issues/1/comments`, {
      method: "OPTIONS",
      headers: { origin: "http://localhost:3000", "access-control-request-method": "POST" },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get("access-control-allow-origin"), "*");
    assert.match(preflight.headers.get("access-control-allow-headers")!, /Authorization/);
    assert.match(preflight.headers.get("access-control-allow-methods")!, /PATCH/);
    await preflight.body?.cancel();

    const missing = await rejection(h.octokit("ghp_octo").request("GET /nope"));
    assert.equal(missing.status, 404);
  } finally {
    await h.close();
  }
});

Deno.test("a private repository is hidden from strangers", async () => {
  const h = await harness({
    ...BASIC,
    repos: [{ owner: "octo", name: "secret", private: true, permissions: { reader: "read" } }],
  });
  try {
    const hidden = await rejection(
      h.octokit("ghp_stranger").rest.repos.get({ owner: "octo", repo: "secret" }),
    );
    assert.equal(hidden.status, 404);
    const anon = await rejection(h.octokit().rest.repos.get({ owner: "octo", repo: "secret" }));
    assert.equal(anon.status, 404);
    const seen = await h.octokit("ghp_reader").rest.repos.get({ owner: "octo", repo: "secret" });
    assert.equal(seen.data.private, true);
  } finally {
    await h.close();
  }
});

Deno.test("token scopes restrict a workflow token like a permissions: block", async () => {
  const h = await harness({
    ...BASIC,
    tokens: [{
      token: "ghs_readonly",
      login: "github-actions[bot]",
      kind: "actions",
      repos: ["octo/hello"],
      permissions: { issues: "read", contents: "write" },
    }],
  });
  try {
    const bot = h.octokit("ghs_readonly");
    await bot.rest.issues.get({ ...REPO, issue_number: 1 });
    const write = await rejection(
      bot.rest.issues.createComment({ ...REPO, issue_number: 1, body: "x" }),
    );
    assert.equal(write.status, 403);
    assert.match(write.message, /Resource not accessible by integration/);
    const main = await bot.rest.repos.getBranch({ ...REPO, branch: "main" });
    await bot.rest.git.createRef({ ...REPO, ref: "refs/heads/ok", sha: main.data.commit.sha });
  } finally {
    await h.close();
  }
});
