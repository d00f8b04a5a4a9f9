/**
 * The executor port: run one task to completion.
 *
 * @module
 */
import type { PlanTask, TaskResult } from "../protocol/types.ts";

/** What an executor gets besides the task. */
export interface ExecContext {
  issue: number;
  /** Issue title and body, for context. */
  issueTitle: string;
  issueBody: string;
  node: string;
  attempt: number;
  /** Aborted when the node loses its claim, is cancelled, or the task times out. */
  signal: AbortSignal;
  /** Report progress; the node decides when it is worth a write. */
  onProgress(percent: number, note?: string): void;
  /** Branches of the tasks this one depends on (for result delivery). */
  depBranches: string[];
  /**
   * The directory to work in, when the caller prepared one (the delivering
   * wrapper sets it to the task's git worktree). Without it an executor makes
   * a directory of its own.
   */
  workDir?: string;
}

/** How a task run ended. */
export interface ExecOutcome {
  ok: boolean;
  result: TaskResult;
  /**
   * The failure is this node's, not the task's: its workspace, git clone or
   * executor could not run it. The node releases the task for another node
   * (no attempt used up) and stops claiming after a few in a row.
   */
  local?: boolean;
}

/**
 * Runs one task.
 *
 * @example
 * ```ts
 * const noop: Executor = {
 *   name: "noop",
 *   run: () => Promise.resolve({ ok: true, result: { summary: "nothing to do" } }),
 * };
 * ```
 */
export interface Executor {
  /** Short name recorded in announcements (`command`, `claude`, `demo`). */
  name: string;
  run(task: PlanTask, ctx: ExecContext): Promise<ExecOutcome>;
}
