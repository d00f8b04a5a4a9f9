import assert from "node:assert/strict";
import { OutcomeUnknownError } from "../../src/github/errors.ts";
import { clientOf, COMMENTS_PATH, FakeGitHub, OWNER, REPO } from "./_fake_github.ts";

const NONCE = "n-7f3a9c";
const BODY = `CLAIM T1 attempt 1 <!-- p2p nonce=${NONCE} -->`;
const REFS_PATH = `/repos/${OWNER}/${REPO}/git/refs`;

Deno.test("createComment posts once and returns the comment", async () => {
  await using fake = await FakeGitHub.start();
  const { gh } = clientOf(fake);

  const comment = await gh.createComment(1, BODY, NONCE);

  assert.equal(comment.id, fake.comments[0]?.id);
  assert.equal(comment.body, BODY);
  assert.equal(comment.author, "p2p-bot");
  assert.equal(fake.received("POST", COMMENTS_PATH).length, 1);
  assert.deepEqual(gh.stats(), {
    requests: 1,
    notModified: 0,
    writes: 1,
    rateLimited: 0,
    serverErrors: 0,
  });
});

Deno.test("a post that timed out after creating the comment is found by its nonce, not posted twice", async () => {
  await using fake = await FakeGitHub.start();
  fake.addComment("earlier");
  // The server applies the write, then never answers in time.
  fake.intercept("POST", COMMENTS_PATH, async ({ next, fake }) => {
    await next();
    await fake.stall();
    return new Response(null, { status: 504 });
  });
  const { gh, log, waits } = clientOf(fake, { timeoutMs: 1000 });
  await gh.listComments(1); // learns the server time, so the re-read can use since

  const comment = await gh.createComment(1, BODY, NONCE);

  assert.equal(fake.received("POST", COMMENTS_PATH).length, 1);
  assert.equal(fake.comments.length, 2);
  assert.equal(comment.id, fake.comments[1]?.id);
  assert.equal(comment.body, BODY);
  // POST (no answer) → GET /user → GET comments since a few minutes back.
  assert.deepEqual(log.entries.slice(1).map((e) => [e.method, new URL(e.url).pathname, e.status]), [
    ["POST", COMMENTS_PATH, 0],
    ["GET", "/user", 200],
    ["GET", COMMENTS_PATH, 200],
  ]);
  const reread = fake.received("GET", COMMENTS_PATH)[1];
  assert.equal(reread?.query.get("since"), "2025-01-01T11:55:01Z");
  assert.deepEqual(waits, [2000]); // the settle window before re-reading
  assert.deepEqual(gh.stats(), {
    requests: 4,
    notModified: 0,
    writes: 1,
    rateLimited: 0,
    serverErrors: 1,
  });
});

Deno.test("a post that failed with 500 without creating the comment is posted again, once", async () => {
  await using fake = await FakeGitHub.start();
  fake.intercept("POST", COMMENTS_PATH, ({ fake }) => fake.json(500, { message: "Server Error" }));
  const { gh, log } = clientOf(fake);

  const comment = await gh.createComment(1, BODY, NONCE);

  assert.equal(fake.comments.length, 1);
  assert.equal(comment.id, fake.comments[0]?.id);
  assert.deepEqual(fake.received("POST", COMMENTS_PATH).map((r) => r.status), [500, 201]);
  assert.deepEqual(log.entries.map((e) => [e.method, new URL(e.url).pathname, e.status]), [
    ["POST", COMMENTS_PATH, 500],
    ["GET", "/user", 200],
    ["GET", COMMENTS_PATH, 200],
    ["POST", COMMENTS_PATH, 201],
  ]);
  assert.equal(gh.stats().serverErrors, 1);
  assert.equal(gh.stats().writes, 2);
});

Deno.test("a post that failed with 502 after creating the comment is not repeated", async () => {
  await using fake = await FakeGitHub.start();
  fake.intercept("POST", COMMENTS_PATH, async ({ next, fake }) => {
    await next();
    return fake.json(502, { message: "Bad Gateway" });
  });
  const { gh } = clientOf(fake);

  const comment = await gh.createComment(1, BODY, NONCE);

  assert.equal(fake.received("POST", COMMENTS_PATH).length, 1);
  assert.equal(fake.comments.length, 1);
  assert.equal(comment.id, fake.comments[0]?.id);
});

Deno.test("a comment by someone else that quotes the nonce is not taken for ours", async () => {
  await using fake = await FakeGitHub.start();
  fake.intercept("POST", COMMENTS_PATH, ({ fake }) => {
    fake.addComment(`quoting ${NONCE}`, "mallory");
    return fake.json(503, { message: "Service Unavailable" });
  });
  const { gh } = clientOf(fake);

  const comment = await gh.createComment(1, BODY, NONCE);

  assert.equal(comment.author, "p2p-bot");
  assert.equal(comment.body, BODY);
  assert.equal(fake.received("POST", COMMENTS_PATH).length, 2);
  assert.deepEqual(fake.comments.map((c) => c.user.login), ["mallory", "p2p-bot"]);
});

Deno.test("posts with unknown outcomes are bounded, then OutcomeUnknownError", async () => {
  await using fake = await FakeGitHub.start();
  fake.intercept(
    "POST",
    COMMENTS_PATH,
    ({ fake }) => fake.json(500, { message: "Server Error" }),
    Infinity,
  );
  const { gh } = clientOf(fake, { retries: 2 });

  const error = await gh.createComment(1, BODY, NONCE).then(() => undefined, (e) => e);

  assert.ok(error instanceof OutcomeUnknownError, String(error));
  assert.match(error.message, /3 attempts failed/);
  assert.match(error.message, /n-7f3a9c/);
  assert.equal(fake.received("POST", COMMENTS_PATH).length, 3);
  assert.equal(fake.comments.length, 0);
});

