/**
 * Builds the `p2p-dev` command line and runs it. Each subcommand lives in its
 * own file in `src/cli/`, declares one table of options (`defineCommand`) and
 * adds itself to `SUBCOMMANDS`.
 *
 * @module
 */
import { Command, CommanderError } from "@commander-js/extra-typings";
import type { CliContext } from "./context.ts";
import { aggregateCommand } from "./aggregate.ts";
import { completionsCommand } from "./completions.ts";
import { dashboardCommand } from "./dashboard.ts";
import { demoCommand } from "./demo.ts";
import { electCommand } from "./elect.ts";
import { emulatorCommand } from "./emulator.ts";
import { initCommand } from "./init.ts";
import { planCommand } from "./plan.ts";
import { runCommand } from "./run.ts";
import { stateCommand } from "./state.ts";
import { statusCommand } from "./status.ts";
import { triggerCommand } from "./trigger.ts";
import { UsageError } from "./usage_error.ts";
import { watchCommand } from "./watch.ts";
import { workCommand } from "./work.ts";
import { VERSION } from "../version.ts";

/** Exit codes, documented in `--help`. */
export const EXIT_HELP = `
Exit codes:
  0    success (run, work: every task finished; aggregate, status: every task done)
  1    failure (an API error, a task failed for good, a planner or executor error)
  2    usage error (bad flag or value, missing token or repository, bad configuration file)
  3    aggregate, status: the swarm is not finished yet
  130  interrupted (SIGINT/SIGTERM; the node released its claims first)

Run p2p-dev <command> --help for a command's options.`;

/** Subcommand factories; each file in src/cli/ adds itself here. */
const SUBCOMMANDS: ((ctx: CliContext) => Command)[] = [
  demoCommand,
  runCommand,
  electCommand,
  planCommand,
  workCommand,
  aggregateCommand,
  statusCommand,
  watchCommand,
  stateCommand,
  emulatorCommand,
  dashboardCommand,
  triggerCommand,
  initCommand,
];

/**
 * Creates the program with all subcommands attached. Every subcommand (and
 * theirs) shares the top level's output and error handling, so a usage error
 * anywhere ends with exit code 2.
 *
 * @example
 * ```ts
 * const program = buildApp(ctx);
 * await program.parseAsync(["--version"], { from: "user" });
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
  program.addCommand(completionsCommand(ctx, () => program as unknown as Command));
  inherit(program as unknown as Command);
  return program as unknown as Command;
}

/** Gives every subcommand, at any depth, the settings of its parent. */
function inherit(parent: Command): void {
  for (const sub of parent.commands as Command[]) {
    sub.copyInheritedSettings(parent);
    sub.showHelpAfterError(`(${commandPath(sub)} --help lists its options)`);
    inherit(sub);
  }
}

function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent as Command | null) names.unshift(c.name());
  return names.join(" ");
}

/**
 * Runs the command line and returns the exit code: 2 for every usage error
 * (commander's own and `UsageError`), 1 for other errors, else what the
 * command set.
 *
 * @example
 * ```ts
 * const code = await runApp(["state", "--help"], ctx);
 * ```
 */
export async function runApp(args: string[], ctx: CliContext): Promise<number> {
  let exitCode = 0;
  const inner: CliContext = {
    ...ctx,
    setExitCode: (code) => {
      exitCode = code;
      ctx.setExitCode(code);
    },
  };
  try {
    await buildApp(inner).parseAsync(args, { from: "user" });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander already printed its message (or help/version).
      return error.exitCode === 0 ? 0 : 2;
    }
    if (error instanceof UsageError) {
      ctx.err(`p2p-dev: ${error.message}`);
      return error.exitCode;
    }
    ctx.err(`p2p-dev: ${error instanceof Error ? error.message : String(error)}`);
    if (ctx.env.P2P_DEBUG && error instanceof Error && error.stack) ctx.err(error.stack);
    return exitCode > 1 && exitCode !== 130 ? exitCode : 1;
  }
}
