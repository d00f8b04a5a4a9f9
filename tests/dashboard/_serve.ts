/**
 * `p2p-dev dashboard serve` as a real subprocess, for the tests.
 *
 * @module
 */
import { MAIN } from "../cli/_run.ts";

/** A running `dashboard serve`; disposing of it stops the process. */
export interface ServeProcess extends AsyncDisposable {
  /** Resolves with the line serve printed once listening and the address in it. */
  listening: Promise<{ line: string; url: string }>;
}

/**
 * Starts `p2p-dev dashboard serve ARGS` with exactly `env`.
 *
 * @example
 * ```ts
 * await using served = startServe(["--issue", "1", "--port", "0"], env);
 * const { url } = await served.listening;
 * ```
 */
export function startServe(args: string[], env: Record<string, string>): ServeProcess {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--no-prompt", MAIN, "dashboard", "serve", ...args],
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const listening = (async () => {
    let printed = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`serve exited before listening: ${printed}`);
      printed += value;
      const m = /^(Dashboard for .* on (http:\/\/\S+\/) .*)$/m.exec(printed);
      if (m) return { line: m[1]!, url: m[2]! };
    }
  })();
  return {
    listening,
    async [Symbol.asyncDispose]() {
      try {
        child.kill("SIGTERM");
      } catch {
        // It has exited already.
      }
      await reader.cancel().catch(() => {});
      await child.status;
      await child.stderr.cancel().catch(() => {});
    },
  };
}
