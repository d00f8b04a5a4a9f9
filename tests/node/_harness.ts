/**
 * Shared set-up for the node integration tests: an emulator on 127.0.0.1,
 * the real Octokit adapter per node (one token each, so list lag is decided
 * per reader), a fixed planner, a scriptable executor and small timings.
 *
 * @module
 */
import { type CommentPage, createGitHub, type GitHub, RequestLog } from "../../src/github/mod.ts";
import { type RunningEmulator, startEmulator } from "../../src/emulator/mod.ts";
import type { ExecContext, ExecOutcome, Executor } from "../../src/executor/port.ts";
import type { Planner } from "../../src/planner/planner.ts";
import type { TrustPolicy } from "../../src/protocol/trust.ts";
import { encodeMessage } from "../../src/protocol/codec.ts";
import type { LogComment, PlanTask, ProtocolEvent } from "../../src/protocol/types.ts";
import { defaultConfig, type NodeConfig } from "../../src/node/config.ts";
import type { NodeEvent } from "../../src/node/events.ts";
import { type NodeDeps, type NodeReport, runNode } from "../../src/node/node.ts";
import { seededRandom, systemClock } from "../../src/node/ports.ts";

export const OWNER = "octo";
export const REPO = "hello";
export const ISSUE = 1;
export const BOT = "github-actions[bot]";
/** Tokens of the workflow bot: every node gets its own (same identity, own lag). */
export const BOT_TOKENS = Array.from({ length: 12 }, (_, i) => `ghs_bot_${i + 1}`);
export const WRITER = "wendy";
export const WRITER_TOKEN = "ghp_wendy";
export const STRANGER = "sam";
export const STRANGER_TOKEN = "ghp_sam";
export const OWNER_TOKEN = "ghp_octo";

/**
 * The trust policy of the bot's nodes on issue 1 (no allowlist, no writers):
 * what the tests fold the final log with.
 */
export const BOT_POLICY: TrustPolicy = {
  repo: `${OWNER}/${REPO}`,
  issue: ISSUE,
  self: BOT,
  allow: new Set<string>(),
  writers: new Set<string>(),
};

/**
 * Starts an emulator with the bot, a writer, a stranger and two issues.
 * Limits stay on, but raised (hourly and per-minute): these tests compress
 * minutes of polling into a second (200 ms polls by several nodes), which is
 * exactly what the budget arithmetic forbids on real GitHub.
 */
export async function startWorld(): Promise<RunningEmulator> {
  return await startEmulator({
    port: 0,
    users: [
      { login: OWNER, token: OWNER_TOKEN },
      { login: BOT },
      { login: WRITER, token: WRITER_TOKEN },
      { login: STRANGER, token: STRANGER_TOKEN },
    ],
    // A workflow's GITHUB_TOKEN: issued for this repository, so it may write to it.
    tokens: BOT_TOKENS.map((token) => ({
      token,
      login: BOT,
      kind: "actions" as const,
      repos: [`${OWNER}/${REPO}`],
    })),
    repos: [{
      owner: OWNER,
      name: REPO,
      permissions: { [WRITER]: "write" },
      issues: [
        { title: "Swarm", author: OWNER, body: "Build the thing." },
        { title: "Second swarm", author: OWNER, body: "Another thing." },
      ],
    }],
    limits: {
      primary: { actions: 1_000_000, pat: 1_000_000 },
      secondary: { pointsPerMinute: 1_000_000, contentPerMinute: 10_000, contentPerHour: 100_000 },
    },
  });
}

/** The Octokit adapter for one token, with fast pacing and a request log. */
export function client(
  emulator: RunningEmulator,
  token: string,
  requestLog = new RequestLog(),
): { github: GitHub; requestLog: RequestLog } {
  const github = createGitHub({
    token,
    baseUrl: emulator.url,
    owner: OWNER,
    repo: REPO,
    writeIntervalMs: 20,
    contentIntervalMs: 50,
    serverErrorRetryBaseMs: 20,
    minSecondaryWaitMs: 200,
    recoverySettleMs: 100,
    timeoutMs: 5_000,
    requestLog,
  });
  return { github, requestLog };
}

