/**
 * The demo executor, used by `p2p-dev demo`: real, visible, deterministic
 * work without an agent. For each task it writes `tasks/<id>.md` (title,
 * issue, priority, dependencies, body) in the task's directory, reports
 * progress a few times, and commits the file when the directory is a git
 * checkout (the task's worktree under branch or PR delivery).
 *
 * @module
 */
import { dirname, join } from "node:path";
import type { PlanTask } from "../protocol/types.ts";
import type { ExecContext, ExecOutcome, Executor } from "./port.ts";
import { DEFAULT_AUTHOR, git, type GitAuthor, gitIdentityEnv, gitRaw } from "./git.ts";
import { describeReason } from "./process.ts";
import { resolveWorkDir, safeComponent } from "./workdir.ts";

/**
 * Options of {@linkcode demoExecutor}.
 *
 * @example
 * ```ts
 * const opts: DemoExecutorOptions = { workRoot: "/tmp/p2p", delayMs: 100, steps: 3 };
 * ```
 */
export interface DemoExecutorOptions {
  /** Directory for tasks that come without `ctx.workDir`. */
  workRoot: string;
  /** Pause before each progress step; default 300 ms. */
  delayMs?: number;
  /** Number of progress steps before the file is written; default 3. */
  steps?: number;
  /**
   * Waits `ms`; rejects when `signal` aborts. Default: a real timer. Tests and
   * the simulation pass one that returns at once or runs in virtual time.
   */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Commit identity; default {@linkcode DEFAULT_AUTHOR}. */
  author?: GitAuthor;
  /** Extra environment for `git` (tests isolate it from the user's configuration). */
  gitEnv?: Readonly<Record<string, string>>;
  /**
   * Makes chosen attempts fail, to show retries in a demo: return a reason to
   * fail the attempt, or `undefined` to do the work.
   */
  failWhen?: (task: PlanTask, ctx: ExecContext) => string | undefined;
}

/**
 * The file the demo writes for a task, relative to its directory.
 *
 * @example
 * ```ts
 * demoFilePath("T1"); // "tasks/T1.md"
 * ```
 */
export function demoFilePath(taskId: string): string {
  return `tasks/${safeComponent(taskId)}.md`;
}

/**
 * The demo's file content for a task: depends only on the task and the issue
 * number (no time, node or attempt), so every run writes the same bytes.
 *
 * @example
 * ```ts
 * demoFileContent({ id: "T1", title: "Add API", priority: "high", deps: [] }, 7);
 * // "# T1: Add API\n\n- Issue: #7\n- Priority: high\n- Depends on: none\n\n..."
 * ```
 */
export function demoFileContent(task: PlanTask, issue: number): string {
  const lines = [
    `# ${task.id}: ${task.title}`,
    "",
    `- Issue: #${issue}`,
    `- Priority: ${task.priority}`,
    `- Depends on: ${task.deps.length > 0 ? task.deps.join(", ") : "none"}`,
    ...(task.group !== undefined ? [`- Group: ${task.group}`] : []),
    ...(task.estimateHours !== undefined ? [`- Estimate: ${task.estimateHours} h`] : []),
    "",
    "## Task",
    "",
    (task.body ?? task.title).trim(),
    "",
    "---",
    "",
    "Written by the p2p-dev demo executor.",
    "",
  ];
  return lines.join("\n");
}

function realSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Creates the demo executor.
 *
 * Progress goes `0`, then evenly up to just below 100 over `steps` steps,
 * each after `delayMs`. The outcome never rejects: an abort during a pause
 * gives `ok: false` with a summary that says why.
 *
 * @example
 * ```ts
 * const exec = demoExecutor({ workRoot: "/tmp/p2p", delayMs: 0 });
 * const outcome = await exec.run(task, ctx); // writes tasks/<id>.md
 * ```
 */
export function demoExecutor(opts: DemoExecutorOptions): Executor {
  const steps = Math.max(0, Math.floor(opts.steps ?? 3));
  const delayMs = opts.delayMs ?? 300;
  const sleep = opts.sleep ?? realSleep;
  const author = opts.author ?? DEFAULT_AUTHOR;
  return {
    name: "demo",
    async run(task: PlanTask, ctx: ExecContext): Promise<ExecOutcome> {
      const file = demoFilePath(task.id);
      try {
        ctx.onProgress(0, `starting ${task.id}`);
        for (let step = 1; step <= steps; step++) {
          await sleep(delayMs, ctx.signal);
          ctx.signal.throwIfAborted();
          ctx.onProgress(
            Math.floor((step * 100) / (steps + 1)),
            `step ${step} of ${steps}: ${STEP_NOTES[(step - 1) % STEP_NOTES.length]}`,
          );
        }
      } catch (error) {
        return {
          ok: false,
          result: { summary: `Demo task was stopped: ${describeReason(error)}` },
        };
      }
      const failure = opts.failWhen?.(task, ctx);
      if (failure !== undefined) {
        return {
          ok: false,
          result: { summary: `Demo failure (on purpose): ${failure}`, exitCode: 1 },
        };
      }
      const dir = await resolveWorkDir(opts.workRoot, task, ctx);
      const content = demoFileContent(task, ctx.issue);
      const path = join(dir, file);
      await Deno.mkdir(dirname(path), { recursive: true });
      await Deno.writeTextFile(path, content);
      const bytes = new TextEncoder().encode(content).length;
      let summary = `Wrote ${file} (${bytes} bytes).`;
      const inside = await gitRaw(["rev-parse", "--is-inside-work-tree"], dir, {
        ...(opts.gitEnv ? { env: opts.gitEnv } : {}),
      });
      if (inside.code === 0 && inside.stdout.trim() === "true") {
        const env = { ...opts.gitEnv, ...gitIdentityEnv(author) };
        await git(["add", "--", file], dir, { env });
        const staged = await gitRaw(["diff", "--cached", "--quiet", "--", file], dir, { env });
        if (staged.code === 1) {
          await git(
            [
              "commit",
              "--no-verify",
              "--quiet",
              "-m",
              `demo: ${task.title}\n\nTask ${task.id} of issue #${ctx.issue}, written by the p2p-dev demo executor.`,
              "--",
              file,
            ],
            dir,
            { env },
          );
          summary = `Wrote ${file} (${bytes} bytes) and committed it.`;
        } else {
          summary = `${file} was already up to date (${bytes} bytes); nothing to commit.`;
        }
      }
      // No durationMs: the outcome stays deterministic (and free of the wall
      // clock when the simulation passes a virtual-time sleep).
      return { ok: true, result: { summary } };
    },
  };
}

const STEP_NOTES = ["reading the issue", "writing the task file", "checking the result"];
