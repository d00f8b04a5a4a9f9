/**
 * Shared helpers of the executor tests: temporary directories, task and
 * context builders, a local bare "origin", process checks.
 *
 * @module
 */
import { join } from "node:path";
import type { ExecContext } from "../../src/executor/port.ts";
import type { PlanTask } from "../../src/protocol/types.ts";

/** Git isolated from the user's and the system's configuration. */
export const GIT_ENV: Readonly<Record<string, string>> = {
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_AUTHOR_NAME: "Test Setup",
  GIT_AUTHOR_EMAIL: "setup@example.com",
  GIT_COMMITTER_NAME: "Test Setup",
  GIT_COMMITTER_EMAIL: "setup@example.com",
};

/** A temporary directory removed on dispose (`await using`). */
export async function tempDir(prefix = "p2p-exec-"): Promise<
  { path: string; [Symbol.asyncDispose](): Promise<void> }
> {
  const path = await Deno.realPath(await Deno.makeTempDir({ prefix }));
  return {
    path,
    async [Symbol.asyncDispose]() {
      await Deno.remove(path, { recursive: true }).catch(() => {});
    },
  };
}

/** A task with defaults. */
export function makeTask(overrides: Partial<PlanTask> = {}): PlanTask {
  return { id: "T1", title: "Add the API", priority: "high", deps: [], ...overrides };
}

/** A context with defaults that records progress reports. */
export function makeContext(
  overrides: Partial<ExecContext> = {},
): { ctx: ExecContext; progress: [number, string | undefined][] } {
  const progress: [number, string | undefined][] = [];
  const ctx: ExecContext = {
    issue: 7,
    issueTitle: "Build the thing",
    issueBody: "Please build the thing.\n\n- [ ] Add the API",
    node: "node-a",
    attempt: 1,
    signal: new AbortController().signal,
    onProgress: (percent, note) => progress.push([percent, note]),
    depBranches: [],
    ...overrides,
  };
  return { ctx, progress };
}

/** Runs a command, throws with its output when it fails, returns stdout trimmed. */
export async function run(cmd: string, args: string[], cwd: string): Promise<string> {
  const out = await new Deno.Command(cmd, {
    args,
    cwd,
    env: { ...GIT_ENV },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  if (out.code !== 0) {
    throw new Error(
      `${cmd} ${args.join(" ")} failed (${out.code}): ${text.decode(out.stderr)}${
        text.decode(out.stdout)
      }`,
    );
  }
  return text.decode(out.stdout).trim();
}

/** Runs git in `cwd` (isolated configuration). */
export function gitIn(cwd: string, ...args: string[]): Promise<string> {
  return run("git", args, cwd);
}

/**
 * A bare repository `remote.git` with one commit on `main` (README.md) and a
 * clone of it, `clone`, whose `origin` is the bare repository.
 */
export async function setupRemote(root: string): Promise<{ bare: string; clone: string }> {
  const bare = join(root, "remote.git");
  const seed = join(root, "seed");
  const clone = join(root, "clone");
  await run("git", ["init", "--quiet", "--bare", "-b", "main", bare], root);
  await run("git", ["init", "--quiet", "-b", "main", seed], root);
  await Deno.writeTextFile(join(seed, "README.md"), "# Test repository\n");
  await gitIn(seed, "add", "README.md");
  await gitIn(seed, "commit", "--quiet", "-m", "Initial commit");
  await gitIn(seed, "push", "--quiet", bare, "main");
  await run("git", ["clone", "--quiet", bare, clone], root);
  return { bare, clone };
}

/** Whether a process is gone: `kill -0` fails, or only a zombie is left. */
export async function processGone(pid: number): Promise<boolean> {
  const probe = await new Deno.Command("sh", {
    args: ["-c", `kill -0 ${pid}`],
    stdout: "null",
    stderr: "null",
  }).output();
  if (probe.code !== 0) return true;
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    // Field 3, after the parenthesised command name, is the state.
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch {
    return true;
  }
}

/**
 * Waits until a process is gone, polling; false when it is still there after
 * a generous bound (a test failure, not a timing assertion).
 */
export async function waitGone(pid: number, boundMs = 15_000): Promise<boolean> {
  for (let waited = 0; waited <= boundMs; waited += 50) {
    if (await processGone(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

/** Reads a pid file once it has a number in it. */
export async function readPid(path: string, boundMs = 15_000): Promise<number> {
  for (let waited = 0; waited <= boundMs; waited += 25) {
    try {
      const pid = Number((await Deno.readTextFile(path)).trim());
      if (Number.isInteger(pid) && pid > 0) return pid;
    } catch {
      // Not written yet.
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`No pid in "${path}".`);
}

/** Copies the fake claude into `dir` as an executable and returns its path. */
export async function installFakeClaude(dir: string): Promise<string> {
  const target = join(dir, "claude");
  await Deno.copyFile(new URL("./fixtures/fake-claude", import.meta.url), target);
  await Deno.chmod(target, 0o755);
  return target;
}
