/**
 * `p2p-dev plan`: lead and publish the plan (taking part in the election
 * first), or with `--dry-run` print the task graph the planner would publish
 * without writing anything.
 *
 * @module
 */
import type { Command } from "@commander-js/extra-typings";
import { assertValidGraph, GraphValidationError } from "../protocol/graph.ts";
import type { PlanTask } from "../protocol/types.ts";
import { currentLeader } from "../protocol/view.ts";
import { plural } from "./advice.ts";
import type { CliContext } from "./context.ts";
import { defineCommand } from "./define.ts";
import { NODE_ENV_HELP, PLAN_OPTIONS, setupNode } from "./node_setup.ts";
import type { OptionSpec } from "./options.ts";
import { terminalLine } from "../text/terminal.ts";
import { table } from "./render_state.ts";
import { runNodeCommand } from "./run.ts";

const DRY_RUN: OptionSpec = {
  name: "dryRun",
  flags: "--dry-run",
  kind: "flag",
  group: "Planner",
  description: "print the task graph the planner would publish, without writing",
};

/**
 * Builds the `plan` subcommand.
 *
 * @example
 * ```ts
 * program.addCommand(planCommand(ctx));
 * ```
 */
export function planCommand(ctx: CliContext): Command {
  return defineCommand(ctx, {
    name: "plan",
    description:
      "Plan the issue and publish the task graph if this node leads (--dry-run: print it only).",
    options: [...PLAN_OPTIONS, DRY_RUN],
    helpAfter: NODE_ENV_HELP,
    action: async (values) => {
      const setup = await setupNode(values, ctx, "plan");
      const { deps, config } = setup;
      if (values.dryRun) {
        const issue = await deps.github.getIssue(config.issue);
        const tasks = await deps.planner.plan(issue, ctx.signal);
        try {
          assertValidGraph(tasks);
        } catch (error) {
          if (error instanceof GraphValidationError) ctx.setExitCode(1);
          throw error;
        }
        printPlan(ctx, tasks, deps.planner.name, values.json === true);
        return;
      }
      // What this process published, from its own events: the final line
      // agrees with them even when the term was won by an earlier `elect`.
      let published: { tasks: number; parts: number } | undefined;
      const log = deps.log;
      deps.log = (event) => {
        if (event.type === "planned") published = { tasks: event.tasks, parts: event.parts };
        log?.(event);
      };
      const report = await runNodeCommand(values, ctx, "plan", setup);
      const plan = report.state.plan;
      const leader = currentLeader(report.state);
      if (report.reason === "plan_failed") {
        ctx.err(report.detail ?? "Planning failed.");
        ctx.setExitCode(1);
        return;
      }
      ctx.out(
        published && plan
          ? `published the plan (${plural(published.tasks, "task")}) as leader of term ${plan.term}`
          : plan
          ? `a plan is in force (term ${plan.term}, by ${
            report.state.terms[plan.term - 1]?.node ?? "?"
          }); nothing to publish`
          : leader
          ? `not the leader (${leader.node} leads term ${leader.term}); nothing published`
          : "no leader; nothing published",
      );
      if (report.reason === "interrupted") ctx.setExitCode(130);
    },
  });
}

function printPlan(ctx: CliContext, tasks: PlanTask[], planner: string, json: boolean): void {
  if (json) {
    ctx.out(JSON.stringify({ planner, tasks }, null, 2));
    return;
  }
  ctx.out(`${plural(tasks.length, "task")} from the ${planner} planner:`);
  const rows = [["ID", "PRIORITY", "AFTER", "EST", "GROUP", "TITLE"]];
  for (const t of tasks) {
    rows.push([
      t.id,
      t.priority,
      t.deps.join(",") || "-",
      t.estimateHours !== undefined ? `${t.estimateHours}h` : "-",
      terminalLine(t.group ?? "-"),
      terminalLine(t.title),
    ]);
  }
  for (const line of table(rows)) ctx.out(line);
}
