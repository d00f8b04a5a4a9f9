/**
 * The workflow harness itself, on small workflows: what it does must be what
 * GitHub does, or the workflow tests prove nothing.
 */
import assert from "node:assert/strict";
import type { WorkflowEvent, WorkflowRun } from "./_runner.ts";
import { MAINTAINER, WorkflowWorld } from "./_world.ts";

const NO_RELEASE = new Uint8Array();

function dispatch(inputs: Record<string, string> = {}): WorkflowEvent {
  return {
    name: "workflow_dispatch",
    payload: { inputs, ref: "refs/heads/main", sender: { login: MAINTAINER.login } },
    actor: MAINTAINER.login,
    actorId: 1,
  };
}

async function runOnce(workflow: string, event = dispatch()): Promise<WorkflowRun> {
  await using world = await WorkflowWorld.start(NO_RELEASE, { workflow });
  const run = world.runner.deliver(event)!;
  await run.done;
  return run;
}

Deno.test({
  name:
    "harness: needs outputs, fromJSON matrices, env, inputs defaults and file commands as on GitHub",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const run = await runOnce(`
name: self
on:
  workflow_dispatch:
    inputs:
      n: { default: "2" }
env:
  WF: wf-\${{ inputs.n }}
jobs:
  a:
    runs-on: ubuntu-latest
    outputs:
      matrix: \${{ steps.m.outputs.matrix }}
      text: \${{ steps.m.outputs.text }}
    steps:
      - id: m
        env:
          N: \${{ inputs.n }}
        run: |
          echo "matrix={\\"k\\":[$(seq -s, 1 "$N")]}" >> "$GITHUB_OUTPUT"
          { echo "text<<END"; echo "two"; echo "lines"; echo "END"; } >> "$GITHUB_OUTPUT"
          echo "FROM_ENV=exported" >> "$GITHUB_ENV"
          mkdir -p "$RUNNER_TEMP/bin"
          printf '#!/bin/sh\\necho tool-ran\\n' > "$RUNNER_TEMP/bin/tool"
          chmod +x "$RUNNER_TEMP/bin/tool"
          echo "$RUNNER_TEMP/bin" >> "$GITHUB_PATH"
      - run: |
          test "$FROM_ENV" = exported
          test "$(tool)" = tool-ran
          test "$WF" = wf-2
          test -z "\${GITHUB_TOKEN:-}"
          test "$GITHUB_EVENT_NAME" = workflow_dispatch
          test -f "$GITHUB_EVENT_PATH"
          test "$RUNNER_OS" = Linux
          echo "summary line" >> "$GITHUB_STEP_SUMMARY"
  b:
    needs: a
    name: b \${{ matrix.k }}
    runs-on: ubuntu-latest
    strategy:
      matrix: \${{ fromJSON(needs.a.outputs.matrix) }}
    steps:
      - env:
          K: \${{ matrix.k }}
          TEXT: \${{ needs.a.outputs.text }}
        run: |
          test "$K" = "$(( $K ))"
          test "$TEXT" = "$(printf 'two\\nlines')"
  c:
    needs: b
    if: failure()
    runs-on: ubuntu-latest
    steps:
      - run: exit 1
`);
    assert.equal(run.conclusion, "success", run.describe());
    assert.deepEqual(run.jobs.a!.outputs, { matrix: '{"k":[1,2]}', text: "two\nlines" });
    assert.equal(run.jobs.a!.legs[0]!.summary, "summary line\n");
    assert.deepEqual(run.jobs.b!.legs.map((l) => [l.name, l.result]), [["b 1", "success"], [
      "b 2",
      "success",
    ]]);
    assert.equal(run.jobs.c!.result, "skipped");
  },
});

