/**
 * Builds the `p2p-dev` command line. Each subcommand lives in its own file in
 * `src/cli/` and exports a function that returns a commander `Command`.
 *
 * @module
 */
import { Command } from "@commander-js/extra-typings";
import type { CliContext } from "./context.ts";
import { aggregateCommand } from "./aggregate.ts";
import { demoCommand } from "./demo.ts";
import { electCommand } from "./elect.ts";
import { emulatorCommand } from "./emulator.ts";
import { planCommand } from "./plan.ts";
import { runCommand } from "./run.ts";
import { stateCommand } from "./state.ts";
import { workCommand } from "./work.ts";
import { VERSION } from "../version.ts";

/** Exit codes, documented in `--help`. */
export const EXIT_HELP = `
Exit codes:
  0  success (run: every task finished)
  1  failure (an API error, a task failed for good, a planner or executor error)
  2  usage error (bad flag, missing token or repository)
  130  interrupted (SIGINT/SIGTERM; the node released its claims first)`;

/**
 * Creates the program with all subcommands attached.
 *
 * @example
 * ```ts
 * const program = buildApp(ctx);
 * await program.parseAsync(["node", "p2p-dev", "--version"]);
 * ```
 */
export function buildApp(ctx: CliContext): Command {
  const program = new Command("p2p-dev")
    .description(
      "A swarm of coding agents that coordinate through one GitHub issue's comments, with no server.",
    )
    .version(VERSION, "-V, --version")
    .addHelpText("after", EXIT_HELP)
    .showHelpAfterError(false)
    .configureOutput({
      writeOut: (s) => ctx.out(s.replace(/\n$/, "")),
      writeErr: (s) => ctx.err(s.replace(/\n$/, "")),
      outputError: (s, write) => write(s),
    })
    .exitOverride();
  for (const make of SUBCOMMANDS) program.addCommand(make(ctx));
  return program as unknown as Command;
}

/** Subcommand factories; each file in src/cli/ adds itself here. */
const SUBCOMMANDS: ((ctx: CliContext) => Command)[] = [
  demoCommand as unknown as (ctx: CliContext) => Command,
  runCommand,
  electCommand,
  planCommand,
  workCommand,
  aggregateCommand,
  emulatorCommand,
  stateCommand as unknown as (ctx: CliContext) => Command,
];
