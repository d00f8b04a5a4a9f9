/**
 * One seed's scenario: the swarm, the plan, the executions, the fault rates
 * and the scripted faults. A pure function of the seed and the profile, so a
 * strategy (ours or the original design's) runs against the same world.
 *
 * @module
 */
import type { TokenKind } from "../../src/protocol/budget.ts";
import { type PlanTask, PRIORITIES } from "../../src/protocol/types.ts";
import type { ModelFaults, ScriptedFault } from "./model.ts";
import { derive, Rng } from "./rng.ts";

/**
 * Size limits of generated swarms.
 *
 * @example
 * ```ts
 * const tiny: Profile = { name: "tiny", maxNodes: 3, maxTasks: 5, maxExecMs: 60_000 };
 * ```
 */
export interface Profile {
  name: string;
  maxNodes: number;
  maxTasks: number;
  /** Longest task execution, ms. */
  maxExecMs: number;
}

/**
 * Small swarms for CI: 1–8 nodes, 1–24 tasks.
 *
 * @example
 * ```ts
 * const s = scenario(1, CI_PROFILE);
 * ```
 */
export const CI_PROFILE: Profile = { name: "ci", maxNodes: 8, maxTasks: 24, maxExecMs: 8 * 60_000 };

/**
 * The full range: 1–50 nodes, 1–200 tasks.
 *
 * @example
 * ```ts
 * const s = scenario(1, FULL_PROFILE);
 * ```
 */
export const FULL_PROFILE: Profile = {
  name: "full",
  maxNodes: 50,
  maxTasks: 200,
  maxExecMs: 30 * 60_000,
};

/** One node id and how its machine differs. */
export interface NodeSpec {
  node: string;
  login: string;
  /** Account id of the login. */
  accountId: number;
  type: "Bot" | "User";
  token: string;
  /** Local clock offset from server time, ms. */
  offsetMs: number;
  /** Local clock rate error (0.001 = 0.1% fast). */
  drift: number;
  /** When its first process starts (ms after the scenario start). */
  startAt: number;
}

/** A scripted node-level fault. */
export type NodeFault =
  | { kind: "pause"; node: string; at: number; forMs: number }
  | { kind: "crash"; node: string; at: number; restartAfterMs: number | null }
  | { kind: "crash_after_claim"; node: string; nth: number; restartAfterMs: number | null }
  | { kind: "twin"; node: string; at: number };

/** How one task executes. */
export interface ExecSpec {
  durationMs: number;
  /** Chance that an attempt fails. */
  failProbability: number;
}

/** What people do on the issue. */
export interface HumanSpec {
  /** Comments per hour by an untrusted stranger. */
  strangerPerHour: number;
  /** Comments per hour by a trusted maintainer (foreign or malformed only). */
  trustedPerHour: number;
  /** Chance a human comment is later edited. */
  editProbability: number;
  /** Chance an edit lands within the same second as the post. */
  sameSecondEditProbability: number;
  /** Chance a human comment is later deleted. */
  deleteProbability: number;
}

/**
 * Everything one seed decides.
 *
 * @example
 * ```ts
 * const s: Scenario = scenario(42, CI_PROFILE);
 * s.nodes.length;
 * ```
 */
export interface Scenario {
  seed: number;
  profile: string;
  /** Virtual epoch of the run. */
  start: number;
  issue: number;
  tokenKind: TokenKind;
  nodes: NodeSpec[];
  /** The node whose process never crashes for good (at least one live node). */
  anchor: string;
  tasks: PlanTask[];
  exec: Record<string, ExecSpec>;
  /** How long planning takes, ms. */
  planMs: number;
  faults: ModelFaults;
  /** Faults on chosen requests (hand-written scenarios only). */
  script?: ScriptedFault[];
  /** Every comment lags exactly this long (hand-written scenarios only). */
  fixedLagMs?: number;
  /**
   * Whether every node is told the swarm's size and its seat (a matrix
   * passing `strategy.job-total` and its job index), as admission control uses.
   */
  sizeHint: boolean;
  nodeFaults: NodeFault[];
  humans: HumanSpec;
  secret?: string;
  /** Logins trusted by configuration (`--allow`). */
  allow: string[];
  /** Node configuration overrides. */
  config: {
    settleMs: number;
    leaseMs: number;
    renewMs: number;
    pollMinMs: number;
    pollMaxMs: number;
    maxAttempts: number;
    backoffMs: number;
    electionTimeoutMs: number;
    strict: boolean;
    tokenKind: TokenKind;
    /** `--time-scale` (testing): shrinks a standby's poll interval. */
    timeScale?: number;
  };
  /** Primary limit per hour of the swarm's token(s). */
  primaryLimit: number;
  /** Login of the trusted human and of the stranger. */
  maintainer: string;
  stranger: string;
}

/**
 * The repository every simulated swarm works in (`owner/name`).
 *
 * @example
 * ```ts
 * SIM_REPO.split("/"); // ["octo", "swarm"]
 * ```
 */
