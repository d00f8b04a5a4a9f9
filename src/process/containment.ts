/**
 * Containment of task processes: everything a task (or a planner command)
 * started ends with it, and what a killed node left running is ended by the
 * node's next run.
 *
 * Three layers, because each alone has a gap:
 *
 * 1. **Process group.** A child is spawned as the leader of a process group
 *    of its own (`setsid`); stopping it signals the whole group, and when it
 *    exits, what it left in the group (`sleep 1000 &`, a dev server) is
 *    stopped too (see `stop_group.ts`). A process that calls `setsid` itself
 *    (a daemon, `setsid sleep 123 &`) leaves the group.
 * 2. **A tag in the environment.** Every child gets `P2P_TASK_TAG=<random>`,
 *    which its descendants inherit, daemons included. When the child's run
 *    ends, every process whose environment holds the tag gets `SIGTERM`,
 *    then `SIGKILL` after the grace period, round after round until none is
 *    left (so that a process forking during the sweep is caught). On Linux
 *    the environment of a process is read from `/proc/<pid>/environ`
 *    (readable for the user's own processes; root reads all), so this works
 *    on a laptop and as root in CI alike. A process that clears its
 *    environment on purpose escapes: this is containment of ordinary tools,
 *    not a sandbox.
 * 3. **A record in the node's state folder.** Before a child starts, a file
 *    `<state>/processes/<tag>.json` names the tag, the node process that owns
 *    it (pid and start time) and, once spawned, the child's process group. It
 *    is removed when the run's processes are gone. A node killed with
 *    `SIGKILL` cannot clean up; its next run (any node using the same state
 *    folder) calls {@linkcode Containment.reapOrphans} at start-up, which
 *    ends the processes of every record whose owner is no longer running.
 *
 * On macOS there is no `/proc`: layer 2 is not available, so processes that
 * left the task's process group (their own `setsid`) are not found; layer 3
 * stops the recorded process group when its leader still runs (identified by
 * pid and start time, so a reused pid is never signalled).
 *
 * @module
 */
import { join } from "node:path";
import { type ProcessIdentity, type ProcTable, procTable } from "./proc_table.ts";
import { signalGroup } from "./stop_group.ts";

/**
 * The variable that tags every process of one contained run.
 *
 * @example
 * ```ts
 * run.env[TASK_TAG_VAR]; // the run's tag
 * ```
 */
export const TASK_TAG_VAR = "P2P_TASK_TAG";

/** Rounds of `SIGKILL` after the grace period, each after a fresh search. */
const KILL_ROUNDS = 10;

/** How often a stop checks whether the processes it signalled are gone. */
const POLL_MS = 50;

/**
 * Options of {@linkcode Containment}.
 *
 * @example
 * ```ts
 * const c = new Containment({ stateDir: "/home/me/.local/state/p2p-dev", ownerPid: Deno.pid });
 * ```
 */
export interface ContainmentOptions {
  /** The node's state folder; without it nothing is recorded (and nothing can be reaped after a crash). */
  stateDir?: string;
  /** The pid of the node process that owns the runs (the recorded owner). */
  ownerPid?: number;
  /** The process table; default: this system's (see `proc_table.ts`). */
  table?: ProcTable;
}

/**
 * What one record in the state folder holds.
 *
 * @example
 * ```ts
 * const r: ContainmentRecord = { v: 1, tag: "ab12", label: "task T1", owner: { pid: 10, start: "5" } };
 * ```
 */
export interface ContainmentRecord {
  v: 1;
  tag: string;
  label: string;
  owner?: ProcessIdentity;
  /** The child, leader of its own process group. */
  group?: ProcessIdentity;
}

/**
 * What {@linkcode Containment.reapOrphans} did.
 *
 * @example
 * ```ts
 * const { records, processes } = await containment.reapOrphans();
 * ```
 */
