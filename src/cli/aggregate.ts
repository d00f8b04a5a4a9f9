/**
 * `p2p-dev aggregate`: fold the log into `metrics.json` and a summary,
 * update the issue's summary comment in place, and write the job summary and
 * outputs when running in Actions.
 *
 * @module
 */
import { Command } from "@commander-js/extra-typings";
import { aggregate } from "../node/aggregate.ts";
import type { IdentityApiUse } from "../node/metrics.ts";
import { systemClock, systemRandom } from "../node/ports.ts";
import type { CliContext } from "./context.ts";
import { connect, type GitHubFlags, withGitHubFlags } from "./connect.ts";
import { positiveInt } from "./env.ts";
import { UsageError } from "./usage_error.ts";

interface AggregateFlags extends GitHubFlags {
  issue: string;
  out: string;
  comment: boolean;
  apiStats?: string;
}

/**
 * Builds the `aggregate` subcommand.
 *
 * @example
 * ```ts
 * program.addCommand(aggregateCommand(ctx));
 * ```
 */
export function aggregateCommand(ctx: CliContext): Command {
  return withGitHubFlags(
    new Command("aggregate")
      .description("Write metrics.json and summary.md and update the issue's summary comment.")
      .requiredOption("--issue <n>", "the issue")
      .option("--out <dir>", "output folder", "p2p-dev-out")
      .option("--no-comment", "do not create or update the summary comment")
      .option(
        "--api-stats <file>",
        "JSON of API use per identity to include (e.g. from the emulator)",
      ) as unknown as Command,
  ).action(async (raw) => {
    const opts = raw as AggregateFlags;
    const issue = positiveInt("--issue", opts.issue);
    const conn = connect(opts, ctx);
    let apiByIdentity: Record<string, IdentityApiUse> | undefined;
    if (opts.apiStats) {
      try {
        apiByIdentity = JSON.parse(await Deno.readTextFile(opts.apiStats));
      } catch (error) {
        throw new UsageError(
          `Cannot read --api-stats "${opts.apiStats}": ${(error as Error).message}.`,
        );
      }
    }
    const result = await aggregate(
      { github: conn.github, clock: systemClock, random: systemRandom },
      {
        issue,
        repo: conn.fullName,
        tokenKind: conn.tokenKind,
        post: opts.comment,
        allow: conn.allow,
        secret: conn.secret,
        ...(apiByIdentity ? { apiByIdentity } : {}),
      },
    );
    await Deno.mkdir(opts.out, { recursive: true });
    await Deno.writeTextFile(`${opts.out}/metrics.json`, result.metricsJson);
    await Deno.writeTextFile(`${opts.out}/summary.md`, result.summary);
    if (ctx.env.GITHUB_STEP_SUMMARY) {
      await Deno.writeTextFile(ctx.env.GITHUB_STEP_SUMMARY, result.summary, { append: true });
    }
    const t = result.metrics.totals;
    if (ctx.env.GITHUB_OUTPUT) {
      await Deno.writeTextFile(
        ctx.env.GITHUB_OUTPUT,
        [
          `status=${result.metrics.status}`,
          `tasks=${t.tasks}`,
          `done=${t.done}`,
          `failed=${t.failed}`,
          `metrics=${opts.out}/metrics.json`,
        ].join("\n") + "\n",
        { append: true },
      );
    }
    ctx.out(
      `${result.metrics.status}: ${t.done}/${t.tasks} done, ${t.failed} failed; ` +
        `wrote ${opts.out}/metrics.json and ${opts.out}/summary.md; summary comment ${result.comment}`,
    );
  }) as unknown as Command;
}
