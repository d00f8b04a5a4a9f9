/**
 * A `p2p-dev` process a test talks to while it runs: its output lines as they
 * come, signals, and a bound on how long it may take.
 *
 * @module
 */
import { MAIN } from "./_run.ts";

/** A running `p2p-dev`. */
export class Proc {
  readonly child: Deno.ChildProcess;
  readonly seen: string[] = [];
  readonly #lines: AsyncGenerator<string>;
  readonly #stderr: Promise<string>;
  readonly #timer: ReturnType<typeof setTimeout>;

  /** Starts `p2p-dev args` with `env` as its whole environment; killed after `limitMs`. */
  constructor(args: string[], env: Record<string, string>, limitMs = 60_000) {
    this.child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", "--no-prompt", MAIN, ...args],
      env: { PATH: Deno.env.get("PATH") ?? "", NO_COLOR: "1", ...env },
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#lines = linesOf(this.child.stdout);
    this.#stderr = new Response(this.child.stderr).text();
    this.#timer = setTimeout(() => {
      try {
        this.child.kill("SIGKILL");
      } catch { /* gone */ }
    }, limitMs);
  }

  /** Reads output lines until one matches; fails when the output ends first. */
  async waitFor(match: RegExp): Promise<string> {
    while (true) {
      const next = await this.#lines.next();
      if (next.done) throw new Error(`No line matched ${match}:\n${this.seen.join("\n")}`);
      this.seen.push(next.value);
      if (match.test(next.value)) return next.value;
    }
  }

  /** Waits for the exit; returns the code, all stdout lines and stderr. */
  async end(): Promise<{ code: number; stdout: string; stderr: string }> {
    for await (const line of this.#lines) this.seen.push(line);
    const { code } = await this.child.status;
    clearTimeout(this.#timer);
    return { code, stdout: this.seen.join("\n"), stderr: await this.#stderr };
  }
}

/** The lines of a byte stream. */
export async function* linesOf(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let pending = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    pending += chunk;
    const parts = pending.split("\n");
    pending = parts.pop() ?? "";
    yield* parts;
  }
  if (pending) yield pending;
}
