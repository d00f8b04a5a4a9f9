/**
 * The fallback planner: the whole issue as one task.
 *
 * @module
 */
import { assertValidGraph } from "../protocol/graph.ts";
import type { PlanTask } from "../protocol/types.ts";
import { stripHidden } from "../text/hidden.ts";
import type { IssueInput, Planner } from "./planner.ts";

/**
 * A planner that makes one task, id `issue-<number>`, holding the whole issue:
 * its title (or `Issue #<number>` when the title is blank) and, as the body,
 * the title followed by the issue body, both without hidden HTML comments
 * and invisible characters.
 *
 * @example
 * ```ts
 * const [task] = await singleTaskPlanner().plan({ number: 5, title: "Fix login", body: "..." });
 * // task.id === "issue-5"
 * ```
 */
export function singleTaskPlanner(): Planner {
  return {
    name: "single",
    plan(issue: IssueInput, signal?: AbortSignal): Promise<PlanTask[]> {
      return new Promise((resolve) => {
        signal?.throwIfAborted();
        const title = stripHidden(issue.title).replace(/\s+/g, " ").trim() ||
          `Issue #${issue.number}`;
        const body = stripHidden(issue.body).trim();
        const tasks: PlanTask[] = [{
          id: `issue-${issue.number}`,
          title,
          body: body ? `${title}\n\n${body}` : title,
          priority: "medium",
          deps: [],
        }];
        assertValidGraph(tasks);
        resolve(tasks);
      });
    },
  };
}
