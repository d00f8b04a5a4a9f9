/**
 * The autonomous-dev workflow, as one template: `p2p-dev init` writes it into
 * a user's repository, and this repository's own
 * `.github/workflows/p2p-autonomous-dev.yml` is the same text with the
 * defaults (tests/workflow/template_test.ts keeps the two equal; after a
 * change here, run `deno run -A src/main.ts init --force` at the repository
 * root to regenerate the file).
 *
 * The original design's three jobs, and one that publishes to Pages:
 * - `check-trigger` runs `p2p-dev trigger` (src/cli/trigger.ts): who asked,
 *   which issue, how many nodes; outputs `run`, `issue`, `matrix`.
 * - `p2p-execute` runs one `p2p-dev run` per matrix entry.
 * - `aggregate-results` runs `p2p-dev aggregate` (summary comment, job
 *   summary, outputs, `metrics.json` as an artifact), whatever the nodes did;
 *   with the repository variable `P2P_DEV_PAGES` set to `true` it also
 *   uploads its output folder (the dashboard `index.html`, `metrics.json`,
 *   `comments.json`) as the Pages artifact.
 * - `publish-pages` (only with `P2P_DEV_PAGES`) deploys that artifact to
 *   GitHub Pages with the official actions. It is a job of its own so that
 *   `pages: write`, an OIDC token (`id-token: write`) and the `github-pages`
 *   environment belong to a job that runs two actions of GitHub's and
 *   nothing else: the jobs that run p2p-dev on issue text never hold them
 *   (the split GitHub's deploy-pages recommends:
 *   https://github.com/actions/deploy-pages#usage).
 *
 * To extend a job, add its steps or permissions here, in the job's section
 * below, and regenerate.
 *
 * Rules the text keeps (checked in tests/workflow/):
 * - `permissions: {}` at the top and the least each job needs;
 * - one concurrency group per issue, never cancelling a running swarm (a
 *   second trigger waits, then resumes the swarm as `run` does); comments
 *   that cannot be commands by members get a group of their own, so they
 *   never displace a queued run;
 * - actions pinned to a full commit SHA;
 * - no `${{ }}` inside any `run:` script: event text, inputs and variables
 *   reach scripts through `env:` only
 *   (https://docs.github.com/actions/security-for-github-actions/security-guides/security-hardening-for-github-actions#understanding-the-risk-of-script-injections).
 *
 * @module
 */
import { createHash } from "node:crypto";
import { STEERING_WORDS } from "../protocol/command.ts";
import { COMMAND, DEFAULT_LABEL, MATRIX_LIMIT } from "./trigger.ts";

/**
 * Where the workflow lives in a repository.
 *
 * @example
 * ```ts
 * WORKFLOW_PATH; // ".github/workflows/p2p-autonomous-dev.yml"
 * ```
 */
export const WORKFLOW_PATH = ".github/workflows/p2p-autonomous-dev.yml";

/**
 * The repository that publishes p2p-dev's releases.
 *
 * @example
 * ```ts
 * `https://github.com/${RELEASE_REPO}/releases`;
 * ```
 */
export const RELEASE_REPO = "p2p-dev/p2p-dev";

/**
 * Actions the workflows use, pinned to a full commit SHA (a tag can be moved;
 * a SHA cannot). The comment names the release the SHA is.
 *
 * @example
 * ```ts
 * PINNED_ACTIONS.checkout; // "actions/checkout@3d3c…90b1 # v7.0.1"
 * ```
 */
export const PINNED_ACTIONS = {
  checkout: "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1",
  uploadArtifact: "actions/upload-artifact@bbbca2ddaa5d8feaa63e36b76fdaad77386f024f # v7.0.0",
  configurePages: "actions/configure-pages@983d7736d9b0ae728b81ab479565c72886d7745b # v5.0.0",
  uploadPagesArtifact:
    "actions/upload-pages-artifact@fc324d3547104276b827a68afc52ff2a11cc49c9 # v5.0.0",
  deployPages: "actions/deploy-pages@cd2ce8fcbc39b97be8ca5fce6e763baed58fa128 # v5.0.0",
} as const;

