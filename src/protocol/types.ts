/**
 * The protocol's vocabulary: tasks, plans, events and the comments that carry
 * them. Pure data, no I/O.
 *
 * @module
 */

/** Task priority, highest first when scheduling. */
export type Priority = "critical" | "high" | "medium" | "low";

/** Priorities in scheduling order, highest first. */
export const PRIORITIES: readonly Priority[] = ["critical", "high", "medium", "low"];

/**
 * One node of the task graph, as the leader publishes it.
 *
 * @example
 * ```ts
 * const t: PlanTask = { id: "T1", title: "Add API", priority: "high", deps: [] };
 * ```
 */
export interface PlanTask {
  /** Stable id, unique in the plan: letters, digits, `-`, `_`, `.`. */
  id: string;
  /** One line a person reads. */
  title: string;
  /** What the agent is asked to do; defaults to the title. */
  body?: string;
  priority: Priority;
  /** Ids of tasks that must be done before this one may start. */
  deps: string[];
  /** Heading the task was written under, if any. */
  group?: string;
  /** Estimate in hours, if the planner gave one. */
  estimateHours?: number;
}

/**
 * The longest lease a claim may ask for, in plan leases: a crashed owner's
 * task is taken over within four plan leases at the most (40 minutes with
 * the default 10).
 *
 * @example
 * ```ts
 * const longest = MAX_LEASE_FACTOR * 600_000; // 40 minutes
 * ```
 */
export const MAX_LEASE_FACTOR = 4;

/**
 * Timing and retry settings the leader publishes with the plan, so that every
 * node judges leases and retries alike whatever its own configuration.
 *
 * @example
 * ```ts
 * const s: PlanSettings = { leaseMs: 600_000, maxAttempts: 3, backoffMs: 30_000 };
 * ```
 */
export interface PlanSettings {
  /** A claim lapses when no message of its owner about it came for this long (server time). */
  leaseMs: number;
  /** Failed attempts (including lapsed ones) after which a task is failed for good. */
  maxAttempts: number;
  /** Wait after a failed attempt before the next one opens. */
  backoffMs: number;
  /**
   * Swarm-wide cost cap in US dollars (`--max-cost-usd`): once the costs the
   * executors reported reach it, no node claims new work (see `cost.ts`).
   */
  maxCostUsd?: number;
}

/** A task result's details, as the owner reports them on completion or failure. */
export interface TaskResult {
  /** Short human summary (tail of output, redacted). */
  summary?: string;
  costUsd?: number;
  turns?: number;
  durationMs?: number;
  branch?: string;
  pr?: string;
  exitCode?: number;
  /**
   * Tool calls the agent was denied, in Claude Code's permission-rule syntax
   * (`Bash(npm test)`, `Write(src/a.ts)`, `WebFetch`), so a person can copy
   * one into `--allowed-tools`.
   */
  denied?: string[];
  /**
   * Why the attempt failed, as a short machine-readable kind
   * (`permission_denied`, `max_turns`, `max_budget`, `api_error`,
   * `not_logged_in`, `startup`, `no_result`, `timeout`, `stopped`, `error`).
   */
  failure?: string;
  /**
   * `false`: a retry would fail the same way (a permission denial comes from
   * the configuration every node shares), so this failure ends the task for
   * good at once instead of after `maxAttempts`; `--retry-failed` (a `retry`)
   * reopens it. Absent: retried as usual.
   */
  retryable?: false;
}

/** Status carried by a progress event. */
export type ProgressStatus = "in_progress" | "completed" | "failed";

/** One protocol event. A comment carries one or more events. */
export type ProtocolEvent =
  | { type: "announce"; role?: string; version?: string; exec?: string; tokenKind?: string }
  | { type: "election"; term: number; timeoutMs: number }
  | {
    type: "plan";
    term: number;
    /** The id of the leader's winning election comment (fencing token). */
    token: number;
    version: number;
    part: number;
    parts: number;
    planner?: string;
    /** Present on part 1 only. */
    settings?: PlanSettings;
    tasks: PlanTask[];
  }
  | {
    type: "claim";
    task: string;
    attempt: number;
    /**
     * The lease this attempt asks for, ms (the claimer sizes it from the
     * task durations the log shows); the fold keeps it between the plan's
     * lease and {@linkcode MAX_LEASE_FACTOR} times it. Without it, the
     * plan's lease.
     */
    leaseMs?: number;
  }
  | {
    type: "progress";
    task: string;
    attempt: number;
    status: ProgressStatus;
    percent?: number;
    note?: string;
    result?: TaskResult;
  }
  | { type: "heartbeat"; tasks: { task: string; attempt: number; percent?: number }[] }
  | { type: "release"; task: string; attempt: number; reason?: string }
  | { type: "retry"; tasks: string[] }
  | {
    type: "resign";
    /** The term the leader gives up. */
    term: number;
    /** Why: its planning failed, or it was stopped before its plan was out. */
    cause: ResignCause;
    reason?: string;
    /** With `plan_failed`: a digest of the issue text that failed to plan (a later node compares it). */
    issue?: string;
  }
  | { type: "end"; reason?: string }
  | {
    type: "vouch";
    /** Logins the sender trusts, and why (see `docs/PROTOCOL.md`, "Trust"). */
    logins: Vouch[];
  }
  | {
    type: "restore";
    /** Id of a comment that was edited or deleted after the sender folded it. */
    comment: number;
    /** Its author and `created_at` (epoch ms), as the sender saw them. */
    author: string;
    createdAt: number;
    /** The message it carried; absent when it carried none (it never counts). */
    message?: Message;
  };

/**
 * Why a node vouches for a login: its permission on the repository as the
 * node looked it up (`GET /collaborators/{user}/permission`), or `allow` (the
 * node's `--allow` list).
 */
export type VouchReason = "admin" | "maintain" | "write" | "allow";

/** One login a node vouches for. */
export interface Vouch {
  login: string;
  reason: VouchReason;
}

/** Why a leader resigned. */
export type ResignCause = "plan_failed" | "interrupted";

/** The type tags of {@linkcode ProtocolEvent}. */
export type EventType = ProtocolEvent["type"];

/**
 * A decoded message: who sent it (node id), its nonce, its events, and the
 * signature if one was attached.
 */
export interface Message {
  /** Protocol version of the payload; 0 for the original design's plain lines. */
  v: number;
  node: string;
  nonce: string;
  events: ProtocolEvent[];
  /** Hex HMAC-SHA256 over the canonical payload, when a secret is configured. */
  sig?: string;
}

/**
 * An issue comment as the protocol sees it: the REST API's fields that matter,
 * with times as epoch milliseconds (server time, one-second resolution).
 *
 * @example
 * ```ts
 * const c: LogComment = {
 *   id: 2_200_000_001, body: "hello", author: "octocat", authorType: "User",
 *   createdAt: 0, updatedAt: 0,
 * };
 * ```
 */
export interface LogComment {
  id: number;
  body: string;
  author: string;
  authorType: string;
  createdAt: number;
  updatedAt: number;
  authorAssociation?: string;
}

/**
 * Which log a message belongs to: the repository (`owner/name`) and the issue.
 * Signatures cover both, so a signed message counts on no other issue of any
 * repository, even where the same secret is shared (an organisation secret).
 *
 * @example
 * ```ts
 * const where: LogRef = { repo: "octo-org/notes-app", issue: 7 };
 * ```
 */
export interface LogRef {
  /** `owner/name`; compared without regard to case, as GitHub does. */
  repo: string;
  issue: number;
}
