/**
 * `p2p-dev run`: one node, all roles: announce, elect, plan if leading, work
 * until every task is finished or failed, or a limit is reached.
 *
 * @module
 */
import type { Command } from "@commander-js/extra-typings";
import { runNode } from "../node/node.ts";
import type { NodeReport } from "../node/node.ts";
import { taskPhase } from "../protocol/view.ts";
import { failureReport } from "./advice.ts";
import type { CliContext } from "./context.ts";
import { defineCommand } from "./define.ts";
import {
  NODE_ENV_HELP,
  type NodeSetup,
  RUN_OPTIONS,
  setupNode,
  STEERING_HELP,
  taskInputHelp,
} from "./node_setup.ts";
import type { OptionValues } from "./options.ts";
import type { NodeConfig } from "../node/config.ts";

/**
 * Exit code of a node run, from its report: 0 all done, 1 a task failed for
 * good or the cost cap stopped the swarm with work left, 130 interrupted.
 */
export function exitCodeOf(report: NodeReport): number {
  if (report.reason === "interrupted") return 130;
  // The cost cap stopped the swarm with work left undone.
  if (["plan_failed", "plan_missing", "local_failures", "budget"].includes(report.reason)) return 1;
  const s = report.state;
  const failed = s.order.some((id) => {
    const phase = taskPhase(s, s.tasks[id]!, report.serverTime);
    return phase === "failed" || phase === "skipped";
  });
  return (report.reason === "finished" || report.reason === "max_runtime") && failed ? 1 : 0;
}

/**
 * Runs a node command from its values: builds the node, runs it, always
 * removes what it made, and returns its report.
 *
 * @example
 * ```ts
 * const report = await runNodeCommand(values, ctx, "all");
 * ```
 */
export async function runNodeCommand(
  values: OptionValues,
  ctx: CliContext,
  role: NodeConfig["role"],
  setup?: NodeSetup,
): Promise<NodeReport> {
  const node = setup ?? await setupNode(values, ctx, role);
  try {
    const report = await runNode(node.deps, node.config).finally(() => node.output.finish());
    await writeNodeOutputs(ctx, report);
    return report;
  } finally {
    await node.cleanup();
  }
}

/**
 * Ends a worker's run: the exit code, and when tasks failed for good, which
 * ones, why, and the command that retries them.
 *
 * @example
 * ```ts
 * finishWorker(ctx, report, 7);
 * ```
 */
export function finishWorker(ctx: CliContext, report: NodeReport, issue: number): void {
  const code = exitCodeOf(report);
  if (report.reason === "plan_failed") {
    // One line: the cause, then what to do (the demo quotes a node's last line).
    ctx.err(
      `${report.detail ?? "Planning failed."} The leader resigned and said so on the issue: ` +
        `fix the issue (or the planner), then start again with p2p-dev run --issue ${issue}`,
    );
  } else if (report.reason === "plan_missing") {
    ctx.err(report.detail ?? "The swarm's plan is gone from the log.");
  } else if (report.reason === "local_failures") {
    ctx.err(report.detail ?? "Stopped claiming after repeated local failures.");
  } else if (report.reason === "budget") {
    ctx.err(report.detail ?? "The swarm's cost cap (--max-cost-usd) was reached.");
  } else if (report.reason === "ended" && report.state.ended) {
    ctx.err(`The swarm was ended: ${report.state.ended.reason ?? report.state.ended.node}.`);
  } else if (code === 1) {
    for (const line of failureReport(report.state, report.serverTime, issue)) ctx.err(line);
  }
  ctx.setExitCode(code);
}

/**
 * Builds the `run` subcommand.
 *
 * @example
 * ```ts
 * program.addCommand(runCommand(ctx));
 * ```
 */
export function runCommand(ctx: CliContext): Command {
  return defineCommand(ctx, {
    name: "run",
    description:
      "Run one node: elect, plan if leading, then claim and run tasks until all are finished.",
    options: RUN_OPTIONS,
    helpAfter: NODE_ENV_HELP + "\n" + STEERING_HELP + "\n" + taskInputHelp(),
    action: async (values) => {
      const report = await runNodeCommand(values, ctx, "all");
      finishWorker(ctx, report, values.issue as number);
    },
  });
}

/**
 * Appends the node's outcome to `$GITHUB_OUTPUT` when running in Actions.
 *
 * @example
 * ```ts
 * await writeNodeOutputs(ctx, report);
 * ```
 */
export async function writeNodeOutputs(ctx: CliContext, report: NodeReport): Promise<void> {
  const path = ctx.env.GITHUB_OUTPUT;
  if (!path) return;
  const lines = [
    `node=${report.node}`,
    `stop-reason=${report.reason}`,
    `leader=${report.terms.length > 0}`,
    `completed=${report.completed.length}`,
    `failed=${report.failed.length}`,
  ];
  await Deno.writeTextFile(path, lines.join("\n") + "\n", { append: true });
}
