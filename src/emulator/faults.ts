/**
 * Seeded, reproducible faults: latency, list lag, 5xx, timeouts (the write
 * did or did not take effect), bursts of secondary limits, and a script of
 * one-off faults for deterministic tests. Settable by options, a JSON file
 * and at run time.
 *
 * @module
 */
import { hashUniform, SeededRandom } from "./random.ts";
import type { CommentRecord, CommentVersion } from "./types.ts";

/** How long requests wait before they are handled (emulated ms). */
export type LatencyConfig =
  | { distribution: "none" }
  | { distribution: "fixed"; ms: number }
  | { distribution: "uniform"; minMs: number; maxMs: number }
  | { distribution: "lognormal"; medianMs: number; sigma: number };

/**
 * List lag: a new, edited or deleted comment stays invisible (or shows its
 * old version) to list reads for a while. The lag is decided per (reader
 * token, comment, version), so a later comment may show before an earlier
 * one. `flapProbability` makes a recent comment vanish again from one read
 * (a stale read: "time travel" a client must ignore).
 */
export interface ListLagConfig {
  /** Share of (reader, comment version) pairs that lag at all. */
  probability: number;
  /** Shortest lag of a lagging version (emulated ms). */
  minMs: number;
  /** Longest lag of a lagging version (emulated ms); also how long a comment may flap. */
  maxMs: number;
  /** Chance that a list read loses a comment younger than `maxMs`. */
  flapProbability: number;
}

/** Random 5xx answers before anything is applied. */
export interface ServerErrorConfig {
  /** Share of requests answered with a 5xx. */
  rate: number;
  /** Statuses to pick from. */
  statuses: number[];
  /** Methods affected; empty means all. */
  methods: string[];
}

/**
 * Timeouts. `hold` keeps the request open for `holdMs` (emulated) and then
 * answers 502 with GitHub's timeout message, so a client with a shorter
 * timeout gives up first; `drop` ends the connection without an answer (the
 * in-process handler rejects like a failed fetch; over HTTP the status line
 * `502` is sent and the body is cut, since `Deno.serve` cannot close a
 * connection before answering). `appliedRate` is the share of timeouts where
 * the write took effect before the failure.
 */
export interface TimeoutConfig {
  /** Share of requests (of `methods`) that time out. */
  rate: number;
  /** Share of timeouts where the write took effect first. */
  appliedRate: number;
  /** Hold the request, or drop the connection. */
  mode: "hold" | "drop";
  /** How long a held request waits before its 502 (emulated ms; GitHub gives up after 10 s). */
  holdMs: number;
  /** Methods affected (default: writes); empty means all. */
  methods: string[];
}

/** Random secondary-limit answers with `retry-after`. */
export interface BurstConfig {
  /** Share of requests answered with a secondary limit. */
  rate: number;
  /** `retry-after` of those answers, in seconds. */
  retryAfterSec: number;
  /** 403 or 429. */
  status: 403 | 429;
  /** Methods affected; empty means all. */
  methods: string[];
}

/**
 * A one-off fault for the next matching request(s), in order.
 *
 * @example
 * ```ts
 * const f: ScriptedFault = { kind: "timeout", method: "POST", path: "/comments$", applied: true };
 * ```
 */
export interface ScriptedFault {
  /** What happens to the matching request. */
  kind: "error" | "timeout" | "secondary" | "latency";
  /** Only requests with this method. */
  method?: string;
  /** Only paths matching this regular expression source. */
  path?: string;
  /** How many requests it hits (default 1). */
  count?: number;
  /** error: status (default 502). secondary: 403 or 429 (default 403). */
  status?: number;
  /** timeout: whether the write took effect (default false). */
  applied?: boolean;
  /** timeout: hold or drop (default: the timeouts setting). */
  mode?: "hold" | "drop";
  /** timeout: how long to hold (emulated ms). */
  holdMs?: number;
  /** secondary: `retry-after` in seconds. */
  retryAfterSec?: number;
  /** latency: emulated ms. */
  ms?: number;
}

/**
 * All fault settings.
 *
 * @example
 * ```ts
 * const noisy: FaultPatch = { serverErrors: { rate: 0.05 }, listLag: { probability: 0.5, maxMs: 20_000 } };
 * ```
 */
