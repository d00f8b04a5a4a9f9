import assert from "node:assert/strict";
import { GitHubError } from "../../src/github/errors.ts";
import { clientOf, COMMENTS_PATH, FakeGitHub, OWNER, REPO } from "./_fake_github.ts";

Deno.test("identity reads GET /user once and caches it", async () => {
  await using fake = await FakeGitHub.start();
  const { gh } = clientOf(fake);

  const [a, b] = await Promise.all([gh.identity(), gh.identity()]);
  const c = await gh.identity();

  assert.deepEqual(a, { login: "p2p-bot", id: 1001, type: "User" });
  assert.equal(b, a);
  assert.equal(c, a);
  assert.equal(fake.received("GET", "/user").length, 1);
});

Deno.test("a given identity skips GET /user", async () => {
  await using fake = await FakeGitHub.start();
  const identity = { login: "someone", id: 5, type: "User" };
  const { gh } = clientOf(fake, { identity });

  assert.deepEqual(await gh.identity(), identity);
  assert.equal(gh.stats().requests, 0);
});

Deno.test("getIssue maps the issue and its label names", async () => {
  await using fake = await FakeGitHub.start();
  const { gh } = clientOf(fake);

  assert.deepEqual(await gh.getIssue(1), {
    number: 1,
    title: "Build it",
    body: "- [ ] T1",
    state: "open",
    labels: ["p2p-dev", "enhancement"],
    author: "alice",
    url: `https://github.com/${OWNER}/${REPO}/issues/1`,
  });
});

Deno.test("getIssue of a missing issue says what to check", async () => {
  await using fake = await FakeGitHub.start();
  const { gh } = clientOf(fake);

  const error = await gh.getIssue(99).then(() => undefined, (e) => e);

  assert.ok(error instanceof GitHubError, String(error));
  assert.equal(error.status, 404);
  assert.match(error.message, /^Cannot read issue #99: GitHub answered 404 "Not Found": check/);
  assert.equal(gh.stats().requests, 1); // 404 is not retried
});

Deno.test("permission reads role_name, falls back to permission, and maps 404 to none", async () => {
  await using fake = await FakeGitHub.start();
  fake.collaborators.set("mia", ["write", "maintain"]);
  fake.collaborators.set("tom", ["read", "triage"]);
  fake.collaborators.set("rex", ["write", "release-manager"]);
  const { gh } = clientOf(fake);

  assert.equal(await gh.permission("p2p-bot"), "admin");
  assert.equal(await gh.permission("mia"), "maintain");
  assert.equal(await gh.permission("tom"), "triage");
  assert.equal(await gh.permission("rex"), "write");
  assert.equal(await gh.permission("stranger"), "none");
  assert.equal(gh.stats().requests, 5);
});

Deno.test("branchSha and defaultBranch", async () => {
  await using fake = await FakeGitHub.start();
  fake.branches.set("feature/x", "9".repeat(40));
  const { gh } = clientOf(fake);

  assert.equal(await gh.defaultBranch(), "main");
  assert.equal(await gh.branchSha("main"), "a".repeat(40));
  assert.equal(await gh.branchSha("feature/x"), "9".repeat(40));
  await assert.rejects(
    () => gh.branchSha("nope"),
    /Cannot read branch "nope": GitHub answered 404/,
  );
});

Deno.test("stats count every request exactly, and match the server and the request log", async () => {
  await using fake = await FakeGitHub.start();
  fake.addComment("one");
  // 200, then 304; a 503 retried; a 429 retried; a 500 post recovered by nonce.
  fake.intercept("GET", `/repos/${OWNER}/${REPO}`, ({ fake }) => fake.json(503, { message: "x" }));
  fake.intercept(
    "GET",
    "/user",
    ({ fake }) =>
      fake.json(429, { message: "You have exceeded a secondary rate limit." }, {
        "retry-after": "1",
      }),
  );
  fake.intercept("POST", COMMENTS_PATH, ({ fake }) => fake.json(500, { message: "x" }));
  const { gh, log } = clientOf(fake);

  await gh.listComments(1); // GET 200
  await gh.listComments(1); // GET 304
  await gh.defaultBranch(); // GET 503, GET 200
  await gh.identity(); // GET 429, GET 200
  await gh.createComment(1, "two n2", "n2"); // POST 500, GET comments 200, POST 201

  assert.deepEqual(gh.stats(), {
    requests: 9,
    notModified: 1,
    writes: 2,
    rateLimited: 1,
    serverErrors: 2,
  });
  assert.equal(fake.requests.length, 9);
  assert.deepEqual(
    log.entries.map((e) => `${e.method} ${e.status}`),
    fake.requests.map((r) => `${r.method} ${r.status}`),
  );
  assert.equal(log.count({ status: 304 }), 1);
  assert.equal(log.count({ method: "POST", path: COMMENTS_PATH }), 2);
  assert.equal(log.filter({ path: /\/comments$/ }).length, 5);
  assert.deepEqual(log.entries.filter((e) => e.rateLimited).map((e) => e.status), [429]);
});
