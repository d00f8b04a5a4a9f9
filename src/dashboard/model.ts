/**
 * The page's model: the protocol's own fold and views applied to a
 * {@linkcode Snapshot}, plus the rows the tabs show. Pure: the page, the
 * tests and `dashboard serve` compute the same thing from the same comments.
 *
 * Each comment is folded with `applyComment` in id order (which is what
 * `fold` does), and what the fold counted while applying it (ignored
 * reasons, an ordinary comment) becomes that comment's verdict in the
 * P2P Messages tab: the page never re-implements a rule.
 *
 * @module
 */
import { type Ceiling, ceiling, type TokenKind } from "../protocol/budget.ts";
import { decodeBody } from "../protocol/codec.ts";
import { costCap, roundUsd, spentUsd, taskCostUsd } from "../protocol/cost.ts";
import { parseCommand } from "../protocol/command.ts";
import { applyComment } from "../protocol/fold.ts";
import { emptyState, type SwarmState } from "../protocol/state.ts";
import type { TrustPolicy } from "../protocol/trust.ts";
import type { LogComment, ProtocolEvent } from "../protocol/types.ts";
import {
  currentLeader,
  isFinished,
  liveAttempt,
  type PhaseCounts,
  phaseCounts,
  type TaskPhase,
  taskPhase,
} from "../protocol/view.ts";
import { toLogComment } from "../github/rest.ts";
import type { RunView, Snapshot } from "./snapshot.ts";

/** One row of the P2P Messages tab: one event of a comment (or the comment itself). */
export interface MessageRow {
  commentId: number;
  /** Server time of the comment (epoch ms). */
  time: number;
  author: string;
  /** `accepted` entered the fold; `ignored` was kept out (see `reason`); `ordinary` is people talking. */
  verdict: "accepted" | "ignored" | "ordinary";
  /** Event type, `malformed`, or `comment` for an ordinary comment. */
  type: string;
  node: string;
  task: string;
  /** A short text: note, summary, the start of an ordinary comment. Attacker-controlled. */
  detail: string;
  /** Why the fold ignored this event or comment (`untrusted_author`, `lost_claim`, ...). */
  reason: string | null;
  link: string;
}

/** A node as the Overview shows it. */
export interface NodeRow {
  node: string;
  author: string;
  role: string;
  exec: string | null;
  firstSeen: number;
  lastSeen: number;
  messages: number;
  tasksDone: number;
  /** Tasks it holds a live lease on now. */
  running: string[];
  /** Whether it spoke within one lease of now. */
  active: boolean;
}

/** A task as the Overview shows it. */
export interface TaskRow {
  id: string;
  title: string;
  priority: string;
  group: string | null;
  /** Stored status in the fold (`pending`, `active`, `done`, `failed`). */
  status: string;
  /** Phase at `now` (`ready`, `running`, `skipped`, ...). */
  phase: TaskPhase;
  attempts: number;
  by: string | null;
  percent: number;
  /** Dollars over all its attempts, failed ones included (the protocol's cost view). */
  costUsd: number | null;
  durationMs: number | null;
  branch: string | null;
  pr: string | null;
}

/** One attempt on the timeline chart. */
export interface AttemptBar {
  node: string;
  task: string;
  attempt: number;
  start: number;
  end: number;
  /** `running` or how the attempt ended. */
  outcome: string;
}

/** Everything the tabs render. */
export interface DashboardModel {
  state: SwarmState;
  now: number;
  /** As `metrics.json` says it (`budget_reached`: the cap stopped new work, nothing runs). */
  status: "no_plan" | "running" | "finished" | "budget_reached" | "ended";
  leader: { node: string; term: number; author: string } | null;
  phases: PhaseCounts;
  successRate: number | null;
  /** Dollars the swarm reported, every attempt (`spentUsd`, as `state` and `metrics.json`). */
  costUsd: number;
  costReported: boolean;
  /** The swarm-wide cost cap in force (`costCap`), or null. */
  costCapUsd: number | null;
  /** The reported costs reached the cap: no node claims new work. */
  budgetReached: boolean;
  nodes: NodeRow[];
  tasks: TaskRow[];
  attempts: AttemptBar[];
  rows: MessageRow[];
  ignoredTotal: number;
  api: {
    tokenKind: TokenKind;
    ceiling: Ceiling;
    /** Protocol comments per swarm identity (each is one write). */
    writes: Record<string, number>;
    /** Protocol comments in the hour before `now`. */
    writesLastHour: number;
  };
  /** Messages carry signatures the page could not check (no secret given). */
  signedUnverified: boolean;
  runs: RunView[] | null;
}

