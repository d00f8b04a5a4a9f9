/**
 * How a node's events reach the terminal: readable lines, JSON lines with
 * `--json`, and GitHub Actions workflow commands when running in Actions.
 *
 * @module
 */
import type { NodeEvent } from "../node/events.ts";
import type { CliContext } from "./context.ts";

/**
 * One readable line for an event, or undefined for events not worth a line.
 *
 * @example
 * ```ts
 * describeEvent({ type: "claim", task: "T1", attempt: 1, serverTime: 0 }); // "claiming T1 (attempt 1)"
 * ```
 */
export function describeEvent(e: NodeEvent): string | undefined {
  switch (e.type) {
    case "start":
      return `node ${e.node} started as ${e.login}`;
    case "campaign":
      return `campaigning for term ${e.term}`;
    case "elected":
      return `elected leader of term ${e.term} (token ${e.token})`;
    case "follower":
      return `following leader ${e.leader} (term ${e.term})`;
    case "planned":
      return `published a plan of ${e.tasks} tasks in ${e.parts} comment(s), planner ${e.planner}`;
    case "plan_seen":
      return `plan in force: ${e.tasks} tasks (term ${e.term})`;
    case "claim":
      return `claiming ${e.task} (attempt ${e.attempt})`;
    case "claim_lost":
      return `lost the claim on ${e.task} to ${e.winner}`;
    case "exec_start":
      return `working on ${e.task} (attempt ${e.attempt})`;
    case "progress":
      return `${e.task}: ${Math.round(e.percent)}%${e.note ? ` ${e.note}` : ""}`;
    case "exec_end":
      return `${e.task} ${e.ok ? "completed" : "failed"}${
        e.summary ? `: ${e.summary.split("\n").at(-1)}` : ""
      }`;
    case "lost_ownership":
      return `stopped ${e.task}: another node owns it now`;
    case "release":
      return `released ${e.task}`;
    case "poll":
      return undefined;
    case "api_error":
      return `GitHub API error (will retry): ${e.message}`;
    case "stop":
      return `stopped: ${e.reason}`;
  }
}

/**
 * The event sink for a node run from the CLI.
 *
 * @example
 * ```ts
 * const log = nodeLogger(ctx, { json: false, node: "n1", secrets: [token] });
 * ```
 */
export function nodeLogger(
  ctx: CliContext,
  options: { json: boolean; node: string; secrets: string[] },
): (e: NodeEvent) => void {
  const actions = ctx.env.GITHUB_ACTIONS === "true";
  if (actions && !options.json) {
    // Mask secrets in the job log before anything else is printed.
    for (const s of options.secrets) if (s) ctx.out(`::add-mask::${s}`);
  }
  return (e) => {
    if (options.json) {
      ctx.out(JSON.stringify({ node: options.node, ...e }));
      return;
    }
    const line = describeEvent(e);
    if (!line) return;
    const stamp = new Date(e.serverTime).toISOString().slice(11, 19);
    if (actions) {
      if (e.type === "exec_start") ctx.out(`::group::${options.node}: ${line}`);
      else if (e.type === "exec_end") {
        ctx.out(`${stamp} ${line}`);
        ctx.out("::endgroup::");
        if (!e.ok) ctx.out(`::error title=Task ${e.task} failed::${line}`);
        return;
      } else if (e.type === "api_error") {
        ctx.out(`::warning::${line}`);
        return;
      }
    }
    ctx.out(`${stamp} ${options.node} ${line}`);
  };
}
