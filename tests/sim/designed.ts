/**
 * Hand-written scenarios, for tests that reproduce one fault exactly: a calm
 * world (no random faults, no people, no crashes), every node a matrix job
 * on one `GITHUB_TOKEN`, flat tasks of a fixed length, and whatever the test
 * overrides (scripted faults, a fixed list lag, the node configuration).
 *
 * @module
 */
import { PRIMARY_LIMIT } from "../../src/protocol/budget.ts";
import type { PlanTask } from "../../src/protocol/types.ts";
import { NO_FAULTS } from "./model.ts";
import { ACTIONS_BOT, type NodeSpec, type Scenario } from "./scenario.ts";

/**
 * Nobody on the issue but the swarm.
 *
 * @example
 * ```ts
 * const s: Scenario = { ...base, humans: NO_HUMANS };
 * ```
 */
export const NO_HUMANS: Scenario["humans"] = {
  strangerPerHour: 0,
  trustedPerHour: 0,
  editProbability: 0,
  sameSecondEditProbability: 0,
  deleteProbability: 0,
};

/**
 * The node's production defaults (settle 1.5–10 s, lease 10 min renewed with 2.5 left,
 * polls 5 s–5 min, three attempts, election timeout 5 min), not strict, on
 * `GITHUB_TOKEN`.
 *
 * @example
 * ```ts
 * const config = { ...PRODUCTION_CONFIG, strict: true };
 * ```
 */
export const PRODUCTION_CONFIG: Scenario["config"] = {
  settleMs: 10_000,
  leaseMs: 10 * 60_000,
  renewMs: 7.5 * 60_000,
  pollMinMs: 5_000,
  pollMaxMs: 5 * 60_000,
  maxAttempts: 3,
  backoffMs: 30_000,
  electionTimeoutMs: 5 * 60_000,
  strict: false,
  tokenKind: "actions",
};

/** What {@linkcode designed} builds. */
export interface DesignedOptions {
  seed?: number;
  nodes: number;
  tasks: number;
  /** Each task's execution, ms. */
  execMs?: number;
  /** When each node starts, ms after the scenario's start (default 100 ms apart). */
  startAt?: (index: number) => number;
  config?: Partial<Scenario["config"]>;
  script?: Scenario["script"];
  fixedLagMs?: number;
  faults?: Partial<Scenario["faults"]>;
  /** Tell every node the swarm's size and its seat (default true: a matrix). */
  sizeHint?: boolean;
  nodeFaults?: Scenario["nodeFaults"];
  /** Each task after the one before (default: none depends on another). */
  chain?: boolean;
}

/**
 * A calm scenario with the given overrides.
 *
 * @example
 * ```ts
 * const s = designed({ nodes: 2, tasks: 1, config: { strict: true } });
 * ```
 */
export function designed(o: DesignedOptions): Scenario {
  const nodes: NodeSpec[] = Array.from({ length: o.nodes }, (_, i) => ({
    node: `run-1-job-${i + 1}`,
    login: ACTIONS_BOT.login,
    accountId: ACTIONS_BOT.id,
    type: "Bot",
    token: "GITHUB_TOKEN",
    offsetMs: 0,
    drift: 0,
    startAt: o.startAt ? o.startAt(i) : i * 100,
  }));
  const tasks: PlanTask[] = Array.from({ length: o.tasks }, (_, i) => ({
    id: `T${i + 1}`,
    title: `Task ${i + 1}`,
    priority: "medium",
    deps: o.chain && i > 0 ? [`T${i}`] : [],
  }));
  const exec: Scenario["exec"] = {};
  for (const t of tasks) exec[t.id] = { durationMs: o.execMs ?? 60_000, failProbability: 0 };
  const s: Scenario = {
    seed: o.seed ?? 1,
    profile: "designed",
    start: Date.UTC(2025, 0, 6, 9, 0, 0),
    issue: 7,
    tokenKind: "actions",
    nodes,
    anchor: nodes[0]!.node,
    tasks,
    exec,
    planMs: 2_000,
    faults: { ...NO_FAULTS, ...o.faults },
    nodeFaults: o.nodeFaults ?? [],
    humans: NO_HUMANS,
    allow: [],
    config: { ...PRODUCTION_CONFIG, ...o.config },
    primaryLimit: PRIMARY_LIMIT.actions,
    maintainer: "octo-owner",
    stranger: "mallory",
    sizeHint: o.sizeHint ?? true,
  };
  if (o.script) s.script = o.script;
  if (o.fixedLagMs !== undefined) s.fixedLagMs = o.fixedLagMs;
  return s;
}