export const SIM_REPO = "octo/swarm";

/**
 * The GitHub Actions bot identity.
 *
 * @example
 * ```ts
 * ACTIONS_BOT.login; // "github-actions[bot]"
 * ```
 */
export const ACTIONS_BOT = { login: "github-actions[bot]", id: 41898282 } as const;

/**
 * Generates the scenario of `seed` under `profile`.
 *
 * @example
 * ```ts
 * const s = scenario(42, CI_PROFILE);
 * s.nodes.length; // 1..8
 * ```
 */
export function scenario(seed: number, profile: Profile): Scenario {
  const r = new Rng(derive(seed, "scenario", profile.name));
  const calm = r.chance(0.15);
  const start = Date.UTC(2025, 0, 1) + r.int(0, 30 * 24 * 3_600_000);

  // Swarm size skews small: most swarms are a handful of matrix jobs.
  const nodesN = Math.max(1, Math.min(profile.maxNodes, Math.round(profile.maxNodes ** r.next())));
  const tasksN = Math.max(1, Math.min(profile.maxTasks, Math.round(profile.maxTasks ** r.next())));
  const tokenKind: TokenKind = r.chance(0.65) ? "actions" : "pat";
  const shared = tokenKind === "actions";
  const nodes: NodeSpec[] = [];
  const lateJoiners = r.chance(0.3);
  // Matrix jobs start within a few seconds of each other (same-second created_at ties).
  const spread = r.pick([2_000, 5_000, 20_000]);
  for (let i = 0; i < nodesN; i++) {
    const login = shared ? ACTIONS_BOT.login : `dev-${i % Math.max(1, Math.ceil(nodesN / 2))}`;
    nodes.push({
      node: shared ? `run-1-job-${i + 1}` : `laptop-${i + 1}`,
      login,
      accountId: shared ? ACTIONS_BOT.id : 1000 + (i % Math.max(1, Math.ceil(nodesN / 2))),
      type: shared ? "Bot" : "User",
      token: shared ? "GITHUB_TOKEN" : `pat-${login}`,
      offsetMs: calm ? 0 : Math.round(r.range(-1, 1) * (r.chance(0.2) ? 3_600_000 : 30_000)),
      drift: calm ? 0 : r.range(-1, 1) * (r.chance(0.2) ? 0.05 : 0.001),
      startAt: lateJoiners && i > 0 && r.chance(0.3) ? r.int(0, 40 * 60_000) : r.int(0, spread),
    });
  }
  const anchor = r.pick(nodes).node;

  const tasks = randomDag(r, tasksN);
  const exec: Record<string, ExecSpec> = {};
  const failRate = calm ? 0 : r.rate(0.4, 0.02, 0.4);
  const minExec = Math.min(20_000, profile.maxExecMs / 4);
  for (const t of tasks) {
    const doomed = !calm && r.chance(0.03);
    exec[t.id] = {
      durationMs: Math.round(minExec * (profile.maxExecMs / minExec) ** (r.next() ** 2)),
      failProbability: doomed ? 1 : failRate,
    };
  }

  const leaseMs = r.pick([3, 5, 10]) * 60_000;
  const renewMs = Math.round(leaseMs * 0.4);
  const settleMs = r.pick([2_000, 5_000, 10_000, 20_000]);
  const faults: ModelFaults = calm
    ? {
      replicas: 1,
      lagProbability: 0,
      maxLagMs: 0,
      latencyMs: [40, 400],
      readError: 0,
      readTimeout: 0,
      writeErrorBefore: 0,
      writeErrorAfter: 0,
      writeTimeoutBefore: 0,
      writeTimeoutAfter: 0,
      spuriousLimit: 0,
      retryAfterProbability: 1,
      timeoutMs: 30_000,
    }
    : {
      replicas: r.int(1, 3),
      lagProbability: r.rate(0.2, 0.02, 0.6),
      maxLagMs: r.pick([2_000, 5_000, 20_000, 20_000, 60_000]),
      latencyMs: [r.int(20, 100), r.int(150, 2_000)],
      readError: r.rate(0.4, 0.001, 0.05),
      readTimeout: r.rate(0.6, 0.0005, 0.01),
      writeErrorBefore: r.rate(0.4, 0.001, 0.05),
      writeErrorAfter: r.rate(0.4, 0.001, 0.05),
      writeTimeoutBefore: r.rate(0.6, 0.0005, 0.02),
      writeTimeoutAfter: r.rate(0.6, 0.0005, 0.02),
      spuriousLimit: r.rate(0.5, 0.0005, 0.01),
      retryAfterProbability: r.next(),
      timeoutMs: r.pick([10_000, 30_000]),
    };

  const nodeFaults: NodeFault[] = [];
  if (!calm) {
    const span = Math.max(10 * 60_000, (tasksN * profile.maxExecMs) / (4 * nodesN));
    for (const n of nodes) {
      const permanentOk = n.node !== anchor;
      if (r.chance(0.15)) {
        nodeFaults.push({
          kind: "pause",
          node: n.node,
          at: r.int(0, span),
          forMs: Math.round(leaseMs * r.range(1.1, 3)),
        });
      }
      if (r.chance(0.12)) {
        nodeFaults.push({
          kind: "crash",
          node: n.node,
          at: r.int(0, span),
          restartAfterMs: !permanentOk || r.chance(0.6) ? r.int(5_000, 2 * leaseMs) : null,
        });
      }
      if (r.chance(0.12)) {
        nodeFaults.push({
          kind: "crash_after_claim",
          node: n.node,
          nth: r.int(1, 3),
          restartAfterMs: !permanentOk || r.chance(0.6) ? r.int(1_000, 2 * leaseMs) : null,
        });
      }
      if (r.chance(0.06)) nodeFaults.push({ kind: "twin", node: n.node, at: r.int(0, span) });
    }
  }

  const secret = r.chance(0.3) ? `s3cret-${seed}` : undefined;
  const humans: HumanSpec = calm
    ? {
      strangerPerHour: 0,
      trustedPerHour: 0,
      editProbability: 0,
      sameSecondEditProbability: 0,
      deleteProbability: 0,
    }
    : {
      strangerPerHour: r.rate(0.3, 0.5, 20),
      trustedPerHour: r.rate(0.4, 0.2, 6),
      editProbability: r.range(0, 0.5),
      sameSecondEditProbability: r.chance(0.2) ? 0.1 : 0,
      deleteProbability: r.range(0, 0.3),
    };

  const s: Scenario = {
    seed,
    profile: profile.name,
    start,
    issue: r.int(1, 500),
    tokenKind,
    nodes,
    anchor,
    tasks,
    exec,
    planMs: r.int(1_000, 60_000),
    faults,
    nodeFaults,
    humans,
    allow: !shared && r.chance(0.5) ? [...new Set(nodes.map((n) => n.login))] : [],
    config: {
      settleMs,
      leaseMs,
      renewMs,
      pollMinMs: 5_000,
      pollMaxMs: 5 * 60_000,
      maxAttempts: r.int(1, 4),
      backoffMs: r.pick([5_000, 30_000, 60_000]),
      electionTimeoutMs: r.pick([2, 5]) * 60_000,
      strict: r.chance(0.2),
      tokenKind,
    },
    primaryLimit: tokenKind === "actions" ? 1_000 : 5_000,
    maintainer: "octo-owner",
    stranger: "mallory",
    ...laterChoices(seed, profile, tokenKind),
  };
  if (secret !== undefined) s.secret = secret;
  return s;
}

