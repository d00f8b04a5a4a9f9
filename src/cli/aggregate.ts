/**
 * `p2p-dev aggregate`: fold the log into `metrics.json` and a summary,
 * update the issue's summary comment in place, write the dashboard
 * (`index.html`) and the log it shows (`comments.json`) beside them, and the
 * job summary and outputs when running in Actions. Its exit code says how the swarm stands,
 * so a CI gate needs no parsing: 0 every task done, 1 tasks failed for good
 * (or the swarm was ended first), 3 not finished yet.
 *
 * @module
 */
import type { Command } from "@commander-js/extra-typings";
import { restComments, writeDashboard } from "../dashboard/write_page.ts";
import { aggregate } from "../node/aggregate.ts";
import type { IdentityApiUse, Metrics } from "../node/metrics.ts";
import { systemClock, systemRandom } from "../node/ports.ts";
import { plural } from "./advice.ts";
import type { CliContext } from "./context.ts";
import { connect } from "./connect.ts";
import { defineCommand } from "./define.ts";
import { resolveApiUrl } from "./env.ts";
import { GITHUB_OPTIONS, ISSUE_OPTION } from "./option_groups.ts";
import { MAX_COST_OPTION, resolveMaxCostUsd } from "./claude_flags.ts";
import type { OptionSpec } from "./options.ts";
import { UsageError } from "./usage_error.ts";

/** Exit code when the swarm has not finished yet (`aggregate`, `status`). */
export const EXIT_UNFINISHED = 3;

/**
 * The exit code that tells a CI gate how the swarm stands.
 *
 * @example
 * ```ts
 * swarmExitCode(result.metrics); // 0, 1 or 3
 * ```
 */
export function swarmExitCode(m: Metrics): number {
  const t = m.totals;
  if (m.plan && t.tasks > 0 && t.done === t.tasks) return 0;
  if (m.status === "finished" || m.status === "ended") return 1;
  return EXIT_UNFINISHED;
}

/** Options of `aggregate`. */
export const AGGREGATE_OPTIONS: readonly OptionSpec[] = [
  { ...ISSUE_OPTION, description: "the issue" },
  ...GITHUB_OPTIONS,
  {
    name: "out",
    flags: "--out <dir>",
    kind: "text",
    group: "Output",
    description: "output folder",
    default: "p2p-dev-out",
  },
  {
    name: "comment",
    flags: "--no-comment",
    kind: "flag",
    group: "Output",
    description: "do not create or update the summary comment",
  },
  {
    name: "apiStats",
    flags: "--api-stats <file>",
    kind: "text",
    group: "Output",
    description: "JSON of API use per identity to include (e.g. from the emulator)",
  },
  {
    ...MAX_COST_OPTION,
    description: "judge the cost budget by this cap instead of the one the plan published",
    defaultText: "$P2P_MAX_COST_USD, else the plan's",
  },
];

/**
 * Builds the `aggregate` subcommand.
 *
 * @example
 * ```ts
 * program.addCommand(aggregateCommand(ctx));
 * ```
 */
export function aggregateCommand(ctx: CliContext): Command {
  return defineCommand(ctx, {
    name: "aggregate",
    description:
      "Write metrics.json, summary.md and the dashboard (index.html, comments.json); update the issue's summary comment.",
    options: AGGREGATE_OPTIONS,
    helpAfter: `
Exit code: 0 every task done, 1 tasks failed for good (or the swarm was ended first),
3 not finished yet (no plan, or tasks still pending or running), 2 a usage error.
In GitHub Actions it appends the summary to the job summary and writes the outputs
status, tasks, done, failed, skipped, cost-usd and metrics.`,
    action: async (values) => {
      const issue = values.issue as number;
      const out = values.out as string;
      const maxCostUsd = resolveMaxCostUsd(values, ctx.env);
      const conn = connect(values, ctx);
      let apiByIdentity: Record<string, IdentityApiUse> | undefined;
      if (typeof values.apiStats === "string") {
        try {
          apiByIdentity = JSON.parse(await Deno.readTextFile(values.apiStats));
        } catch (error) {
          throw new UsageError(
            `Cannot read --api-stats "${values.apiStats}": ${(error as Error).message}.`,
          );
        }
      }
      const result = await aggregate(
        { github: conn.github, clock: systemClock, random: systemRandom },
        {
          issue,
          repo: conn.fullName,
          tokenKind: conn.tokenKind,
          post: values.comment !== false,
          allow: conn.allow,
          secret: conn.secret,
          ...(apiByIdentity ? { apiByIdentity } : {}),
          ...(maxCostUsd !== undefined ? { maxCostUsd } : {}),
        },
      );
      await Deno.mkdir(out, { recursive: true });
      await Deno.writeTextFile(`${out}/metrics.json`, result.metricsJson);
      await Deno.writeTextFile(`${out}/summary.md`, result.summary);
      const apiUrl = resolveApiUrl(
        typeof values.apiUrl === "string" ? values.apiUrl : undefined,
        ctx.env,
      );
      const htmlUrl = ctx.env.GITHUB_SERVER_URL || "https://github.com";
      await writeDashboard(out, {
        metrics: result.metrics,
        comments: restComments(result.comments, { repo: conn.fullName, issue, htmlUrl, apiUrl }),
        writeComments: true,
        apiUrl,
        htmlUrl,
      });
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
            `skipped=${t.skipped}`,
            `cost-usd=${t.costUsd}`,
            `metrics=${out}/metrics.json`,
          ].join("\n") + "\n",
          { append: true },
        );
      }
      ctx.out(
        `${result.metrics.status}: ${t.done}/${
          plural(t.tasks, "task")
        } done, ${t.failed} failed; ` +
          `wrote ${out}/metrics.json and ${out}/summary.md (dashboard: ${out}/index.html); ` +
          `summary comment ${result.comment}`,
      );
      const code = swarmExitCode(result.metrics);
      if (code === 1) {
        const failed = result.metrics.tasks.filter((x) => x.phase === "failed").map((x) => x.id);
        ctx.err(
          failed.length
            ? `Failed for good: ${
              failed.join(", ")
            }. Retry: p2p-dev run --issue ${issue} --retry-failed`
            : `The swarm ended before every task was done.`,
        );
      } else if (code === EXIT_UNFINISHED) {
        ctx.err(`Not finished yet: p2p-dev status --issue ${issue} shows what is left.`);
      }
      ctx.setExitCode(code);
    },
  });
}
