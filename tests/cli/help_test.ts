/**
 * Help that helps (issue 15): each subcommand lists only its own options,
 * `--issue` is marked required, defaults print as numbers, and the
 * environment, a task's input and the emulator's control surface are
 * documented where a user looks.
 */
import assert from "node:assert/strict";
import { CONTROL_ENDPOINTS } from "../../src/emulator/control.ts";
import { startEmulator } from "../../src/emulator/mod.ts";
import { SEED_EXAMPLE } from "../../src/cli/emulator.ts";
import { taskEnv } from "../../src/executor/command.ts";
import { runInProcess } from "./_ctx.ts";

async function help(command: string): Promise<string> {
  const r = await runInProcess([command, "--help"]);
  assert.equal(r.code, 0);
  return r.out.join("\n");
}

const flagsOf = (text: string) => new Set([...text.matchAll(/^\s+(--[a-z-]+)/gm)].map((m) => m[1]));

/** The P2P_* variables a task's command receives. */
const TASK_VARS = Object.keys(
  taskEnv({ id: "T", title: "t", priority: "low", deps: [] }, {
    issue: 1,
    issueTitle: "",
    issueBody: "",
    node: "n",
    attempt: 1,
    signal: AbortSignal.abort(),
    onProgress: () => {},
    depBranches: [],
  }, "/w"),
);

Deno.test("each node command's help lists only the options it uses", async () => {
  const run = flagsOf(await help("run"));
  const elect = flagsOf(await help("elect"));
  const plan = flagsOf(await help("plan"));
  const work = flagsOf(await help("work"));
  for (const flag of ["--exec", "--executor", "--deliver", "--max-tasks", "--work-dir"]) {
    assert.ok(run.has(flag) && work.has(flag), flag);
    assert.ok(!elect.has(flag) && !plan.has(flag), `${flag} is not for elect or plan`);
  }
  for (const flag of ["--planner", "--planner-cmd", "--lease-ms", "--max-attempts"]) {
    assert.ok(run.has(flag) && plan.has(flag), flag);
    assert.ok(!work.has(flag) && !elect.has(flag), `${flag} is not for work or elect`);
  }
  assert.ok(plan.has("--dry-run") && !run.has("--dry-run"));
  for (const flags of [run, elect, plan, work]) {
    for (const common of ["--issue", "--settle-ms", "--token-kind", "--allow", "--config"]) {
      assert.ok(flags.has(common), common);
    }
  }
});

Deno.test("--issue is marked required and defaults print as numbers", async () => {
  for (const command of ["run", "elect", "plan", "work", "aggregate"]) {
    assert.match(await help(command), /--issue <n>\s+.*\(required\)/, command);
  }
  const run = (await help("run")).replace(/\s+/g, " ");
  assert.match(run, /\(default: 10000\)/);
  assert.doesNotMatch(run, /default: "\d+"/, "no number is printed as a string");
});

Deno.test("run and work document P2P_ALLOW, P2P_SECRET, a task's variables and its stdin JSON", async () => {
  for (const command of ["run", "work"]) {
    const text = await help(command);
    assert.match(text, /P2P_ALLOW\s+more trusted logins/);
    assert.match(text, /P2P_SECRET\s+shared secret/);
    for (const v of TASK_VARS) assert.match(text, new RegExp(`\\b${v}\\b`), `${command}: ${v}`);
    const json = /on stdin, JSON: (\{.*\})$/m.exec(text);
    assert.ok(json, "the stdin JSON is shown");
    const input = JSON.parse(json[1]!);
    assert.deepEqual(Object.keys(input), ["task", "context"]);
    assert.match(text, /P2P_PROGRESS <percent> \[note\]/);
    assert.match(text, /--time-scale <factor>\s+multiply the client's own waits/);
  }
});

Deno.test("emulator --help documents every control endpoint and a seed that works", async () => {
  const text = await help("emulator");
  for (const endpoint of Object.keys(CONTROL_ENDPOINTS)) {
    assert.ok(text.includes(endpoint), endpoint);
  }
  const shown = /^\s+(\{"users".*\})$/m.exec(text);
  assert.ok(shown, "the seed example is in the help");
  assert.deepEqual(JSON.parse(shown[1]!), SEED_EXAMPLE);
  const emulator = await startEmulator({ port: 0, demo: false });
  try {
    const res = await fetch(`${emulator.url}/_emulator/seed`, {
      method: "POST",
      body: shown[1]!,
      headers: { "content-type": "application/json" },
    });
    assert.equal(res.status, 200, await res.clone().text());
    await res.body?.cancel();
    const issue = await fetch(`${emulator.url}/repos/octo/hello/issues/1`, {
      headers: { authorization: "token ghp_alice" },
    });
    assert.equal(issue.status, 200);
    assert.equal((await issue.json()).title, "Add search");
  } finally {
    await emulator.close();
  }
});

Deno.test("the README documents the environment, a task's input, --time-scale and the emulator", async () => {
  const readme = await Deno.readTextFile(new URL("../../README.md", import.meta.url));
  for (const v of ["P2P_ALLOW", "P2P_SECRET", "P2P_PROGRESS", "--time-scale", ...TASK_VARS]) {
    assert.ok(readme.includes(v), v);
  }
  for (const endpoint of Object.keys(CONTROL_ENDPOINTS)) {
    assert.ok(readme.includes(`\`${endpoint}\``), endpoint);
  }
  const seed = /A seed \(`POST \/_emulator\/seed`[\s\S]*?```json\n([\s\S]*?)```/.exec(readme);
  assert.ok(seed, "the seed example");
  assert.deepEqual(JSON.parse(seed[1]!), SEED_EXAMPLE);
  assert.match(
    readme,
    /```sh\ndeno task demo\b[^\n]*\ndeno task test\b[^\n]*\n```/,
    "the first commands shown are the demo and the test suite",
  );
  assert.match(
    readme,
    /npx --yes deno@2\.9\.6 task demo\nnpx --yes deno@2\.9\.6 task test/,
    "the Node-only form",
  );
  assert.match(readme, /^\*\/10 \* \* \* \* .*\\\n\s+p2p-dev watch .*--once/m, "a crontab line");
  assert.match(readme, /\[Service\][\s\S]*ExecStart=.*p2p-dev watch[\s\S]*\[Timer\]/, "systemd");
});
