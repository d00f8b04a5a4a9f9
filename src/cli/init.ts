/**
 * `p2p-dev init`: set up a repository for swarms. Run in a clone, it writes
 * the autonomous-dev workflow (src/workflow/template.ts, pinned to this
 * binary's version) into `.github/workflows/`, creates the swarm's label
 * through the API when a token is at hand, and prints what to commit and
 * which secrets to set.
 *
 * It never overwrites a workflow edited by hand without `--force`: the
 * header's checksum tells an untouched file (upgraded freely) from an edited
 * one.
 *
 * @module
 */
import { dirname, join } from "node:path";
import type { Command } from "@commander-js/extra-typings";
import { VERSION } from "../version.ts";
import {
  inspectWorkflow,
  PAGES_VARIABLE,
  renderWorkflow,
  validateWorkflowOptions,
  WORKFLOW_PATH,
  type WorkflowOptions,
} from "../workflow/template.ts";
import { COMMAND, DEFAULT_INSTANCES, DEFAULT_LABEL } from "../workflow/trigger.ts";
import type { CliContext } from "./context.ts";
import { connect } from "./connect.ts";
import { defineCommand } from "./define.ts";
import { GITHUB_OPTIONS } from "./option_groups.ts";
import type { OptionSpec, OptionValues } from "./options.ts";
import { UsageError } from "./usage_error.ts";

/** Colour and description of the label `init` creates. */
const LABEL_COLOR = "5319e7";
const LABEL_DESCRIPTION = "Start a p2p-dev swarm on this issue";

/** Options of `init`. */
export const INIT_OPTIONS: readonly OptionSpec[] = [
  {
    name: "instances",
    flags: "--instances <n>",
    kind: "count",
    group: "Workflow",
    description: "nodes a request starts when it names no count, written into the workflow",
    defaultText:
      `instances.default in .github/p2p-dev.yml when the swarm runs, else ${DEFAULT_INSTANCES}`,
  },
  {
    name: "label",
    flags: "--label <name>",
    kind: "text",
    group: "Workflow",
    description: "the label that starts a swarm",
    default: DEFAULT_LABEL,
  },
  {
    name: "dir",
    flags: "--dir <path>",
    kind: "text",
    group: "Workflow",
    description: "the repository's root",
    default: ".",
  },
  {
    name: "dryRun",
    flags: "--dry-run",
    kind: "flag",
    group: "Workflow",
    description: "print the workflow and what init would do; change nothing",
  },
  {
    name: "force",
    flags: "--force",
    kind: "flag",
    group: "Workflow",
    description: "replace a workflow file edited by hand",
  },
  ...GITHUB_OPTIONS.filter((o) => ["repo", "token", "apiUrl"].includes(o.name)),
];

/**
 * Builds the `init` subcommand.
 *
 * @example
 * ```ts
 * program.addCommand(initCommand(ctx)); // p2p-dev init --instances 8
 * ```
 */
export function initCommand(ctx: CliContext): Command {
  return defineCommand(ctx, {
    name: "init",
    description: "Set up this repository: write the swarm workflow, create the label (with a " +
      "token), and print what to commit and which secrets to set.",
    options: INIT_OPTIONS,
    helpAfter: `
Exit code: 0 done, 1 the label could not be created (the workflow is written),
2 a usage error (a bad value, or a workflow edited by hand without --force).`,
    action: (values) => runInit(ctx, values),
  });
}

