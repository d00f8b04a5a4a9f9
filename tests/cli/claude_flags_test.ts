import assert from "node:assert/strict";
import {
  assertClaudeCanRun,
  resolveClaudeSettings,
  shellWords,
  splitRules,
} from "../../src/cli/claude_flags.ts";
import { UsageError } from "../../src/cli/usage_error.ts";
import { bypassRefusal } from "../../src/executor/claude_permissions.ts";
import { runCli } from "./_run.ts";

Deno.test("without flags or variables the agent may edit files and run shell commands", () => {
  assert.deepEqual(resolveClaudeSettings({}, {}), {
    permissionMode: "acceptEdits",
    allowedTools: ["Bash"],
    disallowedTools: [],
    extraArgs: [],
    acceptDenials: false,
    plannerMaxTurns: 30,
  });
});

Deno.test("every Claude Code setting comes from its flag (or the configuration file), else its variable", () => {
  const env = {
    P2P_CLAUDE_PERMISSION_MODE: "dontAsk",
    P2P_CLAUDE_ALLOWED_TOOLS: "Bash(npm test:*), Edit",
    P2P_CLAUDE_DISALLOWED_TOOLS: "WebFetch",
    P2P_CLAUDE_APPEND_SYSTEM_PROMPT: "Be brief.",
    P2P_CLAUDE_ARGS: "--add-dir '../my lib'",
    P2P_MAX_BUDGET_USD: "0.5",
    P2P_MAX_COST_USD: "20",
    P2P_ACCEPT_DENIALS: "1",
    P2P_PLANNER_MAX_TURNS: "12",
  };
  assert.deepEqual(resolveClaudeSettings({}, env), {
    permissionMode: "dontAsk",
    allowedTools: ["Bash(npm test:*)", "Edit"],
    disallowedTools: ["WebFetch"],
    appendSystemPrompt: "Be brief.",
    extraArgs: ["--add-dir", "../my lib"],
    maxBudgetUsd: 0.5,
    maxCostUsd: 20,
    acceptDenials: true,
    plannerMaxTurns: 12,
  });
  // Values as the command parsed them (from flags or the configuration file).
  const flags = {
    permissionMode: "plan",
    allowedTools: "none",
    maxCostUsd: 3.25,
    plannerMaxTurns: 5,
    acceptDenials: false,
  };
  const s = resolveClaudeSettings(flags, env);
  assert.equal(s.permissionMode, "plan");
  assert.deepEqual(s.allowedTools, [], "--allowed-tools none passes no rule");
  assert.equal(s.acceptDenials, false, "a value given wins over the variable");
  assert.equal(s.maxCostUsd, 3.25);
  assert.equal(s.plannerMaxTurns, 5);
});