/** Timings for a swarm compressed into seconds (valid by `validateTiming`). */
export function fastConfig(node: string, overrides: Partial<NodeConfig> = {}): NodeConfig {
  return defaultConfig(ISSUE, node, {
    tokenKind: "actions",
    // A budget so large that the idle poll is the shortest one allowed.
    requestsPerHour: 1e9,
    settleMs: 300,
    pollMinMs: 200,
    pollMaxMs: 400,
    leaseMs: 6_000,
    renewMs: 1_500,
    electionTimeoutMs: 30_000,
    backoffMs: 300,
    maxAttempts: 3,
    sinceSlackMs: 10_000,
    announceSpreadMs: 300,
    ...overrides,
  });
}

/** A planner that always returns `tasks`. */
export function fixedPlanner(tasks: PlanTask[]): Planner & { calls: number } {
  const planner = {
    name: "fixed",
    calls: 0,
    plan() {
      planner.calls++;
      return Promise.resolve(structuredClone(tasks));
    },
  };
  return planner;
}

/** A plan of `n` tasks with dependencies: T1 ← T2, T3; T2 ← T4; T3, T4 ← T5; the rest free. */
export function planWithDeps(n = 8): PlanTask[] {
  const deps: Record<string, string[]> = {
    T2: ["T1"],
    T3: ["T1"],
    T4: ["T2"],
    T5: ["T3", "T4"],
  };
  return Array.from({ length: n }, (_, i) => {
    const id = `T${i + 1}`;
    return { id, title: `Task ${i + 1}`, priority: "medium" as const, deps: deps[id] ?? [] };
  });
}

/** One executor run, as the executor saw it. */
export interface Run {
  task: string;
  node: string;
  attempt: number;
  signal: AbortSignal;
  outcome?: ExecOutcome;
  aborted?: boolean;
}

/**
 * An executor shared by every node of a test: records each run, waits
 * `delayMs` (or until aborted), and succeeds unless `decide` says otherwise.
 */
export function recordingExecutor(
  options: {
    delayMs?: number;
    decide?: (task: PlanTask, ctx: ExecContext) => ExecOutcome | undefined;
    /** Called when a run starts; may return a promise the run waits for instead of the delay. */
    hold?: (task: PlanTask, ctx: ExecContext) => Promise<void> | undefined;
  } = {},
): Executor & { runs: Run[] } {
  const runs: Run[] = [];
  return {
    name: "test",
    runs,
    async run(task, ctx) {
      const run: Run = { task: task.id, node: ctx.node, attempt: ctx.attempt, signal: ctx.signal };
      runs.push(run);
      ctx.onProgress(10, "started");
      const held = options.hold?.(task, ctx);
      try {
        if (held) {
          await Promise.race([held, aborted(ctx.signal)]);
        } else {
          await systemClock.sleep(options.delayMs ?? 50, ctx.signal);
        }
      } catch {
        run.aborted = true;
        run.outcome = { ok: false, result: { summary: "aborted" } };
        return run.outcome;
      }
      run.outcome = options.decide?.(task, ctx) ??
        { ok: true, result: { summary: `did ${task.id}`, costUsd: 0.01 } };
      return run.outcome;
    },
  };
}

function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
}

/** A running in-process node. */
export interface NodeHandle {
  node: string;
  controller: AbortController;
  events: NodeEvent[];
  requestLog: RequestLog;
  github: GitHub;
  done: Promise<NodeReport>;
}

