import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { sealedNames } from "../../src/process/seal_secrets.ts";
import { tempDir } from "../executor/helpers.ts";

const FIXTURE = fileURLToPath(new URL("./fixtures/sealed_node.ts", import.meta.url));

/** What a node holds in GitHub Actions, and an ordinary variable that must stay. */
const SECRETS: Record<string, string> = {
  GITHUB_TOKEN: "ghs_16C7e42F292c6912E7710c838347Ae178B4a",
  GH_TOKEN: "ghp_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
  P2P_SECRET: "swarm-hmac-Zq81xK2v9Lm",
  ANTHROPIC_API_KEY: "sk-ant-api03-sealed-key",
  ACTIONS_RUNTIME_TOKEN: "eyJ0eXAi.runtime.sealed",
  P2P_APP_PRIVATE_KEY: "-----BEGIN RSA PRIVATE KEY-----\nMIIsealed\n-----END RSA PRIVATE KEY-----",
};

interface FixtureOutput {
  pid: number;
  before: string[];
  report: { names: string[]; scrubbed: boolean; undumpable: boolean };
  child: { status: string; stderr: string; parentEnviron: string[]; ownEnv: string[] };
}

/** Runs the fixture node, as another user when `asUser` is given (through setpriv). */
async function runSealedNode(dir: string, asUser?: number): Promise<FixtureOutput> {
  const deno = ["deno", "run", "--allow-all", "--no-config", "--no-lock", FIXTURE, dir];
  const [command, ...args] = asUser === undefined
    ? deno
    : ["setpriv", `--reuid=${asUser}`, `--regid=${asUser}`, "--clear-groups", "--", ...deno];
  const out = await new Deno.Command(command!, {
    args,
    env: {
      ...SECRETS,
      P2P_DEV_KEEP: "visible",
      ...(asUser === undefined ? {} : { DENO_DIR: `${dir}/deno`, HOME: dir }),
    },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  return JSON.parse(new TextDecoder().decode(out.stdout)) as FixtureOutput;
}

const linux = Deno.build.os === "linux";

Deno.test({
  name:
    "a task cannot read the node's credentials from /proc/<node pid>/environ (they were there before sealing), nor inherit them",
  ignore: !linux,
  fn: async () => {
    await using dir = await tempDir();
    const out = await runSealedNode(dir.path);
    // Deno.env.delete alone leaves this file as it was: the test fails without the scrub.
    for (const [name, value] of Object.entries(SECRETS)) {
      assert.ok(out.before.includes(`${name}=${value}`), `${name} was not in the environ at start`);
    }
    assert.deepEqual(out.report.names.toSorted(), Object.keys(SECRETS).toSorted());
    assert.equal(out.report.scrubbed, true);
    const seen = [...out.child.parentEnviron, ...out.child.ownEnv].join("\n");
    for (const [name, value] of Object.entries(SECRETS)) {
      for (const line of value.split("\n")) assert.ok(!seen.includes(line), `${name} leaked`);
    }
    assert.ok(out.child.ownEnv.includes("P2P_DEV_KEEP=visible"), "ordinary variables stay");
    if (out.child.status === "0") {
      // Root reads any process: the entries are gone, the rest is intact.
      assert.ok(out.child.parentEnviron.includes("P2P_DEV_KEEP=visible"));
      assert.ok(out.child.parentEnviron.some((e) => e.startsWith("PATH=")));
    }
  },
});

Deno.test({
  name:
    "as an ordinary user, a task cannot open its node's /proc/<pid>/environ at all (the node is not dumpable)",
  ignore: !linux,
  fn: async (t) => {
    const root = Deno.uid() === 0;
    if (root && !(await canRun("setpriv", ["--version"]))) {
      t.step({
        name: "setpriv (util-linux) is not installed: skipped",
        ignore: true,
        fn: () => {},
      });
      return;
    }
    await using dir = await tempDir();
    if (root) await Deno.chmod(dir.path, 0o777);
    const out = await runSealedNode(dir.path, root ? 65534 : undefined);
    assert.equal(out.report.undumpable, true);
    assert.notEqual(out.child.status, "0", "the child read its parent's environ");
    assert.match(out.child.stderr, /Permission denied/);
    assert.deepEqual(out.child.parentEnviron, []);
  },
});

Deno.test("sealedNames: every variable whose name names a secret, nothing else", () => {
  assert.deepEqual(
    sealedNames({
      PATH: "/bin",
      HOME: "/root",
      PWD: "/w",
      GITHUB_TOKEN: "x",
      CLAUDE_CODE_OAUTH_TOKEN: "y",
      DENO_AUTH_TOKENS: "z",
      HTTPS_PROXY: "http://proxy:3128",
      P2P_ISSUE: "7",
      UNSET: undefined,
      ...SECRETS,
    }).toSorted(),
    ["CLAUDE_CODE_OAUTH_TOKEN", "DENO_AUTH_TOKENS", ...Object.keys(SECRETS)].toSorted(),
  );
});

async function canRun(command: string, args: string[]): Promise<boolean> {
  try {
    return (await new Deno.Command(command, { args, stdout: "null", stderr: "null" }).output())
      .success;
  } catch {
    return false;
  }
}
