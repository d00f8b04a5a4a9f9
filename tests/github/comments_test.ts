import assert from "node:assert/strict";
import { clientOf, COMMENTS_PATH, FakeGitHub } from "./_fake_github.ts";

function pageOf(query: URLSearchParams): string {
  return query.get("page") ?? "1";
}

Deno.test("listComments maps REST comments and reads the server time", async () => {
  await using fake = await FakeGitHub.start();
  const a = fake.addComment("hello");
  const b = fake.addComment("🎯 LEADER_ELECTION|n1|1", "github-actions[bot]", "Bot");
  fake.nowMs += 7000;
  const { gh } = clientOf(fake);

  const page = await gh.listComments(1);

  assert.deepEqual(page.comments, [
    {
      id: a.id,
      body: "hello",
      author: "p2p-bot",
      authorType: "User",
      createdAt: Date.parse(a.created_at),
      updatedAt: Date.parse(a.updated_at),
      authorAssociation: "OWNER",
    },
    {
      id: b.id,
      body: "🎯 LEADER_ELECTION|n1|1",
      author: "github-actions[bot]",
      authorType: "Bot",
      createdAt: Date.parse(b.created_at),
      updatedAt: Date.parse(b.updated_at),
      authorAssociation: "NONE",
    },
  ]);
  assert.equal(page.serverTime, fake.nowMs);
  assert.equal(page.notModified, false);
  assert.deepEqual(gh.stats(), {
    requests: 1,
    notModified: 0,
    writes: 0,
    rateLimited: 0,
    serverErrors: 0,
  });
});

Deno.test("listComments follows Link rel=next with per_page=100", async () => {
  await using fake = await FakeGitHub.start();
  for (let i = 0; i < 250; i++) fake.addComment(`c${i}`);
  const { gh } = clientOf(fake);

  const page = await gh.listComments(1);

  assert.equal(page.comments.length, 250);
  assert.deepEqual(page.comments.map((c) => c.id), fake.comments.map((c) => c.id));
  const gets = fake.received("GET", COMMENTS_PATH);
  assert.deepEqual(gets.map((r) => pageOf(r.query)), ["1", "2", "3"]);
  assert.ok(gets.every((r) => r.query.get("per_page") === "100"));
  assert.ok(gets.every((r) => r.ifNoneMatch === null));
  assert.equal(gh.stats().requests, 3);
});

Deno.test("an unchanged multi-page list answers 304 on every page and returns the cached comments", async () => {
  await using fake = await FakeGitHub.start();
  for (let i = 0; i < 250; i++) fake.addComment(`c${i}`);
  const { gh } = clientOf(fake);

  const first = await gh.listComments(1);
  fake.nowMs += 5000;
  const second = await gh.listComments(1);

  assert.equal(second.notModified, true);
  assert.deepEqual(second.comments, first.comments);
  assert.equal(second.serverTime, fake.nowMs);
  const gets = fake.received("GET", COMMENTS_PATH);
  assert.deepEqual(gets.map((r) => [pageOf(r.query), r.status]), [
    ["1", 200],
    ["2", 200],
    ["3", 200],
    ["1", 304],
    ["2", 304],
    ["3", 304],
  ]);
  // Each page's own weak ETag is sent back.
  assert.ok(gets.slice(3).every((r) => r.ifNoneMatch?.startsWith('W/"')));
  assert.notEqual(gets[3]?.ifNoneMatch, gets[4]?.ifNoneMatch);
  assert.deepEqual(gh.stats(), {
    requests: 6,
    notModified: 3,
    writes: 0,
    rateLimited: 0,
    serverErrors: 0,
  });
});

Deno.test("a page answered 304 keeps its cached next link, so later pages are still read", async () => {
  await using fake = await FakeGitHub.start();
  for (let i = 0; i < 250; i++) fake.addComment(`c${i}`);
  const { gh } = clientOf(fake);
  await gh.listComments(1);

  const edited = fake.comments[220];
  assert.ok(edited);
  fake.editComment(edited.id, "edited");
  const page = await gh.listComments(1);

  // Page 2 answered 304 (no Link header), yet page 3 was fetched from its cached next link.
  const gets = fake.received("GET", COMMENTS_PATH).slice(3);
  assert.deepEqual(gets.map((r) => [pageOf(r.query), r.status]), [
    ["1", 304],
    ["2", 304],
    ["3", 200],
  ]);
  assert.equal(page.notModified, false);
  assert.equal(page.comments.length, 250);
  assert.equal(page.comments.find((c) => c.id === edited.id)?.body, "edited");
  assert.equal(gh.stats().notModified, 2);
});

Deno.test("a full last page answering 304 is followed to a page added after it", async () => {
  await using fake = await FakeGitHub.start();
  for (let i = 0; i < 200; i++) fake.addComment(`c${i}`);
  const { gh } = clientOf(fake);
  assert.equal((await gh.listComments(1)).comments.length, 200);

  const added = fake.addComment("c200");
  const grown = await gh.listComments(1);
  assert.equal(grown.comments.length, 201);
  assert.equal(grown.comments.at(-1)?.id, added.id);
  assert.equal(grown.notModified, false);

  const again = await gh.listComments(1);
  assert.equal(again.notModified, true);
  assert.equal(again.comments.length, 201);

  const gets = fake.received("GET", COMMENTS_PATH);
  assert.deepEqual(gets.map((r) => [pageOf(r.query), r.status]), [
    ["1", 200],
    ["2", 200],
    ["1", 304],
    ["2", 304],
    ["3", 200],
    ["1", 304],
    ["2", 304],
    ["3", 304],
  ]);
});

Deno.test("listComments sends since and drops comments repeated across pages", async () => {
  await using fake = await FakeGitHub.start();
  for (let i = 0; i < 150; i++) fake.addComment(`c${i}`);
  const since = fake.comments[0]?.updated_at ?? "";
  // Page 2 repeats the last comment of page 1, as a list shifting under an edit can.
  fake.intercept("GET", COMMENTS_PATH, async ({ url, next, fake }) => {
    const response = await next();
    if (url.searchParams.get("page") !== "2") return response;
    const items = await response.json();
    return fake.json(200, [fake.comments[99], ...items], { etag: 'W/"shifted"' });
  }, 2);
  const { gh } = clientOf(fake);

  const page = await gh.listComments(1, since);

  assert.equal(page.comments.length, 150);
  assert.equal(new Set(page.comments.map((c) => c.id)).size, 150);
  const gets = fake.received("GET", COMMENTS_PATH);
  assert.ok(gets.every((r) => r.query.get("since") === since));
});

Deno.test("serverTime is the newest Date header over all pages", async () => {
  await using fake = await FakeGitHub.start();
  for (let i = 0; i < 120; i++) fake.addComment(`c${i}`);
  const before = fake.nowMs;
  fake.intercept("GET", COMMENTS_PATH, ({ url, next, fake }) => {
    if (url.searchParams.get("page") === "2") fake.nowMs += 9000;
    return next();
  }, 2);
  const { gh } = clientOf(fake);

  const page = await gh.listComments(1);

  assert.equal(page.serverTime, before + 9000);
});

Deno.test("listComments rejects a since that is not a time, without a request", async () => {
  await using fake = await FakeGitHub.start();
  const { gh } = clientOf(fake);

  await assert.rejects(() => gh.listComments(1, "yesterday"), RangeError);
  await assert.rejects(() => gh.listComments(0), RangeError);
  assert.equal(gh.stats().requests, 0);
});
