/**
 * Seeded, reproducible faults: latency, list lag, 5xx, timeouts (applied or
 * not; held or dropped), secondary-limit bursts, scripted one-offs, and the
 * JSON configuration file. No test measures wall-clock time: a manual clock
 * stands in for it.
 */
import assert from "node:assert/strict";
import { createEmulator, parseEmulatorConfig } from "../../src/emulator/mod.ts";
import { BASIC, harness, rejection, REPO } from "./helpers.ts";
import { manualClock } from "./clock.ts";

const START = Date.UTC(2025, 0, 1, 12, 0, 0);
const READERS = [
  { login: "r1", token: "ghp_r1" },
  { login: "r2", token: "ghp_r2" },
  { login: "r3", token: "ghp_r3" },
];

Deno.test("latency: lognormal around its median, scaled, and reproducible per seed", async () => {
  const run = async (seed: number, timeScale = 1) => {
    const clock = manualClock(START, { autoRelease: true });
    const h = await harness({
      ...BASIC,
      clock,
      seed,
      timeScale,
      limits: { enabled: false },
      faults: { latency: { distribution: "lognormal", medianMs: 150, sigma: 0.5 } },
    });
    const octo = h.octokit("ghp_octo");
    for (let i = 0; i < 101; i++) await octo.rest.repos.get(REPO);
    await h.close();
    return clock.sleeps;
  };
  const a = await run(3);
  const median = [...a].sort((x, y) => x - y)[50]!;
  assert.ok(median > 110 && median < 190, `median ${median} near 150`);
  assert.deepEqual(await run(3), a, "same seed, same latencies");
  assert.notDeepEqual(await run(4), a, "another seed, other latencies");
  const scaled = await run(3, 10);
  assert.ok(
    Math.abs(scaled[0]! - a[0]! / 10) < 1e-9,
    "latency is emulated time: a tenth at timeScale 10",
  );
});

Deno.test("list lag: per (reader, comment), later comments may show first, single GET is fresh", async () => {
  const clock = manualClock(START);
  const h = await harness({
    ...BASIC,
    users: [...BASIC.users!, ...READERS],
    clock,
    seed: 7,
    faults: { listLag: { probability: 1, minMs: 5_000, maxMs: 20_000 } },
  });
  try {
    const octo = h.octokit("ghp_octo");
    const ids: number[] = [];
    for (const body of ["A", "B", "C"]) {
      ids.push((await octo.rest.issues.createComment({ ...REPO, issue_number: 1, body })).data.id);
    }
    const fresh = await h.octokit("ghp_r1").rest.issues.getComment({
      ...REPO,
      comment_id: ids[0]!,
    });
    assert.equal(fresh.data.body, "A", "a single GET is not lagged");

    const firstSeen = new Map<string, number[]>();
    let inversion = false;
    for (let s = 0; s <= 20; s++) {
      clock.t = START + s * 1000;
      for (const reader of READERS) {
        const list = await h.octokit(reader.token).rest.issues.listComments({
          ...REPO,
          issue_number: 1,
        });
        const seen = list.data.map((c) => c.id);
        if (s < 5) assert.deepEqual(seen, [], "nothing shows before the minimum lag");
        if (s === 20) assert.deepEqual(seen, ids, "everything shows after the maximum lag");
        if (seen.length > 0 && seen[0] !== ids[0]) inversion = true;
        const times = firstSeen.get(reader.login) ?? [];
        times.push(seen.length);
        firstSeen.set(reader.login, times);
      }
    }
    assert.ok(inversion, "some reader saw a later comment before an earlier one");
    const curves = [...firstSeen.values()].map((v) => v.join(","));
    assert.ok(new Set(curves).size > 1, "readers see the thread at different times");
  } finally {
    await h.close();
  }
});