Deno.test({
  name: "harness: a failed step skips the rest but failure()/always() steps; fail-fast; an " +
    "empty matrix fails its job; a dependent job is skipped unless it says always()",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const run = await runOnce(`
on: workflow_dispatch
jobs:
  steps:
    runs-on: ubuntu-latest
    steps:
      - run: exit 3
      - id: skipped
        run: echo never
      - if: failure()
        run: echo "cleanup=yes" >> "$GITHUB_OUTPUT"
        id: cleanup
      - if: always()
        run: echo "always=yes" >> "$GITHUB_OUTPUT"
        id: always
  empty:
    runs-on: ubuntu-latest
    strategy:
      matrix: \${{ fromJSON('{"k":[]}') }}
    steps:
      - run: echo never
  fast:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        k: [1, 2]
    steps:
      - env:
          K: \${{ matrix.k }}
        run: |
          if [ "$K" = 1 ]; then exit 1; fi
          sleep 30
  after:
    needs: steps
    runs-on: ubuntu-latest
    steps:
      - run: echo never
  last:
    needs: [steps, after]
    if: always()
    runs-on: ubuntu-latest
    steps:
      - env:
          R: \${{ needs.steps.result }}
          S: \${{ needs.after.result }}
        run: test "$R/$S" = failure/skipped
`);
    assert.equal(run.conclusion, "failure");
    const steps = run.jobs.steps!.legs[0]!.steps;
    assert.deepEqual(steps.map((s) => s.outcome), ["failure", "skipped", "success", "success"]);
    assert.equal(run.jobs.empty!.result, "failure");
    assert.match(run.jobs.empty!.error ?? "", /Matrix vector 'k' does not contain any values/);
    assert.deepEqual(run.jobs.fast!.legs.map((l) => l.result), ["failure", "cancelled"]);
    assert.equal(run.jobs.after!.result, "skipped");
    assert.equal(run.jobs.last!.result, "success", run.describe());
  },
});

Deno.test({
  name: "harness: a job's permissions become its token's scopes, which the emulator enforces",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const post = `curl -s -o /dev/null -w "code=%{http_code}\\n" -X POST ` +
      `-H "authorization: token $TOKEN" -d '{"body":"hi"}' ` +
      `"$GITHUB_API_URL/repos/$GITHUB_REPOSITORY/issues/1/comments" >> "$GITHUB_OUTPUT"`;
    const run = await runOnce(`
on: workflow_dispatch
permissions: {}
jobs:
  reader:
    runs-on: ubuntu-latest
    permissions:
      issues: read
    outputs:
      code: \${{ steps.post.outputs.code }}
    steps:
      - id: post
        env:
          TOKEN: \${{ github.token }}
        run: |
          ${post}
  writer:
    runs-on: ubuntu-latest
    permissions:
      issues: write
    outputs:
      code: \${{ steps.post.outputs.code }}
    steps:
      - id: post
        env:
          TOKEN: \${{ secrets.GITHUB_TOKEN }}
        run: |
          ${post}
  nothing:
    runs-on: ubuntu-latest
    outputs:
      code: \${{ steps.post.outputs.code }}
    steps:
      - id: post
        env:
          TOKEN: \${{ github.token }}
        run: |
          ${post}
`);
    assert.equal(run.conclusion, "success", run.describe());
    assert.equal(run.jobs.reader!.outputs.code, "403");
    assert.equal(run.jobs.writer!.outputs.code, "201");
    assert.equal(run.jobs.nothing!.outputs.code, "403", "permissions: {} leaves nothing");
    const tokens = run.legs().map((l) => l.token);
    assert.equal(new Set(tokens).size, 3, "each job has its own token");
  },
});

