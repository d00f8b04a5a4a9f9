/**
 * `p2p-dev status --issue N [--watch] [--json]`: what an operator wants to
 * know about a running swarm: the leader, every task with its claimant and
 * the time left on its lease, the nodes and when each was last seen, the
 * budget, the costs, what was ignored and why, and what to do next. Reading
 * costs one conditional request per refresh (free when nothing changed).
 *
 * @module
 */
import type { Command } from "@commander-js/extra-typings";
import { buildMetrics, type Metrics } from "../node/metrics.ts";
import { systemClock } from "../node/ports.ts";
import type { SwarmState } from "../protocol/state.ts";
import type { LogComment } from "../protocol/types.ts";
import { activeNodes, liveAttempt, phaseCounts } from "../protocol/view.ts";
import { nextSteps, plural } from "./advice.ts";
import { swarmExitCode } from "./aggregate.ts";
import { connect, readerView } from "./connect.ts";
import type { CliContext } from "./context.ts";
import { defineCommand } from "./define.ts";
import { GITHUB_OPTIONS, ISSUE_OPTION, JSON_OPTION } from "./option_groups.ts";
import type { OptionSpec } from "./options.ts";
import { bar, table } from "./render_state.ts";
import { capText } from "../text/neutralize.ts";
import { terminalLine } from "../text/terminal.ts";

/** Options of `status`. */
export const STATUS_OPTIONS: readonly OptionSpec[] = [
  ISSUE_OPTION,
  {
    name: "watch",
    flags: "--watch",
    kind: "flag",
    group: "Output",
    description: "refresh until the swarm is finished (or Ctrl-C)",
  },
  {
    name: "interval",
    flags: "--interval <ms>",
    kind: "duration",
    group: "Output",
    description: "with --watch: time between refreshes",
    default: 10_000,
  },
  { ...JSON_OPTION, description: "print the status as JSON (one document per refresh)" },
  ...GITHUB_OPTIONS,
];

/** One task as `status` shows it. */
export interface StatusTask {
  id: string;
  title: string;
  phase: string;
  attempts: number;
  /** The node holding its live claim, or the node that completed it. */
  claimant: string | null;
  /** Server time the live claim's lease runs out, if one is held. */
  leaseUntil: string | null;
  leaseLeftMs: number | null;
  percent: number;
  costUsd: number | null;
  /** The result's summary, or why the last attempt failed. */
  summary: string | null;
}

/** The status document (`--json`). */
export interface Status {
  schema: "p2p-dev/status@1";
  repo: string;
  issue: number;
  asOf: string;
  status: Metrics["status"];
  leader: (Metrics["leader"] & { lastActive: string }) | null;
  plan: Metrics["plan"];
  counts: ReturnType<typeof phaseCounts>;
  tasks: StatusTask[];
  nodes: (Metrics["nodes"][number] & { active: boolean })[];
  budget: Metrics["ceiling"];
  costUsd: number;
  /** What was spent against the swarm's cost cap. */
  cost: Metrics["cost"];
  ignored: Record<string, number>;
  ordinaryComments: number;
  next: string[];
}

/**
 * Builds the status of a swarm at server time `now`.
 *
 * @example
 * ```ts
 * const status = buildStatus(view.state, view.comments(), view.serverNow(), { repo: "o/r", issue: 7, tokenKind: "pat" });
 * ```
 */
export function buildStatus(
  state: SwarmState,
  comments: readonly LogComment[],
  now: number,
  options: { repo: string; issue: number; tokenKind: Metrics["ceiling"]["tokenKind"] },
): { status: Status; metrics: Metrics } {
  const metrics = buildMetrics(state, comments, { ...options, now });
  const active = new Set(activeNodes(state, now, state.settings.leaseMs));
  const leader = state.terms.at(-1);
  const tasks = metrics.tasks.map((t): StatusTask => {
    const task = state.tasks[t.id]!;
    const live = liveAttempt(state, task, now);
    const until = live ? live.lastBeat + state.settings.leaseMs : undefined;
    return {
      id: t.id,
      title: t.title,
      phase: t.phase,
      attempts: t.attempts.length,
      claimant: live?.node ?? t.doneBy,
      leaseUntil: until !== undefined ? new Date(until).toISOString() : null,
      leaseLeftMs: until !== undefined ? Math.max(0, until - now) : null,
      percent: t.phase === "done" ? 100 : Math.round(task.percent),
      costUsd: t.costUsd,
      summary: t.summary,
    };
  });
  return {
    metrics,
    status: {
      schema: "p2p-dev/status@1",
      repo: options.repo,
      issue: options.issue,
      asOf: new Date(now).toISOString(),
      status: metrics.status,
      leader: metrics.leader && leader
        ? { ...metrics.leader, lastActive: new Date(leader.lastActivity).toISOString() }
        : null,
      plan: metrics.plan,
      counts: phaseCounts(state, now),
      tasks,
      nodes: metrics.nodes.map((n) => ({ ...n, active: active.has(n.node) })),
      budget: metrics.ceiling,
      costUsd: metrics.totals.costUsd,
      cost: metrics.cost,
      ignored: metrics.ignored,
      ordinaryComments: metrics.foreign,
      next: nextSteps(state, now, { issue: options.issue }),
    },
  };
}

/** "3 s", "4m 10s", "2h 5m". */
function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

/**
 * The status as lines for people. Titles, node ids and failure summaries
 * come from comments: printed without escape sequences or control
 * characters (`src/text/terminal.ts`).
 *
 * @example
 * ```ts
 * for (const line of renderStatus(status)) console.log(line);
 * ```
 */
export function renderStatus(s: Status): string[] {
  return statusLines(s).map(terminalLine);
}

