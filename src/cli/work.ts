/**
 * `p2p-dev work`: a worker only. It never campaigns; it waits for a plan,
 * then claims and runs tasks.
 *
 * @module
 */
import type { Command } from "@commander-js/extra-typings";
import type { CliContext } from "./context.ts";
import { defineCommand } from "./define.ts";
import { NODE_ENV_HELP, STEERING_HELP, taskInputHelp, WORK_OPTIONS } from "./node_setup.ts";
import { finishWorker, runNodeCommand } from "./run.ts";

/**
 * Builds the `work` subcommand.
 *
 * @example
 * ```ts
 * program.addCommand(workCommand(ctx));
 * ```
 */
export function workCommand(ctx: CliContext): Command {
  return defineCommand(ctx, {
    name: "work",
    description: "Work only: wait for the plan, then claim and run tasks.",
    options: WORK_OPTIONS,
    helpAfter: NODE_ENV_HELP + "\n" + STEERING_HELP + "\n" + taskInputHelp(),
    action: async (values) => {
      const report = await runNodeCommand(values, ctx, "work");
      finishWorker(ctx, report, values.issue as number);
    },
  });
}
