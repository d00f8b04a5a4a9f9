/**
 * Views of a folded state at a given server time: what phase each task is in
 * now (a lease may have lapsed since the last comment), whether the swarm is
 * finished, and who leads.
 *
 * @module
 */
import { leaseOf } from "./leases.ts";
import type { SwarmState, TaskState, TermInfo } from "./state.ts";

/**
 * A task's phase at a given time. `skipped` means a task it depends on
 * (directly or not) failed for good, so it cannot run until that one is
 * retried.
 */
export type TaskPhase =
  | "blocked"
  | "ready"
  | "waiting"
  | "running"
  | "done"
  | "failed"
  | "skipped";

/**
 * The phase of a task at server time `now`.
 *
 * @example
 * ```ts
 * const phase = taskPhase(state, state.tasks["T1"]!, Date.now());
 * ```
 */
export function taskPhase(state: SwarmState, task: TaskState, now: number): TaskPhase {
  if (task.status === "done") return "done";
  if (task.status === "failed") return "failed";
  if (task.status === "active") {
    const live = task.attempts.at(-1)!;
    if (now <= live.lastBeat + leaseOf(state, live)) return "running";
    // Lapsed but not yet folded: the next attempt is open unless that was the last one.
    return failedForGood(state, task, now) ? "failed" : "ready";
  }
  if (!task.def.deps.every((d) => state.tasks[d]?.status === "done")) {
    return dependsOnFailed(state, task, now, new Set()) ? "skipped" : "blocked";
  }
  return now < task.openAt ? "waiting" : "ready";
}

/** Whether a task is failed for good at `now` (including a last attempt whose lease lapsed). */
function failedForGood(state: SwarmState, task: TaskState, now: number): boolean {
  if (task.status === "failed") return true;
  if (task.status !== "active") return false;
  const live = task.attempts.at(-1)!;
  return now > live.lastBeat + leaseOf(state, live) &&
    task.failures + 1 >= state.settings.maxAttempts;
}

/** Whether a task waits, directly or not, on a task failed for good at `now`. */
function dependsOnFailed(
  state: SwarmState,
  task: TaskState,
  now: number,
  seen: Set<string>,
): boolean {
  for (const id of task.def.deps) {
    if (seen.has(id)) continue;
    seen.add(id);
    const dep = state.tasks[id];
    if (!dep || dep.status === "done") continue;
    if (failedForGood(state, dep, now) || dependsOnFailed(state, dep, now, seen)) return true;
  }
  return false;
}

/**
 * The number the next attempt at a task will carry.
 *
 * @example
 * ```ts
 * nextAttempt(state.tasks["T1"]!); // 1 for a task never claimed
 * ```
 */
export function nextAttempt(task: TaskState): number {
  return (task.attempts.at(-1)?.n ?? 0) + 1;
}

/**
 * The live attempt of a task, if one holds its lease at `now`.
 *
 * @example
 * ```ts
 * liveAttempt(state, state.tasks["T1"]!, now)?.node;
 * ```
 */
export function liveAttempt(state: SwarmState, task: TaskState, now: number) {
  if (task.status !== "active") return undefined;
  const live = task.attempts.at(-1)!;
  return now <= live.lastBeat + leaseOf(state, live) ? live : undefined;
}

/**
 * Whether every task of the plan in force is done or failed for good at `now`.
 *
 * @example
 * ```ts
 * if (isFinished(state, now)) console.log("all done");
 * ```
 */
export function isFinished(state: SwarmState, now: number): boolean {
  if (!state.plan) return false;
  return state.order.every((id) => {
    const phase = taskPhase(state, state.tasks[id]!, now);
    return phase === "done" || phase === "failed" || phase === "skipped";
  });
}

/**
 * The current leader (winner of the newest term), if any.
 *
 * @example
 * ```ts
 * currentLeader(state)?.node;
 * ```
 */
export function currentLeader(state: SwarmState): TermInfo | undefined {
  return state.terms.at(-1);
}

/**
 * Whether a node may campaign for the next term at `now`: no plan in force, no
 * trusted message about tasks (which would mean one is in force out of this
 * reader's sight), and the current leader (if any) has been silent past its
 * timeout.
 *
 * @example
 * ```ts
 * if (canCampaign(state, now)) postElection(state.terms.length + 1);
 * ```
 */
export function canCampaign(state: SwarmState, now: number): boolean {
  // Messages about tasks without a plan in force: the plan exists but cannot
  // be seen here (deleted, edited, lagging); wait for it instead.
  if (state.plan || state.ended || state.unplanned > 0) return false;
  const leader = currentLeader(state);
  return !leader || leader.resigned !== undefined ||
    now > leader.lastActivity + leader.timeoutMs;
}

/** Counts of tasks per phase. */
export type PhaseCounts = Record<TaskPhase, number>;

/**
 * Counts tasks by phase at `now`.
 *
 * @example
 * ```ts
 * phaseCounts(state, now).done;
 * ```
 */
export function phaseCounts(state: SwarmState, now: number): PhaseCounts {
  const counts: PhaseCounts = {
    blocked: 0,
    ready: 0,
    waiting: 0,
    running: 0,
    done: 0,
    failed: 0,
    skipped: 0,
  };
  for (const id of state.order) counts[taskPhase(state, state.tasks[id]!, now)]++;
  return counts;
}

/**
 * Nodes whose last message is within `windowMs` of `now`.
 *
 * @example
 * ```ts
 * activeNodes(state, now, 15 * 60_000).length;
 * ```
 */
export function activeNodes(state: SwarmState, now: number, windowMs: number): string[] {
  return Object.values(state.nodes)
    .filter((n) => now - n.lastSeen <= windowMs)
    .map((n) => n.node)
    .sort();
}
