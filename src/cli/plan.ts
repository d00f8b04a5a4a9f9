/**
 * `p2p-dev plan`: lead and publish the plan (taking part in the election
 * first), or with `--dry-run` print the task graph the planner would publish
 * without writing anything.
 *
 * @module
 */
import { Command } from "@commander-js/extra-typings";
import { runNode } from "../node/node.ts";
import { assertValidGraph, GraphValidationError } from "../protocol/graph.ts";
import type { PlanTask } from "../protocol/types.ts";
import type { CliContext } from "./context.ts";
import { type NodeFlags, setupNode, withNodeFlags } from "./node_setup.ts";
import { table } from "./render_state.ts";
import { writeNodeOutputs } from "./run.ts";

/**
 * Builds the `plan` subcommand.
 *
 * @example
 * ```ts
 * program.addCommand(planCommand(ctx));
 * ```
 */
export function planCommand(ctx: CliContext): Command {
  return withNodeFlags(
    new Command("plan").description(
      "Plan the issue and publish the task graph if this node leads (--dry-run: print it only).",
    ).option("--dry-run", "print the task graph the planner would publish, without writing"),
  ).action(async (opts: NodeFlags) => {
    const { deps, config, output } = await setupNode(opts, ctx, "plan");
    if (opts.dryRun) {
      const issue = await deps.github.getIssue(config.issue);
      const tasks = await deps.planner.plan(issue, ctx.signal);
      try {
        assertValidGraph(tasks);
      } catch (error) {
        if (error instanceof GraphValidationError) ctx.setExitCode(1);
        throw error;
      }
      printPlan(ctx, tasks, deps.planner.name, opts.json === true);
      return;
    }
    const report = await runNode(deps, config).finally(() => output.finish());
    await writeNodeOutputs(ctx, report);
    ctx.out(
      report.terms.length > 0
        ? `published the plan as leader of term ${report.terms.at(-1)}`
        : report.state.plan
        ? `a plan is in force (term ${report.state.plan.term}); nothing to publish`
        : "not the leader; nothing published",
    );
    if (report.reason === "interrupted") ctx.setExitCode(130);
  }) as unknown as Command;
}

function printPlan(ctx: CliContext, tasks: PlanTask[], planner: string, json: boolean): void {
  if (json) {
    ctx.out(JSON.stringify({ planner, tasks }, null, 2));
    return;
  }
  ctx.out(`${tasks.length} task(s) from the ${planner} planner:`);
  const rows = [["ID", "PRIORITY", "AFTER", "EST", "GROUP", "TITLE"]];
  for (const t of tasks) {
    rows.push([
      t.id,
      t.priority,
      t.deps.join(",") || "-",
      t.estimateHours !== undefined ? `${t.estimateHours}h` : "-",
      t.group ?? "-",
      t.title,
    ]);
  }
  for (const line of table(rows)) ctx.out(line);
}
