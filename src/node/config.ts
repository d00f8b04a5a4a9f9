/**
 * A node's configuration, its defaults, and the timing check done at start.
 *
 * @module
 */
import type { TokenKind } from "../protocol/budget.ts";
import { DEFAULT_SETTINGS } from "../protocol/state.ts";

/**
 * Everything a node's behaviour depends on besides its ports.
 *
 * @example
 * ```ts
 * const config = defaultConfig(7, "laptop-1234", { settleMs: 2_000 });
 * validateTiming(config);
 * ```
 */
export interface NodeConfig {
  issue: number;
  /** This node's id in the log. */
  node: string;
  tokenKind: TokenKind;
  /** Override of the token's primary limit (requests per hour). */
  requestsPerHour?: number;
  /**
   * The longest wait after posting a claim or an election before re-reading
   * to confirm it (list lag): the settle window's ceiling. The node waits
   * what the lag it measures calls for, between `settleFloorMs` and this.
   */
  settleMs: number;
  /** The shortest settle window (default 1 s, at most `settleMs`). */
  settleFloorMs?: number;
  /** How long a leader may stay silent before its plan is complete, before others replace it. */
  electionTimeoutMs: number;
  /** A claim lapses without a message from its owner for this long (published with the plan). */
  leaseMs: number;
  /**
   * How long after its last write an owner renews its lease (a heartbeat or
   * progress write): at most 75% of the lease, when a quarter is left.
   */
  renewMs: number;
  /** The shortest poll interval (the retry period). */
  pollMinMs: number;
  /** The longest poll interval. */
  pollMaxMs: number;
  /** Random spread added to waits, as a fraction (0.2 = up to +20%). */
  jitter: number;
  /** Failed attempts before a task is failed for good (published with the plan). */
  maxAttempts: number;
  /** Wait after a failure before the next attempt (published with the plan). */
  backoffMs: number;
  /** Take an atomic git-ref lock for claims and elections (`--strict`). */
  strict: boolean;
  /** Stop after this many completed tasks. */
  maxTasks?: number;
  /** Stop (releasing claims) after this much local time. */
  maxRuntimeMs?: number;
  /**
   * Swarm-wide cost cap in dollars (`--max-cost-usd`): the leader publishes it
   * with the plan; a node with its own cap obeys its own. Once the costs in
   * the log reach it, the node claims nothing new and stops.
   */
  maxCostUsd?: number;
  /** Retry tasks failed for good in the plan in force (a second trigger). */
  retryFailed: boolean;
  /** Only lead and plan; do not work (`p2p-dev elect`/`plan`). */
  role: "all" | "elect" | "plan" | "work";
  /** How far back `since` reaches before the newest comment seen, to catch lagging comments. */
  sinceSlackMs: number;
  /**
   * Nodes in the swarm, when known up front (a matrix's `strategy.job-total`):
   * admission control then needs no announcements to size the budget.
   */
  swarmSize?: number;
  /** This node's place in the swarm (a matrix's job index, 0- or 1-based): which nodes start warm. */
  seat?: number;
  /** Without a swarm size, a node announces itself at a random moment within this long of its start. */
  announceSpreadMs: number;
  /**
   * Testing (`--time-scale`): multiplies a standby's poll interval, which is
   * worked out from GitHub's hourly budget and so is minutes long, for
   * emulator runs whose other timings are shrunk alike. 1 (the default) on GitHub.
   */
  timeScale?: number;
}

/**
 * Defaults for real GitHub: list lag of 5–20 s has been reported, so the
 * settle window is at most 10 s (it adapts to the lag measured, down to
 * 1 s); leases are 10 minutes, renewed only once at risk, with 2.5 left.
 *
 * @example
 * ```ts
 * defaultConfig(1, "n1").leaseMs; // 600000
 * ```
 */
export function defaultConfig(
  issue: number,
  node: string,
  overrides: Partial<NodeConfig> = {},
): NodeConfig {
  return {
    issue,
    node,
    tokenKind: "actions",
    settleMs: 10_000,
    electionTimeoutMs: 5 * 60_000,
    leaseMs: DEFAULT_SETTINGS.leaseMs,
    renewMs: 7.5 * 60_000,
    pollMinMs: 5_000,
    pollMaxMs: 5 * 60_000,
    jitter: 0.2,
    maxAttempts: DEFAULT_SETTINGS.maxAttempts,
    backoffMs: DEFAULT_SETTINGS.backoffMs,
    strict: false,
    retryFailed: false,
    role: "all",
    sinceSlackMs: 2 * 60_000,
    announceSpreadMs: 20_000,
    ...overrides,
  };
}