/**
 * The repository variable that turns on publishing the dashboard to GitHub
 * Pages (value `true`; the repository's Pages source must be "GitHub
 * Actions").
 *
 * @example
 * ```ts
 * PAGES_VARIABLE; // "P2P_DEV_PAGES"
 * ```
 */
export const PAGES_VARIABLE = "P2P_DEV_PAGES";

/**
 * The Claude Code release the nodes install (npm `@anthropic-ai/claude-code`):
 * the newest version the executor is tested against end to end
 * (docs/CLAUDE_CODE.md).
 *
 * @example
 * ```ts
 * CLAUDE_CODE_VERSION; // "2.1.332"
 * ```
 */
export const CLAUDE_CODE_VERSION = "2.1.332";

/**
 * SHA-256 of `scripts/install.sh` as released: every job checks the script it
 * downloads against this before running it (tests/workflow/template_test.ts
 * keeps it equal to the file).
 *
 * @example
 * ```ts
 * INSTALL_SH_SHA256.length; // 64
 * ```
 */
export const INSTALL_SH_SHA256 = "e0a48a1a5e2dab1add88fbdf14ea84b2986e30444dcd2f6e6c28f114af21436b";

/**
 * What `init` may change in the template.
 *
 * @example
 * ```ts
 * const o: WorkflowOptions = { version: "0.1.0", label: "p2p-dev", instances: 5 };
 * ```
 */
export interface WorkflowOptions {
  /** The p2p-dev release every job installs (this binary's version). */
  version: string;
  /** The label that starts a swarm. */
  label: string;
  /**
   * Nodes a request starts when it names no count. Unset: the repository's
   * `instances.default` in `.github/p2p-dev.yml`, else 5, decided when the
   * workflow runs.
   */
  instances?: number;
}

/**
 * Checks `init`'s options; throws a `RangeError` that says what to fix.
 *
 * @example
 * ```ts
 * validateWorkflowOptions({ version: "0.1.0", label: "p2p-dev", instances: 5 });
 * ```
 */
export function validateWorkflowOptions(options: WorkflowOptions): void {
  if (!/^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/.test(options.version)) {
    throw new RangeError(
      `Invalid version "${options.version}": expected a release version such as 0.1.0.`,
    );
  }
  if (
    options.label.trim() !== options.label || options.label === "" ||
    options.label.length > 50 || /\p{Cc}/u.test(options.label) || /\{\{|\}\}/.test(options.label)
  ) {
    throw new RangeError(
      `Invalid label "${options.label}": use 1 to 50 characters, without line breaks, ` +
        `leading or trailing spaces, "{{" or "}}".`,
    );
  }
  if (
    options.instances !== undefined &&
    (!Number.isInteger(options.instances) || options.instances < 1 ||
      options.instances > MATRIX_LIMIT)
  ) {
    throw new RangeError(
      `Invalid instance count ${options.instances}: use a whole number from 1 to ${MATRIX_LIMIT}.`,
    );
  }
}

/** A YAML double-quoted scalar (JSON's string syntax is a subset of it). */
function yamlString(value: string): string {
  return JSON.stringify(value);
}

/** An Actions expression string literal ('' escapes a quote). */
function exprString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** The lines of the header before the checksummed body. */
const HEADER_LINES = 3;

/**
 * The checksum `init` writes in the header: the first 16 hex digits of the
 * SHA-256 of everything after the header. A file whose body no longer matches
 * it was edited by hand.
 *
 * @example
 * ```ts
 * checksumOf("name: p2p-dev\n").length; // 16
 * ```
 */
export function checksumOf(body: string): string {
  return createHash("sha256").update(body).digest("hex").slice(0, 16);
}

/**
 * What a workflow file on disk is, compared with what `init` would write.
 *
 * @example
 * ```ts
 * inspectWorkflow(renderWorkflow(options)).edited; // false
 * ```
 */
