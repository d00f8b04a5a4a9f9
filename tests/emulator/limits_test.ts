/**
 * GitHub's limits: primary requests per hour (and its reset), conditional
 * requests that cost nothing, the secondary limits (content creation,
 * concurrency, points per endpoint) with `retry-after`.
 */
import assert from "node:assert/strict";
import { BASIC, harness, rejection, REPO } from "./helpers.ts";
import { manualClock } from "./clock.ts";

const START = Date.UTC(2025, 0, 1, 12, 0, 0);

Deno.test("primary limit: runs out with GitHub's 403, resets after the window", async () => {
  const clock = manualClock(START);
  const h = await harness({ ...BASIC, clock, limits: { primary: { pat: 3 } } });
  try {
    const octo = h.octokit("ghp_octo");
    const first = await octo.rest.issues.get({ ...REPO, issue_number: 1 });
    assert.equal(first.headers["x-ratelimit-limit"], "3");
    assert.equal(first.headers["x-ratelimit-remaining"], "2");
    assert.equal(first.headers["x-ratelimit-used"], "1");
    assert.equal(first.headers["x-ratelimit-resource"], "core");
    assert.equal(first.headers["x-ratelimit-reset"], String(START / 1000 + 3600));
    await octo.rest.issues.get({ ...REPO, issue_number: 1 });
    await octo.rest.issues.get({ ...REPO, issue_number: 1 });
    const limited = await rejection(octo.rest.issues.get({ ...REPO, issue_number: 1 }));
    assert.equal(limited.status, 403);
    assert.match(limited.message, /^API rate limit exceeded for user ID \d+\./);
    assert.equal(limited.response?.headers["x-ratelimit-remaining"], "0");
    // Another user has their own budget.
    await h.octokit("ghp_writer").rest.issues.get({ ...REPO, issue_number: 1 });
    // GET /rate_limit still answers, and costs nothing.
    const status = await octo.rest.rateLimit.get();
    assert.equal(status.data.rate.remaining, 0);
    assert.equal(h.control.countsFor("octo").primaryLimited, 1);

    clock.t += 3_600_000;
    const after = await octo.rest.issues.get({ ...REPO, issue_number: 1 });
    assert.equal(after.headers["x-ratelimit-remaining"], "2");
  } finally {
    await h.close();
  }
});

Deno.test("primary limit: timeScale crosses an hour in a few clock seconds", async () => {
  const clock = manualClock(START);
  const h = await harness({ ...BASIC, clock, timeScale: 3600, limits: { primary: { pat: 1 } } });
  try {
    const octo = h.octokit("ghp_octo");
    await octo.rest.repos.get(REPO);
    assert.equal((await rejection(octo.rest.repos.get(REPO))).status, 403);
    clock.t += 1_000; // one real second is an emulated hour
    await octo.rest.repos.get(REPO);
  } finally {
    await h.close();
  }
});

Deno.test("primary limit: a workflow token has 1,000 an hour shared per repository", async () => {
  const h = await harness({
    ...BASIC,
    tokens: [
      { token: "ghs_job1", login: "github-actions[bot]", kind: "actions", repos: ["octo/hello"] },
      { token: "ghs_job2", login: "github-actions[bot]", kind: "actions", repos: ["octo/hello"] },
    ],
  });
  try {
    const one = await h.octokit("ghs_job1").rest.issues.get({ ...REPO, issue_number: 1 });
    const two = await h.octokit("ghs_job2").rest.issues.get({ ...REPO, issue_number: 1 });
    assert.equal(one.headers["x-ratelimit-limit"], "1000");
    assert.equal(two.headers["x-ratelimit-used"], "2", "both jobs spend one budget");
    h.control.setLimits({ primary: { actions: 2 } });
    const limited = await rejection(
      h.octokit("ghs_job1").rest.issues.get({ ...REPO, issue_number: 1 }),
    );
    assert.match(limited.message, /API rate limit exceeded for installation ID/);
  } finally {
    await h.close();
  }
});

Deno.test("conditional requests: weak ETag per page, 304 without a body and free", async () => {
  const h = await harness(BASIC);
  try {
    const octo = h.octokit("ghp_octo");
    for (let i = 0; i < 3; i++) {
      await octo.rest.issues.createComment({ ...REPO, issue_number: 1, body: `c${i}` });
    }
    const page1 = await octo.rest.issues.listComments({ ...REPO, issue_number: 1, per_page: 2 });
    const page2 = await octo.rest.issues.listComments({
      ...REPO,
      issue_number: 1,
      per_page: 2,
      page: 2,
    });
    const etag = page1.headers.etag!;
    assert.match(etag, /^W\/"[0-9a-f]+"$/);
    assert.notEqual(page2.headers.etag, etag, "each page has its own ETag");
    const used = Number(page2.headers["x-ratelimit-used"]);

    const again = await rejection(
      octo.rest.issues.listComments({
        ...REPO,
        issue_number: 1,
        per_page: 2,
        headers: { "if-none-match": etag },
      }),
    );
    assert.equal(again.status, 304);
    assert.equal(again.response?.headers["x-ratelimit-used"], String(used), "a 304 is not counted");
    assert.equal(again.response?.headers.link, undefined, "a 304 has no Link header");
    assert.equal(again.response?.headers.etag, etag);
    assert.equal(h.control.countsFor("octo").notModified, 1);

    // A change makes the page differ: a counted 200 with a new ETag.
    await octo.rest.issues.updateComment({
      ...REPO,
      comment_id: page1.data[0]!.id,
      body: "changed",
    });
    const changed = await octo.rest.issues.listComments({
      ...REPO,
      issue_number: 1,
      per_page: 2,
      headers: { "if-none-match": etag },
    });
    assert.equal(changed.status, 200);
    assert.notEqual(changed.headers.etag, etag);

    // Without an Authorization header the 304 is counted.
    const anon = h.octokit();
    const first = await anon.rest.issues.get({ ...REPO, issue_number: 1 });
    const not = await rejection(
      anon.rest.issues.get({
        ...REPO,
        issue_number: 1,
        headers: { "if-none-match": first.headers.etag! },
      }),
    );
    assert.equal(not.status, 304);
    assert.equal(not.response?.headers["x-ratelimit-used"], "2");
    // ETags vary with the identity (GitHub varies on Authorization).
    const asWriter = await h.octokit("ghp_writer").rest.issues.get({ ...REPO, issue_number: 1 });
    assert.notEqual(asWriter.headers.etag, first.headers.etag);
  } finally {
    await h.close();
  }
});

