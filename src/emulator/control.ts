/**
 * The control surface: seed, faults, limits, request log, counts per
 * identity, time, snapshot and restore. In process as `EmulatorControl`, and
 * over HTTP under `/_emulator/...` (JSON).
 *
 * @module
 */
import type { EmulatorCore, IdentityCounts, RequestLogEntry } from "./core.ts";
import { type FaultConfig, type FaultPatch, mergeFaults, NO_FAULTS } from "./faults.ts";
import { type LimitsConfig, type LimitsPatch, mergeLimits, type RateView } from "./limits.ts";
import { applySeed, base64ToBytes, DEMO, demoSeed, type DemoWorld } from "./seed.ts";
import type { World } from "./state.ts";
import type {
  CommentRecord,
  DispatchRecord,
  EmulatorSnapshot,
  SeedData,
  SeedResult,
} from "./types.ts";

/**
 * Drives an emulator from a test or a tool.
 *
 * @example
 * ```ts
 * const { control } = createEmulator();
 * control.seed({ users: [{ login: "octo", token: "ghp_1" }], repos: [{ owner: "octo", name: "hello" }] });
 * control.setFaults({ serverErrors: { rate: 0.1 } });
 * control.countsFor("octo").requests;
 * ```
 */
export class EmulatorControl {
  #core: EmulatorCore;

  /** Wraps an engine. */
  constructor(core: EmulatorCore) {
    this.#core = core;
  }

  /** The world itself, for assertions that need more than the helpers below. */
  get world(): World {
    return this.#core.world;
  }

