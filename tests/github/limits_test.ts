import assert from "node:assert/strict";
import { GitHubError, PermissionError, RateLimitError } from "../../src/github/errors.ts";
import { clientOf, COMMENTS_PATH, FakeGitHub, OWNER, REPO } from "./_fake_github.ts";

const SECONDARY = {
  message:
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
  documentation_url:
    "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
};
const NOT_ACCESSIBLE = {
  message: "Resource not accessible by integration",
  documentation_url: "https://docs.github.com/rest/issues/comments#create-an-issue-comment",
};
const REPO_PATH = `/repos/${OWNER}/${REPO}`;

function statuses(fake: FakeGitHub, method: string, path: string): number[] {
  return fake.received(method, path).map((r) => r.status);
}

Deno.test("a secondary limit with retry-after waits that long, then retries", async () => {
  await using fake = await FakeGitHub.start();
  fake.intercept("GET", "/user", ({ fake }) => fake.json(403, SECONDARY, { "retry-after": "7" }));
  const { gh, waits, rateLimits } = clientOf(fake);

  const me = await gh.identity();

  assert.equal(me?.login, "p2p-bot");
  assert.deepEqual(statuses(fake, "GET", "/user"), [403, 200]);
  assert.deepEqual(waits, [7000]);
  assert.deepEqual(rateLimits, [
    {
      kind: "secondary",
      method: "GET",
      url: "/user",
      waitMs: 7000,
      retryCount: 0,
      willRetry: true,
    },
  ]);
  assert.deepEqual(gh.stats(), {
    requests: 2,
    notModified: 0,
    writes: 0,
    rateLimited: 1,
    serverErrors: 0,
  });
});

Deno.test("a secondary limit without retry-after waits a minute, doubling on each retry", async () => {
  await using fake = await FakeGitHub.start();
  fake.intercept("GET", REPO_PATH, ({ fake }) => fake.json(429, SECONDARY), 3);
  const { gh, waits, rateLimits } = clientOf(fake);

  assert.equal(await gh.defaultBranch(), "main");

  assert.deepEqual(statuses(fake, "GET", REPO_PATH), [429, 429, 429, 200]);
  assert.deepEqual(waits, [60_000, 120_000, 240_000]);
  assert.deepEqual(rateLimits.map((r) => r.retryCount), [0, 1, 2]);
  assert.equal(gh.stats().rateLimited, 3);
  assert.equal(gh.stats().requests, 4);
});

Deno.test("the minimum secondary wait is a knob", async () => {
  await using fake = await FakeGitHub.start();
  fake.intercept("GET", REPO_PATH, ({ fake }) => fake.json(403, SECONDARY), 2);
  const { gh, waits } = clientOf(fake, { minSecondaryWaitMs: 10 });

  await gh.defaultBranch();

  assert.deepEqual(waits, [10, 20]);
});

