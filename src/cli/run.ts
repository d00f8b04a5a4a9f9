/**
 * `p2p-dev run`: one node, all roles: announce, elect, plan if leading, work
 * until every task is finished or failed, or a limit is reached.
 *
 * @module
 */
import { Command } from "@commander-js/extra-typings";
import { runNode } from "../node/node.ts";
import type { NodeReport } from "../node/node.ts";
import { taskPhase } from "../protocol/view.ts";
import type { CliContext } from "./context.ts";
import { type NodeFlags, setupNode, withNodeFlags } from "./node_setup.ts";

/** Exit code of a node run, from its report: 0 all done, 1 a task failed for good, 130 interrupted. */
export function exitCodeOf(report: NodeReport): number {
  if (report.reason === "interrupted") return 130;
  const s = report.state;
  const failed = s.order.some((id) => {
    const phase = taskPhase(s, s.tasks[id]!, report.serverTime);
    return phase === "failed" || phase === "skipped";
  });
  return (report.reason === "finished" || report.reason === "max_runtime") && failed ? 1 : 0;
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
  return withNodeFlags(
    new Command("run").description(
      "Run one node: elect, plan if leading, then claim and run tasks until all are finished.",
    ),
  ).action(async (opts: NodeFlags) => {
    const { deps, config, output } = await setupNode(opts, ctx, "all");
    const report = await runNode(deps, config).finally(() => output.finish());
    await writeNodeOutputs(ctx, report);
    ctx.setExitCode(exitCodeOf(report));
  }) as unknown as Command;
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