  /** Adds users, tokens and repositories (merging into what exists). */
  seed(data: SeedData): SeedResult {
    const result = applySeed(this.#core.world, data, this.#core.time.now());
    this.#core.onChange?.();
    return result;
  }

  /** Adds the demo world (see `demoSeed`) and returns its coordinates and tokens. */
  seedDemo(): DemoWorld {
    if (!this.#core.world.repo(DEMO.owner, DEMO.repo)) this.seed(demoSeed());
    return structuredClone(DEMO);
  }

  /** Current fault settings. */
  faults(): FaultConfig {
    return this.#core.faults.config;
  }

  /** Merges `patch` into the fault settings (section by section) and returns the result. */
  setFaults(patch: FaultPatch): FaultConfig {
    this.#core.faults.set(mergeFaults(this.#core.faults.config, patch));
    return this.faults();
  }

  /** Turns every fault off (keeps the seed). */
  resetFaults(): FaultConfig {
    this.#core.faults.set({ ...structuredClone(NO_FAULTS), seed: this.#core.faults.config.seed });
    return this.faults();
  }

  /** Current limit settings. */
  limits(): LimitsConfig {
    return structuredClone(this.#core.limits.config);
  }

  /** Merges `patch` into the limit settings and returns the result. */
  setLimits(patch: LimitsPatch): LimitsConfig {
    this.#core.limits.config = mergeLimits(this.#core.limits.config, patch);
    return this.limits();
  }

  /** Forgets rate-limit usage: every window starts afresh. */
  resetUsage(): void {
    this.#core.limits.reset();
  }

  /** The primary rate-limit bucket of a token, as `GET /rate_limit` would show it. */
  rateLimit(token: string): RateView {
    const record = this.#core.world.token(token);
    const user = record ? this.#core.world.user(record.login) : undefined;
    const bucket = this.#core.bucket(record && user ? { user, token: record } : null);
    return this.#core.limits.view(bucket.key, bucket.limit, this.#core.time.now());
  }

  /** Request log entries after `since` (a `seq`), at most `limit` of the newest. */
  requestLog(options: { since?: number; limit?: number } = {}): RequestLogEntry[] {
    const since = options.since ?? 0;
    const list = this.#core.log.filter((e) => e.seq > since);
    return options.limit === undefined ? list : list.slice(-options.limit);
  }

  /** Empties the request log. */
  clearLog(): void {
    this.#core.log = [];
  }

  /** Counts per identity (login, or `anonymous`). */
  counts(): Record<string, IdentityCounts> {
    return Object.fromEntries([...this.#core.counts].map(([k, v]) => [k, { ...v }]));
  }

  /** Counts of one identity (zeros when it made no request). */
  countsFor(login: string): IdentityCounts {
    return { ...this.#core.countsFor(login) };
  }

  /** Zeroes every count. */
  resetCounts(): void {
    this.#core.counts.clear();
  }

  /** A deep copy of the world, as JSON-ready data. */
  snapshot(): EmulatorSnapshot {
    return this.#core.world.snapshot(this.#core.time.now());
  }

  /** Replaces the world with a snapshot; emulated time never moves backwards. */
  restore(snapshot: EmulatorSnapshot | unknown): void {
    this.#core.world.restore(snapshot);
    this.#core.time.advanceTo((snapshot as EmulatorSnapshot).now);
    this.#core.onChange?.();
  }

  /** Emulated epoch milliseconds. */
  now(): number {
    return this.#core.time.now();
  }

  /** Moves emulated time forward (e.g. past a rate-limit reset). */
  advance(ms: number): void {
    this.#core.time.advance(ms);
  }

  /** Changes how fast emulated time runs (emulated ms per real ms). */
  setTimeScale(timeScale: number): void {
    this.#core.time.setTimeScale(timeScale);
  }

  /** `workflow_dispatch` events received for a repository. */
  dispatches(owner: string, repo: string): DispatchRecord[] {
    return structuredClone(this.#core.world.repo(owner, repo)?.dispatches ?? []);
  }

  /** The true, current comments of an issue (no lag; deleted ones left out). */
  comments(owner: string, repo: string, issue: number): CommentRecord[] {
    const r = this.#core.world.repo(owner, repo);
    if (!r) return [];
    return structuredClone(
      this.#core.world.issueComments(r, issue).filter((c) => c.deletedAt === undefined),
    );
  }
}

const JSON_HEADERS = { "content-type": "application/json; charset=utf-8" };

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: JSON_HEADERS });
}

async function readJson(req: Request): Promise<unknown> {
  const text = await req.text();
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new TypeError(
      "Invalid JSON body: send a JSON object with content-type application/json.",
    );
  }
}

/**
 * The HTTP control surface's endpoints, listed by `GET /_emulator` (and by
 * `p2p-dev emulator --help`).
 *
 * @example
 * ```ts
 * Object.keys(CONTROL_ENDPOINTS).includes("POST /_emulator/seed"); // true
 * ```
 */
export const CONTROL_ENDPOINTS: Readonly<Record<string, string>> = {
  "GET /_emulator/health": "liveness and emulated time",
  "POST /_emulator/seed": 'SeedData, or {"demo": true}',
  "GET /_emulator/faults": "fault settings",
  "POST /_emulator/faults": "merge a FaultPatch",
  "DELETE /_emulator/faults": "turn faults off",
  "GET /_emulator/limits": "limit settings",
  "POST /_emulator/limits": "merge a LimitsPatch",
  "DELETE /_emulator/limits/usage": "forget rate-limit usage",
  "GET /_emulator/log?since=SEQ&limit=N": "request log",
  "DELETE /_emulator/log": "empty the log",
  "GET /_emulator/counts": "counts per identity",
  "DELETE /_emulator/counts": "zero the counts",
  "GET /_emulator/snapshot": "the world as JSON",
  "POST /_emulator/restore": "replace the world with a snapshot",
  "GET /_emulator/time": "emulated time",
  "POST /_emulator/time": '{"advanceMs": N} and/or {"timeScale": X}',
  "GET /_emulator/dispatches?repo=owner/name": "workflow dispatches received",
  "GET /_emulator/assets/{id}": "release asset bytes (redirect target)",
};

/**
 * Answers a request under `/_emulator`.
 *
 * @example
 * ```ts
 * // curl -X POST http://127.0.0.1:PORT/_emulator/faults -d '{"serverErrors":{"rate":0.1}}'
 * ```
 */
export async function controlHttp(core: EmulatorCore, req: Request, url: URL): Promise<Response> {
  const control = new EmulatorControl(core);
  const method = req.method.toUpperCase();
  const path = url.pathname.replace(/\/+$/, "");
  const asset = /^\/_emulator\/assets\/(\d+)$/.exec(path);
  if (asset && method === "GET") {
    const found = core.world.asset(Number(asset[1]));
    if (!found) return json(404, { message: "Not Found" });
    found.asset.downloadCount++;
    core.world.touch();
    return new Response(base64ToBytes(found.asset.base64) as Uint8Array<ArrayBuffer>, {
      status: 200,
      headers: {
        "content-type": "application/octet-stream",
        "content-disposition": `attachment; filename=${found.asset.name}`,
        date: new Date(core.time.now()).toUTCString(),
      },
    });
  }
  if (core.controlToken !== undefined) {
    const auth = req.headers.get("authorization") ?? "";
    if (auth !== `Bearer ${core.controlToken}`) {
      return json(401, {
        message: "Missing control token: send Authorization: Bearer <controlToken>.",
      });
    }
  }
  try {
    switch (`${method} ${path}`) {
      case "GET /_emulator":
        return json(200, CONTROL_ENDPOINTS);
      case "GET /_emulator/health":
        return json(200, {
          ok: true,
          now: control.now(),
          time: new Date(control.now()).toISOString(),
        });
      case "POST /_emulator/seed": {
        const body = await readJson(req) as SeedData & { demo?: boolean };
        if (body.demo === true) return json(200, control.seedDemo());
        return json(200, control.seed(body));
      }
      case "GET /_emulator/faults":
        return json(200, control.faults());
      case "POST /_emulator/faults":
      case "PATCH /_emulator/faults":
      case "PUT /_emulator/faults":
        return json(200, control.setFaults(await readJson(req) as FaultPatch));
      case "DELETE /_emulator/faults":
        return json(200, control.resetFaults());
      case "GET /_emulator/limits":
        return json(200, control.limits());
      case "POST /_emulator/limits":
      case "PATCH /_emulator/limits":
      case "PUT /_emulator/limits":
        return json(200, control.setLimits(await readJson(req) as LimitsPatch));
      case "DELETE /_emulator/limits/usage":
        control.resetUsage();
        return json(200, { ok: true });
      case "GET /_emulator/log": {
        const since = Number(url.searchParams.get("since") ?? 0);
        const limit = url.searchParams.get("limit");
        return json(200, control.requestLog({ since, ...(limit ? { limit: Number(limit) } : {}) }));
      }
      case "DELETE /_emulator/log":
        control.clearLog();
        return json(200, { ok: true });
      case "GET /_emulator/counts":
        return json(200, control.counts());
      case "DELETE /_emulator/counts":
        control.resetCounts();
        return json(200, { ok: true });
      case "GET /_emulator/snapshot":
        return json(200, control.snapshot());
      case "POST /_emulator/restore":
        control.restore(await readJson(req));
        return json(200, { ok: true, now: control.now() });
      case "GET /_emulator/time":
        return json(200, { now: control.now(), timeScale: core.time.timeScale });
      case "POST /_emulator/time": {
        const body = await readJson(req) as { advanceMs?: number; timeScale?: number };
        if (body.advanceMs !== undefined) control.advance(body.advanceMs);
        if (body.timeScale !== undefined) control.setTimeScale(body.timeScale);
        return json(200, { now: control.now(), timeScale: core.time.timeScale });
      }
      case "GET /_emulator/dispatches": {
        const [owner = "", repo = ""] = (url.searchParams.get("repo") ?? "").split("/");
        return json(200, control.dispatches(owner, repo));
      }
      default:
        return json(404, {
          message: `Unknown control endpoint "${method} ${path}": GET /_emulator lists them.`,
        });
    }
  } catch (error) {
    return json(400, { message: error instanceof Error ? error.message : String(error) });
  }
}