/**
 * Checks the timing settings, as client-go's leader election does:
 * lease > renew > poll × (1 + jitter), the settle window fits in the lease,
 * and its floor lies between 0 and the window.
 * Throws a `RangeError` that says which relation fails and why it matters.
 *
 * @example
 * ```ts
 * validateTiming(defaultConfig(1, "n1")); // ok
 * ```
 */
export function validateTiming(config: NodeConfig): void {
  const positive: (keyof NodeConfig)[] = [
    "settleMs",
    "electionTimeoutMs",
    "leaseMs",
    "renewMs",
    "pollMinMs",
    "pollMaxMs",
  ];
  for (const key of positive) {
    const v = config[key];
    if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) {
      throw new RangeError(`Invalid ${key} ${String(v)}: it must be a positive number of ms.`);
    }
  }
  if (!(config.jitter >= 0 && config.jitter <= 1)) {
    throw new RangeError(`Invalid jitter ${config.jitter}: use a fraction between 0 and 1.`);
  }
  if (config.settleFloorMs !== undefined) {
    const floor = config.settleFloorMs;
    if (!Number.isFinite(floor) || floor <= 0) {
      throw new RangeError(
        `Invalid settleFloorMs ${String(floor)}: it must be a positive number of ms ` +
          "(a claim confirmed on the same read that posted it was never checked against lag).",
      );
    }
    if (floor > config.settleMs) {
      throw new RangeError(
        `Settle floor ${floor} ms is longer than the settle window ${config.settleMs} ms: ` +
          "the window adapts between the floor and that ceiling; lower the floor or raise the window.",
      );
    }
  }
  if (config.leaseMs <= config.renewMs) {
    throw new RangeError(
      `Lease ${config.leaseMs} ms must be longer than the renew interval ${config.renewMs} ms: ` +
        "otherwise a healthy owner's claim lapses before it renews it.",
    );
  }
  const retry = config.pollMinMs * (1 + config.jitter);
  if (config.renewMs <= retry) {
    throw new RangeError(
      `Renew interval ${config.renewMs} ms must be longer than the poll interval with jitter ` +
        `(${
          Math.round(retry)
        } ms): otherwise the owner cannot notice a lost claim before renewing.`,
    );
  }
  if (config.settleMs >= config.leaseMs - config.renewMs) {
    throw new RangeError(
      `Settle window ${config.settleMs} ms must be shorter than lease minus renew interval ` +
        `(${
          config.leaseMs - config.renewMs
        } ms): a claim must be confirmed before its first renewal is due.`,
    );
  }
  if (config.pollMaxMs < config.pollMinMs) {
    throw new RangeError(
      `Longest poll interval ${config.pollMaxMs} ms is shorter than the shortest ${config.pollMinMs} ms: swap them.`,
    );
  }
  if (!(config.backoffMs >= 0) || !Number.isFinite(config.backoffMs)) {
    throw new RangeError(`Invalid backoffMs ${config.backoffMs}: use 0 or more milliseconds.`);
  }
  if (
    config.swarmSize !== undefined && (!Number.isInteger(config.swarmSize) || config.swarmSize < 1)
  ) {
    throw new RangeError(
      `Invalid swarm size ${config.swarmSize}: use the number of nodes, 1 or more.`,
    );
  }
  if (config.seat !== undefined && (!Number.isInteger(config.seat) || config.seat < 0)) {
    throw new RangeError(`Invalid seat ${config.seat}: use the job's index, 0 or more.`);
  }
  if (!Number.isInteger(config.maxAttempts) || config.maxAttempts < 1) {
    throw new RangeError(`Invalid maxAttempts ${config.maxAttempts}: use 1 or more.`);
  }
  if (
    config.maxCostUsd !== undefined &&
    !(Number.isFinite(config.maxCostUsd) && config.maxCostUsd > 0)
  ) {
    throw new RangeError(`Invalid maxCostUsd ${config.maxCostUsd}: use a positive dollar amount.`);
  }
}
