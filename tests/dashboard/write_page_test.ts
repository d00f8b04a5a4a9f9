import assert from "node:assert/strict";
import { buildModel } from "../../src/dashboard/model.ts";
import { staticSnapshot } from "../../src/dashboard/static_snapshot.ts";
import { restComments, writeDashboard } from "../../src/dashboard/write_page.ts";
import { toLogComment } from "../../src/github/rest.ts";
import { aggregate } from "../../src/node/aggregate.ts";
import { seededRandom, systemClock } from "../../src/node/ports.ts";
import { canonicalJson } from "../../src/protocol/canonical.ts";
import type { LogComment } from "../../src/protocol/types.ts";
import {
  BOT,
  BOT_TOKENS,
  client,
  ISSUE,
  OWNER,
  postMessage,
  REPO,
  startWorld,
  WRITER,
  WRITER_TOKEN,
} from "../node/_harness.ts";

Deno.test("comments.json round-trips the log the fold read (an edit marked within its second included)", () => {
  const log: LogComment[] = [
    {
      id: 10,
      body: "a",
      author: BOT,
      authorType: "Bot",
      createdAt: 1_700_000_000_000,
      updatedAt: 1_700_000_000_000,
    },
    // Edited within the second it was posted: a node marks it edited with +1 ms.
    {
      id: 11,
      body: "b",
      author: "x",
      authorType: "User",
      createdAt: 1_700_000_001_000,
      updatedAt: 1_700_000_001_001,
      authorAssociation: "MEMBER",
    },
  ];
  const rest = restComments(log, { repo: "o/r", issue: 7, htmlUrl: "https://github.com" });
  assert.equal(rest[0]!.created_at, "2023-11-14T22:13:20Z");
  assert.equal(rest[1]!.html_url, "https://github.com/o/r/issues/7#issuecomment-11");
  assert.deepEqual(rest.map((c) => toLogComment(c)), log);
});

Deno.test("the aggregator's metrics carry the trust it folded with, and the page folds comments.json alike", async () => {
  const emulator = await startWorld();
  const dir = await Deno.makeTempDir({ prefix: "p2p-dashboard-write-" });
  try {
    const bot = client(emulator, BOT_TOKENS[0]!).github;
    const writer = client(emulator, WRITER_TOKEN).github;
    const election = await postMessage(bot, "L", [{
      type: "election",
      term: 1,
      timeoutMs: 60_000,
    }]);
    await postMessage(bot, "L", [{
      type: "plan",
      term: 1,
      token: election.id,
      version: 1,
      part: 1,
      parts: 1,
      tasks: [{ id: "T1", title: "One", priority: "high", deps: [] }],
    }]);
    await postMessage(writer, "W", [{ type: "claim", task: "T1", attempt: 1 }]);
    const result = await aggregate(
      { github: bot, clock: systemClock, random: seededRandom(1) },
      { issue: ISSUE, repo: `${OWNER}/${REPO}`, tokenKind: "actions", post: false },
    );
    assert.deepEqual(result.metrics.trust, { self: BOT, allow: [], writers: [WRITER] });
    const comments = restComments(result.comments, {
      repo: `${OWNER}/${REPO}`,
      issue: ISSUE,
      htmlUrl: "https://github.com",
    });
    const written = await writeDashboard(dir, {
      metrics: result.metrics,
      comments,
      writeComments: true,
    });
    assert.deepEqual(written, [`${dir}/index.html`, `${dir}/comments.json`]);
    const fromFiles = staticSnapshot(
      JSON.parse(result.metricsJson),
      JSON.parse(await Deno.readTextFile(`${dir}/comments.json`)),
    );
    const model = buildModel(fromFiles, 0);
    assert.equal(model.state.tasks.T1!.attempts[0]?.node, "W", "the writer's claim counts");
    const { nonces: _a, ...page } = model.state;
    assert.equal(model.state.accepted, 3);
    assert.equal(canonicalJson(page.ignored), canonicalJson(result.metrics.ignored));
    assert.equal(model.phases.running, result.metrics.totals.running);
  } finally {
    await emulator.close();
    await Deno.remove(dir, { recursive: true });
  }
});
