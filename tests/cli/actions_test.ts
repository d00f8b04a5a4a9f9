/**
 * What a workflow sees: `run` and `aggregate` as real processes with the
 * environment GitHub Actions sets, against the emulator.
 */
import assert from "node:assert/strict";
import { startEmulator } from "../../src/emulator/mod.ts";
import { defaultConfig } from "../../src/node/config.ts";
import { runCli } from "./_run.ts";

const TOKEN = "ghs_actions_test_token_123";

Deno.test({
  name:
    "in Actions, run masks the token, groups task logs and writes outputs; aggregate writes the job summary",
  sanitizeResources: false,
  async fn() {
    const emu = await startEmulator({
      port: 0,
      tokens: [{ token: TOKEN, login: "github-actions[bot]", kind: "actions", repos: ["o/r"] }],
      users: [{ login: "o", token: "ghp_o" }],
      repos: [{
        owner: "o",
        name: "r",
        issues: [{
          title: "Two tasks",
          author: "o",
          body: "- [ ] T1: first\n- [ ] T2: second (after: T1)",
        }],
      }],
    });
    const dir = await Deno.makeTempDir({ prefix: "p2p-dev-actions-" });
    try {
      const env = {
        GITHUB_ACTIONS: "true",
        GITHUB_TOKEN: TOKEN,
        GITHUB_REPOSITORY: "o/r",
        GITHUB_API_URL: emu.url,
        GITHUB_RUN_ID: "42",
        P2P_JOB_INDEX: "1",
        GITHUB_OUTPUT: `${dir}/run-output`,
        GITHUB_STEP_SUMMARY: `${dir}/summary.md`,
      };
      const run = await runCli([
        "run",
        "--issue",
        "1",
        "--exec",
        "echo working on $P2P_TASK_ID",
        "--settle-ms",
        "300",
        "--poll-ms",
        "200",
        "--renew-ms",
        "1000",
        "--lease-ms",
        "5000",
        "--time-scale",
        "0.05",
      ], env);
      assert.equal(run.code, 0, run.stderr);
      const lines = run.stdout.trim().split("\n");
      assert.equal(lines[0], `::add-mask::${TOKEN}`, "the token is masked before anything else");
      assert.ok(!lines.slice(1).some((l) => l.includes(TOKEN)), "the token is never printed");
      assert.ok(lines.includes("::group::run-42-job-1: working on T1 (attempt 1)"));
      assert.equal(lines.filter((l) => l === "::endgroup::").length, 2);
      const runOutput = await Deno.readTextFile(`${dir}/run-output`);
      assert.match(runOutput, /^node=run-42-job-1$/m);
      assert.match(runOutput, /^stop-reason=finished$/m);
      assert.match(runOutput, /^completed=2$/m);

      const agg = await runCli(["aggregate", "--issue", "1", "--out", `${dir}/out`], {
        ...env,
        GITHUB_OUTPUT: `${dir}/agg-output`,
      });
      assert.equal(agg.code, 0, agg.stderr);
      assert.match(await Deno.readTextFile(`${dir}/summary.md`), /## p2p-dev summary for #1/);
      const aggOutput = await Deno.readTextFile(`${dir}/agg-output`);
      assert.match(aggOutput, /^status=finished$/m);
      assert.match(aggOutput, /^done=2$/m);
      assert.match(aggOutput, /^failed=0$/m);
      const metrics = JSON.parse(await Deno.readTextFile(`${dir}/out/metrics.json`));
      assert.equal(metrics.totals.done, 2);
    } finally {
      await emu.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("the defaults run --help shows are the node's own defaults, printed as numbers", async () => {
  const help = (await runCli(["run", "--help"])).stdout.replace(/\s+/g, " ");
  const d = defaultConfig(1, "x");
  assert.match(help, new RegExp(`--lease-ms <ms> .*?\\(default: ${d.leaseMs}\\)`));
  assert.match(help, new RegExp(`--settle-ms <ms> .*?\\(default: ${d.settleMs}\\)`));
  assert.match(help, new RegExp(`--max-attempts <n> .*?\\(default: ${d.maxAttempts}\\)`));
});
