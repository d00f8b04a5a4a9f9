/**
 * What a subcommand gets from the process: arguments are parsed by commander,
 * everything else (env, output streams, exit code, signals) comes through here
 * so that tests can run the CLI in-process.
 *
 * @module
 */
import type { Env } from "./env.ts";

/**
 * The process, as seen by subcommands.
 *
 * @example
 * ```ts
 * function hello(ctx: CliContext) { ctx.out("hello"); }
 * ```
 */
export interface CliContext {
  env: Env;
  /** Write one line to standard output. */
  out(line: string): void;
  /** Write one line to standard error. */
  err(line: string): void;
  /** Whether standard output is a terminal (live views) or not (plain lines). */
  isTty: boolean;
  /** Terminal width in columns (`Infinity` when not a terminal: piped output is never cut). */
  columns: number;
  /** Aborted on SIGINT/SIGTERM. */
  signal: AbortSignal;
  /** Set the exit code the process ends with. */
  setExitCode(code: number): void;
  /** The command line that starts this program again (for spawning nodes). */
  selfCommand: string[];
  /** The working folder (default: the process's). */
  cwd?: string;
}
