import assert from "node:assert/strict";
import {
  APP_LIMIT_MAX,
  appInstallationLimit,
  ceiling,
  PRIMARY_LIMIT,
  WRITE_LIMIT,
} from "../../src/protocol/budget.ts";

Deno.test("budget: GitHub's documented limits", () => {
  assert.deepEqual(PRIMARY_LIMIT, { actions: 1_000, pat: 5_000, app: 5_000 });
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

Deno.test("ceiling: a PAT gives 20 nodes a read every 18 s, an App installation at its floor too", () => {
  assert.equal(ceiling({ tokenKind: "pat", nodes: 20, writesPerTask: 1 }).pollIntervalSec, 18);
  assert.equal(ceiling({ tokenKind: "app", nodes: 20, writesPerTask: 1 }).pollIntervalSec, 18);
  assert.equal(
    ceiling({ tokenKind: "app", nodes: 20, writesPerTask: 1, requestsPerHour: 12_500 })
      .pollIntervalSec,
    7.2,
  );
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

Deno.test("app installation: 5,000 requests/h, 50 more per repository and per user over 20, at most 12,500", () => {
  assert.equal(appInstallationLimit({ repositories: 1, users: 1 }), 5_000);
  assert.equal(appInstallationLimit({ repositories: 20, users: 20 }), 5_000);
  assert.equal(appInstallationLimit({ repositories: 30, users: 20 }), 5_500);
  assert.equal(appInstallationLimit({ repositories: 30, users: 100 }), 9_500);
  assert.equal(appInstallationLimit({ repositories: 500, users: 500 }), APP_LIMIT_MAX);
  assert.equal(APP_LIMIT_MAX, 12_500);
});
