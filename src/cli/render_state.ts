/**
 * Renders a folded swarm state as text for people: the `state` command, the
 * live view of `run`, and the demo.
 *
 * @module
 */
import { admit, observe } from "../protocol/admission.ts";
import { PRIMARY_LIMIT, type TokenKind, WRITE_LIMIT } from "../protocol/budget.ts";
import { budgetReached, costCap, spentUsd, taskCostUsd } from "../protocol/cost.ts";
import { defaultConfig } from "../node/config.ts";
import { settleFloorMs } from "../node/context.ts";
import type { SwarmState } from "../protocol/state.ts";
import { activeNodes, currentLeader, phaseCounts, taskPhase } from "../protocol/view.ts";
import { plural } from "./advice.ts";
import { capText } from "../text/neutralize.ts";
import { terminalLine } from "../text/terminal.ts";

/**
 * Pads cells into aligned columns.
 *
 * @example
 * ```ts
 * table([["a", "bb"], ["ccc", "d"]]); // ["a    bb", "ccc  d"]
 * ```
 */
export function table(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => widths[i] = Math.max(widths[i] ?? 0, [...cell].length));
  }
  return rows.map((row) =>
    row.map((cell, i) =>
      i === row.length - 1 ? cell : cell + " ".repeat(widths[i]! - [...cell].length)
    )
      .join("  ").trimEnd()
  );
}

/**
 * A progress bar of `width` cells.
 *
 * @example
 * ```ts
 * bar(0.5, 10); // "█████░░░░░"
 * ```
 */
export function bar(fraction: number, width: number): string {
  const filled = Math.round(Math.max(0, Math.min(1, fraction)) * width);
  return "█".repeat(filled) + "░".repeat(width - filled);
}

/** What the budget lines need beyond the state: the token's measured limit, the swarm's size, its login. */
export interface BudgetContext {
  /** The token's primary limit per hour (`GET /rate_limit`); the token kind's figure when absent. */
  requestsPerHour?: number;
  /** The configured swarm size (`--swarm-size`), when known. */
  swarmSize?: number;
  /** The swarm's login; the author of most node messages when absent. */
  login?: string;
}

/**
 * The state as lines: leader, plan, nodes, a task table with each task's
 * cost, what was spent against the cost cap (the plan's, or `maxCostUsd`),
 * denied tool calls, ignored messages, and admission control: how many
 * nodes may work at once, and why.
 * Text from comments (titles, node ids, the planner's name, reasons) is
 * printed without its escape sequences and control characters
 * (`src/text/terminal.ts`), so a title cannot drive the terminal.
 *
 * @example
 * ```ts
 * for (const line of renderState(state, now, "actions")) console.log(line);
 * ```
 */
export function renderState(
  state: SwarmState,
  now: number,
  tokenKind: TokenKind,
  maxCostUsd?: number,
  budget: BudgetContext = {},
): string[] {
  return renderLines(state, now, tokenKind, maxCostUsd, budget).map(terminalLine);
}

