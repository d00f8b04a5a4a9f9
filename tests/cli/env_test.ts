import assert from "node:assert/strict";
import { positiveInt, resolveApiUrl, resolveRepo, resolveToken } from "../../src/cli/env.ts";
import { defaultNodeId, randomSuffix, resolveTokenKind } from "../../src/cli/connect.ts";
import { UsageError } from "../../src/cli/usage_error.ts";

Deno.test("the token comes from the flag, then GITHUB_TOKEN, then GH_TOKEN", () => {
  assert.equal(resolveToken("f", { GITHUB_TOKEN: "a", GH_TOKEN: "b" }), "f");
  assert.equal(resolveToken(undefined, { GITHUB_TOKEN: "a", GH_TOKEN: "b" }), "a");
  assert.equal(resolveToken(undefined, { GH_TOKEN: "b" }), "b");
  assert.throws(() => resolveToken(undefined, {}), UsageError);
});

Deno.test("the repository comes from the flag, then GITHUB_REPOSITORY, then GITHUB_REPO", () => {
  assert.deepEqual(resolveRepo(undefined, { GITHUB_REPO: "a/b" }), { owner: "a", repo: "b" });
  assert.deepEqual(resolveRepo(undefined, { GITHUB_REPOSITORY: "c/d", GITHUB_REPO: "a/b" }), {
    owner: "c",
    repo: "d",
  });
  assert.deepEqual(resolveRepo("e/f", { GITHUB_REPOSITORY: "c/d" }), { owner: "e", repo: "f" });
});

Deno.test("GITHUB_API_URL selects GitHub Enterprise or the emulator, trailing slash dropped", () => {
  assert.equal(resolveApiUrl(undefined, {}), "https://api.github.com");
  assert.equal(
    resolveApiUrl(undefined, { GITHUB_API_URL: "http://127.0.0.1:9/" }),
    "http://127.0.0.1:9",
  );
  assert.throws(() => resolveApiUrl("nope", {}), /Invalid API URL "nope"/);
});

Deno.test("positiveInt refuses zero, negatives and fractions with the flag name", () => {
  assert.equal(positiveInt("--n", "12"), 12);
  for (const bad of ["0", "-1", "1.5", "", "1e3"]) {
    assert.throws(
      () => positiveInt("--n", bad),
      new RegExp(`Invalid --n "${bad.replace(".", "\\.")}"`),
    );
  }
});

Deno.test("an empty GITHUB_TOKEN does not block the GH_TOKEN fallback", () => {
  assert.equal(resolveToken(undefined, { GITHUB_TOKEN: "", GH_TOKEN: "ghp_b" }), "ghp_b");
  assert.equal(resolveToken("", { GITHUB_TOKEN: "", GH_TOKEN: "ghp_b" }), "ghp_b");
  assert.throws(() => resolveToken(undefined, { GITHUB_TOKEN: "", GH_TOKEN: "" }), UsageError);
});

Deno.test("the node id is run-<run>-job-<n> in Actions with P2P_JOB_INDEX", () => {
  assert.equal(
    defaultNodeId({ GITHUB_RUN_ID: "42", P2P_JOB_INDEX: "3" }, "h", 1, "beef"),
    "run-42-job-3",
  );
  assert.equal(
    defaultNodeId(
      { GITHUB_RUN_ID: "42", GITHUB_RUN_ATTEMPT: "2", P2P_JOB_INDEX: "3" },
      "h",
      1,
      "x",
    ),
    "run-42-a2-job-3",
  );
});

Deno.test("matrix jobs without P2P_JOB_INDEX get different node ids (job, runner, random suffix)", () => {
  // Every job of a matrix shares GITHUB_RUN_ID and GITHUB_JOB.
  const env = { GITHUB_RUN_ID: "42", GITHUB_JOB: "swarm", RUNNER_NAME: "GitHub Actions 7" };
  const ids = new Set(
    Array.from({ length: 50 }, () => defaultNodeId(env, "h", 1, randomSuffix())),
  );
  assert.ok(ids.size >= 49, `50 jobs, ${ids.size} ids`); // 65,536 suffixes: a clash is rare
  const one = [...ids][0]!;
  assert.match(one, /^run-42-swarm-GitHub-Actions-7-[0-9a-f]{4}$/);
  assert.notEqual(
    defaultNodeId(env, "h", 1, "aaaa"),
    defaultNodeId(env, "h", 1, "bbbb"),
    "the same job and runner still differ by suffix",
  );
});

Deno.test("outside Actions the node id is host-pid-random, so containers with pid 1 differ", () => {
  assert.equal(defaultNodeId({}, "my laptop", 77, "c0de"), "my-laptop-77-c0de");
  assert.notEqual(defaultNodeId({}, "box", 1, randomSuffix()), defaultNodeId({}, "box", 1, "zzzz"));
  assert.match(randomSuffix(), /^[0-9a-f]{4}$/);
});

Deno.test("the token kind is one answer for every command: actions only with the workflow token", () => {
  assert.equal(
    resolveTokenKind(undefined, { GITHUB_ACTIONS: "true", GITHUB_TOKEN: "ghs_x" }),
    "actions",
  );
  assert.equal(resolveTokenKind(undefined, { GITHUB_TOKEN: "ghs_x" }), "pat", "outside Actions");
  assert.equal(
    resolveTokenKind(undefined, { GITHUB_ACTIONS: "true", GITHUB_TOKEN: "ghs_x" }, "ghp_mine"),
    "pat",
    "an explicit --token in Actions is not the workflow's",
  );
  assert.equal(resolveTokenKind("app", { GITHUB_ACTIONS: "true", GITHUB_TOKEN: "x" }), "app");
});
