/**
 * `p2p-dev trigger`: the `check-trigger` job of the autonomous-dev workflow.
 * Reads the event GitHub Actions hands the job (`GITHUB_EVENT_NAME`, the
 * payload at `GITHUB_EVENT_PATH`), looks up who asked, decides with the pure
 * gate in src/workflow/trigger.ts, answers with one reaction, and writes the
 * outputs `run`, `issue`, `instances`, `matrix`, `reason` and a job-summary
 * line. A refusal is never a comment.
 *
 * @module
 */
import type { Command } from "@commander-js/extra-typings";
import { GitHubError } from "../github/errors.ts";
import type { ReactionSubject } from "../github/port.ts";
import {
  ACCEPTED_REACTION,
  COMMAND,
  decideTrigger,
  DEFAULT_INSTANCES,
  DEFAULT_LABEL,
  DEFAULT_MAX_INSTANCES,
  type IssueFacts,
  MATRIX_LIMIT,
  readEvent,
  REFUSED_REACTION,
  type TriggerDecision,
  type TriggerSettings,
  validateTriggerSettings,
} from "../workflow/trigger.ts";
import type { CliContext } from "./context.ts";
import { connect } from "./connect.ts";
import { type ActionInfo, defineCommand } from "./define.ts";
import { GITHUB_OPTIONS } from "./option_groups.ts";
import type { OptionSpec, OptionValues } from "./options.ts";
import { UsageError } from "./usage_error.ts";

/** Options of `trigger`. */
export const TRIGGER_OPTIONS: readonly OptionSpec[] = [
  {
    name: "label",
    flags: "--label <name>",
    kind: "text",
    group: "Trigger",
    description: "the label that starts a swarm",
    default: DEFAULT_LABEL,
  },
  {
    name: "instances",
    flags: "--instances <n>",
    kind: "count",
    group: "Trigger",
    description: "nodes when the request names no count",
    defaultText: `instances.default in the configuration file, else ${DEFAULT_INSTANCES}`,
  },
  {
    name: "maxInstances",
    flags: "--max-instances <n>",
    kind: "count",
    group: "Trigger",
    description: "largest count a request may ask for",
    defaultText:
      `$MAX_INSTANCES, else instances.max in the configuration file, else ${DEFAULT_MAX_INSTANCES}`,
  },
  {
    name: "eventName",
    flags: "--event-name <name>",
    kind: "text",
    group: "Trigger",
    description: "the event",
    defaultText: "$GITHUB_EVENT_NAME",
  },
  {
    name: "eventPath",
    flags: "--event-path <file>",
    kind: "text",
    group: "Trigger",
    description: "the event payload",
    defaultText: "$GITHUB_EVENT_PATH",
  },
  {
    name: "react",
    flags: "--no-react",
    kind: "flag",
    group: "Trigger",
    description: "do not answer with a reaction",
  },
  ...GITHUB_OPTIONS,
];

/**
 * Builds the `trigger` subcommand.
 *
 * @example
 * ```ts
 * program.addCommand(triggerCommand(ctx));
 * ```
 */
export function triggerCommand(ctx: CliContext): Command {
  return defineCommand(ctx, {
    name: "trigger",
    description: "Decide whether this Actions event starts a swarm (who asked, which issue, how " +
      "many nodes); write the outputs run, issue, instances, matrix and reason.",
    options: TRIGGER_OPTIONS,
    helpAfter: `
The check-trigger job of the workflow that p2p-dev init writes. It answers an
accepted request with a rocket reaction and a refused one with a thumbs-down and a
line in the job summary, never a comment. Exit code: 0 decided (run or not), 1 an
API error, 2 a usage error.`,
    action: (values, info) => runTrigger(ctx, values, info),
  });
}

/** A whole number from 1 to the matrix limit, from the environment. */
function envCount(name: string, value: string): number {
  if (!/^\d{1,6}$/.test(value) || Number(value) < 1 || Number(value) > MATRIX_LIMIT) {
    throw new UsageError(
      `Invalid ${name} "${value}": set the repository variable ${name} to a whole number ` +
        `from 1 to ${MATRIX_LIMIT}.`,
    );
  }
  return Number(value);
}

/**
 * The gate's settings: flags first; then `MAX_INSTANCES` (a repository
 * variable) for the limit; then the configuration file's `instances.*`.
 */
