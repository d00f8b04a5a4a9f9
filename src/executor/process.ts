/**
 * Runs a child process in a process group of its own, so that stopping it
 * (abort, timeout) stops everything it started, grandchildren included.
 *
 * The child is spawned with `detached: true`, which on Unix makes it the
 * leader of a new session and process group (`setsid`), so its process group
 * id equals its pid. Stopping sends `SIGTERM` to the whole group (`kill(-pid)`),
 * then `SIGKILL` after a grace period. When the child exits on its own, what
 * it left running in its group (a `sleep 1000 &`, a dev server) is stopped
 * the same way: a task's processes never outlive the task, and they cannot
 * keep our output pipes open forever. Processes that left the group (their
 * own `setsid`, a daemon) are found by the run's tag and stopped too, and
 * the run is recorded in the node's state folder while it lasts (see
 * `src/process/containment.ts`).
 *
 * The child's environment is exactly `env` plus the run's tag: nothing of
 * this process's environment is inherited (see `src/process/child_env.ts`).
 *
 * @module
 */
import { type Containment, DEFAULT_CONTAINMENT } from "../process/containment.ts";
import { settlesWithin, stopGroup } from "../process/stop_group.ts";
import { redactor, tailText } from "./redact.ts";

/**
 * Default time between `SIGTERM` and `SIGKILL`.
 *
 * @example
 * ```ts
 * runProcessGroup({ ...opts, killGraceMs: DEFAULT_KILL_GRACE_MS });
 * ```
 */
export const DEFAULT_KILL_GRACE_MS = 3_000;

/** Longest line passed to a line callback; longer runs are split. */
const MAX_LINE_CHARS = 1_048_576;

/**
 * How a process run ended, when it was stopped by us.
 *
 * @example
 * ```ts
 * if (result.stopped === "timeout") retryLater();
 * ```
 */
export type StopReason = "timeout" | "abort";

/**
 * Options of {@linkcode runProcessGroup}.
 *
 * @example
 * ```ts
 * const opts: ProcessGroupOptions = { command: "sh", args: ["-c", "make"], cwd: "/w", signal };
 * ```
 */
export interface ProcessGroupOptions {
  /** Executable (looked up on `PATH`) and its arguments. */
  command: string;
  args: readonly string[];
  cwd: string;
  /**
   * The child's whole environment (nothing is inherited); build it with
   * `childEnv`. Without it the child gets only the run's tag.
   */
  env?: Readonly<Record<string, string>>;
  /** Tags, records and sweeps the run's processes; default: tag and sweep, no record. */
  containment?: Containment;
  /** Names the run in its record (`task T1 attempt 2 of issue 7`). */
  label?: string;
  /** Written to standard input, which is then closed; without it stdin is `/dev/null`. */
  stdin?: string;
  /** Aborting stops the process group. */
  signal: AbortSignal;
  /** Stop the process group after this long. */
  timeoutMs?: number;
  /** Time between `SIGTERM` and `SIGKILL`; default {@linkcode DEFAULT_KILL_GRACE_MS}. */
  killGraceMs?: number;
  /** Called with every line of standard output (without the newline). */
  onStdoutLine?: (line: string) => void;
  /** Called with every line of standard error (without the newline). */
  onStderrLine?: (line: string) => void;
}

/**
 * What {@linkcode runProcessGroup} reports.
 *
 * @example
 * ```ts
 * const { code, stopped } = await runProcessGroup(opts);
 * ```
 */
export interface ProcessGroupResult {
  /** Exit code; `128 + n` when the child was ended by signal `n`. */
  code: number;
  /** The signal that ended the child, if any. */
  signal: Deno.Signal | null;
  /** Set when we stopped the process: the timeout elapsed or the signal aborted. */
  stopped?: StopReason;
  /** The abort signal's reason, when `stopped` is `"abort"`. */
  abortReason?: unknown;
  /** The process group id (the child's pid), e.g. for diagnostics. */
  pid: number;
  /** Wall time from spawn to exit. */
  durationMs: number;
}

/** Reads a stream as text lines; resolves when it ends. `cancel()` stops reading. */
function readLines(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void,
): { done: Promise<void>; cancel(): void } {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  const emit = (line: string) => {
    try {
      onLine(line);
    } catch {
      // A failing callback must not stop the draining: a child blocked on a
      // full pipe would hang until the timeout.
    }
  };
  const done = (async () => {
    let pending = "";
    try {
      while (true) {
        const { value, done } = await reader.read();
        if (done) break;
        pending += value;
        let newline: number;
        while ((newline = pending.indexOf("\n")) >= 0) {
          emit(pending.slice(0, newline).replace(/\r$/, ""));
          pending = pending.slice(newline + 1);
        }
        while (pending.length > MAX_LINE_CHARS) {
          emit(pending.slice(0, MAX_LINE_CHARS));
          pending = pending.slice(MAX_LINE_CHARS);
        }
      }
    } catch {
      // Cancelled, or the pipe broke: what was read so far counts.
    }
    if (pending.length > 0) emit(pending.replace(/\r$/, ""));
  })();
  return {
    done,
    cancel: () => {
      reader.cancel().catch(() => {});
    },
  };
}

