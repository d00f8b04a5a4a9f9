/**
 * `p2p-dev init` as a process in a scratch clone: the workflow it writes,
 * the label it creates through the API (against the emulator), what it
 * prints, and what it refuses to do.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { startEmulator } from "../../src/emulator/mod.ts";
import { VERSION } from "../../src/version.ts";
import {
  defaultWorkflowOptions,
  renderWorkflow,
  WORKFLOW_PATH,
} from "../../src/workflow/template.ts";
import { runCli } from "./_run.ts";

async function scratch(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "p2p-dev-init-" });
}

async function git(dir: string, ...args: string[]): Promise<void> {
  const out = await new Deno.Command("git", {
    args: ["-C", dir, ...args],
    stdout: "null",
    stderr: "piped",
  })
    .output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
}

Deno.test("init writes the default workflow and says what to commit, which secrets to set and how to start", async () => {
  const dir = await scratch();
  try {
    const r = await runCli(["init", "--dir", dir], {});
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      await Deno.readTextFile(join(dir, WORKFLOW_PATH)),
      renderWorkflow(defaultWorkflowOptions(VERSION)),
    );
    const out = r.stdout;
    assert.match(
      out,
      new RegExp(
        `^Wrote ${WORKFLOW_PATH} \\(p2p-dev ${
          VERSION.replaceAll(".", "\\.")
        }, label "p2p-dev", the repository's default node count\\)\\.$`,
        "m",
      ),
    );
    assert.match(
      out,
      /Create the label "p2p-dev" in the repository .* run init again with GITHUB_TOKEN set and --repo owner\/name/,
    );
    assert.match(out, new RegExp(`git add ${WORKFLOW_PATH}`));
    assert.match(out, /gh secret set ANTHROPIC_API_KEY/);
    assert.match(out, /gh secret set P2P_SECRET/);
    assert.match(out, /gh variable set MAX_INSTANCES/);
    assert.match(
      out,
      /Start a swarm: label an issue "p2p-dev", or comment "\/p2p-dev" \(instances\.default in \.github\/p2p-dev\.yml, else 5 nodes\) or "\/p2p-dev N" on it\./,
    );

    const again = await runCli(["init", "--dir", dir], {});
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /is up to date/);
    assert.doesNotMatch(again.stdout, /git add/, "nothing to commit the second time");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--instances and --label shape the workflow; bad values are usage errors", async () => {
  const dir = await scratch();
  try {
    const r = await runCli(["init", "--dir", dir, "--instances", "8", "--label", "swarm it"], {});
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      await Deno.readTextFile(join(dir, WORKFLOW_PATH)),
      renderWorkflow({ version: VERSION, label: "swarm it", instances: 8 }),
    );
    assert.match(r.stdout, /label "swarm it", 8 nodes by default/);
    for (
      const [args, message] of [
        [["--instances", "0"], /Invalid --instances "0": expected a positive whole number\./],
        [["--instances", "300"], /Invalid --instances 300: use a whole number from 1 to 256\./],
        [["--label", ""], /Invalid --label "": expected a non-empty value\./],
        [["--label", " x"], /Invalid label " x": use 1 to 50 characters/],
      ] as const
    ) {
      const bad = await runCli(["init", "--dir", dir, ...args], {});
      assert.equal(bad.code, 2, bad.stdout);
      assert.match(bad.stderr, message);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("init refuses to overwrite a workflow edited by hand without --force, and upgrades an untouched older one", async () => {
  const dir = await scratch();
  const path = join(dir, WORKFLOW_PATH);
  try {
    await Deno.mkdir(join(dir, ".github/workflows"), { recursive: true });
    const older = renderWorkflow(defaultWorkflowOptions("0.0.9"));
    await Deno.writeTextFile(path, older);
    const upgrade = await runCli(["init", "--dir", dir], {});
    assert.equal(upgrade.code, 0, upgrade.stderr);
    assert.match(upgrade.stdout, /^Upgraded \(from p2p-dev 0\.0\.9\) /m);
    assert.equal(await Deno.readTextFile(path), renderWorkflow(defaultWorkflowOptions(VERSION)));

    const edited = (await Deno.readTextFile(path)).replace(
      "timeout-minutes: 10",
      "timeout-minutes: 20",
    );
    await Deno.writeTextFile(path, edited);
    const refused = await runCli(["init", "--dir", dir, "--instances", "3"], {});
    assert.equal(refused.code, 2);
    assert.match(
      refused.stderr,
      /was edited by hand: pass --force to replace it, or --dry-run to print the new workflow/,
    );
    assert.equal(await Deno.readTextFile(path), edited, "the edited file is untouched");

    await Deno.writeTextFile(path, "name: mine\non: push\n");
    const foreign = await runCli(["init", "--dir", dir], {});
    assert.equal(foreign.code, 2);
    assert.match(foreign.stderr, /\(or not written by p2p-dev init\)/);

    const forced = await runCli(["init", "--dir", dir, "--force"], {});
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stdout, /^Replaced /m);
    assert.equal(await Deno.readTextFile(path), renderWorkflow(defaultWorkflowOptions(VERSION)));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "with a token, init creates the label through the API (repository from the origin " +
    "remote); --dry-run changes nothing",
  sanitizeResources: false,
  async fn() {
    const emu = await startEmulator({
      port: 0,
      users: [{ login: "octo", token: "ghp_init_owner" }, {
        login: "reader",
        token: "ghp_init_reader",
      }],
      repos: [{ owner: "octo", name: "hello", permissions: { reader: "read" } }],
    });
    const dir = await scratch();
    try {
      await git(dir, "init", "--quiet");
      await git(dir, "remote", "add", "origin", "git@github.com:octo/hello.git");
      const env = { GITHUB_TOKEN: "ghp_init_owner", GITHUB_API_URL: emu.url };

      const dry = await runCli(["init", "--dir", dir, "--dry-run", "--label", "swarm"], env);
      assert.equal(dry.code, 0, dry.stderr);
      assert.match(dry.stdout, /^# Written by p2p-dev init /m, "the workflow is printed");
      assert.match(dry.stdout, new RegExp(`^Would write ${WORKFLOW_PATH} `, "m"));
      assert.match(dry.stdout, /^Would create the label "swarm" in octo\/hello\.$/m);
      await assert.rejects(Deno.stat(join(dir, WORKFLOW_PATH)), Deno.errors.NotFound);
      assert.equal(emu.control.countsFor("octo").requests, 0, "not one request");

      const reader = await runCli(["init", "--dir", dir, "--label", "swarm"], {
        ...env,
        GITHUB_TOKEN: "ghp_init_reader",
      });
      assert.equal(reader.code, 1);
      assert.match(
        reader.stderr,
        /Cannot create the label "swarm" in octo\/hello: .*403.* The workflow file is written/,
      );
      await Deno.stat(join(dir, WORKFLOW_PATH));

      const made = await runCli(["init", "--dir", dir, "--label", "swarm"], env);
      assert.equal(made.code, 0, made.stderr);
      assert.match(made.stdout, /^Created the label "swarm" in octo\/hello\.$/m);
      const label = emu.control.world.repo("octo", "hello")!.labels.find((l) => l.name === "swarm");
      assert.deepEqual(
        { color: label?.color, description: label?.description },
        { color: "5319e7", description: "Start a p2p-dev swarm on this issue" },
      );
      const again = await runCli(["init", "--dir", dir, "--label", "swarm"], env);
      assert.match(again.stdout, /^The label "swarm" already exists in octo\/hello\.$/m);
    } finally {
      await emu.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
