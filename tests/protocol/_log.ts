/**
 * Test helpers for the protocol core: a comment-log builder with server time
 * in whole seconds, event constructors and state comparison helpers.
 *
 * @module
 */
import { canonicalJson } from "../../src/protocol/canonical.ts";
import { encodeMessage } from "../../src/protocol/codec.ts";
import { fold } from "../../src/protocol/fold.ts";
import type { SwarmState } from "../../src/protocol/state.ts";
import type { TrustPolicy } from "../../src/protocol/trust.ts";
import type {
  LogComment,
  PlanSettings,
  PlanTask,
  ProgressStatus,
  ProtocolEvent,
  TaskResult,
} from "../../src/protocol/types.ts";

/** The issue every test log belongs to. */
export const ISSUE = 7;
/** The repository every test log belongs to. */
export const REPO = "octo-org/app";
/** Where test logs live: {@linkcode REPO} issue {@linkcode ISSUE}. */
export const WHERE = { repo: REPO, issue: ISSUE } as const;
/** The token's own login: the identity a swarm of Actions jobs shares. */
export const BOT = "github-actions[bot]";
/** Server time of second 0 in test logs (epoch ms). */
export const T0 = 1_730_000_000_000;
/** Settings published with test plans: 60 s lease, 3 attempts, 10 s backoff. */
export const SETTINGS: PlanSettings = { leaseMs: 60_000, maxAttempts: 3, backoffMs: 10_000 };

/** Server time `sec` seconds after {@linkcode T0}. */
export function at(sec: number): number {
  return T0 + sec * 1000;
}

/** The trust policy of test logs: the bot, `alice` (allowlist) and `bob` (writer). */
export function trustPolicy(extra: Partial<TrustPolicy> = {}): TrustPolicy {
  return {
    repo: REPO,
    issue: ISSUE,
    self: BOT,
    allow: new Set(["alice"]),
    writers: new Set(["bob"]),
    ...extra,
  };
}

/** A plan task with a default title and priority. */
export function task(id: string, deps: string[] = [], extra: Partial<PlanTask> = {}): PlanTask {
  return { id, title: `Task ${id}`, priority: "medium", deps, ...extra };
}

/** Event constructors with the defaults tests use. */
export const ev = {
  announce: (role = "worker"): ProtocolEvent => ({ type: "announce", role }),
  election: (term = 1, timeoutMs = 30_000): ProtocolEvent => ({
    type: "election",
    term,
    timeoutMs,
  }),
  plan: (
    token: number,
    tasks: PlanTask[],
    o: {
      term?: number;
      version?: number;
      part?: number;
      parts?: number;
      settings?: PlanSettings | null;
    } = {},
  ): ProtocolEvent => {
    const part = o.part ?? 1;
    const e: Extract<ProtocolEvent, { type: "plan" }> = {
      type: "plan",
      term: o.term ?? 1,
      token,
      version: o.version ?? 1,
      part,
      parts: o.parts ?? 1,
      planner: "test",
      tasks,
    };
    const settings = o.settings === undefined ? (part === 1 ? SETTINGS : null) : o.settings;
    if (settings) e.settings = settings;
    return e;
  },
  claim: (task: string, attempt: number): ProtocolEvent => ({ type: "claim", task, attempt }),
  progress: (
    task: string,
    attempt: number,
    status: ProgressStatus,
    extra: { percent?: number; note?: string; result?: TaskResult } = {},
  ): ProtocolEvent => ({ type: "progress", task, attempt, status, ...extra }),
  done: (task: string, attempt: number): ProtocolEvent => ({
    type: "progress",
    task,
    attempt,
    status: "completed",
    percent: 100,
  }),
  failed: (task: string, attempt: number): ProtocolEvent => ({
    type: "progress",
    task,
    attempt,
    status: "failed",
  }),
  heartbeat: (...tasks: { task: string; attempt: number; percent?: number }[]): ProtocolEvent => ({
    type: "heartbeat",
    tasks,
  }),
  release: (task: string, attempt: number): ProtocolEvent => ({ type: "release", task, attempt }),
  retry: (...tasks: string[]): ProtocolEvent => ({ type: "retry", tasks }),
  end: (reason?: string): ProtocolEvent => reason ? { type: "end", reason } : { type: "end" },
};

