/**
 * What went wrong and what to do next, read off a folded state: the lines
 * `run` and `work` end with, and the "Next" part of `status`.
 *
 * @module
 */
import type { SwarmState, TaskState } from "../protocol/state.ts";
import { budgetReached, costCap, spentUsd } from "../protocol/cost.ts";
import { terminalLine } from "../text/terminal.ts";
import {
  activeNodes,
  canCampaign,
  currentLeader,
  isFinished,
  taskPhase,
} from "../protocol/view.ts";

/** A task failed for good, and why its last attempt failed. */
export interface FailedTask {
  id: string;
  attempts: number;
  /** One line: the last failure's summary, or how the attempt ended. */
  reason: string;
}

/**
 * "1 task", "3 tasks".
 *
 * @example
 * ```ts
 * plural(1, "task"); // "1 task"
 * ```
 */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

/**
 * Why a task's last attempt ended badly, in one line.
 *
 * @example
 * ```ts
 * lastFailure(state.tasks["T3"]!); // "exit code 1: npm test failed"
 * ```
 */
export function lastFailure(task: TaskState): string {
  if (task.cancelled) return `cancelled by @${task.cancelled.by}`;
  const last = task.attempts.findLast((a) => a.end && a.end.kind !== "superseded");
  if (!last?.end) return "no attempt finished";
  if (last.end.kind === "lapsed") return `the lease of ${last.node} lapsed (it stopped renewing)`;
  if (last.end.kind === "released") return `released by ${last.node}`;
  const summary = last.result?.summary?.split("\n").map((l) => l.trim()).filter(Boolean);
  const line = summary?.at(-1) ?? "failed without a summary";
  return line.length > 160 ? line.slice(0, 159) + "…" : line;
}

/**
 * Tasks failed for good at `now`, with the reason of their last failure.
 *
 * @example
 * ```ts
 * failedTasks(state, now).map((t) => t.id); // ["T3"]
 * ```
 */
export function failedTasks(state: SwarmState, now: number): FailedTask[] {
  return state.order
    .filter((id) => taskPhase(state, state.tasks[id]!, now) === "failed")
    .map((id) => {
      const task = state.tasks[id]!;
      return { id, attempts: task.attempts.length, reason: lastFailure(task) };
    });
}

/**
 * The lines a node command ends with when tasks failed for good: which, why,
 * and the command that retries them.
 *
 * @example
 * ```ts
 * for (const line of failureReport(state, now, 7)) ctx.err(line);
 * ```
 */
export function failureReport(state: SwarmState, now: number, issue: number): string[] {
  const failed = failedTasks(state, now);
  if (failed.length === 0) return [];
  const skipped = state.order.filter((id) => taskPhase(state, state.tasks[id]!, now) === "skipped");
  return [
    `${plural(failed.length, "task")} failed for good:`,
    // The reason is what the task printed: no escape sequence of it reaches the terminal.
    ...failed.map((t) => `  ${t.id} (${plural(t.attempts, "attempt")}): ${terminalLine(t.reason)}`),
    ...(skipped.length ? [`Blocked by the failure: ${skipped.join(", ")}`] : []),
    `Retry them: p2p-dev run --issue ${issue} --retry-failed`,
  ];
}

/**
 * What an operator should do next, given the state at `now`.
 *
 * @example
 * ```ts
 * nextSteps(state, now, { issue: 7, leaseMs: 600_000 }); // ["Start a node: p2p-dev run --issue 7"]
 * ```
 */
export function nextSteps(
  state: SwarmState,
  now: number,
  options: { issue: number },
): string[] {
  const { issue } = options;
  const active = activeNodes(state, now, state.settings.leaseMs).length;
  if (state.ended) {
    return [
      `The swarm was ended${state.ended.reason ? ` (${state.ended.reason})` : ""}; ` +
      `write the summary: p2p-dev aggregate --issue ${issue}`,
    ];
  }
  if (!state.plan) {
    const leader = currentLeader(state);
    if (!leader) return [`No leader yet: start a node with p2p-dev run --issue ${issue}`];
    if (canCampaign(state, now)) {
      return [
        `Leader ${leader.node} went silent before publishing a plan: ` +
        `the next node to start campaigns (p2p-dev run --issue ${issue})`,
      ];
    }
    return [`Leader ${leader.node} is planning; nodes that start now wait for its plan.`];
  }
  if (isFinished(state, now)) {
    const failed = failedTasks(state, now);
    return failed.length
      ? [
        `Finished with ${plural(failed.length, "task")} failed for good (${
          failed.map((t) => t.id).join(", ")
        }): retry with p2p-dev run --issue ${issue} --retry-failed`,
      ]
      : [`Every task is done: write the summary with p2p-dev aggregate --issue ${issue}`];
  }
  const cap = costCap(state, undefined);
  if (cap !== undefined && budgetReached(state, undefined)) {
    return [
      `The costs reported, $${spentUsd(state)}, reached the swarm's cap of $${cap} ` +
      `(--max-cost-usd): nodes claim nothing new. To go on, start nodes with a higher cap: ` +
      `p2p-dev run --issue ${issue} --max-cost-usd ${Math.ceil(cap * 2)}`,
    ];
  }
  const steps: string[] = [];
  const ready = state.order.filter((id) => taskPhase(state, state.tasks[id]!, now) === "ready");
  if (ready.length && active === 0) {
    steps.push(
      `${plural(ready.length, "task")} ready and no node active: ` +
        `start one with p2p-dev run --issue ${issue} (or p2p-dev watch)`,
    );
  } else if (ready.length) {
    steps.push(
      `${plural(ready.length, "task")} ready for ${plural(active, "active node")}; ` +
        `more nodes finish sooner: p2p-dev run --issue ${issue}`,
    );
  } else {
    steps.push("Nothing to do but wait: every ready task is claimed.");
  }
  const failed = failedTasks(state, now);
  if (failed.length) {
    steps.push(
      `${plural(failed.length, "task")} failed for good (${
        failed.map((t) => t.id).join(", ")
      }): retry with p2p-dev run --issue ${issue} --retry-failed`,
    );
  }
  return steps;
}
