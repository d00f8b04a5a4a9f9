import assert from "node:assert/strict";
import { ceiling, pollInterval, PRIMARY_LIMIT, WRITE_LIMIT } from "../../src/protocol/budget.ts";

Deno.test("budget: GitHub's documented limits", () => {
  assert.deepEqual(PRIMARY_LIMIT, { actions: 1_000, pat: 5_000, app: 12_500 });
  assert.deepEqual(WRITE_LIMIT, { perMinute: 80, perHour: 500 });
});

Deno.test("ceiling: 20 nodes on GITHUB_TOKEN can afford one counted read each every 90 s", () => {
  const c = ceiling({ tokenKind: "actions", nodes: 20, writesPerTask: 2 });
  assert.deepEqual(c, {
    tokenKind: "actions",
    nodes: 20,
    requestsPerHour: 1_000,
    readsPerNodeHour: 40,
    pollIntervalSec: 90,
    tasksPerHourByWrites: 250,
    writesPerTask: 2,
  });
});

Deno.test("ceiling: a PAT gives 20 nodes a read every 18 s, an App every 7.2 s", () => {
  assert.equal(ceiling({ tokenKind: "pat", nodes: 20, writesPerTask: 1 }).pollIntervalSec, 18);
  assert.equal(ceiling({ tokenKind: "app", nodes: 20, writesPerTask: 1 }).pollIntervalSec, 7.2);
  assert.equal(ceiling({ tokenKind: "pat", nodes: 20, writesPerTask: 1 }).readsPerNodeHour, 200);
});

Deno.test("ceiling: tasks per hour by writes is 500 / w, whatever the token", () => {
  for (const w of [1, 2, 3, 4, 5]) {
    for (const tokenKind of ["actions", "pat", "app"] as const) {
      assert.equal(
        ceiling({ tokenKind, nodes: 5, writesPerTask: w }).tasksPerHourByWrites,
        500 / w,
      );
    }
  }
  // Less than one write per task is not possible.
  assert.equal(ceiling({ tokenKind: "pat", nodes: 5, writesPerTask: 0 }).tasksPerHourByWrites, 500);
});

Deno.test("ceiling: a swarm has at least one node; the read share and request budget can be set", () => {
  assert.equal(ceiling({ tokenKind: "actions", nodes: 0, writesPerTask: 1 }).nodes, 1);
  const c = ceiling({
    tokenKind: "actions",
    nodes: 10,
    writesPerTask: 1,
    readShare: 0.5,
    requestsPerHour: 2_000,
  });
  assert.equal(c.readsPerNodeHour, 100);
  assert.equal(c.pollIntervalSec, 36);
});

Deno.test("pollInterval: the budget interval when idle, double when busy", () => {
  const base = { tokenKind: "actions" as const, nodes: 20, minMs: 1_000, maxMs: 3_600_000 };
  assert.equal(pollInterval({ ...base, mode: "idle" }), 90_000);
  assert.equal(pollInterval({ ...base, mode: "busy" }), 180_000);
});

Deno.test("pollInterval: clamped to [minMs, maxMs] and rounded to whole ms", () => {
  // One node on a PAT could poll every 0.45 s: the floor holds it at 2 s.
  assert.equal(
    pollInterval({ tokenKind: "pat", nodes: 1, mode: "idle", minMs: 2_000, maxMs: 300_000 }),
    2_000,
  );
  assert.equal(
    pollInterval({ tokenKind: "actions", nodes: 20, mode: "busy", minMs: 2_000, maxMs: 120_000 }),
    120_000,
  );
  const ms = pollInterval({ tokenKind: "actions", nodes: 7, mode: "idle", minMs: 0, maxMs: 1e9 });
  assert.ok(Number.isInteger(ms));
  assert.equal(ms, 31_500);
});

Deno.test("pollInterval: a custom request budget replaces the token's", () => {
  assert.equal(
    pollInterval({
      tokenKind: "actions",
      nodes: 20,
      mode: "idle",
      minMs: 0,
      maxMs: 1e9,
      requestsPerHour: 5_000,
    }),
    18_000,
  );
});

Deno.test("pollInterval: more nodes never poll more often", () => {
  let last = 0;
  for (let nodes = 1; nodes <= 50; nodes++) {
    const ms = pollInterval({
      tokenKind: "actions",
      nodes,
      mode: "idle",
      minMs: 1_000,
      maxMs: 1e9,
    });
    assert.ok(ms >= last);
    last = ms;
  }
});