/** Starts `runNode` in process against the emulator. */
export function startNode(
  emulator: RunningEmulator,
  options: {
    node: string;
    token: string;
    executor: Executor;
    planner: Planner;
    config?: Partial<NodeConfig>;
    seed?: number;
    allow?: string[];
    /** Wraps the node's adapter (e.g. in a {@linkcode LaggingGitHub}). */
    wrap?: (github: GitHub) => GitHub;
  },
): NodeHandle {
  const controller = new AbortController();
  const events: NodeEvent[] = [];
  const made = client(emulator, options.token);
  const requestLog = made.requestLog;
  const github = options.wrap ? options.wrap(made.github) : made.github;
  const deps: NodeDeps = {
    github,
    clock: systemClock,
    random: seededRandom(options.seed ?? hash(options.node)),
    executor: options.executor,
    planner: options.planner,
    signal: controller.signal,
    log: (e) => events.push(e),
    ...(options.allow ? { allow: options.allow } : {}),
  };
  const done = runNode(deps, fastConfig(options.node, options.config));
  // Keep a rejection from going unhandled before a test awaits it.
  done.catch(() => {});
  return { node: options.node, controller, events, requestLog, github, done };
}

function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Aborts every node and waits for each to stop (errors are swallowed: cleanup). */
export async function stopAll(nodes: NodeHandle[]): Promise<void> {
  for (const n of nodes) n.controller.abort(new Error("test cleanup"));
  await Promise.allSettled(nodes.map((n) => n.done));
}

/** Waits until `predicate` holds, polling every 25 ms; fails after `timeoutMs`. */
export async function waitFor(
  what: string,
  predicate: () => boolean,
  timeoutMs = 20_000,
): Promise<void> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) throw new Error(`Timed out waiting for ${what}.`);
    await systemClock.sleep(25);
  }
}

let nonceCounter = 0;

/** Posts a protocol message as whoever `github` is, the way a node would. */
export async function postMessage(
  github: GitHub,
  node: string,
  events: ProtocolEvent[],
  issue = ISSUE,
): Promise<LogComment> {
  const nonce = `test${(++nonceCounter).toString(16).padStart(8, "0")}${
    Math.floor(Math.random() * 1e9).toString(16)
  }`;
  return await github.createComment(
    issue,
    encodeMessage({ node, nonce, events }, { repo: `${OWNER}/${REPO}`, issue }),
    nonce,
  );
}

/** The comments on the issue, as the emulator holds them. */
export function issueComments(emulator: RunningEmulator, issue = ISSUE) {
  return emulator.control.comments(OWNER, REPO, issue);
}

/** List requests (`GET .../issues/N/comments`) in the emulator's log made by `login`. */
export function listRequests(emulator: RunningEmulator, issue = ISSUE) {
  const path = new RegExp(`^/repos/${OWNER}/${REPO}/issues/${issue}/comments(\\?|$)`);
  return emulator.control.requestLog().filter((e) => e.method === "GET" && path.test(e.path));
}

/**
 * The real adapter, with list results recorded and optionally some comments
 * held back: a deterministic stand-in for list lag, where a comment is missing
 * from one reader's list for a while (the emulator's own lag is random per
 * reader and comment). When held comments are let through, the list reports a
 * change, as GitHub's would (its ETag changes when a comment appears).
 */
export class LaggingGitHub {
  readonly pages: CommentPage[] = [];
  readonly sinces: (string | undefined)[] = [];
  hide: (c: LogComment) => boolean = () => false;
  #changed = false;
  constructor(readonly inner: GitHub) {}

  reveal(): void {
    this.hide = () => false;
    this.#changed = true;
  }

  port(): GitHub {
    return new Proxy(this.inner, {
      get: (target, prop) => {
        if (prop === "listComments") {
          return async (issue: number, since?: string) => {
            this.sinces.push(since);
            const page = await target.listComments(issue, since);
            const shown = {
              ...page,
              comments: page.comments.filter((c) => !this.hide(c)),
              notModified: page.notModified && !this.#changed,
            };
            this.#changed = false;
            this.pages.push(shown);
            return shown;
          };
        }
        const value = Reflect.get(target, prop);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  }
}
