import assert from "node:assert/strict";
import { PageCache } from "../../src/github/page_cache.ts";
import { followingPage, nextLink, toLogComment, toPermission } from "../../src/github/rest.ts";
import { isRateLimitAnswer, RequestLog } from "../../src/github/traffic.ts";

Deno.test("nextLink finds rel=next among other relations", () => {
  const link = '<https://h/x?page=1>; rel="prev", <https://h/x?page=3>; rel="next", ' +
    '<https://h/x?page=9>; rel="last"';
  assert.equal(nextLink(link), "https://h/x?page=3");
  assert.equal(nextLink('<https://h/x?page=9>; rel="last"'), undefined);
  assert.equal(nextLink(undefined), undefined);
  assert.equal(nextLink(""), undefined);
});

Deno.test("followingPage increments or adds the page parameter", () => {
  assert.equal(followingPage("https://h/x?per_page=100"), "https://h/x?per_page=100&page=2");
  assert.equal(followingPage("https://h/x?per_page=100&page=4"), "https://h/x?per_page=100&page=5");
});

Deno.test("toPermission prefers the exact role name", () => {
  assert.equal(toPermission({ permission: "write", role_name: "maintain" }), "maintain");
  assert.equal(toPermission({ permission: "read", role_name: "triage" }), "triage");
  assert.equal(toPermission({ permission: "admin", role_name: "custom" }), "admin");
  assert.equal(toPermission({}), "none");
});

Deno.test("toLogComment handles deleted users and rejects unreadable times", () => {
  const c = toLogComment({
    id: 7,
    body: null,
    user: null,
    created_at: "2025-01-01T00:00:01Z",
    updated_at: "2025-01-01T00:00:02Z",
  });
  assert.deepEqual(c, {
    id: 7,
    body: "",
    author: "ghost",
    authorType: "User",
    createdAt: Date.UTC(2025, 0, 1, 0, 0, 1),
    updatedAt: Date.UTC(2025, 0, 1, 0, 0, 2),
  });
  assert.throws(
    () => toLogComment({ id: 8, created_at: "soon", updated_at: "2025-01-01T00:00:00Z" }),
    /Comment 8 has an unreadable created_at "soon"/,
  );
  assert.throws(
    () => toLogComment({ id: -1, created_at: "", updated_at: "" }),
    /not a positive safe integer/,
  );
});

Deno.test("PageCache evicts the least recently used page", () => {
  const cache = new PageCache(2);
  const page = (etag: string) => ({ etag, comments: [], next: undefined });
  cache.set("a", page("1"));
  cache.set("b", page("2"));
  cache.get("a");
  cache.set("c", page("3"));
  assert.equal(cache.size, 2);
  assert.equal(cache.get("b"), undefined);
  assert.equal(cache.get("a")?.etag, "1");
  assert.throws(() => new PageCache(0), RangeError);
});

Deno.test("RequestLog keeps the newest entries up to its limit", () => {
  const log = new RequestLog({ limit: 2 });
  for (const status of [200, 304, 500]) {
    log.record({ method: "GET", url: "https://h/repos/o/r", status });
  }
  assert.deepEqual(log.entries.map((e) => e.status), [304, 500]);
  assert.equal(log.count({ path: "/repos/o/r", status: 500 }), 1);
  log.clear();
  assert.equal(log.entries.length, 0);
});

Deno.test("isRateLimitAnswer tells rate limits from permission errors", () => {
  const none = new Headers();
  assert.equal(isRateLimitAnswer(429, none, ""), true);
  assert.equal(isRateLimitAnswer(403, new Headers({ "x-ratelimit-remaining": "0" }), ""), true);
  assert.equal(isRateLimitAnswer(403, new Headers({ "retry-after": "5" }), ""), true);
  assert.equal(
    isRateLimitAnswer(403, none, '{"message":"You have exceeded a secondary rate limit"}'),
    true,
  );
  assert.equal(
    isRateLimitAnswer(403, none, '{"message":"Resource not accessible by integration"}'),
    false,
  );
  assert.equal(isRateLimitAnswer(500, none, "rate limit"), false);
});

Deno.test("PageCache keeps at most its budget of body characters: a flood of large comments is evicted, a page larger than the budget is not cached", () => {
  const cache = new PageCache(256, 100);
  const page = (etag: string, ...sizes: number[]) => ({
    etag,
    comments: sizes.map((n, i) => ({
      id: i + 1,
      body: "x".repeat(n),
      author: "mallory",
      authorType: "User",
      createdAt: 0,
      updatedAt: 0,
    })),
    next: undefined,
  });
  cache.set("a", page("1", 30, 10));
  cache.set("b", page("2", 40));
  assert.equal(cache.chars, 80);
  cache.get("a");
  cache.set("c", page("3", 50));
  assert.equal(cache.get("b"), undefined, "the least recently used page went first");
  assert.equal(cache.chars, 90);
  cache.set("d", page("4", 101));
  assert.equal(cache.get("d"), undefined, "a page over the budget alone is not cached");
  cache.set("a", page("5", 5));
  assert.equal(cache.chars, 55, "a page cached again replaces its old size");
  assert.equal(cache.size, 2);
  assert.throws(() => new PageCache(1, -1), RangeError);
});
