/**
 * Metrics and the summary, computed from the folded log alone: the same log
 * gives byte-identical `metrics.json` on every run and every machine (no
 * local clock, sorted keys).
 *
 * @module
 */
import { ceiling, type TokenKind } from "../protocol/budget.ts";
import { canonicalJson } from "../protocol/canonical.ts";
import { costCap, roundUsd, spentUsd, taskCostUsd } from "../protocol/cost.ts";
import type { SwarmState } from "../protocol/state.ts";
import type { LogComment } from "../protocol/types.ts";
import { currentLeader, phaseCounts, taskPhase } from "../protocol/view.ts";
import { neutralizeLine } from "../text/neutralize.ts";

/** Version tag of the metrics document. */
export const METRICS_SCHEMA = "p2p-dev/metrics@1";

/** API use per identity, when known (from the emulator or nodes' own counts). */
export interface IdentityApiUse {
  requests?: number;
  writes: number;
  notModified?: number;
  rateLimited?: number;
}

/** The metrics document. */
export interface Metrics {
  schema: string;
  repo: string;
  issue: number;
  /** Server time of the newest comment folded. */
  asOf: string;
  /**
   * `budget_reached`: the reported costs reached the cost cap and nothing is
   * running, with tasks left undone (the budget stopped the swarm).
   */
  status: "no_plan" | "running" | "finished" | "ended" | "budget_reached";
  leader: { term: number; node: string; author: string; token: number } | null;
  terms: number;
  plan: { term: number; version: number; planner: string; tasks: number } | null;
  settings: SwarmState["settings"];
  totals: {
    tasks: number;
    done: number;
    failed: number;
    /** Tasks that cannot run because a task they depend on failed for good. */
    skipped: number;
    running: number;
    pending: number;
    attempts: number;
    duplicateResults: number;
    successRate: number;
    /** Dollars reported by every attempt (completed, failed, duplicates). */
    costUsd: number;
    comments: number;
    protocolComments: number;
  };
  /** The swarm-wide cost cap (`--max-cost-usd`) and what was spent against it. */
  cost: {
    spentUsd: number;
    maxCostUsd: number | null;
    /** The reported costs reached the cap: no node claims new work. */
    reached: boolean;
  };
  nodes: {
    node: string;
    author: string;
    role: string;
    exec: string | null;
    firstSeen: string;
    lastSeen: string;
    messages: number;
    tasksDone: number;
  }[];
  tasks: {
    id: string;
    title: string;
    priority: string;
    group: string | null;
    deps: string[];
    phase: string;
    attempts: {
      n: number;
      node: string;
      claimedAt: string;
      end: string | null;
      endedAt: string | null;
      /** What the owner reported when the attempt completed or failed. */
      summary: string | null;
      costUsd: number | null;
      /** Why the attempt failed (`permission_denied`, `max_turns`, ...), as the executor said. */
      failure: string | null;
      /** Tool calls the agent was denied, as permission rules (`Bash(npm test)`). */
      denied: string[];
    }[];
    doneBy: string | null;
    durationMs: number | null;
    /** Dollars reported over all the task's attempts. */
    costUsd: number | null;
    turns: number | null;
    branch: string | null;
    pr: string | null;
    /** The result's summary when done; why the last attempt failed when failed. */
    summary: string | null;
  }[];
  timeline: { t: string; event: string; task: string | null; node: string }[];
  api: { byIdentity: Record<string, IdentityApiUse> };
  ignored: Record<string, number>;
  foreign: number;
  ceiling: ReturnType<typeof ceiling>;
  /** Whose messages the fold trusted (the dashboard folds `comments.json` alike). */
  trust: MetricsTrust | null;
}