Deno.test({
  name: "harness: concurrency keeps one run per group; a newer request replaces the pending " +
    "one; cancel-in-progress cancels the running one",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const workflow = (cancel: boolean) => `
on: workflow_dispatch
concurrency:
  group: g-\${{ inputs.key }}
  cancel-in-progress: ${cancel}
jobs:
  wait:
    runs-on: ubuntu-latest
    steps:
      - env:
          GATE: \${{ inputs.gate }}
        run: while [ ! -e "$GATE" ]; do sleep 0.05; done
`;
    const tmp = await Deno.makeTempDir({ prefix: "p2p-wf-gate-" });
    try {
      {
        await using world = await WorkflowWorld.start(NO_RELEASE, { workflow: workflow(false) });
        const gate = `${tmp}/open-1`;
        const [r1, r2, r3, other] = [
          world.runner.deliver(dispatch({ key: "a", gate }))!,
          world.runner.deliver(dispatch({ key: "a", gate }))!,
          world.runner.deliver(dispatch({ key: "a", gate }))!,
          world.runner.deliver(dispatch({ key: "b", gate }))!,
        ];
        assert.deepEqual([r1.state, r2.state, r3.state, other.state], [
          "in_progress",
          "completed",
          "pending",
          "in_progress",
        ]);
        assert.equal(r2.conclusion, "cancelled", "the older pending run was replaced");
        await Deno.writeTextFile(gate, "");
        await Promise.all([r1.done, r3.done, other.done]);
        assert.deepEqual([r1.conclusion, r3.conclusion, other.conclusion], [
          "success",
          "success",
          "success",
        ]);
      }
      {
        await using world = await WorkflowWorld.start(NO_RELEASE, { workflow: workflow(true) });
        const gate = `${tmp}/open-2`;
        const r1 = world.runner.deliver(dispatch({ key: "a", gate }))!;
        const r2 = world.runner.deliver(dispatch({ key: "a", gate }))!;
        await r1.done;
        assert.equal(r1.conclusion, "cancelled");
        await Deno.writeTextFile(gate, "");
        await r2.done;
        assert.equal(r2.conclusion, "success");
      }
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});

Deno.test({
  name: "harness: an action without a stand-in fails its step; an if: with text around ${{ }} " +
    "is a non-empty string, hence true",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const run = await runOnce(`
on: workflow_dispatch
jobs:
  pitfall:
    runs-on: ubuntu-latest
    outputs:
      ran: \${{ steps.s.outputs.ran }}
    steps:
      - id: s
        if: \${{ false }} == true
        run: echo "ran=yes" >> "$GITHUB_OUTPUT"
  unknown:
    runs-on: ubuntu-latest
    steps:
      - uses: someone/something@0123456789012345678901234567890123456789
`);
    assert.equal(run.jobs.pitfall!.outputs.ran, "yes");
    assert.equal(run.conclusion, "failure");
    assert.match(run.describe(), /No local stand-in for "uses: someone\/something@/);
  },
});

Deno.test({
  name: "harness: a job's concurrency group holds one job across runs, a newer waiting job " +
    "replaces the older (whose run is cancelled); environment urls come from the steps; only " +
    "id-token: write gets the OIDC variables",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const workflow = `
on: workflow_dispatch
permissions: {}
jobs:
  deploy:
    runs-on: ubuntu-latest
    permissions:
      id-token: write
    environment:
      name: site
      url: \${{ steps.s.outputs.url }}
    concurrency:
      group: one-deploy
      cancel-in-progress: false
    outputs:
      oidc: \${{ steps.s.outputs.oidc }}
    steps:
      - id: s
        env:
          GATE: \${{ inputs.gate }}
        run: |
          echo "oidc=\${ACTIONS_ID_TOKEN_REQUEST_URL:+set}" >> "$GITHUB_OUTPUT"
          echo "url=https://example.test/\${GITHUB_RUN_ID}" >> "$GITHUB_OUTPUT"
          while [ ! -e "$GATE" ]; do sleep 0.05; done
  plain:
    runs-on: ubuntu-latest
    outputs:
      oidc: \${{ steps.s.outputs.oidc }}
    steps:
      - id: s
        run: echo "oidc=\${ACTIONS_ID_TOKEN_REQUEST_URL:+set}" >> "$GITHUB_OUTPUT"
`;
    const tmp = await Deno.makeTempDir({ prefix: "p2p-wf-jobgroup-" });
    try {
      await using world = await WorkflowWorld.start(NO_RELEASE, { workflow });
      const gate = `${tmp}/open`;
      const until = async (what: string, done: () => boolean) => {
        const started = Date.now();
        while (!done()) {
          assert.ok(Date.now() - started < 60_000, `waited too long for ${what}`);
          await new Promise((r) => setTimeout(r, 20));
        }
      };
      const group = () => world.runner.jobGroup("one-deploy");
      const r1 = world.runner.deliver(dispatch({ gate }))!;
      await until("r1 to hold the group", () => group().running === r1.id);
      const r2 = world.runner.deliver(dispatch({ gate }))!;
      await until("r2 to wait", () => group().pending === r2.id);
      assert.equal(r2.state, "in_progress", "no workflow-level group: the run itself started");
      const r3 = world.runner.deliver(dispatch({ gate }))!;
      await r2.done;
      assert.equal(r2.conclusion, "cancelled", "r3's job replaced r2's waiting one");
      assert.equal(r2.jobs.deploy!.result, "cancelled");
      assert.equal(r2.jobs.plain!.result, "success");
      assert.deepEqual(group(), { running: r1.id, pending: r3.id });
      await Deno.writeTextFile(gate, "");
      await Promise.all([r1.done, r3.done]);
      assert.deepEqual(group(), { running: undefined, pending: undefined });
      for (const run of [r1, r3]) {
        assert.equal(run.conclusion, "success", run.describe());
        assert.deepEqual(run.jobs.deploy!.environment, {
          name: "site",
          url: `https://example.test/${run.id}`,
        });
        assert.equal(run.jobs.deploy!.outputs.oidc, "set");
        assert.equal(run.jobs.plain!.outputs.oidc, "", "no id-token: write, no OIDC variables");
        assert.equal(run.jobs.plain!.environment, undefined);
      }
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});

Deno.test({
  name: "harness: the Pages stand-ins refuse what GitHub refuses: no OIDC token, no pages: " +
    "write, no artifact, no Pages site",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const job = (permissions: string, upload: boolean) => `
  build:
    runs-on: ubuntu-latest
    steps:
      - run: mkdir site && echo hi > site/index.html && echo no > site/.hidden
${
      upload
        ? "      - uses: actions/upload-pages-artifact@fc324d3547104276b827a68afc52ff2a11cc49c9\n" +
          "        with:\n          path: site/"
        : "      - run: true"
    }
  deploy:
    needs: build
    runs-on: ubuntu-latest
    permissions: ${permissions}
    environment: github-pages
    steps:
      - uses: actions/configure-pages@983d7736d9b0ae728b81ab479565c72886d7745b
      - uses: actions/deploy-pages@cd2ce8fcbc39b97be8ca5fce6e763baed58fa128
`;
    const attempt = async (permissions: string, upload = true, pages = true) => {
      await using world = await WorkflowWorld.start(NO_RELEASE, {
        workflow: `on: workflow_dispatch\njobs:${job(permissions, upload)}`,
        pages,
      });
      const run = world.runner.deliver(dispatch())!;
      await run.done;
      return { run, deployments: [...world.deployments] };
    };
    const ok = await attempt("{ pages: write, id-token: write }");
    assert.equal(ok.run.conclusion, "success", ok.run.describe());
    assert.deepEqual(ok.deployments.map((d) => [d.environment, d.files]), [
      ["github-pages", ["index.html"]],
    ], "hidden files stay out of the site");
    for (
      const [permissions, upload, pages, message] of [
        ["{ pages: write }", true, true, /ACTIONS_ID_TOKEN_REQUEST_URL/],
        ["{ pages: read, id-token: write }", true, true, /pages: write/],
        ["{ pages: write, id-token: write }", false, true, /No artifacts named "github-pages"/],
        ["{ pages: write, id-token: write }", true, false, /Get Pages site failed/],
      ] as const
    ) {
      const { run, deployments } = await attempt(permissions, upload, pages);
      assert.equal(run.conclusion, "failure", `${permissions} ${upload} ${pages}`);
      assert.match(run.describe(), message);
      assert.deepEqual(deployments, []);
    }
  },
});

Deno.test({
  name: "harness: actions/checkout clones over the emulator's git HTTP with the job's token and " +
    "keeps it (an included credentials file) unless persist-credentials is false, as v6+ does",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const check = `
        id: s
        run: |
          headers=$( (git config --includes --get-regexp extraheader || true) | wc -l)
          echo "headers=$headers" >> "$GITHUB_OUTPUT"
          test -f README.md`;
    const run = await runOnce(`
on: workflow_dispatch
jobs:
  kept:
    runs-on: ubuntu-latest
    outputs:
      headers: \${{ steps.s.outputs.headers }}
    steps:
      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1
      - ${check.trim()}
  dropped:
    runs-on: ubuntu-latest
    outputs:
      headers: \${{ steps.s.outputs.headers }}
    steps:
      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1
        with:
          persist-credentials: false
      - ${check.trim()}
`);
    assert.equal(run.conclusion, "success", run.describe());
    assert.equal(run.jobs.kept!.outputs.headers, "1");
    assert.equal(run.jobs.dropped!.outputs.headers, "0");
  },
});
