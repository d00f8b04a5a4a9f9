/**
 * The node's own credentials out of its process environment, so that a task
 * running as the same user cannot read them from `/proc/<node pid>/environ`.
 *
 * A child gets an allowlisted environment (`child_env.ts`), but on Linux any
 * process of the same user may read another's *initial* environment from
 * `/proc/<pid>/environ` (proc(5): the access check is "read" mode ptrace
 * access, which Yama's `ptrace_scope` does not restrict). That file shows the
 * bytes between the `env_start` and `env_end` addresses of the process (fields
 * 50 and 51 of `/proc/<pid>/stat`, proc(5)), and `unsetenv(3)` (what
 * `Deno.env.delete` calls) only drops a pointer to them: the token stays in
 * that file for the life of the process. So at start, after the CLI has taken
 * its copy of the environment, the node:
 *
 * 1. deletes every variable whose name names a secret (`GITHUB_TOKEN`,
 *    `GH_TOKEN`, `P2P_SECRET`, `ANTHROPIC_API_KEY`, an App's private key,
 *    `ACTIONS_RUNTIME_TOKEN`, …) from its environment, so no child it starts
 *    without an explicit environment inherits them either;
 * 2. overwrites those `NAME=value` entries of the initial environment block
 *    with zero bytes, through `/proc/self/mem` (a process may write its own
 *    memory there, proc(5)), so `/proc/<pid>/environ` no longer shows them;
 * 3. marks itself not dumpable (`prctl(PR_SET_DUMPABLE, 0)`, prctl(2), as
 *    `ssh-agent` does): other processes of the same user, not being root,
 *    can then neither open its `/proc/<pid>/environ` or `mem` nor attach a
 *    debugger to it. Children are dumpable again after `execve`, so the
 *    node's containment still reads their environments.
 *
 * Each step is best effort and never fatal: on macOS and other systems
 * without `/proc` only step 1 applies. What stays reachable is documented in
 * `docs/SECURITY.md`: a root process (or a task that can `sudo`, as on GitHub's
 * runners) reads anything, and a parent process that was started with the
 * token (a shell that did not `exec` the node) still holds it.
 *
 * @module
 */
import { isSecretKey } from "../text/secret_key.ts";
import type { EnvRecord } from "./child_env.ts";

/**
 * What {@linkcode sealSecrets} did.
 *
 * @example
 * ```ts
 * const report: SealReport = { names: ["GITHUB_TOKEN"], scrubbed: true, undumpable: true };
 * ```
 */
export interface SealReport {
  /** The variables deleted from the process environment. */
  names: string[];
  /** Whether their entries were overwritten in the initial environment block (`/proc/self/environ`). */
  scrubbed: boolean;
  /** Whether the process is now not dumpable (`PR_SET_DUMPABLE` 0). */
  undumpable: boolean;
}

/**
 * The variables of `env` that {@linkcode sealSecrets} removes: every name
 * that names a secret (`src/text/secret_key.ts`).
 *
 * @example
 * ```ts
 * sealedNames({ PATH: "/bin", GITHUB_TOKEN: "ghs_x", P2P_SECRET: "k" }); // ["GITHUB_TOKEN", "P2P_SECRET"]
 * ```
 */
export function sealedNames(env: EnvRecord): string[] {
  return Object.keys(env).filter((name) => env[name] !== undefined && isSecretKey(name));
}

/**
 * Removes the node's credentials from its own process environment, from
 * `/proc/self/environ` and from other same-user processes' reach (see the
 * module notes). Call it once at start, after taking the copy of the
 * environment the program reads (`Deno.env.toObject()`).
 *
 * @example
 * ```ts
 * const env = Deno.env.toObject();
 * sealSecrets(env); // later children and /proc/<pid>/environ no longer show GITHUB_TOKEN
 * ```
 */
export function sealSecrets(env: EnvRecord): SealReport {
  const names = sealedNames(env);
  // Only with permissions already granted: a step must never make Deno prompt.
  if (granted({ name: "env" })) {
    for (const name of names) Deno.env.delete(name);
  }
  if (Deno.build.os !== "linux") return { names, scrubbed: false, undumpable: false };
  const mem = "/proc/self/mem";
  const scrubbed = granted({ name: "read", path: "/proc/self/stat" }) &&
    granted({ name: "read", path: mem }) && granted({ name: "write", path: mem }) &&
    scrubInitialEnvironment(new Set(names));
  return { names, scrubbed, undumpable: granted({ name: "ffi" }) && setUndumpable() };
}

function granted(descriptor: Deno.PermissionDescriptor): boolean {
  try {
    return Deno.permissions.querySync(descriptor).state === "granted";
  } catch {
    return false;
  }
}

/** Overwrites the `NAME=value` entries of `names` in this process's initial environment block. */
function scrubInitialEnvironment(names: ReadonlySet<string>): boolean {
  if (names.size === 0) return true;
  try {
    const stat = Deno.readTextFileSync("/proc/self/stat");
    // Fields after the command name (which may hold spaces) start at field 3.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const start = Number(fields[50 - 3]);
    const end = Number(fields[51 - 3]);
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end <= start) return false;
    const mem = Deno.openSync("/proc/self/mem", { read: true, write: true });
    try {
      const block = new Uint8Array(end - start);
      mem.seekSync(start, Deno.SeekMode.Start);
      let read = 0;
      while (read < block.length) {
        const n = mem.readSync(block.subarray(read));
        if (n === null || n === 0) break;
        read += n;
      }
      let changed = false;
      let entry = 0;
      const decoder = new TextDecoder();
      for (let i = 0; i <= read; i++) {
        if (i < read && block[i] !== 0) continue;
        const eq = block.subarray(entry, i).indexOf(61); // "="
        if (eq > 0 && names.has(decoder.decode(block.subarray(entry, entry + eq)))) {
          block.fill(0, entry, i);
          changed = true;
        }
        entry = i + 1;
      }
      if (!changed) return true;
      mem.seekSync(start, Deno.SeekMode.Start);
      let written = 0;
      while (written < read) written += mem.writeSync(block.subarray(written, read));
      return true;
    } finally {
      mem.close();
    }
  } catch {
    return false;
  }
}

/** `prctl(PR_SET_DUMPABLE, 0)` through glibc; false where FFI or glibc is not available. */
function setUndumpable(): boolean {
  const PR_SET_DUMPABLE = 4;
  try {
    const libc = Deno.dlopen("libc.so.6", {
      prctl: { parameters: ["i32", "u64", "u64", "u64", "u64"], result: "i32" },
    });
    try {
      return libc.symbols.prctl(PR_SET_DUMPABLE, 0n, 0n, 0n, 0n) === 0;
    } finally {
      libc.close();
    }
  } catch {
    return false;
  }
}
