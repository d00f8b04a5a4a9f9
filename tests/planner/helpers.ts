/**
 * Test helpers for the planners: a fake `claude` executable in a temporary
 * directory, and an issue fixture reader.
 *
 * @module
 */

/** A fake `claude` installed for one test. */
export interface FakeClaude {
  /** Directory holding the `claude` script (put it on a PATH to find it). */
  dir: string;
  /** Path of the executable `claude` script. */
  path: string;
  /** File where each call appends `{args, stdin}` as one JSON line. */
  logPath: string;
  /** The calls logged so far (`claude --help` probes included). */
  calls(): Promise<{ args: string[]; stdin: string; cwd: string }[]>;
  /** Removes the directory. */
  remove(): Promise<void>;
}

const FAKE = new URL("./fake_claude.ts", import.meta.url).pathname;

/** Quotes a string for `sh`. */
function shq(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/**
 * Writes an executable `claude` shell script that runs `fake_claude.ts` with
 * this Deno in the given mode (and more environment for it).
 *
 * @example
 * ```ts
 * const fake = await makeFakeClaude("valid");
 * ```
 */
export async function makeFakeClaude(
  mode: string,
  env: Record<string, string> = {},
): Promise<FakeClaude> {
  const dir = await Deno.makeTempDir({ prefix: "fake-claude-" });
  const path = `${dir}/claude`;
  const logPath = `${dir}/calls.jsonl`;
  const vars = Object.entries(env).map(([k, v]) => `${k}=${shq(v)} `).join("");
  await Deno.writeTextFile(
    path,
    `#!/bin/sh\n${vars}FAKE_CLAUDE_MODE=${shq(mode)} FAKE_CLAUDE_LOG=${shq(logPath)} exec ${
      shq(Deno.execPath())
    } run --allow-all --no-config --quiet ${shq(FAKE)} "$@"\n`,
  );
  await Deno.chmod(path, 0o755);
  return {
    dir,
    path,
    logPath,
    async calls() {
      try {
        const text = await Deno.readTextFile(logPath);
        return text.trim().split("\n").map((l) => JSON.parse(l));
      } catch (e) {
        if (e instanceof Deno.errors.NotFound) return [];
        throw e;
      }
    },
    remove: () => Deno.remove(dir, { recursive: true }),
  };
}

/**
 * Reads a fixture from tests/fixtures/planner/.
 *
 * @example
 * ```ts
 * const body = await readFixture("issue-search.md");
 * ```
 */
export function readFixture(name: string): Promise<string> {
  return Deno.readTextFile(new URL(`../fixtures/planner/${name}`, import.meta.url));
}
