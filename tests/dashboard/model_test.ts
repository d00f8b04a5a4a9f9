import assert from "node:assert/strict";
import { buildModel } from "../../src/dashboard/model.ts";
import type { Snapshot, SnapshotComment } from "../../src/dashboard/snapshot.ts";
import { staticSnapshot } from "../../src/dashboard/static_snapshot.ts";
import { canonicalJson } from "../../src/protocol/canonical.ts";
import { fold } from "../../src/protocol/fold.ts";
import type { LogComment } from "../../src/protocol/types.ts";
import { buildMetrics, metricsJson } from "../../src/node/metrics.ts";
import { spentUsd } from "../../src/protocol/cost.ts";
import { BOT, ev, ISSUE, type Log, planned, REPO, task, trustPolicy } from "../protocol/_log.ts";
import { costlyLog } from "./_costs.ts";

function rest(c: LogComment, association = "NONE"): SnapshotComment {
  return {
    id: c.id,
    body: c.body,
    user: { login: c.author, type: c.authorType },
    created_at: new Date(c.createdAt).toISOString(),
    updated_at: new Date(c.updatedAt).toISOString(),
    author_association: association,
  };
}

function snapshotOf(log: Log, extra: Partial<Snapshot> = {}): Snapshot {
  return {
    ...staticSnapshot({ repo: REPO, issue: ISSUE }, log.comments.map((c) => rest(c))),
    trust: { self: BOT, allow: ["alice"], writers: ["bob"], byAssociation: false },
    ...extra,
  };
}

/** A log with every kind of verdict: stale election, lost claim, duplicate result, stranger, edit. */
function busyLog(secret?: string): Log {
  const { log } = planned([task("T1"), task("T2", ["T1"]), task("T3")], secret);
  log.at(1).post("node-2", [ev.election(1)]); // stale_election (a plan is in force)
  log.at(2).post("node-1", [ev.claim("T1", 1)]);
  log.at(2).post("node-2", [ev.claim("T1", 1)]); // lost_claim
  log.at(3).post("node-2", [ev.claim("T3", 1)]);
  log.at(4).post("node-1", [ev.done("T1", 1), ev.claim("T2", 1)]);
  log.at(5).post("node-1", [ev.done("T1", 1)]); // duplicate_result
  log.at(5).post("mallory-node", [ev.claim("T2", 1)], { author: "mallory" }); // untrusted
  log.at(6).post("node-2", [ev.heartbeat({ task: "T3", attempt: 1 })], { editedAfter: 2 }); // edited
  log.at(6).raw("Nice work, everyone.", { author: "carol" }); // ordinary
  log.at(7).post("node-1", [ev.heartbeat({ task: "T2", attempt: 1 }, { task: "T3", attempt: 1 })]);
  return log;
}

Deno.test("the page's model is the protocol's fold: same state as fold() of the same comments", () => {
  const log = busyLog();
  const model = buildModel(snapshotOf(log), 0);
  assert.equal(canonicalJson(model.state), canonicalJson(fold(log.comments, trustPolicy())));
});

Deno.test("every ignored count of the fold shows on a row of its comment, with its reason", () => {
  const log = busyLog();
  log.at(7).raw("/p2p-dev cancel T3", { author: "bob" }); // a writer steers
  log.at(7).raw("/p2p-dev stop", { author: "mallory" }); // untrusted_command
  const model = buildModel(snapshotOf(log), 0);
  const counted: Record<string, number> = {};
  for (const r of model.rows) {
    for (const reason of r.reason?.split(", ") ?? []) counted[reason] = (counted[reason] ?? 0) + 1;
  }
  assert.deepEqual(counted, model.state.ignored);
  const by = (type: string, node: string) =>
    model.rows.filter((r) => r.type === type && r.node === node);
  assert.equal(by("election", "node-2")[0]!.reason, "stale_election");
  assert.equal(by("claim", "mallory-node")[0]!.reason, "untrusted_author");
  assert.equal(by("heartbeat", "node-2")[0]!.reason, "edited");
  // The heartbeat for T2 and T3 from node-1: T3 is node-2's, so one not_owner.
  assert.equal(by("heartbeat", "node-1")[0]!.reason, "not_owner");
  assert.deepEqual(by("claim", "node-2").map((r) => r.reason), ["lost_claim", null]);
  const commands = model.rows.filter((r) => r.type.startsWith("command"));
  assert.deepEqual(commands.map((r) => [r.type, r.node, r.task, r.verdict, r.reason]), [
    ["command cancel", "bob", "T3", "accepted", null],
    ["command stop", "mallory", "", "ignored", "untrusted_command"],
  ]);
  const ordinary = model.rows.filter((r) => r.verdict === "ordinary");
  assert.deepEqual(ordinary.map((r) => [r.node, r.detail]), [["carol", "Nice work, everyone."]]);
  // A combined comment gives one row per event.
  assert.equal(model.rows.filter((r) => r.commentId === log.comments[6]!.id).length, 2);
});