export interface FaultConfig {
  /** Seed of the random stream (same seed and requests, same faults). */
  seed: number;
  /** Latency distribution. */
  latency: LatencyConfig;
  /** List lag of new, edited and deleted comments. */
  listLag: ListLagConfig;
  /** Random 5xx answers. */
  serverErrors: ServerErrorConfig;
  /** Timeouts. */
  timeouts: TimeoutConfig;
  /** Random secondary-limit answers. */
  secondaryBursts: BurstConfig;
  /** One-off faults, consumed in order. */
  script: ScriptedFault[];
}

/** A partial `FaultConfig`, merged section by section over the current one. */
export interface FaultPatch {
  /** Seed of the random stream. */
  seed?: number;
  /** Latency distribution (replaces the current one). */
  latency?: LatencyConfig;
  /** List lag settings to change. */
  listLag?: Partial<ListLagConfig>;
  /** 5xx settings to change. */
  serverErrors?: Partial<ServerErrorConfig>;
  /** Timeout settings to change. */
  timeouts?: Partial<TimeoutConfig>;
  /** Burst settings to change. */
  secondaryBursts?: Partial<BurstConfig>;
  /** One-off faults (replaces the current script). */
  script?: ScriptedFault[];
}

const WRITES = ["POST", "PATCH", "PUT", "DELETE"];

/**
 * No faults at all (the default, for tests).
 *
 * @example
 * ```ts
 * NO_FAULTS.serverErrors.rate; // 0
 * ```
 */
export const NO_FAULTS: FaultConfig = {
  seed: 1,
  latency: { distribution: "none" },
  listLag: { probability: 0, minMs: 0, maxMs: 0, flapProbability: 0 },
  serverErrors: { rate: 0, statuses: [500, 502, 503], methods: [] },
  timeouts: { rate: 0, appliedRate: 0.5, mode: "hold", holdMs: 10_000, methods: WRITES },
  secondaryBursts: { rate: 0, retryAfterSec: 60, status: 403, methods: [] },
  script: [],
};

/**
 * Merges a patch over a config, checking every value. Throws an error naming
 * the setting and the accepted range when a value is wrong.
 *
 * @example
 * ```ts
 * const config = mergeFaults(NO_FAULTS, { serverErrors: { rate: 0.1 } });
 * ```
 */
export function mergeFaults(base: FaultConfig, patch: FaultPatch): FaultConfig {
  if (typeof patch !== "object" || patch === null || Array.isArray(patch)) {
    throw new TypeError(`Invalid faults ${JSON.stringify(patch)}: expected an object.`);
  }
  const known = new Set(Object.keys(NO_FAULTS));
  for (const key of Object.keys(patch)) {
    if (!known.has(key)) {
      throw new TypeError(
        `Unknown fault setting "${key}": use one of ${[...known].join(", ")}.`,
      );
    }
  }
  const next: FaultConfig = {
    seed: patch.seed ?? base.seed,
    latency: patch.latency ?? base.latency,
    listLag: { ...base.listLag, ...patch.listLag },
    serverErrors: { ...base.serverErrors, ...patch.serverErrors },
    timeouts: { ...base.timeouts, ...patch.timeouts },
    secondaryBursts: { ...base.secondaryBursts, ...patch.secondaryBursts },
    script: patch.script ? patch.script.map((s) => ({ ...s })) : base.script,
  };
  number("faults.seed", next.seed, -(2 ** 53), 2 ** 53);
  checkLatency(next.latency);
  rate("faults.listLag.probability", next.listLag.probability);
  rate("faults.listLag.flapProbability", next.listLag.flapProbability);
  number("faults.listLag.minMs", next.listLag.minMs, 0);
  number("faults.listLag.maxMs", next.listLag.maxMs, next.listLag.minMs);
  rate("faults.serverErrors.rate", next.serverErrors.rate);
  for (const s of next.serverErrors.statuses) number("faults.serverErrors.statuses[]", s, 500, 599);
  if (next.serverErrors.statuses.length === 0) {
    throw new RangeError(
      "Invalid faults.serverErrors.statuses []: list at least one status from 500 to 599.",
    );
  }
  rate("faults.timeouts.rate", next.timeouts.rate);
  rate("faults.timeouts.appliedRate", next.timeouts.appliedRate);
  number("faults.timeouts.holdMs", next.timeouts.holdMs, 0);
  mode("faults.timeouts.mode", next.timeouts.mode);
  rate("faults.secondaryBursts.rate", next.secondaryBursts.rate);
  number("faults.secondaryBursts.retryAfterSec", next.secondaryBursts.retryAfterSec, 0);
  if (next.secondaryBursts.status !== 403 && next.secondaryBursts.status !== 429) {
    throw new RangeError(
      `Invalid faults.secondaryBursts.status ${next.secondaryBursts.status}: expected 403 or 429.`,
    );
  }
  for (
    const list of [next.serverErrors.methods, next.timeouts.methods, next.secondaryBursts.methods]
  ) {
    if (!Array.isArray(list) || list.some((m) => typeof m !== "string")) {
      throw new TypeError(
        `Invalid methods ${JSON.stringify(list)}: expected a list like ["POST", "PATCH"].`,
      );
    }
  }
  if (!Array.isArray(next.script)) {
    throw new TypeError(
      `Invalid faults.script ${JSON.stringify(next.script)}: expected a list of faults.`,
    );
  }
  for (const s of next.script) {
    if (!["error", "timeout", "secondary", "latency"].includes(s.kind)) {
      throw new TypeError(
        `Invalid faults.script kind ${
          JSON.stringify(s.kind)
        }: expected error, timeout, secondary or latency.`,
      );
    }
    if (s.path !== undefined) {
      try {
        new RegExp(s.path);
      } catch {
        throw new TypeError(
          `Invalid faults.script path ${JSON.stringify(s.path)}: expected a regular expression.`,
        );
      }
    }
    if (s.mode !== undefined) mode("faults.script mode", s.mode);
  }
  return next;
}