Deno.test("secondary limit: content creation per minute, edits count, retry-after", async () => {
  const clock = manualClock(START);
  const h = await harness({
    ...BASIC,
    clock,
    limits: { secondary: { contentPerMinute: 3, contentPerHour: 5 } },
  });
  try {
    const octo = h.octokit("ghp_octo");
    const c = await octo.rest.issues.createComment({ ...REPO, issue_number: 1, body: "1" });
    clock.t += 10_000;
    await octo.rest.issues.updateComment({ ...REPO, comment_id: c.data.id, body: "1'" });
    clock.t += 10_000;
    await octo.rest.issues.createComment({ ...REPO, issue_number: 1, body: "2" });
    const limited = await rejection(
      octo.rest.issues.createComment({ ...REPO, issue_number: 1, body: "3" }),
    );
    assert.equal(limited.status, 403);
    assert.match(limited.message, /You have exceeded a secondary rate limit/);
    assert.equal(
      limited.response?.headers["retry-after"],
      "40",
      "until the first write leaves the minute",
    );
    // Reads are not content and still work; other identities have their own budget.
    await octo.rest.issues.listComments({ ...REPO, issue_number: 1 });
    await h.octokit("ghp_writer").rest.issues.createComment({
      ...REPO,
      issue_number: 1,
      body: "w",
    });

    clock.t += 40_000;
    await octo.rest.issues.createComment({ ...REPO, issue_number: 1, body: "3" });
    clock.t += 60_000;
    await octo.rest.issues.createComment({ ...REPO, issue_number: 1, body: "4" });
    const hourly = await rejection(
      octo.rest.issues.createComment({ ...REPO, issue_number: 1, body: "5" }),
    );
    assert.equal(hourly.status, 403);
    assert.ok(
      Number(hourly.response?.headers["retry-after"]) > 60,
      "the hourly window is the one full",
    );
    const counts = h.control.countsFor("octo");
    assert.equal(counts.secondaryLimited, 2);
    assert.equal(counts.writes, 5);
  } finally {
    await h.close();
  }
});

Deno.test("secondary limit: answered 429 when configured so", async () => {
  const h = await harness({
    ...BASIC,
    limits: { secondary: { contentPerMinute: 0, status: 429 } },
  });
  try {
    const e = await rejection(
      h.octokit("ghp_octo").rest.issues.createComment({ ...REPO, issue_number: 1, body: "x" }),
    );
    assert.equal(e.status, 429);
    assert.ok(e.response?.headers["retry-after"]);
  } finally {
    await h.close();
  }
});

Deno.test("secondary limit: concurrent requests above the maximum", async () => {
  const clock = manualClock(START);
  const h = await harness({
    ...BASIC,
    clock,
    limits: { secondary: { maxConcurrent: 2 } },
    faults: { latency: { distribution: "fixed", ms: 1000 } },
  });
  try {
    const octo = h.octokit("ghp_octo");
    const calls = [1, 2, 3].map(() =>
      octo.rest.repos.get(REPO).then((r) => r.status, (e) => e.status)
    );
    // Let the three requests reach the emulator: two wait in latency, the third is refused.
    while (clock.pending < 2) await new Promise((r) => setTimeout(r, 1));
    clock.release();
    assert.deepEqual((await Promise.all(calls)).sort(), [200, 200, 403]);
    assert.equal(h.control.countsFor("octo").secondaryLimited, 1);
  } finally {
    await h.close();
  }
});

Deno.test("secondary limit: points per minute per endpoint", async () => {
  const h = await harness({ ...BASIC, limits: { secondary: { pointsPerMinute: 3 } } });
  try {
    const octo = h.octokit("ghp_octo");
    for (let i = 0; i < 3; i++) await octo.rest.repos.get(REPO);
    const e = await rejection(octo.rest.repos.get(REPO));
    assert.equal(e.status, 403);
    assert.match(e.message, /secondary rate limit/);
    // Another endpoint has its own points.
    await octo.rest.issues.get({ ...REPO, issue_number: 1 });
  } finally {
    await h.close();
  }
});

Deno.test("limits can be switched off", async () => {
  const h = await harness({ ...BASIC, limits: { enabled: false, primary: { pat: 1 } } });
  try {
    const octo = h.octokit("ghp_octo");
    for (let i = 0; i < 3; i++) await octo.rest.repos.get(REPO);
  } finally {
    await h.close();
  }
});