Deno.test("overview figures: phases, success rate, nodes and their running tasks at now", () => {
  const log = busyLog();
  const model = buildModel(snapshotOf(log), 0);
  assert.equal(model.leader?.node, "node-1");
  assert.equal(model.phases.done, 1);
  assert.equal(model.phases.running, 2);
  assert.equal(model.successRate, 1);
  assert.equal(model.status, "running");
  const n1 = model.nodes.find((n) => n.node === "node-1")!;
  assert.deepEqual([n1.role, n1.running, n1.tasksDone], ["leader", ["T2"], 1]);
  assert.deepEqual(
    model.attempts.map((a) => [a.task, a.node, a.outcome]),
    [["T1", "node-1", "completed"], ["T2", "node-1", "running"], ["T3", "node-2", "running"]],
  );
  // Static data is judged at the log's own last time; later, the leases lapse.
  const later = buildModel({ ...snapshotOf(log), source: "live" }, log.now + 10 * 60_000);
  assert.equal(later.phases.running, 0);
  assert.deepEqual(later.nodes.map((n) => n.active), [false, false]);
});

Deno.test("signed messages: without the secret the page says it cannot check; with it, a bad signature is ignored", () => {
  const log = busyLog("s3cret");
  log.at(8).post("node-1", [ev.heartbeat({ task: "T2", attempt: 1 })], { secret: "wrong" });
  const without = buildModel(snapshotOf(log), 0);
  assert.equal(without.signedUnverified, true);
  assert.equal(without.state.ignored.bad_signature, undefined);
  const withSecret = buildModel(snapshotOf(log), 0, { secret: "s3cret" });
  assert.equal(withSecret.signedUnverified, false);
  assert.equal(withSecret.state.ignored.bad_signature, 1);
  assert.equal(
    canonicalJson(withSecret.state),
    canonicalJson(fold(log.comments, trustPolicy({ secret: "s3cret" }))),
  );
});

Deno.test("static data without trust settings judges writers by author_association, as `state --comments` does", () => {
  const { log } = planned([task("T1")]);
  log.at(2).post("w-node", [ev.claim("T1", 1)], { author: "wendy" });
  const comments = log.comments.map((c) => rest(c, c.author === "wendy" ? "COLLABORATOR" : "NONE"));
  const model = buildModel(staticSnapshot({ repo: REPO, issue: ISSUE }, comments), 0);
  assert.equal(model.state.tasks.T1!.attempts[0]?.node, "w-node");
  const stranger = comments.map((c) => ({ ...c, author_association: "NONE" }));
  const refused = buildModel(staticSnapshot({ repo: REPO, issue: ISSUE }, stranger), 0);
  assert.equal(refused.state.ignored.untrusted_author, 1);
});

Deno.test("a damaged comments entry is skipped, like `state --comments` does", () => {
  const log = busyLog();
  const comments = [
    ...log.comments.map((c) => rest(c)),
    { id: -1, body: "x", created_at: "nope", updated_at: "nope" },
  ] as SnapshotComment[];
  const model = buildModel({ ...snapshotOf(log), comments }, 0);
  assert.equal(canonicalJson(model.state), canonicalJson(fold(log.comments, trustPolicy())));
  assert.throws(() => staticSnapshot({}, { not: "an array" }), /JSON array/);
});

Deno.test("the page's costs are the protocol's cost view, failed attempts included, as metrics.json shows them, with the cap in force", () => {
  for (const cap of [undefined, 5, 1.2]) {
    const log = costlyLog(cap);
    const state = fold(log.comments, trustPolicy());
    const metrics = buildMetrics(state, log.comments, {
      repo: "o/r",
      issue: ISSUE,
      tokenKind: "actions",
    });
    const model = buildModel(snapshotOf(log), 0);
    assert.equal(model.costUsd, metrics.cost.spentUsd, `cap ${cap}`);
    assert.equal(model.costUsd, 1.45, "0.50 + 0.25 + 0.30 + 0.40: every attempt's money");
    assert.equal(model.costUsd, spentUsd(state));
    assert.deepEqual(
      model.tasks.map((t) => [t.id, t.costUsd]),
      metrics.tasks.map((t) => [t.id, t.costUsd]),
    );
    assert.deepEqual(model.tasks.map((t) => t.costUsd), [0.75, 0.7, null]);
    assert.equal(model.costCapUsd, metrics.cost.maxCostUsd);
    assert.equal(model.costCapUsd, cap ?? null);
    assert.equal(model.budgetReached, metrics.cost.reached);
    assert.equal(model.budgetReached, cap === 1.2);
    assert.equal(model.status, cap === 1.2 ? "budget_reached" : "running", `cap ${cap}`);
    assert.equal(metrics.status, model.status);
  }
});

Deno.test("an aggregator's own cap in metrics.json is the page's cap, as the summary's", () => {
  const log = costlyLog(5);
  const state = fold(log.comments, trustPolicy());
  const metrics = buildMetrics(state, log.comments, {
    repo: "o/r",
    issue: ISSUE,
    tokenKind: "actions",
    maxCostUsd: 1,
  });
  const snap = staticSnapshot(JSON.parse(metricsJson(metrics)), log.comments.map((c) => rest(c)));
  const model = buildModel({ ...snap, trust: snapshotOf(log).trust }, 0);
  assert.equal(model.costCapUsd, 1);
  assert.equal(model.budgetReached, true);
  assert.equal(model.status, metrics.status);
});