function statusLines(s: Status): string[] {
  const now = Date.parse(s.asOf);
  const ago = (iso: string) => `${duration(now - Date.parse(iso))} ago`;
  const lines = [`p2p-dev status · ${s.repo}#${s.issue} · ${s.status} · as of ${s.asOf}`];
  lines.push(
    s.leader
      ? `Leader: ${s.leader.node} (term ${s.leader.term}), last active ${ago(s.leader.lastActive)}`
      : "Leader: none elected",
  );
  if (s.plan) {
    const c = s.counts;
    const total = s.tasks.length;
    lines.push(
      `Plan: term ${s.plan.term} v${s.plan.version} by ${s.plan.planner}, ${plural(total, "task")}`,
      `Progress: ${bar(total ? c.done / total : 0, 30)} ${c.done}/${total} done, ` +
        `${c.running} running, ${c.ready} ready, ${c.blocked} blocked, ${c.waiting} waiting, ` +
        `${c.failed} failed${c.skipped ? `, ${c.skipped} skipped` : ""}`,
      "",
    );
    const rows = [["TASK", "STATE", "TRY", "CLAIMANT", "LEASE LEFT", "%", "COST", "TITLE"]];
    for (const t of s.tasks) {
      rows.push([
        terminalLine(t.id),
        t.phase,
        String(t.attempts),
        terminalLine(t.claimant ?? "-"),
        t.leaseLeftMs !== null ? duration(t.leaseLeftMs) : "-",
        String(t.percent),
        t.costUsd !== null ? `$${t.costUsd.toFixed(4)}` : "-",
        capText(terminalLine(t.title), 50),
      ]);
    }
    lines.push(...table(rows));
    const failed = s.tasks.filter((t) => t.phase === "failed" && t.summary);
    for (const t of failed) {
      lines.push(`  ${t.id} failed: ${t.summary!.trim().split("\n").at(-1)}`);
    }
  } else {
    lines.push("Plan: none in force");
  }
  lines.push("");
  const active = s.nodes.filter((n) => n.active).length;
  lines.push(`Nodes: ${s.nodes.length} seen, ${active} active`);
  if (s.nodes.length) {
    const rows = [["NODE", "ROLE", "EXEC", "LAST SEEN", "DONE"]];
    for (const n of s.nodes) {
      rows.push([
        terminalLine(n.node),
        terminalLine(n.role),
        terminalLine(n.exec ?? "-"),
        ago(n.lastSeen),
        String(n.tasksDone),
      ]);
    }
    lines.push(...table(rows).map((l) => `  ${l}`));
  }
  const b = s.budget;
  lines.push(
    "",
    `Budget: ${b.tokenKind} token, ${
      plural(b.nodes, "node")
    }: ${b.requestsPerHour} requests/h shared, ` +
      `one counted read per node every ${Math.round(b.pollIntervalSec)} s, ` +
      `≤ ${Math.round(b.tasksPerHourByWrites)} tasks/h by the write limit`,
    `Cost: $${s.costUsd.toFixed(4)} reported by ${
      plural(s.tasks.filter((t) => t.costUsd !== null).length, "task")
    }${
      s.cost.maxCostUsd === null
        ? ""
        : ` of a $${s.cost.maxCostUsd} cap (--max-cost-usd)${s.cost.reached ? ": reached" : ""}`
    }`,
  );
  const ignored = Object.entries(s.ignored).filter(([, n]) => n > 0)
    .sort(([a], [b]) => (a < b ? -1 : 1));
  lines.push(
    `Ignored: ${ignored.map(([k, n]) => `${k} ${n}`).join(", ") || "nothing"}; ` +
      `${plural(s.ordinaryComments, "ordinary comment")}`,
    "Next:",
    ...s.next.map((n) => `  ${n}`),
  );
  return lines;
}

/**
 * Builds the `status` subcommand.
 *
 * @example
 * ```ts
 * program.addCommand(statusCommand(ctx));
 * ```
 */
export function statusCommand(ctx: CliContext): Command {
  return defineCommand(ctx, {
    name: "status",
    description:
      "Show a swarm: leader, tasks with claimant and lease, nodes, budget, costs, what was ignored, what to do next.",
    options: STATUS_OPTIONS,
    helpAfter: `
Exit code (as aggregate's): 0 every task done, 1 tasks failed for good or the swarm
was ended first, 3 not finished yet, 2 a usage error. --watch ends when the swarm
is finished or ended.`,
    action: async (values) => {
      const issue = values.issue as number;
      const conn = connect(values, ctx);
      const view = readerView(conn, (await conn.github.identity())?.login, issue);
      const watch = values.watch === true;
      let last = "";
      let code = 0;
      while (true) {
        await view.refresh();
        const { status, metrics } = buildStatus(view.state, view.comments(), view.serverNow(), {
          repo: conn.fullName,
          issue,
          tokenKind: conn.tokenKind,
        });
        code = swarmExitCode(metrics);
        const frame = values.json
          ? JSON.stringify(status, null, watch ? 0 : 2)
          : renderStatus(status).join("\n");
        // Unchanged frames are not printed again (their times move, their content does not).
        const key = JSON.stringify({ ...status, asOf: "", leader: null, nodes: [], tasks: [] }) +
          JSON.stringify(status.tasks.map((t) => [t.id, t.phase, t.claimant, t.percent]));
        if (!watch || key !== last) {
          if (watch && ctx.isTty && !values.json) ctx.out("\x1b[H\x1b[2J" + frame);
          else ctx.out(watch && !values.json && last ? `\n${frame}` : frame);
          last = key;
        }
        if (!watch || code !== 3 || ctx.signal.aborted) break;
        try {
          await systemClock.sleep(values.interval as number, ctx.signal);
        } catch {
          break;
        }
      }
      ctx.setExitCode(code);
    },
  });
}
