/**
 * Stopping a process group: a child spawned `detached` (its own group, via
 * setsid) and everything it started get `SIGTERM`, then `SIGKILL` after a
 * grace period. Shared by the executors and the planners that run commands.
 *
 * @module
 */

/**
 * Sends a signal to every process of a group; `false` when the group is empty.
 *
 * @example
 * ```ts
 * signalGroup(12345, "SIGTERM");
 * ```
 */
export function signalGroup(pgid: number, signal: Deno.Signal): boolean {
  try {
    Deno.kill(-pgid, signal);
    return true;
  } catch {
    // ESRCH: nothing left in the group (or it was never ours: EPERM).
    return false;
  }
}

/** A sleep that can be cancelled, leaving no timer behind. */
function cancellableSleep(ms: number): { done: Promise<void>; cancel(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let resolve: () => void = () => {};
  const done = new Promise<void>((r) => {
    resolve = r;
    timer = setTimeout(r, Math.max(0, ms));
  });
  return {
    done,
    cancel() {
      clearTimeout(timer);
      resolve();
    },
  };
}

/**
 * Waits for `promise` at most `ms`; true when it settled in time.
 *
 * @example
 * ```ts
 * await settlesWithin(child.status, 2_000);
 * ```
 */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  const sleep = cancellableSleep(ms);
  let settled = false;
  await Promise.race([
    promise.then(() => (settled = true), () => (settled = true)),
    sleep.done,
  ]);
  sleep.cancel();
  return settled;
}

/**
 * Stops a process group: `SIGTERM`, then `SIGKILL` once `graceMs` passed
 * without `gone` settling. Returns when the group was told to die.
 *
 * @example
 * ```ts
 * await stopGroup(child.pid, 3_000, child.status);
 * ```
 */
export async function stopGroup(
  pgid: number,
  graceMs: number,
  gone: Promise<unknown>,
): Promise<void> {
  if (!signalGroup(pgid, "SIGTERM")) return;
  await settlesWithin(gone, graceMs);
  // Whatever ignored SIGTERM (or closed its pipes and lingers) goes now.
  signalGroup(pgid, "SIGKILL");
}
