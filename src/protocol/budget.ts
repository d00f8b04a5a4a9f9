/**
 * Budget arithmetic (DESIGN.md, "Budget arithmetic"): what GitHub's limits
 * allow a swarm of `n` nodes on one issue, and the poll interval each node
 * derives from it.
 *
 * Figures, from GitHub's REST documentation ("Rate limits for the REST API"):
 * `GITHUB_TOKEN` 1,000 requests per hour per repository; a personal access
 * token 5,000 per hour; a GitHub App installation up to 12,500. Secondary:
 * content creation at most 80 per minute and 500 per hour; conditional
 * requests answered 304 do not count against the primary limit.
 *
 * @module
 */

/** The kind of token the swarm runs with. */
export type TokenKind = "actions" | "pat" | "app";

/** Primary requests per hour by token kind. */
export const PRIMARY_LIMIT: Record<TokenKind, number> = {
  actions: 1_000,
  pat: 5_000,
  app: 12_500,
};

/** Content-creation limits per identity. */
export const WRITE_LIMIT = { perMinute: 80, perHour: 500 } as const;

/** The ceiling of a swarm, as `status` and the summary show it. */
export interface Ceiling {
  tokenKind: TokenKind;
  nodes: number;
  requestsPerHour: number;
  /** Counted reads each node may make per hour. */
  readsPerNodeHour: number;
  /** Seconds between polls that keep the swarm inside the read budget. */
  pollIntervalSec: number;
  /** Tasks per hour the write limit allows at `writesPerTask`. */
  tasksPerHourByWrites: number;
  writesPerTask: number;
}

/**
 * Computes the ceiling for `nodes` nodes sharing one token kind.
 * `readShare` is the part of the primary budget kept for polling (the rest
 * covers writes, permission look-ups and retries).
 *
 * @example
 * ```ts
 * ceiling({ tokenKind: "actions", nodes: 20, writesPerTask: 2 }).pollIntervalSec; // 90
 * ```
 */
export function ceiling(
  options: {
    tokenKind: TokenKind;
    nodes: number;
    writesPerTask: number;
    readShare?: number;
    requestsPerHour?: number;
  },
): Ceiling {
  const nodes = Math.max(1, options.nodes);
  const requestsPerHour = options.requestsPerHour ?? PRIMARY_LIMIT[options.tokenKind];
  const readShare = options.readShare ?? 0.8;
  const readsPerNodeHour = (requestsPerHour * readShare) / nodes;
  const writesPerTask = Math.max(1, options.writesPerTask);
  return {
    tokenKind: options.tokenKind,
    nodes,
    requestsPerHour,
    readsPerNodeHour,
    pollIntervalSec: 3600 / readsPerNodeHour,
    tasksPerHourByWrites: WRITE_LIMIT.perHour / writesPerTask,
    writesPerTask,
  };
}

/**
 * The poll interval a node uses: the budget's interval while the node is idle
 * and work may appear, doubled while it executes a long task, clamped to
 * `[minMs, maxMs]`.
 *
 * @example
 * ```ts
 * pollInterval({ tokenKind: "pat", nodes: 5, mode: "idle", minMs: 2_000, maxMs: 300_000 });
 * ```
 */
export function pollInterval(
  options: {
    tokenKind: TokenKind;
    nodes: number;
    mode: "idle" | "busy";
    minMs: number;
    maxMs: number;
    requestsPerHour?: number;
  },
): number {
  const base = ceiling({
    tokenKind: options.tokenKind,
    nodes: options.nodes,
    writesPerTask: 1,
    ...(options.requestsPerHour ? { requestsPerHour: options.requestsPerHour } : {}),
  }).pollIntervalSec * 1000;
  // Idle polls at the budget's rate (a poll that finds nothing new is a free
  // 304, one that finds news is what the budget pays for); a node busy with a
  // long task needs the log only to notice a lost claim, at half that rate.
  const scaled = options.mode === "idle" ? base : base * 2;
  return Math.round(Math.min(options.maxMs, Math.max(options.minMs, scaled)));
}