function renderLines(
  state: SwarmState,
  now: number,
  tokenKind: TokenKind,
  maxCostUsd: number | undefined,
  budget: BudgetContext,
): string[] {
  const lines: string[] = [];
  const leader = currentLeader(state);
  lines.push(
    leader
      ? `Leader: ${leader.node} (term ${leader.term}, token ${leader.token})`
      : "Leader: none elected",
  );
  if (!state.plan) {
    lines.push("Plan: none in force");
  } else {
    const c = phaseCounts(state, now);
    const total = state.order.length;
    lines.push(
      `Plan: term ${state.plan.term} v${state.plan.version} by ${state.plan.planner}, ${
        plural(total, "task")
      }`,
      `Progress: ${
        bar(total ? c.done / total : 0, 30)
      } ${c.done}/${total} done, ${c.running} running, ` +
        `${c.ready} ready, ${c.blocked} blocked, ${c.waiting} waiting, ${c.failed} failed${
          c.skipped ? `, ${c.skipped} skipped` : ""
        }`,
    );
  }
  if (state.ended) {
    lines.push(
      `Ended by ${state.ended.node}${state.ended.reason ? `: ${state.ended.reason}` : ""}`,
    );
  }
  const nodes = Object.values(state.nodes);
  const active = activeNodes(state, now, state.settings.leaseMs);
  lines.push(`Nodes: ${nodes.length} seen, ${active.length} active`);
  if (state.plan) {
    lines.push("");
    const rows = [["TASK", "PRIORITY", "STATE", "TRY", "OWNER", "%", "COST", "TITLE"]];
    for (const id of state.order) {
      const t = state.tasks[id]!;
      const phase = taskPhase(state, t, now);
      const last = t.attempts.at(-1);
      const owner = t.done?.node ?? (phase === "running" ? last?.node : undefined) ?? "";
      rows.push([
        terminalLine(id),
        t.def.priority,
        phase,
        String(t.attempts.length),
        terminalLine(owner),
        phase === "done" ? "100" : String(Math.round(t.percent)),
        (() => {
          const cost = taskCostUsd(t);
          return cost === undefined ? "" : `$${cost.toFixed(4)}`;
        })(),
        capText(terminalLine(t.def.title), 60),
      ]);
    }
    lines.push(...table(rows));
    const cap = costCap(state, maxCostUsd);
    lines.push(
      "",
      `Cost: $${spentUsd(state).toFixed(4)} reported by the agents${
        cap === undefined
          ? ""
          : ` of a $${cap} cap (--max-cost-usd)${
            budgetReached(state, maxCostUsd) ? ": reached, no new task is claimed" : ""
          }`
      }`,
    );
    for (const id of state.order) {
      for (const a of state.tasks[id]!.attempts) {
        if (!a.result?.denied?.length) continue;
        lines.push(
          `Denied in ${id} attempt ${a.n}${a.result.failure ? ` (${a.result.failure})` : ""}: ${
            a.result.denied.join(", ")
          }`,
        );
      }
    }
  }
  const ignored = Object.entries(state.ignored).sort(([a], [b]) => a < b ? -1 : 1);
  lines.push(
    "",
    `Messages: ${state.accepted} accepted, ${state.foreign} ordinary comments, ` +
      `ignored: ${ignored.map(([k, n]) => `${k} ${n}`).join(", ") || "none"}`,
  );
  lines.push(...renderAdmission(state, now, tokenKind, budget));
  return lines;
}

/** Lines that say how many nodes may work at once and why (`src/protocol/admission.ts`). */
function renderAdmission(
  state: SwarmState,
  now: number,
  tokenKind: TokenKind,
  budget: BudgetContext,
): string[] {
  const login = budget.login ?? mostCommonAuthor(state);
  const o = observe(state, now, login ?? "", 6 * 3_600_000);
  const nodes = Math.max(1, budget.swarmSize ?? 0, o.nodes.length);
  const requestsPerHour = budget.requestsPerHour ?? PRIMARY_LIMIT[tokenKind];
  const config = defaultConfig(0, "state");
  const a = admit({
    requestsPerHour,
    nodes,
    taskMs: o.taskMs ?? state.settings.leaseMs,
    leaseMs: state.settings.leaseMs,
    renewMs: config.renewMs,
    settleMs: settleFloorMs(config),
    pollMinMs: config.pollMinMs,
    pollMaxMs: config.pollMaxMs,
    strict: false,
    firstHour: o.since === undefined || now - o.since < 3_600_000,
    remainingTasks: state.plan ? o.remaining : Infinity,
    writesLastHour: 0,
  });
  return [
    `Budget (${tokenKind} token${login ? `, ${login}` : ""}): ${requestsPerHour} requests/h, ` +
    `${WRITE_LIMIT.perHour} new comments/h and ${WRITE_LIMIT.perMinute}/min per identity.`,
    `Admission: ${a.reason}; ${o.holders.length} hold work now.`,
  ];
}

function mostCommonAuthor(state: SwarmState): string | undefined {
  const counts = new Map<string, number>();
  for (const n of Object.values(state.nodes)) {
    counts.set(n.author, (counts.get(n.author) ?? 0) + n.messages);
  }
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]?.[0];
}
