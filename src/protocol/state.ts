/**
 * The shape of the folded swarm state. Plain JSON-compatible objects, so two
 * states compare with `canonicalJson` and a state can be saved and printed.
 *
 * @module
 */
import type { PlanSettings, PlanTask, ResignCause, TaskResult } from "./types.ts";

/** How an attempt ended. */
export type AttemptEndKind =
  | "completed"
  | "failed"
  | "released"
  | "lapsed"
  | "superseded"
  | "cancelled";

/** One attempt at a task: the winning claim and what followed. */
export interface Attempt {
  n: number;
  node: string;
  author: string;
  /** Comment id of the winning claim. */
  claimId: number;
  /** Nonce of the winning claim: tells two processes with one node id apart. */
  claimNonce: string;
  claimedAt: number;
  /** Server time of the owner's last message about this attempt (the lease runs from here). */
  lastBeat: number;
  /** The lease this attempt runs on, when its claim asked for a longer one than the plan's. */
  leaseMs?: number;
  percent: number;
  note?: string;
  end?: { kind: AttemptEndKind; at: number };
  /** What the owner reported when the attempt completed or failed (cost, denials, summary). */
  result?: TaskResult;
}

/** Stored status of a task; see `taskPhase` for the view at a given time. */
export type TaskStatus = "pending" | "active" | "done" | "failed";

/** A task and everything the log says about it. */
export interface TaskState {
  def: PlanTask;
  status: TaskStatus;
  attempts: Attempt[];
  /** Failed or lapsed attempts since the plan or the last retry. */
  failures: number;
  /** Earliest server time the next attempt may be claimed (backoff). */
  openAt: number;
  percent: number;
  done?: { at: number; node: string; attempt: number; commentId: number; result?: TaskResult };
  failedAt?: number;
  /** Set by `/p2p-dev cancel` (the task counts as failed for good until retried). */
  cancelled?: { at: number; by: string };
}

/** The winner of one election term. */
export interface TermInfo {
  term: number;
  node: string;
  author: string;
  /** The winning election comment's id: the leader's fencing token. */
  token: number;
  at: number;
  /** Server time of the leader's last message. */
  lastActivity: number;
  /** How long the leader may stay silent before its term can be replaced (before a plan exists). */
  timeoutMs: number;
  /** Set when the leader gave its term up before a plan was in force: anyone may campaign at once. */
  resigned?: { at: number; cause: ResignCause; reason?: string; issue?: string };
}

/** A node as the log shows it. */
export interface NodeInfo {
  node: string;
  author: string;
  firstSeen: number;
  lastSeen: number;
  role: string;
  exec?: string;
  version?: string;
  messages: number;
}

/** A plan being assembled from its parts. */
export interface PendingPlan {
  term: number;
  version: number;
  parts: number;
  planner?: string;
  settings?: PlanSettings;
  received: Record<string, PlanTask[]>;
  commentIds: number[];
}

/** The plan in force. */
export interface PlanInfo {
  term: number;
  token: number;
  version: number;
  planner: string;
  at: number;
  commentIds: number[];
}

/**
 * The whole state: a pure function of the trusted comments read so far.
 */
export interface SwarmState {
  lastId: number;
  /** Newest comment `created_at` folded (server time). */
  lastTime: number;
  terms: TermInfo[];
  plan: PlanInfo | null;
  pending: Record<string, PendingPlan>;
  settings: PlanSettings;
  /** Task ids in plan order. */
  order: string[];
  tasks: Record<string, TaskState>;
  nodes: Record<string, NodeInfo>;
  /** Messages (or events) kept out of the fold, by reason. */
  ignored: Record<string, number>;
  /** Comments that are not protocol messages at all (people talking). */
  foreign: number;
  /** Trusted messages applied. */
  accepted: number;
  /** Completions reported for a task that was already done. */
  duplicateResults: number;
  /** Nonce -> comment id, for idempotency. */
  nonces: Record<string, number>;
  ended: { at: number; node: string; reason?: string } | null;
  /** The newest trusted `/p2p-dev status` request (the comment answering it is edited in place). */
  statusRequest: { id: number; at: number; by: string } | null;
  /** Logins the log vouches for: the first vouch for each (see `facts.ts`). */
  vouched: Record<string, { by: string; comment: number; reason: string }>;
  /** Comment id -> id of the first trusted comment that restored it. */
  restored: Record<string, number>;
  /**
   * Trusted messages about tasks folded while no plan was in force: the plan
   * exists but this reader cannot see it, so nobody may campaign.
   */
  unplanned: number;
}

/**
 * Settings in force before a plan publishes its own.
 *
 * @example
 * ```ts
 * DEFAULT_SETTINGS.maxAttempts; // 3
 * ```
 */
export const DEFAULT_SETTINGS: PlanSettings = {
  leaseMs: 10 * 60_000,
  maxAttempts: 3,
  backoffMs: 30_000,
};

/**
 * A state with nothing folded yet.
 *
 * @example
 * ```ts
 * const s = emptyState();
 * s.plan; // null
 * ```
 */
export function emptyState(): SwarmState {
  return {
    lastId: 0,
    lastTime: 0,
    terms: [],
    plan: null,
    pending: {},
    settings: { ...DEFAULT_SETTINGS },
    order: [],
    tasks: {},
    nodes: {},
    ignored: {},
    foreign: 0,
    accepted: 0,
    duplicateResults: 0,
    nonces: {},
    ended: null,
    statusRequest: null,
    vouched: {},
    restored: {},
    unplanned: 0,
  };
}