export interface WorkflowInspection {
  /** The version its header names, when it has `init`'s header. */
  version: string | null;
  /** True when it has no `init` header or its body no longer matches the header's checksum. */
  edited: boolean;
}

/**
 * Reads `init`'s header of a workflow file and checks its checksum.
 *
 * @example
 * ```ts
 * inspectWorkflow("name: mine\n"); // { version: null, edited: true }
 * ```
 */
export function inspectWorkflow(text: string): WorkflowInspection {
  const lines = text.split("\n");
  const m = /^# Written by p2p-dev init (\S+) \(checksum ([0-9a-f]{16})\)\./.exec(lines[0] ?? "");
  if (!m) return { version: null, edited: true };
  const body = lines.slice(HEADER_LINES).join("\n");
  return { version: m[1]!, edited: checksumOf(body) !== m[2] };
}

/**
 * The workflow text `init` writes.
 *
 * @example
 * ```ts
 * const yaml = renderWorkflow({ version: "0.1.0", label: "p2p-dev", instances: 5 });
 * ```
 */
export function renderWorkflow(options: WorkflowOptions): string {
  validateWorkflowOptions(options);
  const body = workflowBody(options);
  return [
    `# Written by p2p-dev init ${options.version} (checksum ${checksumOf(body)}). Re-run`,
    "# `p2p-dev init` to upgrade it; init will not overwrite a file edited by hand unless --force.",
    "#",
    body,
  ].join("\n");
}

/** The install step every job starts with (the same text three times). */
function installStep(version: string): string {
  return `      - name: Install p2p-dev ${version}
        run: |
          curl -fsSL --retry 3 -o "$RUNNER_TEMP/install.sh" "$P2P_DEV_RELEASES/download/v$P2P_DEV_VERSION/install.sh"
          echo "${INSTALL_SH_SHA256}  $RUNNER_TEMP/install.sh" | sha256sum --check --quiet
          sh "$RUNNER_TEMP/install.sh" --version "$P2P_DEV_VERSION" --base-url "$P2P_DEV_RELEASES" --dir "$RUNNER_TEMP/p2p-dev-bin"
          echo "$RUNNER_TEMP/p2p-dev-bin" >> "$GITHUB_PATH"`;
}