Deno.test("createComment refuses a body without its nonce and an oversized body, without a request", async () => {
  await using fake = await FakeGitHub.start();
  const { gh } = clientOf(fake);

  await assert.rejects(() => gh.createComment(1, "no nonce here", NONCE), TypeError);
  await assert.rejects(() => gh.createComment(1, "x".repeat(65_537) + NONCE, NONCE), RangeError);
  assert.equal(gh.stats().requests, 0);
});

Deno.test("updateComment edits and returns the comment", async () => {
  await using fake = await FakeGitHub.start();
  const original = fake.addComment("v1");
  const { gh } = clientOf(fake);

  const updated = await gh.updateComment(original.id, "v2");

  assert.equal(updated.id, original.id);
  assert.equal(updated.body, "v2");
  assert.ok(updated.updatedAt > updated.createdAt);
  assert.equal(gh.stats().writes, 1);
});

Deno.test("deleteComment is true when it deleted the comment and false when it was already gone", async () => {
  await using fake = await FakeGitHub.start();
  const comment = fake.addComment("duplicate");
  const { gh } = clientOf(fake);

  assert.equal(await gh.deleteComment(comment.id), true);
  assert.deepEqual(fake.comments, []);
  assert.equal(await gh.deleteComment(comment.id), false, "a twin deleted it first");
  assert.equal(
    fake.received("DELETE", `/repos/${OWNER}/${REPO}/issues/comments/${comment.id}`).length,
    2,
  );
});

Deno.test("createRef is true when created and false when the ref already exists", async () => {
  await using fake = await FakeGitHub.start();
  const sha = "b".repeat(40);
  const { gh } = clientOf(fake);

  assert.equal(await gh.createRef("refs/heads/p2p/claim-T1-1", sha), true);
  assert.equal(await gh.createRef("heads/p2p/claim-T1-1", sha), false);

  assert.equal(fake.refs.get("refs/heads/p2p/claim-T1-1"), sha);
  assert.deepEqual(fake.received("POST", REFS_PATH).map((r) => r.status), [201, 422]);
});

Deno.test("createRef retries a 422 Reference update failed", async () => {
  await using fake = await FakeGitHub.start();
  fake.intercept(
    "POST",
    REFS_PATH,
    ({ fake }) => fake.json(422, { message: "Reference update failed" }),
  );
  const { gh } = clientOf(fake);

  assert.equal(await gh.createRef("refs/heads/claim", "c".repeat(40)), true);
  assert.deepEqual(fake.received("POST", REFS_PATH).map((r) => r.status), [422, 201]);
});

Deno.test("createRef after an unknown outcome: another SHA means lost, our own SHA means created", async () => {
  await using fake = await FakeGitHub.start();
  const ours = "d".repeat(40);
  // Someone else creates the ref while our attempt fails with a 500.
  fake.intercept("POST", REFS_PATH, ({ fake }) => {
    fake.refs.set("refs/heads/lost", "e".repeat(40));
    return fake.json(500, { message: "Server Error" });
  });
  const { gh } = clientOf(fake);
  assert.equal(await gh.createRef("refs/heads/lost", ours), false);

  // Our attempt creates it but the answer is a 502.
  fake.intercept("POST", REFS_PATH, async ({ next, fake }) => {
    await next();
    return fake.json(502, { message: "Bad Gateway" });
  });
  assert.equal(await gh.createRef("refs/heads/maybe", ours), true);
  assert.deepEqual(fake.received("POST", REFS_PATH).map((r) => r.status), [500, 422, 502, 422]);
});

Deno.test("getRef reads the SHA a ref points at, and undefined for a missing ref", async () => {
  await using fake = await FakeGitHub.start();
  fake.refs.set("refs/p2p-lock/issue-7/T1/attempt-1", "a".repeat(40));
  const { gh } = clientOf(fake);
  assert.equal(await gh.getRef("p2p-lock/issue-7/T1/attempt-1"), "a".repeat(40));
  assert.equal(await gh.getRef("refs/p2p-lock/issue-7/T1/attempt-2"), undefined);
});

Deno.test("deleteRef deletes, and ignores a ref that does not exist", async () => {
  await using fake = await FakeGitHub.start();
  fake.refs.set("refs/heads/claim", "f".repeat(40));
  const { gh } = clientOf(fake);

  await gh.deleteRef("heads/claim");
  await gh.deleteRef("refs/heads/claim");

  assert.equal(fake.refs.size, 0);
  assert.deepEqual(fake.received("DELETE", /\/git\/refs\//).map((r) => r.status), [204, 422]);
});

Deno.test("createPullRequest returns the html_url, and the existing one when it already exists", async () => {
  await using fake = await FakeGitHub.start();
  const { gh } = clientOf(fake);
  const pr = { title: "T1", head: "p2p/T1", base: "main", body: "Done.", draft: true };

  const url = await gh.createPullRequest(pr);
  const again = await gh.createPullRequest(pr);

  assert.equal(url, `https://github.com/${OWNER}/${REPO}/pull/1`);
  assert.equal(again, url);
  assert.equal(fake.pulls.length, 1);
});
