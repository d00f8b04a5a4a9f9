/**
 * Runs the CLI as a real subprocess (`deno run src/main.ts ...`).
 *
 * @module
 */

/** Path of the CLI entry point. */
export const MAIN = new URL("../../src/main.ts", import.meta.url).pathname;

/** Output of one CLI run. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `p2p-dev` with arguments and a clean environment (plus `env`).
 *
 * @example
 * ```ts
 * const r = await runCli(["--version"]);
 * ```
 */
export async function runCli(
  args: string[],
  env: Record<string, string> = {},
  options: { cwd?: string } = {},
): Promise<CliResult> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--no-prompt", MAIN, ...args],
    env: {
      NO_COLOR: "1",
      PATH: Deno.env.get("PATH") ?? "",
      HOME: Deno.env.get("HOME") ?? "/tmp",
      ...env,
    },
    clearEnv: true,
    stdin: "null",
    ...(options.cwd ? { cwd: options.cwd } : {}),
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}