Deno.test("list lag: an edit shows the old body, a deletion keeps the comment, until the lag passes", async () => {
  const clock = manualClock(START);
  const h = await harness({
    ...BASIC,
    clock,
    faults: { listLag: { probability: 1, minMs: 10_000, maxMs: 10_000 } },
  });
  try {
    const octo = h.octokit("ghp_octo");
    const c = await octo.rest.issues.createComment({ ...REPO, issue_number: 1, body: "v1" });
    clock.t += 10_000;
    const list = () =>
      octo.rest.issues.listComments({ ...REPO, issue_number: 1 }).then((r) => r.data);
    assert.deepEqual((await list()).map((x) => x.body), ["v1"]);
    await octo.rest.issues.updateComment({ ...REPO, comment_id: c.data.id, body: "v2" });
    assert.deepEqual((await list()).map((x) => x.body), ["v1"], "the old version, not nothing");
    clock.t += 10_000;
    assert.deepEqual((await list()).map((x) => x.body), ["v2"]);
    await octo.rest.issues.deleteComment({ ...REPO, comment_id: c.data.id });
    assert.equal((await list()).length, 1);
    clock.t += 10_000;
    assert.equal((await list()).length, 0);
  } finally {
    await h.close();
  }
});

Deno.test("list lag: flapping reads lose a comment already seen (stale reads), reproducibly", async () => {
  const run = async () => {
    const clock = manualClock(START);
    const h = await harness({
      ...BASIC,
      clock,
      seed: 11,
      faults: { listLag: { probability: 0, minMs: 0, maxMs: 20_000, flapProbability: 0.5 } },
    });
    const octo = h.octokit("ghp_octo");
    await octo.rest.issues.createComment({ ...REPO, issue_number: 1, body: "x" });
    const counts: number[] = [];
    for (let i = 0; i < 12; i++) {
      counts.push((await octo.rest.issues.listComments({ ...REPO, issue_number: 1 })).data.length);
    }
    clock.t += 21_000;
    for (let i = 0; i < 5; i++) {
      counts.push((await octo.rest.issues.listComments({ ...REPO, issue_number: 1 })).data.length);
    }
    await h.close();
    return counts;
  };
  const counts = await run();
  const firstSeen = counts.indexOf(1);
  assert.ok(firstSeen >= 0 && counts.slice(firstSeen, 12).includes(0), `went backwards: ${counts}`);
  assert.deepEqual(counts.slice(12), [1, 1, 1, 1, 1], "old comments no longer flap");
  assert.deepEqual(await run(), counts, "same seed, same reads");
});

Deno.test("5xx: nothing applied, rate honoured, same seed same statuses", async () => {
  const run = async (seed: number) => {
    const h = await harness({
      ...BASIC,
      seed,
      limits: { enabled: false },
      faults: { serverErrors: { rate: 0.25 } },
    });
    const octo = h.octokit("ghp_octo");
    const statuses: number[] = [];
    for (let i = 0; i < 200; i++) {
      statuses.push(await octo.rest.repos.get(REPO).then((r) => r.status, (e) => e.status));
    }
    await h.close();
    return statuses;
  };
  const statuses = await run(5);
  const errors = statuses.filter((s) => s >= 500);
  assert.ok(
    errors.length > 25 && errors.length < 75,
    `${errors.length} errors of 200 at rate 0.25`,
  );
  assert.ok(errors.every((s) => [500, 502, 503].includes(s)));
  assert.deepEqual(await run(5), statuses);

  const h = await harness({ ...BASIC, faults: { serverErrors: { rate: 1, statuses: [503] } } });
  try {
    const e = await rejection(
      h.octokit("ghp_octo").rest.issues.createComment({ ...REPO, issue_number: 1, body: "x" }),
    );
    assert.equal(e.status, 503);
    assert.deepEqual(h.control.comments("octo", "hello", 1), [], "the write did not happen");
    assert.equal(h.control.countsFor("octo").serverErrors, 1);
    assert.equal(h.control.requestLog().at(-1)?.fault, "5xx");
  } finally {
    await h.close();
  }
});

