/**
 * Entry point: the one place that touches the process (arguments,
 * environment, streams, signals, exit code).
 *
 * @module
 */
import { runApp } from "./cli/app.ts";
import type { CliContext } from "./cli/context.ts";
import { sealSecrets } from "./process/seal_secrets.ts";

/**
 * Runs the CLI with the given arguments and environment and returns the exit
 * code.
 *
 * @example
 * ```ts
 * const code = await main(["--version"]);
 * ```
 */
export async function main(
  args: string[],
  env: Record<string, string> = Deno.env.toObject(),
): Promise<number> {
  const controller = new AbortController();
  const encoder = new TextEncoder();
  const isTty = Deno.stdout.isTerminal();
  // A reader that goes away (`p2p-dev state | head`) is no error: further
  // output is dropped and a running node stops as if interrupted.
  let stdoutClosed = false;
  const write = (stream: typeof Deno.stdout, line: string) => {
    if (stream === Deno.stdout && stdoutClosed) return;
    try {
      stream.writeSync(encoder.encode(line + "\n"));
    } catch (error) {
      if (!(error instanceof Deno.errors.BrokenPipe)) throw error;
      if (stream === Deno.stdout) {
        stdoutClosed = true;
        controller.abort(new Error("Standard output was closed."));
      }
    }
  };
  const ctx: CliContext = {
    env,
    out: (line) => write(Deno.stdout, line),
    err: (line) => write(Deno.stderr, line),
    isTty,
    columns: terminalColumns(isTty),
    signal: controller.signal,
    setExitCode: () => {},
    selfCommand: selfCommand(),
    cwd: Deno.cwd(),
  };
  const stop = () => controller.abort(new Error("Interrupted by a signal."));
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  try {
    const code = await runApp(args, ctx);
    // Interrupted only because the reader left: nothing failed.
    return stdoutClosed && code === 130 ? 0 : code;
  } finally {
    Deno.removeSignalListener("SIGINT", stop);
    Deno.removeSignalListener("SIGTERM", stop);
  }
}

/** The terminal's width; piped output has no width and is never cut. */
function terminalColumns(isTty: boolean): number {
  if (!isTty) return Infinity;
  try {
    return Deno.consoleSize().columns;
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
  // The program reads this copy; the process environment (and what a task of
  // the same user could read in /proc/<pid>/environ) loses every credential.
  const env = Deno.env.toObject();
  sealSecrets(env);
  Deno.exit(await main(Deno.args, env));
}