function checkLatency(l: LatencyConfig): void {
  switch (l?.distribution) {
    case "none":
      return;
    case "fixed":
      return number("faults.latency.ms", l.ms, 0);
    case "uniform":
      number("faults.latency.minMs", l.minMs, 0);
      return number("faults.latency.maxMs", l.maxMs, l.minMs);
    case "lognormal":
      number("faults.latency.medianMs", l.medianMs, 0);
      return number("faults.latency.sigma", l.sigma, 0, 10);
    default:
      throw new TypeError(
        `Invalid faults.latency ${
          JSON.stringify(l)
        }: set distribution to none, fixed, uniform or lognormal.`,
      );
  }
}

function rate(name: string, value: unknown): void {
  number(name, value, 0, 1);
}

function mode(name: string, value: unknown): void {
  if (value !== "hold" && value !== "drop") {
    throw new TypeError(`Invalid ${name} ${JSON.stringify(value)}: expected "hold" or "drop".`);
  }
}

function number(name: string, value: unknown, min: number, max = Number.POSITIVE_INFINITY): void {
  if (typeof value !== "number" || !Number.isFinite(value) || value < min || value > max) {
    const range = max === Number.POSITIVE_INFINITY ? `>= ${min}` : `from ${min} to ${max}`;
    throw new RangeError(`Invalid ${name} ${JSON.stringify(value)}: expected a number ${range}.`);
  }
}

/** What the fault layer decided for one request. */
export interface FaultDecision {
  latencyMs: number;
  kind: "none" | "error" | "timeout" | "secondary";
  status?: number;
  retryAfterSec?: number;
  applied?: boolean;
  mode?: "hold" | "drop";
  holdMs?: number;
  /** `random` or `script`. */
  source?: string;
}

/**
 * Draws fault decisions from the seeded stream, in request order.
 *
 * @example
 * ```ts
 * const faults = new Faults(NO_FAULTS);
 * faults.decide("GET", "/user").kind; // "none"
 * ```
 */
export class Faults {
  #config: FaultConfig;
  #rng: SeededRandom;

  /** Starts the stream at `config.seed`. */
  constructor(config: FaultConfig) {
    this.#config = config;
    this.#rng = new SeededRandom(config.seed);
  }

