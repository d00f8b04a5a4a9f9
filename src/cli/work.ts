/**
 * `p2p-dev work`: a worker only. It never campaigns; it waits for a plan,
 * then claims and runs tasks.
 *
 * @module
 */
import { Command } from "@commander-js/extra-typings";
import { runNode } from "../node/node.ts";
import type { CliContext } from "./context.ts";
import { type NodeFlags, setupNode, withNodeFlags } from "./node_setup.ts";
import { exitCodeOf, writeNodeOutputs } from "./run.ts";

/**
 * Builds the `work` subcommand.
 *
 * @example
 * ```ts
 * program.addCommand(workCommand(ctx));
 * ```
 */
export function workCommand(ctx: CliContext): Command {
  return withNodeFlags(
    new Command("work").description("Work only: wait for the plan, then claim and run tasks."),
  ).action(async (opts: NodeFlags) => {
    const { deps, config, output } = await setupNode(opts, ctx, "work");
    const report = await runNode(deps, config).finally(() => output.finish());
    await writeNodeOutputs(ctx, report);
    ctx.setExitCode(exitCodeOf(report));
  }) as unknown as Command;
}