Deno.test("bad Claude Code settings are usage errors naming the flag and the value", () => {
  const cases: [Record<string, unknown>, Record<string, string>, RegExp][] = [
    [
      {},
      { P2P_CLAUDE_PERMISSION_MODE: "yolo" },
      /^Invalid P2P_CLAUDE_PERMISSION_MODE "yolo": use acceptEdits, /,
    ],
    [
      {},
      { P2P_MAX_COST_USD: "0" },
      /^Invalid P2P_MAX_COST_USD "0": expected a positive dollar amount/,
    ],
    [{}, { P2P_MAX_BUDGET_USD: "$5" }, /^Invalid P2P_MAX_BUDGET_USD "\$5"/],
    [{}, { P2P_PLANNER_MAX_TURNS: "0" }, /^Invalid P2P_PLANNER_MAX_TURNS "0"/],
    [{}, { P2P_ACCEPT_DENIALS: "yes" }, /^Invalid P2P_ACCEPT_DENIALS "yes": use 1 or 0\./],
    [{ claudeArgs: '--settings \'{"a":1}' }, {}, /^Invalid --claude-args .*: close the ' quote\./],
  ];
  for (const [flags, env, message] of cases) {
    assert.throws(() => resolveClaudeSettings(flags, env), (e: unknown) => {
      assert.ok(e instanceof UsageError, String(e));
      assert.match(e.message, message);
      return true;
    });
  }
});

Deno.test("splitRules splits on commas outside parentheses", () => {
  assert.deepEqual(splitRules("Bash(npm run a, b), Edit\nWebFetch,,"), [
    "Bash(npm run a, b)",
    "Edit",
    "WebFetch",
  ]);
  assert.deepEqual(splitRules(""), []);
});

Deno.test("shellWords splits like a shell: quotes and backslashes", () => {
  assert.deepEqual(
    shellWords(`--add-dir "../my lib" --settings '{"a": 1}' a\\ b "" "x\\"y"`),
    ["--add-dir", "../my lib", "--settings", '{"a": 1}', "a b", "", 'x"y'],
  );
  assert.deepEqual(shellWords("   "), []);
});

Deno.test("bypassPermissions is refused as root unless the environment says it is a sandbox", () => {
  const bypass = { permissionMode: "bypassPermissions" };
  assert.match(
    bypassRefusal(bypass, { uid: 0, env: {} }) ?? "",
    /refuses --permission-mode bypassPermissions when run as root/,
  );
  assert.match(
    bypassRefusal({ extraArgs: ["--dangerously-skip-permissions"] }, { uid: 0, env: {} }) ?? "",
    /refuses --dangerously-skip-permissions when run as root/,
  );
  assert.equal(bypassRefusal(bypass, { uid: 1001, env: {} }), undefined);
  assert.equal(bypassRefusal(bypass, { uid: 0, env: { IS_SANDBOX: "1" } }), undefined);
  assert.equal(bypassRefusal(bypass, { uid: 0, env: { CLAUDE_CODE_BUBBLEWRAP: "1" } }), undefined);
  assert.equal(bypassRefusal({ permissionMode: "acceptEdits" }, { uid: 0, env: {} }), undefined);
  const settings = resolveClaudeSettings({ permissionMode: "bypassPermissions" }, {});
  assert.throws(() => assertClaudeCanRun(settings, 0, {}), UsageError);
});

Deno.test("run with --permission-mode bypassPermissions as root stops before any request with exit code 2", async () => {
  const args = [
    "run",
    "--issue",
    "1",
    "--repo",
    "o/r",
    "--api-url",
    "http://127.0.0.1:9", // never contacted: the check comes first
    "--executor",
    "claude",
    "--claude-path",
    "/bin/true",
    "--permission-mode",
    "bypassPermissions",
  ];
  const r = await runCli(args, { GITHUB_TOKEN: "ghp_x" });
  if (Deno.uid() === 0) {
    assert.equal(r.code, 2, r.stderr);
    assert.equal(
      r.stderr.trim(),
      "p2p-dev: Claude Code refuses --permission-mode bypassPermissions when run as root: run p2p-dev " +
        "as a normal user, keep the default --permission-mode acceptEdits (shell commands are " +
        "allowed by --allowed-tools Bash), or, in a disposable container, set IS_SANDBOX=1.",
    );
  } else {
    assert.doesNotMatch(r.stderr, /refuses/, "as a normal user bypassPermissions may run");
  }
});

Deno.test("bad Claude Code flags are usage errors with exit code 2 naming the flag", async () => {
  const base = ["run", "--issue", "1", "--repo", "o/r", "--executor", "claude"];
  for (
    const [args, message] of [
      [["--permission-mode", "yolo"], /--permission-mode/],
      [["--max-cost-usd", "-1"], /Invalid --max-cost-usd "-1": expected a positive dollar amount/],
      [["--max-budget-usd", "abc"], /Invalid --max-budget-usd "abc"/],
      [["--planner-max-turns", "0"], /Invalid --planner-max-turns "0"/],
    ] as const
  ) {
    const r = await runCli([...base, ...args], { GITHUB_TOKEN: "ghp_x" });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, message);
  }
});

Deno.test("the configuration file sets the Claude Code options: its bypassPermissions meets the same root check", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/p2p.yml`,
      [
        "claude:",
        "  permission-mode: bypassPermissions",
        "  allowed-tools: Bash(npm test:*),Edit",
        "budgets:",
        "  max-cost-usd: 12.5",
      ].join("\n") + "\n",
    );
    const r = await runCli([
      "run",
      "--issue",
      "1",
      "--repo",
      "o/r",
      "--api-url",
      "http://127.0.0.1:9",
      "--config",
      `${dir}/p2p.yml`,
      "--executor",
      "claude",
      "--claude-path",
      "/bin/true",
    ], { GITHUB_TOKEN: "ghp_x" });
    if (Deno.uid() === 0) {
      // The file's bypassPermissions reached the check that refuses it as root.
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /refuses --permission-mode bypassPermissions when run as root/);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