  /** Current settings (a copy). */
  get config(): FaultConfig {
    return structuredClone(this.#config);
  }

  /** Replaces the settings; a new seed restarts the stream. */
  set(config: FaultConfig): void {
    if (config.seed !== this.#config.seed) this.#rng = new SeededRandom(config.seed);
    this.#config = config;
  }

  /** The fault (if any) for a request. */
  decide(method: string, path: string): FaultDecision {
    const c = this.#config;
    const scripted = this.#takeScripted(method, path);
    const latencyMs = scripted?.kind === "latency" ? scripted.ms ?? 0 : this.#latency();
    if (scripted && scripted.kind !== "latency") {
      switch (scripted.kind) {
        case "error":
          return { latencyMs, kind: "error", status: scripted.status ?? 502, source: "script" };
        case "secondary":
          return {
            latencyMs,
            kind: "secondary",
            status: scripted.status ?? 403,
            retryAfterSec: scripted.retryAfterSec ?? c.secondaryBursts.retryAfterSec,
            source: "script",
          };
        case "timeout":
          return {
            latencyMs,
            kind: "timeout",
            applied: scripted.applied ?? false,
            mode: scripted.mode ?? c.timeouts.mode,
            holdMs: scripted.holdMs ?? c.timeouts.holdMs,
            source: "script",
          };
      }
    }
    if (applies(c.secondaryBursts.methods, method) && this.#rng.chance(c.secondaryBursts.rate)) {
      return {
        latencyMs,
        kind: "secondary",
        status: c.secondaryBursts.status,
        retryAfterSec: c.secondaryBursts.retryAfterSec,
        source: "random",
      };
    }
    if (applies(c.serverErrors.methods, method) && this.#rng.chance(c.serverErrors.rate)) {
      const statuses = c.serverErrors.statuses;
      return {
        latencyMs,
        kind: "error",
        status: statuses[Math.floor(this.#rng.next() * statuses.length)]!,
        source: "random",
      };
    }
    if (applies(c.timeouts.methods, method) && this.#rng.chance(c.timeouts.rate)) {
      return {
        latencyMs,
        kind: "timeout",
        applied: this.#rng.chance(c.timeouts.appliedRate),
        mode: c.timeouts.mode,
        holdMs: c.timeouts.holdMs,
        source: "random",
      };
    }
    return { latencyMs, kind: "none" };
  }

  #takeScripted(method: string, path: string): ScriptedFault | undefined {
    const script = this.#config.script;
    const index = script.findIndex((s) =>
      (s.method === undefined || s.method.toUpperCase() === method) &&
      (s.path === undefined || new RegExp(s.path).test(path))
    );
    if (index < 0) return undefined;
    const fault = script[index]!;
    const left = (fault.count ?? 1) - 1;
    if (left <= 0) script.splice(index, 1);
    else fault.count = left;
    return fault;
  }

  #latency(): number {
    const l = this.#config.latency;
    switch (l.distribution) {
      case "none":
        return 0;
      case "fixed":
        return l.ms;
      case "uniform":
        return l.minMs + this.#rng.next() * (l.maxMs - l.minMs);
      case "lognormal":
        return l.medianMs * Math.exp(l.sigma * this.#rng.normal());
    }
  }

  /** Whether a recent comment vanishes from this one list read (stale read). */
  flap(comment: CommentRecord, now: number): boolean {
    const lag = this.#config.listLag;
    if (lag.flapProbability <= 0 || now - comment.writtenAt > lag.maxMs) return false;
    return this.#rng.chance(lag.flapProbability);
  }

  /** The lag of one comment version for one reader (emulated ms), order-independent. */
  lag(reader: string, commentId: number, version: number | "deleted"): number {
    const lag = this.#config.listLag;
    if (lag.probability <= 0 || lag.maxMs <= 0) return 0;
    const key = `${reader}|${commentId}|${version}`;
    if (hashUniform(this.#config.seed, `${key}|p`) >= lag.probability) return 0;
    return lag.minMs + hashUniform(this.#config.seed, `${key}|d`) * (lag.maxMs - lag.minMs);
  }

  /**
   * The version of `comment` a list read by `reader` shows at `now`, or null
   * when it shows none (not yet visible, or its deletion is visible).
   */
  visible(reader: string, comment: CommentRecord, now: number): CommentVersion | null {
    if (
      comment.deletedAt !== undefined &&
      now >= comment.deletedAt + this.lag(reader, comment.id, "deleted")
    ) {
      return null;
    }
    const current: CommentVersion = {
      body: comment.body,
      updatedAt: comment.updatedAt,
      writtenAt: comment.writtenAt,
    };
    const versions = [...comment.history, current];
    for (let i = versions.length - 1; i >= 0; i--) {
      const v = versions[i]!;
      if ((i === 0 && comment.seeded) || now >= v.writtenAt + this.lag(reader, comment.id, i)) {
        return v;
      }
    }
    return null;
  }
}

function applies(methods: readonly string[], method: string): boolean {
  return methods.length === 0 || methods.some((m) => m.toUpperCase() === method);
}
