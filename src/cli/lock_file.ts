/**
 * A lock file that stops two `watch` runs from overlapping (a cron job that
 * fires while the last one still works). The file holds the holder's pid and
 * host; a lock whose process is gone (on this host) is taken over.
 *
 * @module
 */
import process from "node:process";

/** Who holds a lock. */
export interface LockHolder {
  pid: number;
  host: string;
  since: string;
}

/** A held lock. */
export interface HeldLock {
  path: string;
  /** Removes the lock file (only if it is still ours). */
  release(): Promise<void>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0); // signal 0: only checks that the process exists
    return true;
  } catch (error) {
    return (error as { code?: string }).code === "EPERM";
  }
}

/**
 * Takes the lock at `path`, or says who holds it.
 *
 * @example
 * ```ts
 * const lock = await acquireLock("/tmp/p2p-dev-watch.lock");
 * if ("release" in lock) try { work(); } finally { await lock.release(); }
 * ```
 */
export async function acquireLock(
  path: string,
  me: { pid: number; host: string } = { pid: Deno.pid, host: Deno.hostname() },
): Promise<HeldLock | { heldBy: LockHolder }> {
  const holder: LockHolder = { ...me, since: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await Deno.writeTextFile(path, JSON.stringify(holder) + "\n", { createNew: true });
      return {
        path,
        release: async () => {
          const now = await readHolder(path);
          if (now && now.pid === me.pid && now.host === me.host) {
            await Deno.remove(path).catch(() => {});
          }
        },
      };
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    }
    const current = await readHolder(path);
    const stale = !current || (current.host === me.host && !alive(current.pid));
    if (!stale) return { heldBy: current };
    await Deno.remove(path).catch(() => {}); // its holder is gone: take it over
  }
  const current = await readHolder(path);
  return { heldBy: current ?? { pid: 0, host: "?", since: "?" } };
}

async function readHolder(path: string): Promise<LockHolder | undefined> {
  try {
    const data = JSON.parse(await Deno.readTextFile(path));
    return typeof data?.pid === "number" && typeof data?.host === "string" ? data : undefined;
  } catch {
    return undefined;
  }
}
