/**
 * Runs the CLI in-process with a captured context (no subprocess): fast
 * enough for tables of cases.
 *
 * @module
 */
import { runApp } from "../../src/cli/app.ts";
import type { CliContext } from "../../src/cli/context.ts";

/** What one in-process run printed and returned. */
export interface AppResult {
  code: number;
  out: string[];
  err: string[];
}

/**
 * Runs `p2p-dev ARGS` in this process with `env` as the whole environment.
 *
 * @example
 * ```ts
 * const r = await runInProcess(["run", "--bogus"]);
 * ```
 */
export async function runInProcess(
  args: string[],
  env: Record<string, string> = {},
  options: { cwd?: string; signal?: AbortSignal } = {},
): Promise<AppResult> {
  const out: string[] = [];
  const err: string[] = [];
  const ctx = testContext({
    env,
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.cwd ? { cwd: options.cwd } : {}),
  });
  const code = await runApp(args, ctx);
  return { code, out, err };
}

/**
 * A context for in-process runs: no environment, output dropped, not a
 * terminal; `overrides` replace any of it.
 *
 * @example
 * ```ts
 * const program = buildApp(testContext());
 * ```
 */
export function testContext(overrides: Partial<CliContext> = {}): CliContext {
  return {
    env: {},
    out: () => {},
    err: () => {},
    isTty: false,
    columns: Infinity,
    signal: new AbortController().signal,
    setExitCode: () => {},
    selfCommand: ["p2p-dev"],
    ...overrides,
  };
}
