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
import { Command } from "@commander-js/extra-typings";
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
import { connect, type GitHubFlags, withGitHubFlags } from "./connect.ts";
import { UsageError } from "./usage_error.ts";

interface TriggerFlags extends GitHubFlags {
  label: string;
  instances: string;
  maxInstances?: string;
  eventName?: string;
  eventPath?: string;
  react: boolean;
}

/**
 * Builds the `trigger` subcommand.
 *
 * @example
 * ```ts
 * program.addCommand(triggerCommand(ctx));
 * ```
 */
export function triggerCommand(ctx: CliContext): Command {
  return withGitHubFlags(
    new Command("trigger")
      .description(
        "Decide whether this Actions event starts a swarm (who asked, which issue, how many " +
          "nodes); write the outputs run, issue, instances, matrix and reason.",
      )
      .option("--label <name>", "the label that starts a swarm", DEFAULT_LABEL)
      .option(
        "--instances <n>",
        "nodes when the request names no count",
        String(DEFAULT_INSTANCES),
      )
      .option(
        "--max-instances <n>",
        `largest count allowed (default: $MAX_INSTANCES, else ${DEFAULT_MAX_INSTANCES})`,
      )
      .option("--event-name <name>", "the event (default: $GITHUB_EVENT_NAME)")
      .option("--event-path <file>", "the event payload (default: $GITHUB_EVENT_PATH)")
      .option("--no-react", "do not answer with a reaction") as unknown as Command,
  ).action(async (raw) => {
    await runTrigger(ctx, raw as TriggerFlags);
  }) as unknown as Command;
}

function wholeNumber(name: string, value: string, hint: string): number {
  if (!/^\d{1,6}$/.test(value.trim())) {
    throw new UsageError(`Invalid ${name} "${value}": ${hint}`);
  }
  return Number(value.trim());
}

async function runTrigger(ctx: CliContext, opts: TriggerFlags): Promise<void> {
  const eventName = opts.eventName ?? ctx.env.GITHUB_EVENT_NAME;
  const eventPath = opts.eventPath ?? ctx.env.GITHUB_EVENT_PATH;
  if (!eventName || !eventPath) {
    throw new UsageError(
      "Missing event: run trigger in GitHub Actions (it sets GITHUB_EVENT_NAME and " +
        "GITHUB_EVENT_PATH) or pass --event-name and --event-path.",
    );
  }
  const maxRaw = opts.maxInstances ?? (ctx.env.MAX_INSTANCES?.trim() || undefined);
  const settings: TriggerSettings = {
    label: opts.label,
    command: COMMAND,
    defaultInstances: wholeNumber(
      "--instances",
      opts.instances,
      `use a whole number from 1 to ${MATRIX_LIMIT}.`,
    ),
    maxInstances: maxRaw === undefined ? DEFAULT_MAX_INSTANCES : wholeNumber(
      opts.maxInstances === undefined ? "MAX_INSTANCES" : "--max-instances",
      maxRaw,
      `set the repository variable MAX_INSTANCES to a whole number from 1 to ${MATRIX_LIMIT}.`,
    ),
  };
  try {
    validateTriggerSettings(settings);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
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
    const { github } = connect(opts, ctx);
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
    if (decision.react && opts.react && issue !== "missing") {
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