const WRITE_ASSOCIATIONS = new Set(["OWNER", "MEMBER", "COLLABORATOR"]);

/**
 * The trust policy a snapshot describes.
 *
 * @example
 * ```ts
 * const policy = policyOf(snapshot);
 * policy.self; // "github-actions[bot]"
 * ```
 */
export function policyOf(snapshot: Snapshot, secret?: string): TrustPolicy {
  const writers = new Set(snapshot.trust.writers);
  if (snapshot.trust.byAssociation) {
    for (const c of snapshot.comments) {
      if (c.user && WRITE_ASSOCIATIONS.has(String(c.author_association))) writers.add(c.user.login);
    }
  }
  return {
    repo: snapshot.repo,
    issue: snapshot.issue,
    self: snapshot.trust.self ?? undefined,
    allow: new Set(snapshot.trust.allow),
    writers,
    secret: secret || undefined,
  };
}

/** Which event types an ignore reason can come from (for attributing reasons to events). */
const REASON_EVENTS: Record<string, readonly string[]> = {
  lost_election: ["election"],
  stale_election: ["election"],
  not_leader: ["plan", "resign"],
  stale_resign: ["resign"],
  cancelled_task: ["progress"],
  bad_token: ["plan"],
  stale_plan: ["plan"],
  malformed_plan: ["plan"],
  duplicate_part: ["plan"],
  invalid_plan: ["plan"],
  invalid_claim: ["claim"],
  lost_claim: ["claim"],
  unknown_task: ["claim", "progress", "release", "retry"],
  not_owner: ["progress", "heartbeat", "release"],
  duplicate_result: ["progress"],
  stale_attempt: ["progress"],
};

/**
 * Folds a snapshot's comments and derives what the tabs show.
 *
 * @example
 * ```ts
 * const model = buildModel(snapshot, Date.now());
 * model.leader?.node;
 * ```
 */
