/**
 * Entry point: the one place that touches the process (arguments,
 * environment, streams, signals, exit code).
 *
 * @module
 */
import { CommanderError } from "commander";
import { buildApp } from "./cli/app.ts";
import type { CliContext } from "./cli/context.ts";
import { UsageError } from "./cli/usage_error.ts";

/**
 * Runs the CLI with the given arguments and returns the exit code.
 *
 * @example
 * ```ts
 * const code = await main(["--version"]);
 * ```
 */
export async function main(args: string[]): Promise<number> {
  const controller = new AbortController();
  let exitCode = 0;
  const encoder = new TextEncoder();
  const ctx: CliContext = {
    env: Deno.env.toObject(),
    out: (line) => Deno.stdout.writeSync(encoder.encode(line + "\n")),
    err: (line) => Deno.stderr.writeSync(encoder.encode(line + "\n")),
    isTty: Deno.stdout.isTerminal(),
    columns: terminalColumns(),
    signal: controller.signal,
    setExitCode: (code) => {
      exitCode = code;
    },
    selfCommand: selfCommand(),
  };
  const stop = () => controller.abort(new Error("Interrupted by a signal."));
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  try {
    await buildApp(ctx).parseAsync(args, { from: "user" });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander already printed its message (or help/version).
      if (error.exitCode === 0) return 0;
      return 2;
    }
    if (error instanceof UsageError) {
      ctx.err(`p2p-dev: ${error.message}`);
      return error.exitCode;
    }
    ctx.err(`p2p-dev: ${error instanceof Error ? error.message : String(error)}`);
    if (ctx.env.P2P_DEBUG && error instanceof Error && error.stack) ctx.err(error.stack);
    return 1;
  } finally {
    Deno.removeSignalListener("SIGINT", stop);
    Deno.removeSignalListener("SIGTERM", stop);
  }
}

/** The terminal's width, or 80 when standard output is not a terminal. */
function terminalColumns(): number {
  try {
    return Deno.stdout.isTerminal() ? Deno.consoleSize().columns : 80;
  } catch {
    return 80;
  }
}

/** How to start this same program again: the compiled binary, the bundle, or `deno run main.ts`. */
function selfCommand(): string[] {
  const exec = Deno.execPath();
  const mainUrl = Deno.mainModule;
  if (!/\/deno(\.exe)?$/.test(exec)) return [exec]; // deno compile
  const path = mainUrl.startsWith("file://") ? new URL(mainUrl).pathname : mainUrl;
  return [exec, "run", "--allow-all", "--no-prompt", path];
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