Deno.test("timeouts (hold): the write did or did not take effect, then GitHub's 502", async () => {
  for (const applied of [true, false]) {
    const clock = manualClock(START, { autoRelease: true });
    const h = await harness({
      ...BASIC,
      clock,
      faults: { timeouts: { rate: 1, appliedRate: applied ? 1 : 0, mode: "hold", holdMs: 10_000 } },
    });
    try {
      const octo = h.octokit("ghp_octo");
      const e = await rejection(
        octo.rest.issues.createComment({ ...REPO, issue_number: 1, body: "nonce-1" }),
      );
      assert.equal(e.status, 502);
      assert.match(e.message, /couldn't respond to your request in time/);
      assert.equal(clock.sleeps.at(-1), 10_000, "held for holdMs");
      assert.equal(h.control.comments("octo", "hello", 1).length, applied ? 1 : 0);
      assert.equal(
        h.control.requestLog().at(-1)?.fault,
        applied ? "timeout-applied" : "timeout-lost",
      );
      // Reads are not affected by default (timeouts hit writes).
      await octo.rest.issues.get({ ...REPO, issue_number: 1 });
      assert.equal(h.control.countsFor("octo").timeouts, 1);
    } finally {
      await h.close();
    }
  }
});

Deno.test("timeouts (drop): the connection ends without an answer", async () => {
  // In process: the handler rejects like a failed fetch.
  const inProcess = await harness({
    ...BASIC,
    faults: { timeouts: { rate: 1, appliedRate: 1, mode: "drop" } },
  });
  try {
    const e = await rejection(
      inProcess.octokit("ghp_octo").rest.issues.createComment({
        ...REPO,
        issue_number: 1,
        body: "n",
      }),
    );
    assert.match(e.message, /Connection closed/);
    assert.equal(
      inProcess.control.comments("octo", "hello", 1).length,
      1,
      "applied before the drop",
    );
  } finally {
    await inProcess.close();
  }
  // Over HTTP: the answer breaks off; the client gets no usable response.
  const overHttp = await harness({
    ...BASIC,
    http: true,
    faults: { timeouts: { rate: 1, appliedRate: 0, mode: "drop" } },
  });
  try {
    const res = await fetch(`${overHttp.url}/repos/octo/hello/issues/1/comments`, {
      method: "POST",
      headers: { authorization: "token ghp_octo" },
      body: JSON.stringify({ body: "n" }),
    });
    await assert.rejects(res.text());
    assert.equal(overHttp.control.comments("octo", "hello", 1).length, 0);
  } finally {
    overHttp.contract.violations.splice(0); // the cut answer is the point of this test
    await overHttp.close();
  }
});

Deno.test("timeouts (hold) over HTTP: a client with a shorter timeout gives up first", async () => {
  const h = await harness({
    ...BASIC,
    http: true,
    faults: { timeouts: { rate: 1, appliedRate: 1, mode: "hold", holdMs: 600_000 } },
  });
  try {
    const octo = h.octokit("ghp_octo");
    const e = await rejection(
      octo.rest.issues.createComment({
        ...REPO,
        issue_number: 1,
        body: "nonce-2",
        request: { signal: AbortSignal.timeout(100) },
      }),
    );
    assert.ok(e instanceof Error);
    assert.equal(h.control.comments("octo", "hello", 1).length, 1, "the write took effect anyway");
  } finally {
    await h.close(); // releases the held request
  }
});

Deno.test("secondary bursts: random secondary limits with retry-after", async () => {
  const h = await harness({ ...BASIC, faults: { secondaryBursts: { rate: 1, retryAfterSec: 7 } } });
  try {
    const e = await rejection(h.octokit("ghp_octo").rest.repos.get(REPO));
    assert.equal(e.status, 403);
    assert.match(e.message, /secondary rate limit/);
    assert.equal(e.response?.headers["retry-after"], "7");
    h.control.setFaults({ secondaryBursts: { status: 429 } });
    assert.equal((await rejection(h.octokit("ghp_octo").rest.repos.get(REPO))).status, 429);
    h.control.resetFaults();
    await h.octokit("ghp_octo").rest.repos.get(REPO);
    assert.equal(h.control.countsFor("octo").secondaryLimited, 2);
  } finally {
    await h.close();
  }
});

Deno.test("scripted faults hit the next matching requests, in order", async () => {
  const h = await harness(BASIC);
  try {
    h.control.setFaults({
      script: [
        { kind: "error", method: "POST", path: "/comments$", count: 2, status: 503 },
        { kind: "secondary", method: "GET", path: "/issues/1$", retryAfterSec: 3 },
      ],
    });
    const octo = h.octokit("ghp_octo");
    await octo.rest.repos.get(REPO);
    const post = () => octo.rest.issues.createComment({ ...REPO, issue_number: 1, body: "x" });
    assert.equal((await rejection(post())).status, 503);
    assert.equal((await rejection(post())).status, 503);
    assert.equal((await post()).status, 201);
    const limited = await rejection(octo.rest.issues.get({ ...REPO, issue_number: 1 }));
    assert.equal(limited.response?.headers["retry-after"], "3");
    await octo.rest.issues.get({ ...REPO, issue_number: 1 });
    assert.deepEqual(h.control.faults().script, []);
  } finally {
    await h.close();
  }
});

Deno.test("the whole fault stream is reproducible from its seed", async () => {
  const run = async () => {
    const h = await harness({
      ...BASIC,
      seed: 42,
      limits: { enabled: false },
      faults: {
        serverErrors: { rate: 0.1 },
        secondaryBursts: { rate: 0.1 },
        timeouts: { rate: 0.2, appliedRate: 0.5, holdMs: 0 },
      },
    });
    const octo = h.octokit("ghp_octo");
    for (let i = 0; i < 60; i++) {
      const call = i % 3 === 0
        ? octo.rest.issues.createComment({ ...REPO, issue_number: 1, body: `n${i}` })
        : octo.rest.issues.listComments({ ...REPO, issue_number: 1 });
      await call.catch(() => {});
    }
    const trace = h.control.requestLog().map((e) => `${e.method}:${e.status}:${e.fault}`);
    const comments = h.control.comments("octo", "hello", 1).map((c) => c.body);
    await h.close();
    return { trace, comments };
  };
  const a = await run();
  assert.ok(
    a.trace.some((t) => t.includes("timeout-applied")) && a.trace.some((t) => t.includes("5xx")),
  );
  assert.deepEqual(await run(), a);
});

Deno.test("faults from a JSON configuration file, checked with helpful errors", async () => {
  const path = await Deno.makeTempFile({ suffix: ".json" });
  try {
    await Deno.writeTextFile(
      path,
      JSON.stringify({ seed: 9, faults: { serverErrors: { rate: 1, statuses: [500] } } }),
    );
    const { loadEmulatorConfig } = await import("../../src/emulator/mod.ts");
    const config = await loadEmulatorConfig(path);
    const emulator = createEmulator({ ...BASIC, seed: config.seed!, faults: config.faults! });
    const res = await emulator.handler(new Request("http://x/repos/octo/hello"));
    assert.equal(res.status, 500);
    await res.body?.cancel();
  } finally {
    await Deno.remove(path);
  }
  assert.throws(
    () => parseEmulatorConfig('{"fault": {}}', "x.json"),
    /Unknown setting "fault" in x.json/,
  );
  assert.throws(
    () => parseEmulatorConfig('{"faults": {"serverErrors": {"rate": 2}}}', "x.json"),
    /Invalid faults.serverErrors.rate 2: expected a number from 0 to 1/,
  );
  assert.throws(() => parseEmulatorConfig("{", "x.json"), /Invalid JSON in x.json/);
});