export function buildModel(
  snapshot: Snapshot,
  clockNow: number,
  options: { secret?: string } = {},
): DashboardModel {
  const policy = policyOf(snapshot, options.secret);
  const byId = new Map<number, LogComment>();
  const raw = new Map<number, Snapshot["comments"][number]>();
  for (const c of snapshot.comments) {
    try {
      const log = toLogComment(c);
      byId.set(log.id, log);
      raw.set(log.id, c);
    } catch {
      // An entry without a usable id or time is skipped, as `state --comments` does.
    }
  }
  const comments = [...byId.values()].sort((a, b) => a.id - b.id);
  const state = emptyState();
  const rows: MessageRow[] = [];
  let signedUnverified = false;
  let announcedKind: TokenKind | null = null;
  for (const c of comments) {
    const ignoredBefore = { ...state.ignored };
    const foreignBefore = state.foreign;
    const acceptedBefore = state.accepted;
    applyComment(state, c, policy);
    const reasons: string[] = [];
    for (const [reason, n] of Object.entries(state.ignored)) {
      for (let i = ignoredBefore[reason] ?? 0; i < n; i++) reasons.push(reason);
    }
    const link = raw.get(c.id)?.html_url ??
      `${snapshot.htmlUrl}/${snapshot.repo}/issues/${snapshot.issue}#issuecomment-${c.id}`;
    const base = { commentId: c.id, time: c.createdAt, author: c.author, link };
    if (state.foreign > foreignBefore) {
      rows.push({
        ...base,
        verdict: "ordinary",
        type: "comment",
        node: c.author,
        task: "",
        detail: excerpt(c.body),
        reason: null,
      });
      continue;
    }
    const decoded = decodeBody(c.body);
    const command = decoded.kind === "foreign" ? parseCommand(c.body) : undefined;
    if (command) {
      // A person steering the swarm (`/p2p-dev stop`, `cancel T3`, ...).
      rows.push({
        ...base,
        verdict: reasons.length ? "ignored" : "accepted",
        type: `command ${command.verb}`,
        node: c.author,
        task: "task" in command ? command.task ?? "" : "",
        detail: excerpt(c.body),
        reason: reasons.join(", ") || null,
      });
      continue;
    }
    if (decoded.kind !== "message") {
      rows.push({
        ...base,
        verdict: "ignored",
        type: "malformed",
        node: c.author,
        task: "",
        detail: decoded.kind === "malformed" ? decoded.error : "",
        reason: reasons.join(", ") || "malformed",
      });
      continue;
    }
    const message = decoded.message;
    if (message.sig && !policy.secret) signedUnverified = true;
    const accepted = state.accepted > acceptedBefore;
    // Reasons of the whole comment (trust, duplicate nonce, ...) apply to every event.
    const whole = accepted ? [] : reasons;
    const pending = accepted ? [...reasons] : [];
    for (const event of message.events) {
      if (accepted && event.type === "announce" && event.tokenKind && !announcedKind) {
        if (["actions", "pat", "app"].includes(event.tokenKind)) {
          announcedKind = event.tokenKind as TokenKind;
        }
      }
      const own: string[] = [];
      for (let i = 0; i < pending.length; i++) {
        if (REASON_EVENTS[pending[i]!]?.includes(event.type)) {
          own.push(...pending.splice(i, 1));
          // A heartbeat may be refused for several of its tasks.
          if (event.type !== "heartbeat") break;
          i--;
        }
      }
      const reason = [...whole, ...own].join(", ") || null;
      rows.push({
        ...base,
        verdict: reason ? "ignored" : "accepted",
        type: event.type,
        node: message.node,
        task: eventTask(event),
        detail: eventDetail(event),
        reason,
      });
    }
    if (pending.length && rows.length) {
      // Anything not attributable to one event stays visible on the comment's last row.
      const last = rows[rows.length - 1]!;
      last.reason = [last.reason, ...pending].filter(Boolean).join(", ");
      last.verdict = "ignored";
    }
  }

  const now = snapshot.serverNow ??
    (snapshot.source === "static" ? state.lastTime : Math.max(state.lastTime, clockNow));
  const phases = phaseCounts(state, now);
  const leader = currentLeader(state);
  const tasks: TaskRow[] = state.order.map((id) => {
    const t = state.tasks[id]!;
    const phase = taskPhase(state, t, now);
    const result = t.done?.result;
    const first = t.attempts[0]?.claimedAt;
    return {
      id,
      title: t.def.title,
      priority: t.def.priority,
      group: t.def.group ?? null,
      status: t.status,
      phase,
      attempts: t.attempts.length,
      by: t.done?.node ?? (phase === "running" ? t.attempts.at(-1)?.node ?? null : null),
      percent: phase === "done" ? 100 : t.percent,
      costUsd: (() => {
        const cost = taskCostUsd(t);
        return cost === undefined ? null : roundUsd(cost);
      })(),
      durationMs: t.done && first !== undefined ? t.done.at - first : null,
      branch: result?.branch ?? null,
      pr: result?.pr ?? null,
    };
  });
  const attempts: AttemptBar[] = [];
  for (const id of state.order) {
    const t = state.tasks[id]!;
    const live = liveAttempt(state, t, now);
    for (const a of t.attempts) {
      attempts.push({
        node: a.node,
        task: id,
        attempt: a.n,
        start: a.claimedAt,
        end: a.end?.at ?? (a === live ? now : a.lastBeat),
        outcome: a.end?.kind ?? (a === live ? "running" : "lapsed"),
      });
    }
  }
  const nodes: NodeRow[] = Object.values(state.nodes)
    .sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0))
    .map((n) => ({
      node: n.node,
      author: n.author,
      role: leader?.node === n.node ? "leader" : n.role,
      exec: n.exec ?? null,
      firstSeen: n.firstSeen,
      lastSeen: n.lastSeen,
      messages: n.messages,
      tasksDone: tasks.filter((t) => t.status === "done" && t.by === n.node).length,
      running: tasks.filter((t) => t.phase === "running" && t.by === n.node).map((t) => t.id),
      active: now - n.lastSeen <= state.settings.leaseMs,
    }));
  const finished = phases.done + phases.failed + phases.skipped;
  const costUsd = spentUsd(state);
  const cap = costCap(state, snapshot.maxCostUsd ?? undefined);
  const budgetReached = cap !== undefined && costUsd >= cap;
  const swarmAuthors = new Set(Object.values(state.nodes).map((n) => n.author));
  const writes: Record<string, number> = {};
  let writesLastHour = 0;
  for (const c of comments) {
    if (!swarmAuthors.has(c.author) || !c.body.includes("<!-- p2p-dev v")) continue;
    writes[c.author] = (writes[c.author] ?? 0) + 1;
    if (c.createdAt > now - 3_600_000) writesLastHour++;
  }
  const tokenKind = snapshot.tokenKind ?? announcedKind ?? "actions";
  const protocolComments = Object.values(writes).reduce((a, b) => a + b, 0);
  return {
    state,
    now,
    status: state.ended
      ? "ended"
      : !state.plan
      ? "no_plan"
      : isFinished(state, now)
      ? "finished"
      : budgetReached && phases.running === 0
      ? "budget_reached"
      : "running",
    leader: leader ? { node: leader.node, term: leader.term, author: leader.author } : null,
    phases,
    successRate: finished === 0 ? null : phases.done / finished,
    costUsd,
    costReported: tasks.some((t) => t.costUsd !== null),
    costCapUsd: cap ?? null,
    budgetReached,
    nodes,
    tasks,
    attempts,
    rows,
    ignoredTotal: Object.values(state.ignored).reduce((a, b) => a + b, 0),
    api: {
      tokenKind,
      ceiling: ceiling({
        tokenKind,
        nodes: Math.max(1, nodes.length),
        writesPerTask: state.order.length ? Math.max(1, protocolComments / state.order.length) : 1,
      }),
      writes,
      writesLastHour,
    },
    signedUnverified,
    runs: snapshot.runs,
  };
}

