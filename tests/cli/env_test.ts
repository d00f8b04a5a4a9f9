import assert from "node:assert/strict";
import { positiveInt, resolveApiUrl, resolveRepo, resolveToken } from "../../src/cli/env.ts";
import { defaultNodeId } from "../../src/cli/connect.ts";
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

Deno.test("the node id is run-<run>-job-<n> in Actions and host-pid elsewhere", () => {
  assert.equal(defaultNodeId({ GITHUB_RUN_ID: "42", P2P_JOB_INDEX: "3" }, "h", 1), "run-42-job-3");
  assert.equal(
    defaultNodeId({ GITHUB_RUN_ID: "42", GITHUB_JOB: "swarm", GITHUB_RUN_ATTEMPT: "2" }, "h", 1),
    "run-42-a2-job-swarm",
  );
  assert.equal(defaultNodeId({}, "my laptop", 77), "my-laptop-77");
});
