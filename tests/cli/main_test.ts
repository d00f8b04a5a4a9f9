import assert from "node:assert/strict";
import { runCli } from "./_run.ts";
import denoJson from "../../deno.json" with { type: "json" };

Deno.test("--version prints the version from deno.json and exits 0", async () => {
  const r = await runCli(["--version"]);
  assert.equal(r.code, 0);
  assert.equal(r.stdout.trim(), denoJson.version);
});

Deno.test("--help lists the subcommands and documents exit codes", async () => {
  const r = await runCli(["--help"]);
  assert.equal(r.code, 0);
  for (const cmd of ["run", "elect", "plan", "work", "aggregate", "state"]) {
    assert.match(r.stdout, new RegExp(`^\\s+${cmd}\\b`, "m"), `help lists ${cmd}`);
  }
  assert.match(r.stdout, /Exit codes:/);
  assert.match(r.stdout, /2\s+usage error/);
});

Deno.test("an unknown flag is a usage error with exit code 2", async () => {
  const r = await runCli(["--bogus"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown option '--bogus'/);
});

Deno.test("a missing token is one line saying what to do, exit code 2", async () => {
  const r = await runCli(["run", "--issue", "1", "--repo", "o/r", "--exec", "true"]);
  assert.equal(r.code, 2);
  assert.equal(r.stderr.trim().split("\n").length, 1);
  assert.match(
    r.stderr,
    /Missing GitHub token: set GITHUB_TOKEN \(or GH_TOKEN\) or pass --token\./,
  );
});

Deno.test("a missing repository is a usage error naming GITHUB_REPOSITORY", async () => {
  const r = await runCli(["run", "--issue", "1", "--exec", "true"], { GITHUB_TOKEN: "x" });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /Missing repository: set GITHUB_REPOSITORY/);
});

Deno.test("an invalid issue number is a usage error quoting the value", async () => {
  const r = await runCli(["run", "--issue", "abc", "--exec", "true"], {
    GITHUB_TOKEN: "x",
    GITHUB_REPOSITORY: "o/r",
  });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /Invalid --issue "abc": expected a positive whole number\./);
});

Deno.test("timing settings that break lease > renew are refused with the reason", async () => {
  const r = await runCli(
    ["run", "--issue", "1", "--exec", "true", "--lease-ms", "1000", "--renew-ms", "2000"],
    { GITHUB_TOKEN: "x", GITHUB_REPOSITORY: "o/r" },
  );
  assert.equal(r.code, 2);
  assert.match(r.stderr, /Lease 1000 ms must be longer than the renew interval 2000 ms/);
});

Deno.test("the older GITHUB_REPO variable is accepted and validated", async () => {
  const r = await runCli(["run", "--issue", "1", "--exec", "true"], {
    GITHUB_TOKEN: "x",
    GITHUB_REPO: "not a repo",
  });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /Invalid repository "not a repo": expected owner\/name/);
});
