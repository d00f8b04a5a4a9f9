/**
 * How a node's events reach the terminal: readable lines, JSON lines with
 * `--json`, and GitHub Actions workflow commands when running in Actions.
 *
 * @module
 */
import type { NodeEvent } from "../node/events.ts";
import type { TokenKind } from "../protocol/budget.ts";
import type { SwarmState } from "../protocol/state.ts";
import { plural } from "./advice.ts";
import { terminalLine } from "../text/terminal.ts";
import { LiveView } from "./live_view.ts";
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
      return `published a plan of ${plural(e.tasks, "task")} in ${
        plural(e.parts, "comment")
      }, planner ${e.planner}`;
    case "plan_seen":
      return `plan in force: ${plural(e.tasks, "task")} (term ${e.term})`;
    case "claim":
      return `claiming ${e.task} (attempt ${e.attempt})`;
    case "claim_lost":
      return `lost the claim on ${e.task} to ${e.winner}`;
    case "exec_start":
      return `working on ${e.task} (attempt ${e.attempt})`;
    case "progress":
      return `${e.task}: ${Math.round(e.percent)}%${e.note ? ` ${e.note}` : ""}`;
    case "exec_end":
      // A failure's first line says why; a success's last line is the agent's summary.
      return `${e.task} ${e.ok ? "completed" : "failed"}${
        e.summary ? `: ${e.ok ? e.summary.split("\n").at(-1) : e.summary.split("\n")[0]}` : ""
      }`;
    case "lost_ownership":
      return `stopped ${e.task}: another node owns it now`;
    case "release":
      return `released ${e.task}`;
    case "poll":
      return undefined;
    case "api_error":
      return `GitHub API error (will retry): ${e.message}`;
    case "resign":
      return `resigned as leader of term ${e.term} (${e.cause.replace("_", " ")})${
        e.reason ? `: ${e.reason}` : ""
      }`;
    case "status_answered":
      return `answered /p2p-dev status in comment ${e.comment}`;
    case "status_deduplicated":
      return `deleted comment ${e.comment}, a second answer to /p2p-dev status`;
    case "stop":
      return `stopped: ${e.reason.replace(/_/g, " ")}${e.detail ? ` (${e.detail})` : ""}`;
  }
}

/** Where a node's events and state go. */
export interface NodeOutput {
  log: (e: NodeEvent) => void;
  onState?: (state: SwarmState, serverTime: number) => void;
  /** Draws the last frame of a live view. */
  finish(): void;
}

/**
 * The event sink for a node run from the CLI: a live view on a terminal,
 * plain lines otherwise, JSON lines with `--json`, workflow commands in
 * GitHub Actions.
 *
 * @example
 * ```ts
 * const output = nodeOutput(ctx, { json: false, node: "n1", secrets: [token], tokenKind: "pat" });
 * ```
 */
export function nodeOutput(
  ctx: CliContext,
  options: { json: boolean; node: string; secrets: string[]; tokenKind: TokenKind },
): NodeOutput {
  const actions = ctx.env.GITHUB_ACTIONS === "true";
  if (actions && !options.json) {
    // Mask secrets in the job log before anything else is printed.
    for (const s of options.secrets) if (s) ctx.out(`::add-mask::${s}`);
  }
  if (options.json) {
    return {
      log: (e) => ctx.out(JSON.stringify({ node: options.node, ...e })),
      finish: () => {},
    };
  }
  // Before its first read a node knows no server time (serverTime 0).
  const stampOf = (e: NodeEvent) =>
    e.serverTime > 0 ? new Date(e.serverTime).toISOString().slice(11, 19) : "--:--:--";
  if (ctx.isTty && !actions) {
    const view = new LiveView(
      ctx.out,
      options.node,
      options.tokenKind,
      () => Date.now(),
      ctx.columns,
    );
    return {
      log: (e) => {
        const line = describeEvent(e);
        if (line) view.event(`${stampOf(e)} ${terminalLine(line)}`);
      },
      onState: (state, serverTime) => view.state(state, serverTime),
      finish: () => view.finish(),
    };
  }
  return {
    log: (e) => {
      const described = describeEvent(e);
      if (!described) return;
      // Notes, summaries and errors quote outside text: no escape sequence
      // reaches the terminal, no line break starts a workflow command.
      const line = terminalLine(described);
      const stamp = stampOf(e);
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
    },
    finish: () => {},
  };
}