export interface ReapReport {
  /** Records of runs whose node is gone. */
  records: number;
  /** Processes found and stopped. */
  processes: number;
  /** Labels of those runs (`task T1 attempt 2 of issue 7`). */
  labels: string[];
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Finds the processes tagged `tag` and stops them: `SIGTERM`, then `SIGKILL`
 * for those still there after `graceMs`, then fresh searches and `SIGKILL`
 * until none is left. Returns how many were found; `undefined` when this
 * system cannot search by environment.
 *
 * @example
 * ```ts
 * await stopTagged(await procTable(), run.tag, 3_000);
 * ```
 */
export async function stopTagged(
  table: ProcTable,
  tag: string,
  graceMs: number,
): Promise<number | undefined> {
  const first = await table.withEnv(TASK_TAG_VAR, tag);
  if (first === undefined) return undefined;
  if (first.length === 0) return 0;
  const seen = new Set<number>(first);
  const ids = (await Promise.all(
    first.map(async (pid) => ({ pid, start: await table.startOf(pid) })),
  )).filter((p): p is ProcessIdentity => p.start !== undefined);
  for (const p of ids) kill(p.pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  let alive = ids;
  while (alive.length > 0 && Date.now() < deadline) {
    await sleep(Math.min(POLL_MS, Math.max(0, deadline - Date.now())));
    alive = (await Promise.all(alive.map(async (p) => (await table.isAlive(p)) ? p : undefined)))
      .filter((p): p is ProcessIdentity => p !== undefined);
  }
  for (const p of alive) kill(p.pid, "SIGKILL");
  for (let round = 0; round < KILL_ROUNDS; round++) {
    const left = await table.withEnv(TASK_TAG_VAR, tag) ?? [];
    const running = (await Promise.all(
      left.map(async (pid) => (await table.startOf(pid)) !== undefined ? pid : undefined),
    )).filter((pid): pid is number => pid !== undefined);
    if (running.length === 0) break;
    for (const pid of running) {
      seen.add(pid);
      kill(pid, "SIGKILL");
    }
    await sleep(POLL_MS);
  }
  return seen.size;
}

function kill(pid: number, signal: Deno.Signal): void {
  try {
    Deno.kill(pid, signal);
  } catch {
    // Gone already, or not ours.
  }
}

/**
 * One contained run: its tag (to put in the child's environment), its record,
 * and the final sweep.
 *
 * @example
 * ```ts
 * const run = await containment.begin("task T1");
 * const child = new Deno.Command("sh", { env: { ...env, ...run.env }, detached: true }).spawn();
 * await run.attach(child.pid);
 * await child.status;
 * await run.end(3_000);
 * ```
 */
export class ContainedRun {
  /** The random tag of this run. */
  readonly tag: string;
  readonly #containment: Containment;
  readonly #record: ContainmentRecord;

  /** Use {@linkcode Containment.begin}. */
  constructor(containment: Containment, record: ContainmentRecord) {
    this.#containment = containment;
    this.#record = record;
    this.tag = record.tag;
  }

  /** The variables to add to the child's environment. */
  get env(): Record<string, string> {
    return { [TASK_TAG_VAR]: this.tag };
  }

  /** Records the spawned child (leader of its process group). */
  async attach(pid: number): Promise<void> {
    const table = await this.#containment.table();
    const start = await table.startOf(pid);
    if (start !== undefined) this.#record.group = { pid, start };
    await this.#containment.write(this.#record);
  }

  /**
   * Stops every process still carrying the tag (see {@linkcode stopTagged})
   * and removes the record. Returns how many processes were found.
   */
  async end(graceMs: number): Promise<number> {
    const table = await this.#containment.table();
    const found = await stopTagged(table, this.tag, graceMs) ?? 0;
    await this.#containment.remove(this.tag);
    return found;
  }
}

/**
 * Tags, records and sweeps the processes of task and planner runs; see the
 * module documentation.
 *
 * @example
 * ```ts
 * const containment = new Containment({ stateDir, ownerPid: Deno.pid });
 * const report = await containment.reapOrphans(); // at start-up
 * ```
 */
export class Containment {
  readonly #options: ContainmentOptions;
  #table: ProcTable | undefined;
  #owner: Promise<ProcessIdentity | undefined> | undefined;

  /** See {@linkcode ContainmentOptions}. */
  constructor(options: ContainmentOptions = {}) {
    this.#options = options;
    this.#table = options.table;
  }

  /** The folder holding the records, when there is a state folder. */
  get recordDir(): string | undefined {
    return this.#options.stateDir === undefined
      ? undefined
      : join(this.#options.stateDir, "processes");
  }

  /** The process table in use. */
  async table(): Promise<ProcTable> {
    return this.#table ??= await procTable();
  }

  #ownerIdentity(): Promise<ProcessIdentity | undefined> {
    const pid = this.#options.ownerPid;
    return this.#owner ??= pid === undefined
      ? Promise.resolve(undefined)
      : this.table().then((t) => t.startOf(pid)).then((start) =>
        start === undefined ? undefined : { pid, start }
      );
  }

  /** Starts a run: a fresh tag and, with a state folder, its record (written before the child exists). */
  async begin(label: string): Promise<ContainedRun> {
    const tag = crypto.randomUUID().replaceAll("-", "");
    const owner = await this.#ownerIdentity();
    const record: ContainmentRecord = { v: 1, tag, label, ...(owner ? { owner } : {}) };
    await this.write(record);
    return new ContainedRun(this, record);
  }

  /**
   * Writes a record (atomically: a temporary file, then a rename). Best
   * effort: a state folder that cannot be written (a read-only home) costs
   * the record, never the task.
   */
  async write(record: ContainmentRecord): Promise<void> {
    const dir = this.recordDir;
    if (dir === undefined) return;
    const path = join(dir, `${record.tag}.json`);
    const temp = `${path}.${crypto.randomUUID()}.tmp`;
    try {
      await Deno.mkdir(dir, { recursive: true });
      await Deno.writeTextFile(temp, JSON.stringify(record) + "\n");
      await Deno.rename(temp, path);
    } catch {
      await Deno.remove(temp).catch(() => {});
    }
  }

  /** Removes a record. */
  async remove(tag: string): Promise<void> {
    const dir = this.recordDir;
    if (dir === undefined) return;
    await Deno.remove(join(dir, `${tag}.json`)).catch(() => {});
  }

  /**
   * Ends the processes of every recorded run whose owning node no longer
   * runs (it was killed before it could clean up), and removes those
   * records. Runs owned by a live node, this one or another sharing the
   * state folder, are left alone. Unreadable records are removed.
   */
  async reapOrphans(graceMs = 3_000): Promise<ReapReport> {
    const report: ReapReport = { records: 0, processes: 0, labels: [] };
    const dir = this.recordDir;
    if (dir === undefined) return report;
    const table = await this.table();
    const entries: string[] = [];
    try {
      for await (const e of Deno.readDir(dir)) {
        if (e.isFile && e.name.endsWith(".json")) entries.push(e.name);
      }
    } catch {
      // No folder yet (nothing was ever recorded), or one we may not read.
      return report;
    }
    for (const name of entries.sort()) {
      const path = join(dir, name);
      let record: ContainmentRecord;
      try {
        record = JSON.parse(await Deno.readTextFile(path));
        if (typeof record?.tag !== "string" || !/^[0-9a-f]{32}$/.test(record.tag)) {
          throw new TypeError("not a record");
        }
      } catch {
        await Deno.remove(path).catch(() => {});
        continue;
      }
      if (record.owner && await table.isAlive(record.owner)) continue;
      report.records++;
      report.labels.push(record.label);
      const found = await stopTagged(table, record.tag, graceMs);
      if (found !== undefined) {
        report.processes += found;
      } else if (record.group && await table.isAlive(record.group)) {
        // No search by environment here: the recorded group, while its
        // leader (the same process, by start time) still runs.
        signalGroup(record.group.pid, "SIGKILL");
        report.processes++;
      }
      await Deno.remove(path).catch(() => {});
    }
    return report;
  }
}

/**
 * The default state folder of a node: `$P2P_STATE_DIR`, else
 * `$XDG_STATE_HOME/p2p-dev`, else `$HOME/.local/state/p2p-dev`, else
 * `undefined` (no home: nothing is recorded).
 *
 * @example
 * ```ts
 * defaultStateDir({ HOME: "/home/me" }); // "/home/me/.local/state/p2p-dev"
 * ```
 */
export function defaultStateDir(
  env: Readonly<Record<string, string | undefined>>,
): string | undefined {
  if (env.P2P_STATE_DIR) return env.P2P_STATE_DIR;
  if (env.XDG_STATE_HOME) return join(env.XDG_STATE_HOME, "p2p-dev");
  if (env.HOME) return join(env.HOME, ".local", "state", "p2p-dev");
  return undefined;
}

/**
 * The containment used when none is given: tags and sweeps, records nothing.
 *
 * @example
 * ```ts
 * const run = await DEFAULT_CONTAINMENT.begin("planner");
 * ```
 */
export const DEFAULT_CONTAINMENT: Containment = new Containment();