Deno.test("a secondary limit that persists gives up after the retries with RateLimitError", async () => {
  await using fake = await FakeGitHub.start();
  fake.intercept(
    "GET",
    REPO_PATH,
    ({ fake }) => fake.json(403, SECONDARY, { "retry-after": "30" }),
    Infinity,
  );
  const { gh, rateLimits } = clientOf(fake, { retries: 2 });

  const error = await gh.defaultBranch().then(() => undefined, (e) => e);

  assert.ok(error instanceof RateLimitError, String(error));
  assert.equal(error.kind, "secondary");
  assert.equal(error.retryAfterMs, 30_000);
  assert.equal(error.status, 403);
  assert.match(
    error.message,
    /secondary rate limit applies \(403 .*\) and the client stopped retrying \(at most 2 retries/,
  );
  assert.deepEqual(statuses(fake, "GET", REPO_PATH), [403, 403, 403]);
  assert.deepEqual(rateLimits.map((r) => r.willRetry), [true, true, false]);
});

Deno.test("a primary limit waits until x-ratelimit-reset by the server's clock", async () => {
  await using fake = await FakeGitHub.start();
  fake.intercept(
    "GET",
    REPO_PATH,
    ({ fake }) =>
      fake.json(403, { message: "API rate limit exceeded for installation ID 1." }, {
        "x-ratelimit-limit": "1000",
        "x-ratelimit-remaining": "0",
        "x-ratelimit-reset": String(fake.nowMs / 1000 + 30),
      }),
  );
  const { gh, waits, rateLimits } = clientOf(fake);

  assert.equal(await gh.defaultBranch(), "main");

  assert.deepEqual(statuses(fake, "GET", REPO_PATH), [403, 200]);
  assert.deepEqual(waits, [31_000]);
  assert.equal(rateLimits[0]?.kind, "primary");
  assert.equal(gh.stats().rateLimited, 1);
});

Deno.test("a primary limit resetting later than maxRateLimitWaitMs throws at once", async () => {
  await using fake = await FakeGitHub.start();
  fake.intercept(
    "GET",
    REPO_PATH,
    ({ fake }) =>
      fake.json(429, { message: "API rate limit exceeded for user ID 1." }, {
        "x-ratelimit-remaining": "0",
        "x-ratelimit-reset": String(fake.nowMs / 1000 + 3600),
      }),
  );
  const { gh, waits } = clientOf(fake);

  const error = await gh.defaultBranch().then(() => undefined, (e) => e);

  assert.ok(error instanceof RateLimitError, String(error));
  assert.equal(error.kind, "primary");
  assert.equal(error.retryAfterMs, 3_601_000);
  assert.match(error.message, /Wait 3601 s/);
  assert.deepEqual(waits, []);
  assert.equal(gh.stats().requests, 1);
});

Deno.test("403 Resource not accessible by integration is a permission error, never retried", async () => {
  await using fake = await FakeGitHub.start();
  fake.intercept("POST", COMMENTS_PATH, ({ fake }) => fake.json(403, NOT_ACCESSIBLE), Infinity);
  const { gh, waits, rateLimits } = clientOf(fake);

  const error = await gh.createComment(1, "hi n1", "n1").then(() => undefined, (e) => e);

  assert.ok(error instanceof PermissionError, String(error));
  assert.equal(error.permission, "issues: write");
  assert.match(error.message, /"issues: write"/);
  assert.match(error.message, /Resource not accessible by integration/);
  assert.deepEqual(statuses(fake, "POST", COMMENTS_PATH), [403]);
  assert.deepEqual(waits, []);
  assert.deepEqual(rateLimits, []);
  assert.deepEqual(gh.stats(), {
    requests: 1,
    notModified: 0,
    writes: 1,
    rateLimited: 0,
    serverErrors: 0,
  });
});

Deno.test("permission errors name the permission each call needs", async () => {
  await using fake = await FakeGitHub.start();
  fake.intercept("POST", `${REPO_PATH}/git/refs`, ({ fake }) => fake.json(403, NOT_ACCESSIBLE));
  fake.intercept("POST", `${REPO_PATH}/pulls`, ({ fake }) => fake.json(403, NOT_ACCESSIBLE));
  fake.intercept("GET", COMMENTS_PATH, ({ fake }) => fake.json(403, NOT_ACCESSIBLE));
  const { gh } = clientOf(fake);

  await assert.rejects(
    () => gh.createRef("refs/heads/x", "a".repeat(40)),
    (e) => e instanceof PermissionError && e.permission === "contents: write",
  );
  await assert.rejects(
    () => gh.createPullRequest({ title: "t", head: "x", base: "main", body: "", draft: false }),
    (e) => e instanceof PermissionError && e.permission === "pull-requests: write",
  );
  await assert.rejects(
    () => gh.listComments(1),
    (e) => e instanceof PermissionError && e.permission === "issues: read",
  );
  assert.equal(gh.stats().requests, 3);
});

Deno.test("GET /user not accessible to an installation token: the identity comes from GraphQL's viewer, never an assumed github-actions[bot]", async () => {
  await using fake = await FakeGitHub.start();
  fake.intercept("GET", "/user", ({ fake }) => fake.json(403, NOT_ACCESSIBLE));
  fake.intercept("POST", "/graphql", ({ fake }) =>
    fake.json(200, {
      data: { viewer: { login: "my-app[bot]", databaseId: 77, __typename: "Bot" } },
    }));
  const { gh } = clientOf(fake);

  assert.deepEqual(await gh.identity(), { login: "my-app[bot]", id: 77, type: "Bot" });
  await gh.identity();
  assert.deepEqual(statuses(fake, "GET", "/user"), [403]);
  assert.deepEqual(statuses(fake, "POST", "/graphql"), [200]);
});

Deno.test("an installation token that neither GET /user nor GraphQL identifies is unknown until its first comment shows its author", async () => {
  await using fake = await FakeGitHub.start();
  fake.intercept("GET", "/user", ({ fake }) => fake.json(403, NOT_ACCESSIBLE));
  fake.intercept(
    "POST",
    "/graphql",
    ({ fake }) =>
      fake.json(200, { errors: [{ message: "Resource not accessible by integration" }] }),
  );
  const { gh } = clientOf(fake);

  assert.equal(await gh.identity(), undefined);
  await gh.createComment(1, "hello n-1", "n-1");
  assert.equal((await gh.identity())?.login, fake.login);
  assert.deepEqual(statuses(fake, "GET", "/user"), [403]);
});

Deno.test("reads are retried after 5xx answers and timeouts, a bounded number of times", async () => {
  await using fake = await FakeGitHub.start();
  fake.intercept("GET", REPO_PATH, ({ fake }) => fake.json(503, { message: "Unavailable" }));
  fake.intercept("GET", REPO_PATH, async ({ fake }) => {
    await fake.stall();
    return fake.json(504, { message: "Too late" });
  });
  const { gh, log } = clientOf(fake, { timeoutMs: 1000 });

  assert.equal(await gh.defaultBranch(), "main");
  assert.deepEqual(log.entries.map((e) => e.status), [503, 0, 200]);
  assert.match(log.entries[1]?.error ?? "", /did not answer GET .* within 1000 ms/);
  assert.deepEqual(gh.stats(), {
    requests: 3,
    notModified: 0,
    writes: 0,
    rateLimited: 0,
    serverErrors: 2,
  });

  fake.intercept("GET", REPO_PATH, ({ fake }) => fake.json(502, { message: "Bad" }), Infinity);
  const error = await gh.defaultBranch().then(() => undefined, (e) => e);
  assert.ok(error instanceof GitHubError, String(error));
  assert.equal(error.status, 502);
  assert.match(error.message, /failed with 502 .* after 3 retries/);
  assert.equal(gh.stats().requests, 3 + 4);
});

Deno.test("a bad token is a clear error", async () => {
  await using fake = await FakeGitHub.start();
  const { gh } = clientOf(fake, { token: "wrong" });

  await assert.rejects(
    () => gh.getIssue(1),
    /401 "Bad credentials": the token is missing, invalid/,
  );
  assert.equal(gh.stats().requests, 1);
});

Deno.test("timeScale shrinks the adapter's waits but not what it reports", async () => {
  await using fake = await FakeGitHub.start();
  fake.intercept("GET", "/user", ({ fake }) => fake.json(403, SECONDARY, { "retry-after": "7" }));
  const { gh, waits, rateLimits } = clientOf(fake, { timeScale: 0.001 });

  await gh.identity();

  assert.deepEqual(waits, [7]);
  assert.equal(rateLimits[0]?.waitMs, 7000);
});

Deno.test("own pacing spaces comment posts when intervals are set", async () => {
  await using fake = await FakeGitHub.start();
  const { gh, waits } = clientOf(fake, { writeIntervalMs: 60_000, contentIntervalMs: 180_000 });

  await gh.createComment(1, "a na", "na");
  assert.deepEqual(waits, []);
  await gh.createComment(1, "b nb", "nb");

  // The second post waits out the write spacing and the content spacing,
  // less the (short) time the first post took.
  assert.equal(waits.length, 2);
  const [write = 0, content = 0] = waits;
  assert.ok(write > 50_000 && write <= 60_000, String(waits));
  assert.ok(content > 170_000 && content <= 180_000, String(waits));
  assert.equal(fake.comments.length, 2);
});