/**
 * Runs a command in its own process group and waits until it and everything it
 * started are gone (or were sent `SIGKILL`).
 *
 * Never rejects because of the child: a timeout or abort is reported in
 * `stopped`. Rejects when the command cannot be started (for example
 * `Deno.errors.NotFound` for a missing executable).
 *
 * @example
 * ```ts
 * const r = await runProcessGroup({
 *   command: "sh", args: ["-c", "echo hi"], cwd: "/tmp",
 *   signal: new AbortController().signal, onStdoutLine: (l) => lines.push(l),
 * });
 * r.code; // 0
 * ```
 */
export async function runProcessGroup(opts: ProcessGroupOptions): Promise<ProcessGroupResult> {
  const graceMs = opts.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  const started = Date.now();
  const contained = await (opts.containment ?? DEFAULT_CONTAINMENT).begin(
    opts.label ?? opts.command,
  );
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(opts.command, {
      args: [...opts.args],
      cwd: opts.cwd,
      env: { ...opts.env, ...contained.env },
      clearEnv: true,
      stdin: opts.stdin === undefined ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
      detached: true,
    }).spawn();
  } catch (error) {
    await contained.end(0);
    throw error;
  }
  const pid = child.pid;
  // Recorded before anything else happens (a few milliseconds; the pipes buffer meanwhile).
  await contained.attach(pid).catch(() => {});

  const stdout = readLines(child.stdout, opts.onStdoutLine ?? (() => {}));
  const stderr = readLines(child.stderr, opts.onStderrLine ?? (() => {}));
  const outputDone = Promise.all([stdout.done, stderr.done]);

  let stdinDone: Promise<void> = Promise.resolve();
  if (opts.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    // A command that never reads stdin must not block us: write in the
    // background and ignore a broken pipe.
    stdinDone = writer.write(new TextEncoder().encode(opts.stdin))
      .then(() => writer.close())
      .catch(() => {})
      .finally(() => writer.releaseLock());
  }

  let stopped: StopReason | undefined;
  let stopping: Promise<void> | undefined;
  const stop = (why: StopReason) => {
    if (stopped) return;
    stopped = why;
    // Grace ends early once the child exited and every pipe closed.
    stopping = stopGroup(pid, graceMs, Promise.all([child.status, outputDone]));
  };
  const onAbort = () => stop("abort");
  if (opts.signal.aborted) onAbort();
  else opts.signal.addEventListener("abort", onAbort, { once: true });
  const timer = opts.timeoutMs === undefined
    ? undefined
    : setTimeout(() => stop("timeout"), Math.max(0, opts.timeoutMs));

  const status = await child.status;
  clearTimeout(timer);
  opts.signal.removeEventListener("abort", onAbort);
  await stopping;
  // Stragglers the child left in its group: stop them, giving them the same
  // grace to exit cleanly (their exit closes our pipes).
  await stopGroup(pid, graceMs, outputDone);
  // Processes that left the group (their own setsid) still carry the tag.
  await contained.end(graceMs).catch(() => {});
  // One we could not find (no /proc) may still hold a pipe.
  if (!(await settlesWithin(outputDone, graceMs))) {
    stdout.cancel();
    stderr.cancel();
    await outputDone;
  }
  await stdinDone;

  return {
    code: status.code,
    signal: status.signal,
    ...(stopped ? { stopped } : {}),
    ...(stopped === "abort" ? { abortReason: opts.signal.reason } : {}),
    pid,
    durationMs: Date.now() - started,
  };
}

/**
 * A bounded buffer of recent output, from which a redacted tail is taken.
 * Keeps more than it reports, so that redaction sees a secret whole even when
 * the tail's start cuts through old output.
 *
 * @example
 * ```ts
 * const tail = new OutputTail();
 * tail.push("token ghp_abcdefghijklmnopqrstuvwxyz0123\n");
 * tail.text([], 2000); // "token ***\n"
 * ```
 */
export class OutputTail {
  #buffer = "";
  #dropped = false;
  readonly #keep: number;

  /** Keeps the last `keepChars` characters pushed. */
  constructor(keepChars = 65_536) {
    this.#keep = keepChars;
  }

  /** Appends text. */
  push(text: string): void {
    this.#buffer += text;
    if (this.#buffer.length > this.#keep * 2) {
      this.#buffer = this.#buffer.slice(this.#buffer.length - this.#keep);
      this.#dropped = true;
    }
  }

  /** Whether nothing was pushed (or only whitespace). */
  get empty(): boolean {
    return this.#buffer.trim().length === 0;
  }

  /** The last `maxChars` characters, secrets redacted, trimmed of trailing blank lines. */
  text(secrets: readonly string[], maxChars: number): string {
    const clean = redactor(secrets)(this.#buffer).replace(/\s+$/, "");
    const tail = tailText(clean, maxChars);
    return this.#dropped && !tail.startsWith("…") ? "…" + tail : tail;
  }
}

/**
 * Describes an abort reason in a sentence fragment.
 *
 * @example
 * ```ts
 * describeReason(new Error("Lost the claim.")); // "Lost the claim."
 * ```
 */
export function describeReason(reason: unknown): string {
  if (reason instanceof Error) return reason.message;
  if (typeof reason === "string") return reason;
  if (reason === undefined) return "no reason given";
  return String(reason);
}

/**
 * Ends a text with a full stop unless it already ends with punctuation, so
 * that a hint can follow it.
 *
 * @example
 * ```ts
 * endSentence("fatal: not found"); // "fatal: not found."
 * ```
 */
export function endSentence(text: string): string {
  const trimmed = text.trimEnd();
  return /[.!?:]$/.test(trimmed) || trimmed === "" ? trimmed : trimmed + ".";
}