function settingsOf(ctx: CliContext, values: OptionValues, file: Record<string, unknown>) {
  const fileCount = (key: string) =>
    typeof file[key] === "number" ? file[key] as number : undefined;
  const maxEnv = ctx.env.MAX_INSTANCES?.trim();
  const settings: TriggerSettings = {
    label: values.label as string,
    command: COMMAND,
    defaultInstances: (values.instances as number | undefined) ??
      fileCount("instances.default") ?? DEFAULT_INSTANCES,
    minInstances: fileCount("instances.min") ?? 1,
    maxInstances: (values.maxInstances as number | undefined) ??
      (maxEnv ? envCount("MAX_INSTANCES", maxEnv) : undefined) ??
      fileCount("instances.max") ?? DEFAULT_MAX_INSTANCES,
  };
  try {
    validateTriggerSettings(settings);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  return settings;
}

async function runTrigger(ctx: CliContext, values: OptionValues, info: ActionInfo): Promise<void> {
  const eventName = (values.eventName as string | undefined) ?? ctx.env.GITHUB_EVENT_NAME;
  const eventPath = (values.eventPath as string | undefined) ?? ctx.env.GITHUB_EVENT_PATH;
  if (!eventName || !eventPath) {
    throw new UsageError(
      "Missing event: run trigger in GitHub Actions (it sets GITHUB_EVENT_NAME and " +
        "GITHUB_EVENT_PATH) or pass --event-name and --event-path.",
    );
  }
  const settings = settingsOf(ctx, values, info.config.values);
  let payload: unknown;
  try {
    payload = JSON.parse(await Deno.readTextFile(eventPath));
  } catch (error) {
    throw new UsageError(
      `Cannot read the event payload "${eventPath}": ${(error as Error).message}. ` +
        `Pass the file GitHub Actions wrote (GITHUB_EVENT_PATH).`,
    );
  }

  const reading = readEvent(eventName, payload, settings);
  let decision: TriggerDecision;
  let reactionNote = "";
  if (reading.kind === "ignore") {
    decision = {
      run: false,
      outcome: "ignored",
      issue: null,
      reason: reading.reason,
      react: null,
      summary: `Nothing to do: ${reading.reason}.`,
    };
  } else {
    const ask = reading.ask;
    const { github } = connect(values, ctx);
    const permission = await github.permission(ask.actor);
    let issue: IssueFacts | "missing" | undefined;
    const allowed = permission === "write" || permission === "maintain" ||
      permission === "admin";
    if (allowed && ask.issueFacts === null && ask.issue !== null) {
      try {
        const found = await github.getIssue(ask.issue);
        issue = { open: found.state === "open", pullRequest: found.pullRequest === true };
      } catch (error) {
        if (!(error instanceof GitHubError && (error.status === 404 || error.status === 410))) {
          throw error;
        }
        issue = "missing";
      }
    }
    decision = decideTrigger(ask, { permission, ...(issue ? { issue } : {}) }, settings);
    if (decision.react && values.react !== false && issue !== "missing") {
      const subject: ReactionSubject = decision.react.kind === "issue"
        ? { issue: decision.react.issue }
        : { comment: decision.react.comment };
      try {
        await github.react(subject, decision.run ? ACCEPTED_REACTION : REFUSED_REACTION);
      } catch (error) {
        // The answer is a courtesy: failing to react must not stop an accepted swarm.
        reactionNote = ` (no reaction: ${(error as Error).message})`;
        ctx.out(`::warning::p2p-dev trigger could not react: ${(error as Error).message}`);
      }
    }
  }

  await writeOutputs(ctx, decision);
  const line = decision.summary + reactionNote;
  if (ctx.env.GITHUB_STEP_SUMMARY) {
    await Deno.writeTextFile(ctx.env.GITHUB_STEP_SUMMARY, `### p2p-dev trigger\n\n${line}\n`, {
      append: true,
    });
  }
  ctx.out(line);
}

async function writeOutputs(ctx: CliContext, d: TriggerDecision): Promise<void> {
  const path = ctx.env.GITHUB_OUTPUT;
  if (!path) return;
  const values: Record<string, string> = d.run
    ? {
      run: "true",
      issue: String(d.issue),
      instances: String(d.instances),
      matrix: JSON.stringify(d.matrix),
      reason: "",
    }
    : {
      run: "false",
      issue: d.issue === null ? "" : String(d.issue),
      instances: "0",
      matrix: JSON.stringify({ node: [] }),
      reason: d.reason,
    };
  // Every value is one line (no user-typed newlines reach them), so `name=value` is safe.
  const text = Object.entries(values).map(([k, v]) => `${k}=${v.replace(/[\r\n]+/g, " ")}`)
    .join("\n");
  await Deno.writeTextFile(path, text + "\n", { append: true });
}