async function readText(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

/**
 * The GitHub repository of a clone's `origin` remote (`git@github.com:o/r.git`,
 * `https://github.com/o/r`), or undefined.
 */
async function originRepo(dir: string): Promise<string | undefined> {
  try {
    const out = await new Deno.Command("git", {
      args: ["-C", dir, "remote", "get-url", "origin"],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).output();
    if (out.code !== 0) return undefined;
    const url = new TextDecoder().decode(out.stdout).trim();
    const m = /[:/]([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+?)(?:\.git)?\/?$/.exec(url);
    return m ? `${m[1]}/${m[2]}` : undefined;
  } catch {
    return undefined; // no git
  }
}

async function runInit(ctx: CliContext, values: OptionValues): Promise<void> {
  const options: WorkflowOptions = {
    version: VERSION,
    label: values.label as string,
    ...(values.instances === undefined ? {} : { instances: values.instances as number }),
  };
  try {
    validateWorkflowOptions(options);
  } catch (error) {
    throw new UsageError(
      (error as Error).message.replace(/^Invalid instance count/, "Invalid --instances"),
    );
  }
  const text = renderWorkflow(options);
  const dir = values.dir as string;
  const path = join(dir, WORKFLOW_PATH);
  const existing = await readText(path);
  const dry = values.dryRun === true;

  let fileLine: string;
  if (existing === text) {
    fileLine = `${WORKFLOW_PATH} is up to date (p2p-dev ${VERSION}).`;
  } else {
    const found = existing === null ? null : inspectWorkflow(existing);
    if (found?.edited && values.force !== true) {
      throw new UsageError(
        `"${path}" was edited by hand${
          found.version ? "" : " (or not written by p2p-dev init)"
        }: ` +
          `pass --force to replace it, or --dry-run to print the new workflow and compare.`,
      );
    }
    const what = existing === null
      ? "Wrote"
      : found?.version && found.version !== VERSION
      ? `Upgraded (from p2p-dev ${found.version})`
      : "Replaced";
    if (dry) {
      ctx.out(text.replace(/\n$/, ""));
      ctx.out("");
    } else {
      await Deno.mkdir(dirname(path), { recursive: true });
      await Deno.writeTextFile(path, text);
    }
    const count = options.instances === undefined
      ? "the repository's default node count"
      : `${options.instances} node${options.instances === 1 ? "" : "s"} by default`;
    fileLine = `${dry ? "Would write" : what} ${WORKFLOW_PATH} (p2p-dev ${VERSION}, label ` +
      `"${options.label}", ${count}).`;
  }
  ctx.out(fileLine);
  ctx.out(await labelLine(ctx, values, dir, dry));
  ctx.out("");
  for (const line of nextSteps(options, existing !== text && !dry)) ctx.out(line);
}

/** Creates the label when a token is at hand; says what happened or what to do. */
async function labelLine(
  ctx: CliContext,
  values: OptionValues,
  dir: string,
  dry: boolean,
): Promise<string> {
  const label = values.label as string;
  const token = (values.token as string | undefined) || ctx.env.GITHUB_TOKEN || ctx.env.GH_TOKEN;
  const repo = (values.repo as string | undefined) ?? ctx.env.GITHUB_REPOSITORY ??
    await originRepo(dir);
  if (!token || !repo) {
    return `Create the label "${label}" in the repository (Issues → Labels), or run init again ` +
      `with GITHUB_TOKEN set${repo ? "" : " and --repo owner/name"} to have it created.`;
  }
  if (dry) return `Would create the label "${label}" in ${repo}.`;
  const { github, fullName } = connect({ ...values, repo }, ctx);
  const created = await github.createLabel({
    name: label,
    color: LABEL_COLOR,
    description: LABEL_DESCRIPTION,
  }).catch((error: Error) => {
    throw new Error(
      `Cannot create the label "${label}" in ${fullName}: ${error.message} The workflow file ` +
        `is written; create the label by hand, or run init again with a token that may.`,
    );
  });
  return created
    ? `Created the label "${label}" in ${fullName}.`
    : `The label "${label}" already exists in ${fullName}.`;
}

/** What the user does next. */
function nextSteps(options: WorkflowOptions, commit: boolean): string[] {
  const steps: string[][] = [];
  if (commit) {
    steps.push([
      "Commit and push the workflow:",
      `     git add ${WORKFLOW_PATH}`,
      `     git commit -m "Add the p2p-dev swarm workflow"`,
      "     git push",
    ]);
  }
  steps.push([
    "Add the secrets (Settings → Secrets and variables → Actions, or with gh):",
    "     gh secret set ANTHROPIC_API_KEY   # Claude Code's API key (or CLAUDE_CODE_OAUTH_TOKEN)",
    "     gh secret set P2P_SECRET          # optional: every swarm message carries an HMAC",
  ]);
  steps.push([
    "Optional repository variables:",
    "     gh variable set MAX_INSTANCES --body 20          # the largest /p2p-dev N (default 20)",
    `     gh variable set P2P_DEV_EXEC --body './do-task.sh' # run tasks with a command, not Claude`,
    `     gh variable set ${PAGES_VARIABLE} --body true         # publish the dashboard to GitHub Pages`,
    "                                                      # (Settings → Pages → Source: GitHub Actions)",
  ]);
  steps.push([
    `Start a swarm: label an issue "${options.label}", or comment "${COMMAND}" ` +
    `(${
      options.instances ?? `instances.default in .github/p2p-dev.yml, else ${DEFAULT_INSTANCES}`
    } ` +
    `nodes) or "${COMMAND} N" on it.`,
  ]);
  return [
    "Next:",
    ...steps.flatMap((lines, i) => [`  ${i + 1}. ${lines[0]}`, ...lines.slice(1)]),
  ];
}
