/**
 * `p2p-dev trigger` as a process, with the environment GitHub Actions sets,
 * against the emulator: outputs, job summary, reactions, and what happens
 * when something is missing or fails.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { startEmulator } from "../../src/emulator/mod.ts";
import { runCli } from "./_run.ts";

const BOT_TOKEN = "ghs_trigger_bot";
const READ_ONLY_TOKEN = "ghs_trigger_read_only";

async function withWorld(
  fn: (
    ctx: {
      url: string;
      dir: string;
      env: (event: string, payload: unknown) => Promise<Record<string, string>>;
    },
  ) => Promise<void>,
): Promise<void> {
  const emu = await startEmulator({
    port: 0,
    users: [
      { login: "octo", token: "ghp_octo" },
      { login: "github-actions[bot]", type: "Bot" },
    ],
    tokens: [
      { token: BOT_TOKEN, login: "github-actions[bot]", kind: "actions", repos: ["octo/hello"] },
      {
        token: READ_ONLY_TOKEN,
        login: "github-actions[bot]",
        kind: "actions",
        repos: ["octo/hello"],
        permissions: { issues: "read" },
      },
    ],
    repos: [{ owner: "octo", name: "hello", issues: [{ title: "Swarm", author: "octo" }] }],
  });
  const dir = await Deno.makeTempDir({ prefix: "p2p-dev-trigger-" });
  let n = 0;
  try {
    await fn({
      url: emu.url,
      dir,
      env: async (event, payload) => {
        const path = join(dir, `event-${++n}.json`);
        await Deno.writeTextFile(path, JSON.stringify(payload));
        return {
          GITHUB_ACTIONS: "true",
          GITHUB_EVENT_NAME: event,
          GITHUB_EVENT_PATH: path,
          GITHUB_REPOSITORY: "octo/hello",
          GITHUB_API_URL: emu.url,
          GITHUB_TOKEN: BOT_TOKEN,
          GITHUB_OUTPUT: join(dir, `output-${n}`),
          GITHUB_STEP_SUMMARY: join(dir, `summary-${n}`),
        };
      },
    });
  } finally {
    await emu.close();
    await Deno.remove(dir, { recursive: true });
  }
}

const comment = (body: string) => ({
  action: "created",
  issue: { number: 1, state: "open" },
  comment: { id: 1, body, user: { login: "octo", type: "User" } },
  sender: { login: "octo", type: "User" },
});

Deno.test({
  name: "trigger writes run, issue, instances, matrix and reason to $GITHUB_OUTPUT and one line " +
    "to the job summary",
  sanitizeResources: false,
  async fn() {
    await withWorld(async ({ env }) => {
      const e = await env("issues", {
        action: "labeled",
        label: { name: "p2p-dev" },
        issue: { number: 1, state: "open" },
        sender: { login: "octo", type: "User" },
      });
      const r = await runCli(["trigger", "--instances", "4"], e);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), 'Starting 4 nodes on #1: label "p2p-dev" by @octo.');
      assert.equal(
        await Deno.readTextFile(e.GITHUB_OUTPUT!),
        'run=true\nissue=1\ninstances=4\nmatrix={"node":[1,2,3,4]}\nreason=\n',
      );
      assert.equal(
        await Deno.readTextFile(e.GITHUB_STEP_SUMMARY!),
        '### p2p-dev trigger\n\nStarting 4 nodes on #1: label "p2p-dev" by @octo.\n',
      );
    });
  },
});

Deno.test({
  name: "an event that is not a request needs no token and answers run=false without a request",
  sanitizeResources: false,
  async fn() {
    await withWorld(async ({ env }) => {
      const e = await env("issue_comment", comment("Looks good to me"));
      delete e.GITHUB_TOKEN;
      const r = await runCli(["trigger"], e);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^Nothing to do: the comment does not start with \/p2p-dev\.$/m);
      const out = await Deno.readTextFile(e.GITHUB_OUTPUT!);
      assert.match(out, /^run=false$/m);
      assert.match(out, /^matrix=\{"node":\[\]\}$/m);
    });
  },
});

Deno.test({
  name: "a reaction the token may not make is a warning: an accepted swarm still starts",
  sanitizeResources: false,
  async fn() {
    await withWorld(async ({ env }) => {
      const e: Record<string, string> = {
        ...(await env("issues", {
          action: "labeled",
          label: { name: "p2p-dev" },
          issue: { number: 1, state: "open" },
          sender: { login: "octo", type: "User" },
        })),
        GITHUB_TOKEN: READ_ONLY_TOKEN,
      };
      const r = await runCli(["trigger"], e);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^::warning::p2p-dev trigger could not react: .*"issues: write"/m);
      assert.match(await Deno.readTextFile(e.GITHUB_OUTPUT!), /^run=true$/m);
    });
  },
});

Deno.test({
  name: "trigger's mistakes are one line: no event (exit 2), a bad MAX_INSTANCES (exit 2), a bad " +
    "token (exit 1)",
  sanitizeResources: false,
  async fn() {
    await withWorld(async ({ env }) => {
      const none = await runCli(["trigger"], {});
      assert.equal(none.code, 2);
      assert.match(
        none.stderr,
        /Missing event: run trigger in GitHub Actions .* or pass --event-name and --event-path\./,
      );

      const e = await env("issue_comment", comment("/p2p-dev"));
      const bad = await runCli(["trigger"], { ...e, MAX_INSTANCES: "lots" });
      assert.equal(bad.code, 2);
      assert.match(
        bad.stderr,
        /Invalid MAX_INSTANCES "lots": set the repository variable MAX_INSTANCES to a whole number from 1 to 256\./,
      );
      const over = await runCli(["trigger"], { ...e, MAX_INSTANCES: "300" });
      assert.equal(over.code, 2);
      assert.match(
        over.stderr,
        /Invalid MAX_INSTANCES "300": set the repository variable MAX_INSTANCES to a whole number from 1 to 256\./,
      );

      const unset = await runCli(["trigger"], { ...e, MAX_INSTANCES: "" });
      assert.equal(
        unset.code,
        0,
        "an unset repository variable arrives empty: the default applies",
      );

      const token = await runCli(["trigger"], { ...e, GITHUB_TOKEN: "ghs_wrong" });
      assert.equal(token.code, 1);
      assert.match(token.stderr, /Cannot read the permission of "octo": GitHub answered 401/);
    });
  },
});

Deno.test({
  name: "trigger reads instances.min, max and default from .github/p2p-dev.yml in the " +
    "checkout; MAX_INSTANCES and flags win",
  sanitizeResources: false,
  async fn() {
    await withWorld(async ({ dir, env }) => {
      await Deno.mkdir(join(dir, ".github"));
      await Deno.writeTextFile(
        join(dir, ".github/p2p-dev.yml"),
        "instances:\n  min: 2\n  max: 3\n  default: 2\n",
      );
      const cases: [string, Record<string, string>, string[], RegExp][] = [
        ["/p2p-dev", {}, [], /^Starting 2 nodes on #1/m],
        ["/p2p-dev 4", {}, [], /4 instances is over MAX_INSTANCES \(3\); ask for 2 to 3/],
        ["/p2p-dev 1", {}, [], /1 is below instances\.min \(2\)/],
        ["/p2p-dev 4", { MAX_INSTANCES: "4" }, [], /^Starting 4 nodes on #1/m],
        ["/p2p-dev", {}, ["--instances", "3"], /^Starting 3 nodes on #1/m],
      ];
      for (const [body, extra, args, expected] of cases) {
        const e = { ...(await env("issue_comment", comment(body))), ...extra };
        const r = await runCli(["trigger", "--no-react", ...args], e, { cwd: dir });
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, expected, body);
      }
    });
  },
});
