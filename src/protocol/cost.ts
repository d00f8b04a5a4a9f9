/**
 * What the swarm has spent, as the executors reported it in the log, and
 * whether the swarm-wide cost cap is reached. A pure view of the folded
 * state: every node and the aggregator compute the same figures from the
 * same log.
 *
 * Costs come from each attempt's result (`costUsd`, which the Claude Code
 * executor takes from the CLI's `total_cost_usd`): completed and failed
 * attempts count, a duplicate completion too (its money was spent). An
 * attempt still running has reported nothing yet, so the total can lag the
 * truth by what running attempts are spending: each is bounded by the
 * per-task cap (`--max-budget-usd`).
 *
 * @module
 */
import type { SwarmState, TaskState } from "./state.ts";

/**
 * Dollars reported for one task over all its attempts; `undefined` when no
 * attempt reported a cost.
 *
 * @example
 * ```ts
 * taskCostUsd(state.tasks["T1"]!); // 0.0421
 * ```
 */
export function taskCostUsd(task: TaskState): number | undefined {
  const costs = task.attempts.map((a) => a.result?.costUsd)
    .filter((c): c is number => c !== undefined);
  if (costs.length === 0) return task.done?.result?.costUsd;
  return costs.reduce((sum, c) => sum + c, 0);
}

/**
 * Dollars reported by the whole swarm, rounded to 1/10,000 of a dollar.
 *
 * @example
 * ```ts
 * spentUsd(state); // 0.1263
 * ```
 */
export function spentUsd(state: SwarmState): number {
  let total = 0;
  for (const id of state.order) total += taskCostUsd(state.tasks[id]!) ?? 0;
  return roundUsd(total);
}

/** Rounds to 1/10,000 of a dollar (float sums of cents drift). */
export function roundUsd(usd: number): number {
  return Math.round(usd * 10_000) / 10_000;
}

/**
 * The cost cap in force: a node's own `--max-cost-usd` when it has one, else
 * the one the plan published; `undefined` when there is none.
 *
 * @example
 * ```ts
 * costCap(state, undefined); // state.settings.maxCostUsd
 * ```
 */
export function costCap(state: SwarmState, own: number | undefined): number | undefined {
  return own ?? state.settings.maxCostUsd;
}

/**
 * Whether the reported costs have reached the cap in force: then no node
 * claims new work (running attempts finish).
 *
 * @example
 * ```ts
 * if (budgetReached(state, config.maxCostUsd)) stop("budget");
 * ```
 */
export function budgetReached(state: SwarmState, own: number | undefined): boolean {
  const cap = costCap(state, own);
  return cap !== undefined && spentUsd(state) >= cap;
}
