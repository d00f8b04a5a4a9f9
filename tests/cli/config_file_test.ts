/**
 * The configuration file `.github/p2p-dev.yml` (issue 15): validated with
 * errors naming the field and the allowed values; flags override it.
 */
import assert from "node:assert/strict";
import { exampleConfig, findConfigFile, validateConfig } from "../../src/cli/config_file.ts";
import { defineCommand } from "../../src/cli/define.ts";
import { CONFIG_OPTION, TIMING_OPTIONS } from "../../src/cli/option_groups.ts";
import { UsageError } from "../../src/cli/usage_error.ts";
import { parse } from "yaml";
import { runInProcess, testContext } from "./_ctx.ts";
import { runCli } from "./_run.ts";
import { startWorld } from "./_world.ts";

const F = ".github/p2p-dev.yml";

Deno.test("config errors name the field and what it accepts", () => {
  const cases: [unknown, RegExp][] = [
    [{ planer: {} }, /Unknown section "planer" in .*: use budgets, trust, .*instances\./],
    [
      { delivery: { mod: "pr" } },
      /Unknown field "delivery.mod" in .*: section "delivery" takes mode or repo-dir\./,
    ],
    [
      { delivery: { mode: "mail" } },
      /Invalid delivery.mode in .* "mail": use none, branch or pr\./,
    ],
    [
      { budgets: { "token-kind": "gold" } },
      /Invalid budgets.token-kind .* "gold": use actions, pat or app\./,
    ],
    [
      { timings: { "settle-ms": "soon" } },
      /Invalid timings.settle-ms .* "soon": expected a positive number of milliseconds/,
    ],
    [
      { budgets: { "max-attempts": 0 } },
      /Invalid budgets.max-attempts .* 0: expected a positive whole number/,
    ],
    [{ trust: { allow: [1] } }, /Invalid trust.allow .*: expected a list of names/],
    [{ claims: { strict: "yes" } }, /Invalid claims.strict .* "yes": expected true or false/],
    [{ instances: { min: 5, max: 2 } }, /min 5 is above max 2/],
    [{ timings: 3 }, /Invalid section "timings" in .*: expected keys such as settle-ms/],
    [[1, 2], /expected a mapping of sections/],
  ];
  for (const [doc, message] of cases) {
    assert.throws(() => validateConfig(doc, F), (error: unknown) => {
      assert.ok(error instanceof UsageError, String(error));
      assert.match(error.message, message);
      return true;
    });
  }
});

Deno.test("config values: durations with units, lists, an empty file", () => {
  assert.deepEqual(
    validateConfig(
      {
        timings: { "settle-ms": "10s", "lease-ms": 600000, "poll-max-ms": "5m" },
        trust: { allow: "alice, bob" },
        instances: { min: 1, default: 3, max: 5 },
        planner: null,
      },
      F,
    ),
    {
      "timings.settle-ms": 10_000,
      "timings.lease-ms": 600_000,
      "timings.poll-max-ms": 300_000,
      "trust.allow": ["alice", "bob"],
      "instances.min": 1,
      "instances.default": 3,
      "instances.max": 5,
    },
  );
  assert.deepEqual(validateConfig(null, F), {});
});

Deno.test("the example configuration in the README is valid and shows every section", async () => {
  const example = exampleConfig();
  const values = validateConfig(parse(example), F);
  assert.ok(Object.keys(values).length > 5);
  const readme = await Deno.readTextFile(new URL("../../README.md", import.meta.url));
  const block = /```yaml\n(# \.github\/p2p-dev\.yml[\s\S]*?)```/.exec(readme);
  assert.ok(block, "the README shows the configuration file");
  assert.equal(block[1], example, "the README's example is exampleConfig() (regenerate it)");
});

Deno.test("flags override the file, the file overrides defaults; a bad file is exit 2", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/.git`);
    await Deno.mkdir(`${dir}/.github`);
    await Deno.mkdir(`${dir}/sub/deeper`, { recursive: true });
    await Deno.writeTextFile(`${dir}/${F}`, "timings:\n  settle-ms: 2s\n  poll-ms: 700\n");
    assert.equal(await findConfigFile(`${dir}/sub/deeper`), `${dir}/${F}`);
    const seen: unknown[] = [];
    const probe = (args: string[]) => {
      const ctx = testContext({ cwd: `${dir}/sub/deeper` });

      return defineCommand(ctx, {
        name: "probe",
        description: "",
        options: [CONFIG_OPTION, ...TIMING_OPTIONS],
        action: (values, info) => void seen.push({ values, sources: info.sources }),
      }).exitOverride().parseAsync(args, { from: "user" });
    };
    await probe(["--settle-ms", "900"]);
    const { values, sources } = seen.pop() as {
      values: Record<string, unknown>;
      sources: Record<string, string>;
    };
    assert.equal(values.settleMs, 900);
    assert.equal(sources.settleMs, "flag");
    assert.equal(values.pollMs, 700);
    assert.equal(sources.pollMs, "config");
    assert.equal(values.pollMaxMs, 300_000);
    assert.equal(sources.pollMaxMs, "default");

    await Deno.writeTextFile(`${dir}/${F}`, "delivery:\n  mode: mail\n");
    const bad = await runInProcess(["run", "--issue", "1", "--exec", "true"], {}, { cwd: dir });
    assert.equal(bad.code, 2);
    assert.match(
      bad.err.join("\n"),
      /Invalid delivery.mode in .*p2p-dev.yml "mail": use none, branch or pr/,
    );

    await Deno.writeTextFile(`${dir}/${F}`, "timings:\n  settle-ms: [\n");
    const broken = await runInProcess(["run", "--issue", "1"], {}, { cwd: dir });
    assert.equal(broken.code, 2);
    assert.match(broken.err.join("\n"), /Invalid YAML in .*p2p-dev.yml at line \d/);

    const missing = await runInProcess(["run", "--issue", "1", "--config", `${dir}/nope.yml`], {});
    assert.equal(missing.code, 2);
    assert.match(missing.err.join("\n"), /Cannot read configuration file ".*nope.yml"/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "a run takes its executor and timings from the repository's file; a flag overrides it",
  sanitizeResources: false,
  async fn() {
    await using world = await startWorld(["- [ ] T1: one", "- [ ] T1: one"]);
    const repo = `${world.dir}/repo`;
    await Deno.mkdir(`${repo}/.github`, { recursive: true });
    await Deno.mkdir(`${repo}/.git`);
    await Deno.writeTextFile(
      `${repo}/${F}`,
      [
        "executor:",
        "  command: echo from-config",
        "timings:",
        "  settle-ms: 300",
        "  poll-ms: 200",
        "  poll-max-ms: 1s",
        "  lease-ms: 5s",
        "  election-timeout-ms: 4s",
        "budgets:",
        "  token-kind: app",
        "",
      ].join("\n"),
    );
    const fromFile = await runCli(["run", "--issue", "1", "--time-scale", "0.05"], world.env, {
      cwd: repo,
    });
    assert.equal(fromFile.code, 0, fromFile.stderr);
    assert.match(fromFile.stdout, /T1 completed: from-config/);
    const fromFlag = await runCli(
      ["run", "--issue", "2", "--time-scale", "0.05", "--exec", "echo from-flag"],
      world.env,
      { cwd: repo },
    );
    assert.equal(fromFlag.code, 0, fromFlag.stderr);
    assert.match(fromFlag.stdout, /T1 completed: from-flag/);
    const state = await runCli(["state", "--issue", "1"], world.env, { cwd: repo });
    assert.match(state.stdout, /Budget \(app token/, "state reads the same file");
  },
});
