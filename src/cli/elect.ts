/**
 * `p2p-dev elect`: take part in the election and print the leader.
 *
 * @module
 */
import type { Command } from "@commander-js/extra-typings";
import { currentLeader } from "../protocol/view.ts";
import type { CliContext } from "./context.ts";
import { defineCommand } from "./define.ts";
import { ELECT_OPTIONS, NODE_ENV_HELP } from "./node_setup.ts";
import { runNodeCommand } from "./run.ts";

/**
 * Builds the `elect` subcommand.
 *
 * @example
 * ```ts
 * program.addCommand(electCommand(ctx));
 * ```
 */
export function electCommand(ctx: CliContext): Command {
  return defineCommand(ctx, {
    name: "elect",
    description: "Take part in the election (unless a plan is in force) and print the leader.",
    options: ELECT_OPTIONS,
    helpAfter: NODE_ENV_HELP,
    action: async (values) => {
      const report = await runNodeCommand(values, ctx, "elect");
      const leader = currentLeader(report.state);
      if (values.json) {
        ctx.out(JSON.stringify({ leader: leader ?? null, self: report.node, won: report.terms }));
      } else {
        ctx.out(leader ? `leader: ${leader.node} (term ${leader.term})` : "leader: none");
      }
      if (report.reason === "interrupted") ctx.setExitCode(130);
    },
  });
}