/** The trust settings a fold used: the swarm's login, the allowlist, writers found. */
export interface MetricsTrust {
  self: string | null;
  allow: string[];
  writers: string[];
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Builds the metrics document from a folded state and the comments it came from.
 *
 * @example
 * ```ts
 * const m = buildMetrics(view.state, view.comments(), { repo: "o/r", issue: 7, tokenKind: "actions" });
 * m.totals.done;
 * ```
 */
export function buildMetrics(
  state: SwarmState,
  comments: readonly LogComment[],
  options: {
    repo: string;
    issue: number;
    tokenKind: TokenKind;
    apiByIdentity?: Record<string, IdentityApiUse>;
    /** Server time to judge leases at (default: the newest comment, which keeps re-runs identical). */
    now?: number;
    trust?: MetricsTrust;
    /** The aggregator's own cost cap; default the one the plan published. */
    maxCostUsd?: number;
  },
): Metrics {
  const now = options.now ?? state.lastTime;
  const counts = phaseCounts(state, now);
  const leader = currentLeader(state);
  const writesByAuthor: Record<string, IdentityApiUse> = {};
  let protocolComments = 0;
  const protocolAuthors = new Set(Object.values(state.nodes).map((n) => n.author));
  for (const c of comments) {
    if (!protocolAuthors.has(c.author)) continue;
    if (c.body.includes("<!-- p2p-dev v")) protocolComments++;
    const entry = writesByAuthor[c.author] ??= { writes: 0 };
    entry.writes++;
  }
  const byIdentity = options.apiByIdentity ?? writesByAuthor;
  const tasks = state.order.map((id) => {
    const t = state.tasks[id]!;
    const result = t.done?.result;
    const firstClaim = t.attempts[0]?.claimedAt;
    return {
      id,
      title: t.def.title,
      priority: t.def.priority,
      group: t.def.group ?? null,
      deps: t.def.deps,
      phase: taskPhase(state, t, now),
      attempts: t.attempts.map((a) => ({
        n: a.n,
        node: a.node,
        claimedAt: iso(a.claimedAt),
        end: a.end?.kind ?? null,
        endedAt: a.end ? iso(a.end.at) : null,
        summary: a.result?.summary ?? null,
        costUsd: a.result?.costUsd ?? null,
        failure: a.result?.failure ?? null,
        denied: a.result?.denied ?? [],
      })),
      doneBy: t.done?.node ?? null,
      durationMs: t.done && firstClaim !== undefined ? t.done.at - firstClaim : null,
      costUsd: (() => {
        const cost = taskCostUsd(t);
        return cost === undefined ? null : roundUsd(cost);
      })(),
      turns: result?.turns ?? null,
      branch: result?.branch ?? null,
      pr: result?.pr ?? null,
      summary: result?.summary ??
        t.attempts.findLast((a) => a.result?.summary !== undefined)?.result?.summary ?? null,
    };
  });
  const timeline: Metrics["timeline"] = [];
  for (const term of state.terms) {
    timeline.push({ t: iso(term.at), event: "elected", task: null, node: term.node });
  }
  if (state.plan) {
    timeline.push({
      t: iso(state.plan.at),
      event: "planned",
      task: null,
      node: leader?.node ?? "",
    });
  }
  for (const id of state.order) {
    const t = state.tasks[id]!;
    for (const a of t.attempts) {
      timeline.push({ t: iso(a.claimedAt), event: "claimed", task: id, node: a.node });
      if (a.end) timeline.push({ t: iso(a.end.at), event: a.end.kind, task: id, node: a.node });
    }
  }
  timeline.sort((a, b) =>
    a.t < b.t ? -1 : a.t > b.t ? 1 : `${a.event}${a.task}` < `${b.event}${b.task}` ? -1 : 1
  );
  const attempts = tasks.reduce((n, t) => n + t.attempts.length, 0);
  const costUsd = spentUsd(state);
  const cap = costCap(state, options.maxCostUsd);
  const reached = cap !== undefined && costUsd >= cap;
  const finished = counts.done + counts.failed + counts.skipped;
  const nodes = Object.values(state.nodes).sort((a, b) => (a.node < b.node ? -1 : 1)).map((n) => ({
    node: n.node,
    author: n.author,
    role: n.role,
    exec: n.exec ?? null,
    firstSeen: iso(n.firstSeen),
    lastSeen: iso(n.lastSeen),
    messages: n.messages,
    tasksDone: tasks.filter((t) => t.doneBy === n.node).length,
  }));
  return {
    schema: METRICS_SCHEMA,
    repo: options.repo,
    issue: options.issue,
    asOf: iso(now),
    status: state.ended
      ? "ended"
      : !state.plan
      ? "no_plan"
      : finished === state.order.length
      ? "finished"
      : reached && counts.running === 0
      ? "budget_reached"
      : "running",
    leader: leader
      ? { term: leader.term, node: leader.node, author: leader.author, token: leader.token }
      : null,
    terms: state.terms.length,
    plan: state.plan
      ? {
        term: state.plan.term,
        version: state.plan.version,
        planner: state.plan.planner,
        tasks: state.order.length,
      }
      : null,
    settings: state.settings,
    totals: {
      tasks: state.order.length,
      done: counts.done,
      failed: counts.failed,
      skipped: counts.skipped,
      running: counts.running,
      pending: counts.ready + counts.blocked + counts.waiting,
      attempts,
      duplicateResults: state.duplicateResults,
      successRate: finished === 0 ? 0 : Math.round((counts.done / finished) * 1000) / 1000,
      costUsd,
      comments: comments.length,
      protocolComments,
    },
    cost: { spentUsd: costUsd, maxCostUsd: cap ?? null, reached },
    nodes,
    tasks,
    timeline,
    api: { byIdentity },
    ignored: state.ignored,
    foreign: state.foreign,
    ceiling: ceiling({
      tokenKind: options.tokenKind,
      nodes: Math.max(1, nodes.length),
      writesPerTask: state.order.length ? Math.max(1, protocolComments / state.order.length) : 1,
    }),
    trust: options.trust
      ? {
        self: options.trust.self,
        allow: [...options.trust.allow].sort(),
        writers: [...options.trust.writers].sort(),
      }
      : null,
  };
}

/**
 * Serialises metrics deterministically: sorted keys, two-space indent, final newline.
 *
 * @example
 * ```ts
 * await Deno.writeTextFile("metrics.json", metricsJson(m));
 * ```
 */
export function metricsJson(metrics: Metrics): string {
  return JSON.stringify(JSON.parse(canonicalJson(metrics)), null, 2) + "\n";
}

/** The summary's cost line: spent, the cap, and whether the budget stopped the swarm. */
function costLine(m: Metrics): string {
  const spent = `$${m.cost.spentUsd.toFixed(4)} reported by the agents (all attempts)`;
  if (m.cost.maxCostUsd === null) return `**Cost:** ${spent}.`;
  const cap = `cap $${m.cost.maxCostUsd.toFixed(4)} (\`--max-cost-usd\`)`;
  if (!m.cost.reached) return `**Cost:** ${spent} of the ${cap}.`;
  const left = m.totals.pending;
  return `**Cost:** ${spent}, ${cap} reached: ${
    m.status === "budget_reached"
      ? `**the budget stopped the swarm** with ${left} task${left === 1 ? "" : "s"} not done`
      : "no new task is claimed; running tasks finish"
  }. Raise \`--max-cost-usd\` and run again to go on.`;
}

/** Marker that identifies the summary comment, so it is updated in place. */
export const SUMMARY_MARKER = "<!-- p2p-dev:summary -->";

/** Characters the summary's task table may take: the comment must stay within GitHub's 65,536. */
const MAX_TABLE_CHARS = 55_000;

/** The table rows that fit, and a last row saying how many more are in `metrics.json`. */
function capRows(rows: string[]): string[] {
  let used = 0;
  for (let i = 0; i < rows.length; i++) {
    used += rows[i]!.length + 1;
    if (used > MAX_TABLE_CHARS) {
      return [
        ...rows.slice(0, i),
        `| … | ${rows.length - i} more tasks: see metrics.json | | | | | |`,
      ];
    }
  }
  return rows;
}

/** A table cell of outside text: one neutralised line (`src/text/neutralize.ts`), `|` escaped. */
function cell(text: string, max: number): string {
  return neutralizeLine(text, max).replace(/\|/g, "\\|");
}

/**
 * Inline code of outside text (node ids come from other nodes' messages,
 * denied tool calls from the agent) that cannot break out of its backticks
 * or a table row, neutralised like a cell.
 */
function code(text: string): string {
  return "`" + neutralizeLine(text.replace(/`+/g, "'"), 200).replace(/\|/g, "\\|") + "`";
}

/**
 * Renders the summary markdown (the issue comment and the job summary).
 * Text that comes from outside (task titles come from the issue, node ids
 * and planner names from other nodes' messages) is neutralised: it cannot
 * mention anyone, close or cross-reference an issue, render HTML or carry a
 * `<!-- p2p-dev` marker into the swarm's own comment.
 *
 * @example
 * ```ts
 * const md = renderSummary(m);
 * ```
 */
export function renderSummary(m: Metrics): string {
  const icon = (phase: string) =>
    ({
      done: "✅",
      failed: "❌",
      skipped: "⏭️",
      running: "⚙️",
      ready: "⏳",
      waiting: "⏸️",
      blocked: "🔒",
    })[
      phase
    ] ??
      "•";
  const lines = [
    SUMMARY_MARKER,
    `## p2p-dev summary for #${m.issue}`,
    "",
    `**Status:** ${
      m.status === "budget_reached" ? "stopped by the cost budget" : m.status
    } · **Tasks:** ${m.totals.done}/${m.totals.tasks} done, ${m.totals.failed} failed, ${
      m.totals.skipped ? `${m.totals.skipped} skipped, ` : ""
    }${m.totals.running} running · ` +
    `**Attempts:** ${m.totals.attempts} · **Duplicate results ignored:** ${m.totals.duplicateResults}`,
    "",
    m.leader
      ? `**Leader:** ${code(m.leader.node)} (term ${m.leader.term}) · **Planner:** ${
        cell(m.plan?.planner ?? "none", 100)
      } · **Nodes:** ${m.nodes.length}`
      : "**Leader:** none yet",
    "",
    costLine(m),
    "",
    "| Task | Title | Priority | State | Attempts | By | Cost |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    ...capRows(
      m.tasks.map((t) =>
        `| ${cell(t.id, 64)} | ${cell(t.title, 200)} | ${t.priority} | ${
          icon(t.phase)
        } ${t.phase} | ${t.attempts.length} | ${t.doneBy ? cell(t.doneBy, 100) : ""} | ${
          t.costUsd !== null ? `$${t.costUsd.toFixed(4)}` : ""
        } |`
      ),
    ),
    "",
    `**API:** ${m.totals.comments} comments on the issue, ${m.totals.protocolComments} protocol messages ` +
    `(${
      m.totals.tasks ? (m.totals.protocolComments / m.totals.tasks).toFixed(2) : "0"
    } per task). ` +
    `Ceiling with the ${m.ceiling.tokenKind} token and ${m.ceiling.nodes} node(s): ` +
    `${
      Math.round(m.ceiling.tasksPerHourByWrites)
    } tasks/h by the write limit, one counted read per node every ` +
    `${Math.round(m.ceiling.pollIntervalSec)} s.`,
  ];
  const denied = m.tasks.flatMap((t) =>
    t.attempts.filter((a) => a.denied.length > 0).map((a) =>
      `- ${t.id} attempt ${a.n} (${a.end ?? "running"}${a.failure ? `, ${a.failure}` : ""}): ${
        a.denied.map((d) => code(d)).join(", ")
      }`
    )
  );
  if (denied.length) {
    lines.push(
      "",
      "**Denied tool calls** (an attempt whose shell commands or file changes were denied " +
        "counts as failed unless `--accept-denials`):",
      ...denied,
    );
  }
  const ignored = Object.entries(m.ignored).filter(([, n]) => n > 0);
  if (ignored.length || m.foreign) {
    lines.push(
      "",
      `**Ignored messages:** ${ignored.map(([k, n]) => `${k} ${n}`).join(", ") || "none"}; ` +
        `${m.foreign} ordinary comment(s).`,
    );
  }
  return lines.join("\n") + "\n";
}
