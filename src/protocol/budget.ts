/**
 * Budget arithmetic (docs/PROTOCOL.md, "Admission"): what GitHub's limits
 * allow a swarm of `n` nodes on one issue. Admission control
 * (`admission.ts`) decides from it how many nodes work at once.
 *
 * Figures, from GitHub's REST documentation ("Rate limits for the REST API",
 * https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api):
 * `GITHUB_TOKEN` 1,000 requests per hour per repository; a personal access
 * token 5,000 per hour; a GitHub App installation 5,000 per hour, plus 50 for
 * each repository over 20 and, on an organization, 50 for each user over 20,
 * up to 12,500. Secondary: content creation at most 80 per minute and 500 per
 * hour; conditional requests answered 304 do not count against the primary
 * limit.
 *
 * @module
 */

/** The kind of token the swarm runs with. */
export type TokenKind = "actions" | "pat" | "app";

/**
 * Primary requests per hour by token kind, the documented floor: a GitHub
 * App installation may have more ({@linkcode appInstallationLimit}); a node
 * measures its token's real limit with `GET /rate_limit`.
 */
export const PRIMARY_LIMIT: Record<TokenKind, number> = {
  actions: 1_000,
  pat: 5_000,
  app: 5_000,
};

/** The most a GitHub App installation gets per hour (outside GitHub Enterprise Cloud). */
export const APP_LIMIT_MAX = 12_500;

/**
 * A GitHub App installation's primary limit: 5,000 requests per hour, plus
 * 50 for each repository over 20 it is installed on and, on an organization,
 * 50 for each user over 20, at most 12,500.
 *
 * @example
 * ```ts
 * appInstallationLimit({ repositories: 30, users: 100 }); // 9500
 * ```
 */
export function appInstallationLimit(o: { repositories: number; users: number }): number {
  const extra = 50 * Math.max(0, o.repositories - 20) + 50 * Math.max(0, o.users - 20);
  return Math.min(APP_LIMIT_MAX, PRIMARY_LIMIT.app + extra);
}

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