function eventTask(event: ProtocolEvent): string {
  switch (event.type) {
    case "claim":
    case "progress":
    case "release":
      return event.task;
    case "heartbeat":
      return event.tasks.map((t) => t.task).join(", ");
    case "retry":
      return event.tasks.join(", ");
    case "plan":
      return `plan v${event.version} part ${event.part}/${event.parts} (${event.tasks.length} tasks)`;
    case "election":
    case "resign":
      return `term ${event.term}`;
    default:
      return "";
  }
}

function eventDetail(event: ProtocolEvent): string {
  switch (event.type) {
    case "claim":
      return `attempt ${event.attempt}`;
    case "progress": {
      const parts = [`attempt ${event.attempt}`, event.status];
      if (event.percent !== undefined) parts.push(`${event.percent}%`);
      if (event.note) parts.push(event.note);
      if (event.result?.summary) parts.push(event.result.summary);
      return excerpt(parts.join(" · "));
    }
    case "release":
      return excerpt(`attempt ${event.attempt}${event.reason ? ` · ${event.reason}` : ""}`);
    case "announce":
      return [event.role, event.exec, event.version].filter(Boolean).join(" · ");
    case "end":
      return excerpt(event.reason ?? "");
    case "resign":
      return excerpt([event.cause, event.reason].filter(Boolean).join(" · "));
    default:
      return "";
  }
}

function excerpt(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > 160 ? flat.slice(0, 159) + "…" : flat;
}
