/**
 * Runs a planner subprocess with input on stdin, bounded output, a timeout
 * and an abort signal. The child runs in its own process group, so stopping
 * it also stops whatever it started (`sh -c "a | b"`, a tool's helpers);
 * when it ends, what it left behind (in its group, or tagged by its run:
 * see `src/process/containment.ts`) is stopped too. Its environment is
 * exactly `env` (nothing is inherited; see `src/process/child_env.ts`).
 *
 * @module
 */
import { type Containment, DEFAULT_CONTAINMENT } from "../process/containment.ts";
import { stopGroup } from "../process/stop_group.ts";

/**
 * Options of {@linkcode runProcess}.
 *
 * @example
 * ```ts
 * const opts: RunProcessOptions = { cmd: "sh", args: ["-c", "cat"], stdin: "hi", timeoutMs: 5000 };
 * ```
 */
export interface RunProcessOptions {
  /** Executable (looked up on `PATH` when it has no `/`). */
  cmd: string;
  /** Arguments, passed as they are (no shell). */
  args?: string[];
  /** Text written to the child's stdin, which is then closed. */
  stdin?: string;
  /** Stop the child after this long; the run then rejects with a `TimeoutError`. */
  timeoutMs?: number;
  /** Stop the child when aborted; the run then rejects with the signal's reason. */
  signal?: AbortSignal;
  /** The child's whole environment (nothing is inherited); build it with `childEnv`. */
  env?: Readonly<Record<string, string>>;
  /** Tags, records and sweeps the run's processes; default: tag and sweep, no record. */
  containment?: Containment;
  /** Names the run in its record. */
  label?: string;
  /** Working directory of the child. */
  cwd?: string;
  /** Stdout beyond this many bytes fails the run (default 8 MiB). */
  maxStdoutBytes?: number;
  /** Grace period between SIGTERM and SIGKILL (default 2 s). */
  killGraceMs?: number;
}

/**
 * How a subprocess ended.
 *
 * @example
 * ```ts
 * const r: RunProcessResult = { code: 0, signal: null, stdout: "[]", stderr: "" };
 * ```
 */
export interface RunProcessResult {
  /** Exit code (128 + n when killed by signal n). */
  code: number;
  /** The signal that ended the child, if one did. */
  signal: Deno.Signal | null;
  /** Everything printed on stdout. */
  stdout: string;
  /** The last 64 KiB of stderr. */
  stderr: string;
}

const STDERR_KEEP = 64 * 1024;

/** Reads a stream to the end, keeping the first `max` bytes (or the last, with `tail`). */
async function collect(
  stream: ReadableStream<Uint8Array>,
  max: number,
  tail: boolean,
  readers: ReadableStreamDefaultReader<Uint8Array>[],
): Promise<{ bytes: Uint8Array; overflow: boolean }> {
  const reader = stream.getReader();
  readers.push(reader);
  const chunks: Uint8Array[] = [];
  let size = 0;
  let overflow = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
      if (size > max) {
        overflow = true;
        if (tail) {
          while (chunks.length > 1 && size - chunks[0]!.length >= max) {
            size -= chunks.shift()!.length;
          }
        } else {
          // Keep reading to let the child finish, but stop storing.
          chunks.length = 0;
          size = 0;
          for (;;) if ((await reader.read()).done) break;
          break;
        }
      }
    }
  } catch {
    // Cancelled after a stop: what was read so far is all there is.
  } finally {
    reader.releaseLock();
  }
  const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  return { bytes: tail && bytes.length > max ? bytes.slice(bytes.length - max) : bytes, overflow };
}

/**
 * Runs a subprocess to completion and returns its exit status and output.
 * Rejects with a `DOMException` named `TimeoutError` after `timeoutMs`, with
 * `signal.reason` when `signal` aborts (the child's process group is sent
 * SIGTERM, then SIGKILL after a grace period), with a `RangeError` when
 * stdout exceeds `maxStdoutBytes`, and with `Deno.errors.NotFound` when the
 * executable does not exist.
 *
 * @example
 * ```ts
 * const r = await runProcess({ cmd: "sh", args: ["-c", "cat"], stdin: "hi", timeoutMs: 5000 });
 * // r.stdout === "hi", r.code === 0
 * ```
 */
export async function runProcess(opts: RunProcessOptions): Promise<RunProcessResult> {
  opts.signal?.throwIfAborted();
  const maxStdout = opts.maxStdoutBytes ?? 8 * 1024 * 1024;
  const stop = new AbortController();
  const onAbort = () => stop.abort(opts.signal!.reason);
  opts.signal?.addEventListener("abort", onAbort, { once: true });
  const timer = opts.timeoutMs === undefined ? undefined : setTimeout(() => {
    stop.abort(
      new DOMException(`The process ran longer than ${opts.timeoutMs} ms.`, "TimeoutError"),
    );
  }, opts.timeoutMs);
  const grace = opts.killGraceMs ?? 2000;
  const contained = await (opts.containment ?? DEFAULT_CONTAINMENT).begin(opts.label ?? opts.cmd);
  try {
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(opts.cmd, {
        args: opts.args ?? [],
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
        // Its own process group (setsid), so that a stop reaches grandchildren.
        detached: true,
        env: { ...opts.env, ...contained.env },
        clearEnv: true,
        ...(opts.cwd ? { cwd: opts.cwd } : {}),
      }).spawn();
    } catch (error) {
      await contained.end(0).catch(() => {});
      throw error;
    }
    await contained.attach(child.pid).catch(() => {});
    const readers: ReadableStreamDefaultReader<Uint8Array>[] = [];
    const writing = (async () => {
      const w = child.stdin.getWriter();
      try {
        if (opts.stdin) await w.write(new TextEncoder().encode(opts.stdin));
        await w.close();
      } catch {
        // The child may exit without reading its input: that is its business.
        await w.abort().catch(() => {});
      }
    })();
    const out = collect(child.stdout, maxStdout, false, readers);
    const err = collect(child.stderr, STDERR_KEEP, true, readers);
    const finished = Promise.all([child.status, out, err, writing]);

    let stopped = false;
    const stopping = new Promise<void>((resolve) => {
      if (stop.signal.aborted) resolve();
      stop.signal.addEventListener("abort", () => resolve(), { once: true });
    });
    const exited = child.status.then(() => "exited" as const);
    const first = await Promise.race([exited, stopping]);
    if (first !== "exited") {
      stopped = true;
      await stopGroup(child.pid, grace, child.status);
      await child.status;
    } else {
      // What the child left in its group (it may hold our pipes open).
      await stopGroup(child.pid, grace, finished);
    }
    // And what left the group, found by the run's tag.
    await contained.end(grace).catch(() => {});
    if (stopped) {
      for (const r of readers) await r.cancel().catch(() => {});
      await finished.catch(() => {});
    }
    const [status, o, e] = await finished;
    if (stopped) throw stop.signal.reason;
    if (o.overflow) {
      throw new RangeError(`The process printed more than ${maxStdout} bytes on stdout.`);
    }
    return {
      code: status.code,
      signal: status.signal,
      stdout: new TextDecoder().decode(o.bytes),
      stderr: new TextDecoder().decode(e.bytes),
    };
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener("abort", onAbort);
  }
}