/** Options of one posted comment. */
export interface PostOptions {
  /** Login of the comment's author; the bot by default. */
  author?: string;
  nonce?: string;
  /** Edited this many seconds after posting (`updated_at > created_at`). */
  editedAfter?: number;
  /** Overrides the log's secret for this message (`null`: unsigned). */
  secret?: string | null;
  /** Signs for another issue (a replay). */
  issue?: number;
  /** Signs for another repository (a replay). */
  repo?: string;
}

/**
 * An issue's comment log under construction: ids increase by a few per
 * comment, `created_at` has one-second resolution and only moves forward.
 */
export class Log {
  readonly comments: LogComment[] = [];
  #id = 2_200_000_000;
  #sec = 0;
  #nonce = 0;

  constructor(readonly secret?: string) {}

  /** Moves server time to second `sec` (never backwards). */
  at(sec: number): this {
    if (sec < this.#sec) throw new Error(`time goes backwards: ${sec} < ${this.#sec}`);
    this.#sec = sec;
    return this;
  }

  /** Advances server time by `sec` seconds. */
  wait(sec: number): this {
    return this.at(this.#sec + sec);
  }

  /** Current server time (epoch ms). */
  get now(): number {
    return at(this.#sec);
  }

  /** The encoded body of a message, signed with the log's secret unless told otherwise. */
  body(node: string, events: ProtocolEvent[], o: PostOptions = {}): string {
    const secret = o.secret === null ? undefined : o.secret ?? this.secret;
    return encodeMessage(
      { node, nonce: o.nonce ?? `nonce-${++this.#nonce}`, events },
      { repo: o.repo ?? REPO, issue: o.issue ?? ISSUE, secret },
    );
  }

  /** Posts a protocol message from `node` now. */
  post(node: string, events: ProtocolEvent[], o: PostOptions = {}): LogComment {
    return this.raw(this.body(node, events, o), o);
  }

  /** Posts a raw body now. */
  raw(body: string, o: PostOptions = {}): LogComment {
    this.#id += 3;
    const createdAt = this.now;
    const c: LogComment = {
      id: this.#id,
      body,
      author: o.author ?? BOT,
      authorType: (o.author ?? BOT).endsWith("[bot]") ? "Bot" : "User",
      createdAt,
      updatedAt: createdAt + (o.editedAfter ?? 0) * 1000,
    };
    this.comments.push(c);
    return c;
  }

  /** Folds the log so far. */
  fold(policy: TrustPolicy = trustPolicy(this.secret ? { secret: this.secret } : {})): SwarmState {
    return fold(this.comments, policy);
  }
}

/**
 * A log where `node-1` won term 1 at second 0 and published `tasks` (one
 * part, {@linkcode SETTINGS}) at second 1. Returns the log and the token.
 */
export function planned(tasks: PlanTask[], secret?: string): { log: Log; token: number } {
  const log = new Log(secret);
  const token = log.post("node-1", [ev.election(1)]).id;
  log.at(1).post("node-1", [ev.plan(token, tasks)]);
  return { log, token };
}

/**
 * The state without what noise may change: the `ignored` and `foreign`
 * counters and the position (`lastId`, `lastTime`).
 */
export function stripCounters(state: SwarmState): Omit<
  SwarmState,
  "ignored" | "foreign" | "lastId" | "lastTime"
> {
  const { ignored: _i, foreign: _f, lastId: _l, lastTime: _t, ...rest } = state;
  return rest;
}

/** `canonicalJson` of a state without the counters noise may change. */
export function essence(state: SwarmState): string {
  return canonicalJson(stripCounters(state));
}

/** A deterministic PRNG (mulberry32) returning floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A copy of `items` shuffled by a seeded Fisher–Yates. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const rng = mulberry32(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
