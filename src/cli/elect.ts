/**
 * `p2p-dev elect`: take part in the election and print the leader.
 *
 * @module
 */
import { Command } from "@commander-js/extra-typings";
import { runNode } from "../node/node.ts";
import { currentLeader } from "../protocol/view.ts";
import type { CliContext } from "./context.ts";
import { type NodeFlags, setupNode, withNodeFlags } from "./node_setup.ts";
import { writeNodeOutputs } from "./run.ts";

/**
 * Builds the `elect` subcommand.
 *
 * @example
 * ```ts
 * program.addCommand(electCommand(ctx));
 * ```
 */
export function electCommand(ctx: CliContext): Command {
  return withNodeFlags(
    new Command("elect").description(
      "Take part in the election (unless a plan is in force) and print the leader.",
    ),
  ).action(async (opts: NodeFlags) => {
    const { deps, config, output } = await setupNode(opts, ctx, "elect");
    const report = await runNode(deps, config).finally(() => output.finish());
    await writeNodeOutputs(ctx, report);
    const leader = currentLeader(report.state);
    if (opts.json) {
      ctx.out(JSON.stringify({ leader: leader ?? null, self: report.node, won: report.terms }));
    } else {
      ctx.out(leader ? `leader: ${leader.node} (term ${leader.term})` : "leader: none");
    }
    if (report.reason === "interrupted") ctx.setExitCode(130);
  }) as unknown as Command;
}