/** Choices added after the seeds were first recorded: their own stream, so old seeds keep their worlds. */
function laterChoices(seed: number, profile: Profile, tokenKind: TokenKind): { sizeHint: boolean } {
  const r = new Rng(derive(seed, "scenario-later", profile.name));
  // Matrix jobs on GITHUB_TOKEN usually know the matrix size; laptops with PATs do not.
  return { sizeHint: tokenKind === "actions" && r.chance(0.8) };
}

/** A random task graph: each task may depend on a few earlier ones. */
function randomDag(r: Rng, n: number): PlanTask[] {
  const shape = r.pick(["flat", "sparse", "chain", "layered"] as const);
  const tasks: PlanTask[] = [];
  for (let i = 0; i < n; i++) {
    const id = `T${i + 1}`;
    const deps: string[] = [];
    if (i > 0) {
      if (shape === "chain" && r.chance(0.8)) deps.push(`T${i}`);
      else if (shape === "sparse" || shape === "chain") {
        for (let k = 0; k < 3; k++) if (r.chance(0.25)) deps.push(`T${r.int(1, i)}`);
      } else if (shape === "layered") {
        const layer = Math.floor(i / Math.max(1, Math.ceil(n / 4)));
        const lo = Math.max(0, (layer - 1) * Math.ceil(n / 4));
        const hi = Math.min(i, layer * Math.ceil(n / 4)) - 1;
        if (hi >= lo) { for (let k = 0; k < 2; k++) deps.push(`T${r.int(lo, hi) + 1}`); }
      }
    }
    tasks.push({
      id,
      title: `Task ${id}`,
      priority: r.pick(PRIORITIES),
      deps: [...new Set(deps)].sort(),
    });
  }
  return tasks;
}

/**
 * The longest dependency chain of a plan, in tasks.
 *
 * @example
 * ```ts
 * depth([{ id: "A", title: "a", priority: "low", deps: [] }]); // 1
 * ```
 */
export function depth(tasks: readonly PlanTask[]): number {
  const d = new Map<string, number>();
  const of = (id: string): number => {
    const known = d.get(id);
    if (known !== undefined) return known;
    const t = tasks.find((x) => x.id === id);
    const v = 1 + Math.max(0, ...(t?.deps ?? []).map(of));
    d.set(id, v);
    return v;
  };
  return Math.max(0, ...tasks.map((t) => of(t.id)));
}
