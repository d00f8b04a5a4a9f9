/**
 * What the operating system says about processes: whether one is still the
 * process we started (not a new one that reuses its pid), and which
 * processes carry a given environment variable.
 *
 * On Linux this reads `/proc`: `/proc/<pid>/stat` (start time, process
 * group) and `/proc/<pid>/environ` (the environment a process was started
 * with, readable for the user's own processes, and for all as root). Where
 * there is no `/proc` (macOS), a process's identity comes from
 * `ps -o lstart= -p <pid>`, and finding processes by environment is not
 * available: callers fall back to process groups alone.
 *
 * @module
 */

/**
 * A process's identity: its pid and when it started (in a unit of the
 * platform's choosing, compared only for equality).
 *
 * @example
 * ```ts
 * const me: ProcessIdentity = { pid: 4242, start: "123456" };
 * ```
 */
export interface ProcessIdentity {
  pid: number;
  start: string;
}

/**
 * Reads processes. {@linkcode procTable} picks the implementation for this
 * system.
 *
 * @example
 * ```ts
 * const table = await procTable();
 * const alive = await table.isAlive({ pid: 1234, start: "987" });
 * ```
 */
export interface ProcTable {
  /** `"proc"` on Linux, `"ps"` elsewhere. */
  readonly kind: "proc" | "ps";
  /** The start time of a running process, `undefined` when there is none with that pid. */
  startOf(pid: number): Promise<string | undefined>;
  /** Whether the process with this identity still runs (same pid, same start time). */
  isAlive(id: ProcessIdentity): Promise<boolean>;
  /**
   * Pids of the processes whose environment holds `name=value`; `undefined`
   * when this system cannot tell.
   */
  withEnv(name: string, value: string): Promise<number[] | undefined>;
}

/** Fields of `/proc/<pid>/stat` after the command name (which may hold spaces and parentheses). */
function statFields(stat: string): string[] {
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

/** `/proc`: Linux. */
class LinuxProcTable implements ProcTable {
  readonly kind = "proc" as const;

  async startOf(pid: number): Promise<string | undefined> {
    try {
      const fields = statFields(await Deno.readTextFile(`/proc/${pid}/stat`));
      // Field 22 of stat(5) is starttime; fields[0] here is field 3 (state).
      // A zombie has exited: it is not running.
      if (fields[0] === "Z") return undefined;
      return fields[19];
    } catch {
      return undefined;
    }
  }

  async isAlive(id: ProcessIdentity): Promise<boolean> {
    return (await this.startOf(id.pid)) === id.start;
  }

  async withEnv(name: string, value: string): Promise<number[]> {
    const needle = new TextEncoder().encode(`${name}=${value}\0`);
    const found: number[] = [];
    for await (const entry of Deno.readDir("/proc")) {
      if (!/^\d+$/.test(entry.name)) continue;
      let environ: Uint8Array;
      try {
        environ = await Deno.readFile(`/proc/${entry.name}/environ`);
      } catch {
        continue; // Gone, or not ours to read.
      }
      if (containsEntry(environ, needle)) found.push(Number(entry.name));
    }
    return found;
  }
}

/** Whether a NUL-separated environment block holds `needle` (which ends with NUL) as a whole entry. */
function containsEntry(block: Uint8Array, needle: Uint8Array): boolean {
  let at = 0;
  while (at < block.length) {
    let match = true;
    for (let i = 0; i < needle.length; i++) {
      if (block[at + i] !== needle[i]) {
        match = false;
        break;
      }
    }
    if (match) return true;
    const next = block.indexOf(0, at);
    if (next < 0) return false;
    at = next + 1;
  }
  return false;
}

/** `ps`: macOS and other systems without `/proc`. */
class PsProcTable implements ProcTable {
  readonly kind = "ps" as const;

  async startOf(pid: number): Promise<string | undefined> {
    try {
      const out = await new Deno.Command("ps", {
        args: ["-o", "lstart=,stat=", "-p", String(pid)],
        stdin: "null",
        stdout: "piped",
        stderr: "null",
      }).output();
      const line = new TextDecoder().decode(out.stdout).trim();
      if (out.code !== 0 || line === "") return undefined;
      const parts = line.split(/\s+/);
      if (parts.at(-1)?.startsWith("Z")) return undefined;
      return parts.slice(0, -1).join(" ");
    } catch {
      return undefined;
    }
  }

  async isAlive(id: ProcessIdentity): Promise<boolean> {
    return (await this.startOf(id.pid)) === id.start;
  }

  withEnv(): Promise<undefined> {
    return Promise.resolve(undefined);
  }
}

let cached: ProcTable | undefined;

/**
 * The process table of this system: `/proc` when it exists, else `ps`.
 * `kind` forces one (tests use it to exercise the `ps` fallback on Linux).
 *
 * @example
 * ```ts
 * const table = await procTable();
 * table.kind; // "proc" on Linux
 * ```
 */
export async function procTable(kind?: "proc" | "ps"): Promise<ProcTable> {
  if (kind === "ps") return new PsProcTable();
  if (kind === "proc") return new LinuxProcTable();
  if (cached) return cached;
  let hasProc = false;
  try {
    hasProc = (await Deno.stat("/proc/self/stat")).isFile;
  } catch {
    hasProc = false;
  }
  cached = hasProc ? new LinuxProcTable() : new PsProcTable();
  return cached;
}
