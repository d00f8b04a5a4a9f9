/**
 * The planner port: turn an issue into a validated task graph.
 *
 * @module
 */
import type { PlanTask } from "../protocol/types.ts";

/**
 * The issue fields a planner reads.
 *
 * @example
 * ```ts
 * const issue: IssueInput = { number: 12, title: "Add search", body: "- [ ] Add API" };
 * ```
 */
export interface IssueInput {
  /** The issue number. */
  number: number;
  /** The issue title. */
  title: string;
  /** The issue body (Markdown; may be empty). */
  body: string;
}

/**
 * Turns an issue into a task graph. Every planner returns a graph that has
 * passed `assertValidGraph`, or throws a {@linkcode PlannerError}.
 *
 * @example
 * ```ts
 * const one: Planner = {
 *   name: "one",
 *   plan: (issue) =>
 *     Promise.resolve([{ id: "T1", title: issue.title, priority: "medium", deps: [] }]),
 * };
 * ```
 */
export interface Planner {
  /** Short name recorded with the plan (`markdown`, `command`, `claude`, `single`). */
  name: string;
  /** Plans the issue; `signal` stops the planner (rejecting with its reason). */
  plan(issue: IssueInput, signal?: AbortSignal): Promise<PlanTask[]>;
}

/**
 * A planner could not produce a valid plan. `planner` names the planner;
 * `cause` holds the underlying error (for example a `GraphValidationError`).
 *
 * @example
 * ```ts
 * throw new PlannerError("markdown", "Issue #3 has no task list: add items like \"- [ ] Add API\".");
 * ```
 */
export class PlannerError extends Error {
  /** Name of the planner that failed. */
  readonly planner: string;

  /** Builds the error. */
  constructor(planner: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "PlannerError";
    this.planner = planner;
  }
}