function workflowBody(o: WorkflowOptions): string {
  const label = exprString(o.label);
  const command = exprString(COMMAND);
  // An event that may be a request for a swarm: a dispatch, the label, or a comment that starts
  // with the command and is not a steering command for a running swarm (src/protocol/command.ts).
  const steering = STEERING_WORDS.map((w) =>
    `\n        && !startsWith(github.event.comment.body, ${exprString(`${COMMAND} ${w}`)})`
  ).join("");
  const request = `github.event_name == 'workflow_dispatch'
      || (github.event_name == 'issues' && github.event.label.name == ${label})
      || (github.event_name == 'issue_comment' && startsWith(github.event.comment.body, ${command})${steering})`;
  const instancesFlag = o.instances === undefined ? "" : ` --instances ${o.instances}`;
  return `# A swarm of coding agents on one issue, coordinated through its comments (p2p-dev).
#
# Start one: label an issue ${
    yamlString(o.label)
  }, comment "${COMMAND}" or "${COMMAND} N" (N nodes) on it,
# or run this workflow by hand with the issue number. Only people with write, maintain or admin
# permission can start a swarm; anyone else gets a 👎 reaction and nothing runs.
#
# Secrets: ANTHROPIC_API_KEY (or CLAUDE_CODE_OAUTH_TOKEN) for Claude Code; P2P_SECRET (optional)
#   makes every swarm message carry an HMAC signature.
# Variables: MAX_INSTANCES (largest N, default 20), P2P_DEV_EXEC (a shell command that runs each
#   task instead of Claude Code), P2P_DEV_ARGS (more flags for "p2p-dev run", e.g. --strict),
#   P2P_DEV_RELEASES (a mirror of the p2p-dev release downloads), ${PAGES_VARIABLE} ("true" publishes
#   the dashboard to GitHub Pages; set Settings -> Pages -> Source to "GitHub Actions"). Settings in
#   .github/p2p-dev.yml apply too (instances.min/max/default for the trigger; timings, planner, ...
#   for the nodes).
name: p2p-dev

on:
  issues:
    types: [labeled]
  issue_comment:
    types: [created]
  workflow_dispatch:
    inputs:
      issue:
        description: Issue number
        required: true
        type: string
      instances:
        description: Nodes (1 to MAX_INSTANCES; empty for the repository's default)
        required: false${o.instances === undefined ? "" : `\n        default: "${o.instances}"`}
        type: string

permissions: {}

# One swarm per issue at a time. A second request waits for the running swarm and then resumes
# it (finished tasks stay finished); nothing ever cancels a running swarm. Events that cannot be a
# member's request get a group of their own, so they can never displace a queued run.
concurrency:
  group: >-
    \${{ ((${request.replace(/\n {6}/g, "\n      ")})
      && (github.event_name != 'issue_comment'
        || contains(fromJSON('["OWNER", "MEMBER", "COLLABORATOR"]'), github.event.comment.author_association)))
      && format('p2p-dev-issue-{0}', github.event.issue.number || inputs.issue)
      || format('p2p-dev-run-{0}', github.run_id) }}
  cancel-in-progress: false

env:
  P2P_DEV_VERSION: "${o.version}"
  P2P_DEV_RELEASES: \${{ vars.P2P_DEV_RELEASES || 'https://github.com/${RELEASE_REPO}/releases' }}

jobs:
  check-trigger:
    if: >-
      ${request}
    runs-on: ubuntu-latest
    timeout-minutes: 10
    permissions:
      contents: read # .github/p2p-dev.yml
      issues: write # react to the request
    outputs:
      run: \${{ steps.trigger.outputs.run }}
      issue: \${{ steps.trigger.outputs.issue }}
      matrix: \${{ steps.trigger.outputs.matrix }}
    steps:
      - uses: ${PINNED_ACTIONS.checkout}
        with:
          sparse-checkout: .github/p2p-dev.yml
          sparse-checkout-cone-mode: false
          persist-credentials: false
${installStep(o.version)}
      - name: Decide
        id: trigger
        env:
          GITHUB_TOKEN: \${{ github.token }}
          MAX_INSTANCES: \${{ vars.MAX_INSTANCES }}
          P2P_LABEL: ${yamlString(o.label)}
        run: p2p-dev trigger --label "$P2P_LABEL"${instancesFlag}

  p2p-execute:
    name: node \${{ matrix.node }}
    needs: check-trigger
    if: needs.check-trigger.outputs.run == 'true'
    runs-on: ubuntu-latest
    permissions:
      contents: write # push task branches
      issues: write # the swarm's comments
      pull-requests: write # a draft pull request per task
    strategy:
      fail-fast: false
      matrix: \${{ fromJSON(needs.check-trigger.outputs.matrix) }}
    steps:
      # No token stored in .git/config, where a task could read it: delivery pushes with the
      # node's token, given only to the git commands that push (docs/SECURITY.md).
      - uses: ${PINNED_ACTIONS.checkout}
        with:
          persist-credentials: false
${installStep(o.version)}
      - name: Install Claude Code
        if: vars.P2P_DEV_EXEC == ''
        env:
          CLAUDE_CODE_VERSION: "${CLAUDE_CODE_VERSION}"
        run: npm install --global --no-audit --no-fund "@anthropic-ai/claude-code@$CLAUDE_CODE_VERSION"
      - name: Run node \${{ matrix.node }}
        env:
          GITHUB_TOKEN: \${{ github.token }}
          P2P_ISSUE: \${{ needs.check-trigger.outputs.issue }}
          P2P_JOB_INDEX: \${{ matrix.node }}
          P2P_DEV_EXEC: \${{ vars.P2P_DEV_EXEC }}
          P2P_DEV_ARGS: \${{ vars.P2P_DEV_ARGS }}
          P2P_SECRET: \${{ secrets.P2P_SECRET }}
          ANTHROPIC_API_KEY: \${{ secrets.ANTHROPIC_API_KEY }}
          CLAUDE_CODE_OAUTH_TOKEN: \${{ secrets.CLAUDE_CODE_OAUTH_TOKEN }}
        run: |
          args=(run --issue "$P2P_ISSUE" --deliver pr)
          if [ -n "$P2P_DEV_EXEC" ]; then args+=(--exec "$P2P_DEV_EXEC"); fi
          read -r -a extra <<< "$P2P_DEV_ARGS"
          # exec: the node replaces this shell, so no process above a task keeps the
          # tokens in the environment it was started with (/proc/<pid>/environ)
          exec p2p-dev "\${args[@]}" "\${extra[@]}"

  aggregate-results:
    needs: [check-trigger, p2p-execute]
    if: always() && needs.check-trigger.outputs.run == 'true'
    runs-on: ubuntu-latest
    timeout-minutes: 15
    permissions:
      issues: write # the summary comment
    outputs:
      status: \${{ steps.aggregate.outputs.status }}
      tasks: \${{ steps.aggregate.outputs.tasks }}
      done: \${{ steps.aggregate.outputs.done }}
      failed: \${{ steps.aggregate.outputs.failed }}
      skipped: \${{ steps.aggregate.outputs.skipped }}
      cost-usd: \${{ steps.aggregate.outputs.cost-usd }}
      pages-artifact: \${{ steps.pages.outputs.artifact_id }}
    steps:
${installStep(o.version)}
      - name: Summarise
        id: aggregate
        env:
          GITHUB_TOKEN: \${{ github.token }}
          P2P_ISSUE: \${{ needs.check-trigger.outputs.issue }}
          P2P_SECRET: \${{ secrets.P2P_SECRET }}
        run: p2p-dev aggregate --issue "$P2P_ISSUE" --out p2p-dev-out
      - name: Keep metrics.json
        if: always()
        uses: ${PINNED_ACTIONS.uploadArtifact}
        with:
          name: p2p-dev-issue-\${{ needs.check-trigger.outputs.issue }}-attempt-\${{ github.run_attempt }}
          path: p2p-dev-out/
          if-no-files-found: warn
      # aggregate sets its outputs after writing the folder, also when it exits non-zero
      # (tasks failed or left): the page of an unfinished swarm is published too.
      - name: Keep the dashboard for GitHub Pages
        id: pages
        if: always() && vars.${PAGES_VARIABLE} == 'true' && steps.aggregate.outputs.status != ''
        uses: ${PINNED_ACTIONS.uploadPagesArtifact}
        with:
          path: p2p-dev-out/

  # Only this job may deploy to Pages, and it runs nothing but GitHub's Pages actions.
  publish-pages:
    needs: aggregate-results
    if: always() && vars.${PAGES_VARIABLE} == 'true' && needs.aggregate-results.outputs.pages-artifact != ''
    runs-on: ubuntu-latest
    timeout-minutes: 15
    permissions:
      pages: write # create the Pages deployment
      id-token: write # the OIDC token Pages checks the deployment's origin with
    environment:
      name: github-pages
      url: \${{ steps.deploy.outputs.page_url }}
    # One deployment at a time across issues; a newer page replaces a waiting one, and a running
    # deployment is never cancelled.
    concurrency:
      group: p2p-dev-pages
      cancel-in-progress: false
    steps:
      - uses: ${PINNED_ACTIONS.configurePages}
      - name: Publish the dashboard
        id: deploy
        uses: ${PINNED_ACTIONS.deployPages}
`;
}

/**
 * The defaults `init` uses without flags (this repository's own workflow).
 *
 * @example
 * ```ts
 * renderWorkflow(defaultWorkflowOptions("0.1.0"));
 * ```
 */
export function defaultWorkflowOptions(version: string): WorkflowOptions {
  return { version, label: DEFAULT_LABEL };
}
