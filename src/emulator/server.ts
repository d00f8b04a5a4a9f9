/**
 * `createEmulator` (a request handler, no socket) and `startEmulator` (a real
 * HTTP server on 127.0.0.1, optionally persisting its world to a file).
 *
 * @module
 */
import { EmulatorControl } from "./control.ts";
import { type CoreOptions, DroppedConnection, EmulatorCore } from "./core.ts";
import { applySeed, demoSeed } from "./seed.ts";
import type { EmulatorSnapshot, SeedData } from "./types.ts";

/**
 * Settings of an emulator: engine settings plus what to seed it with
 * (`users`, `tokens`, `repos` directly, `data`, or the `demo` world).
 *
 * @example
 * ```ts
 * const options: EmulatorOptions = {
 *   users: [{ login: "octo", token: "ghp_1" }],
 *   repos: [{ owner: "octo", name: "hello", issues: [{ title: "Swarm", author: "octo" }] }],
 * };
 * ```
 */
export interface EmulatorOptions extends CoreOptions, SeedData {
  /** More seed data (applied after `users`, `tokens`, `repos`). */
  data?: SeedData;
  /** Seed the demo world (`demoSeed`). */
  demo?: boolean;
}

/**
 * An emulator without a socket: call `handler` like a server would.
 *
 * @example
 * ```ts
 * const { handler } = createEmulator({ demo: true });
 * const res = await handler(new Request("http://127.0.0.1/rate_limit"));
 * ```
 */
export interface Emulator {
  /** Answers one request. Rejects only to emulate a dropped connection. */
  handler(req: Request): Promise<Response>;
  /** The control surface (seed, faults, limits, log, counts, snapshots). */
  control: EmulatorControl;
}

/**
 * Creates an emulator in process.
 *
 * @example
 * ```ts
 * import { Octokit } from "@octokit/rest";
 * const emulator = createEmulator({ users: [{ login: "octo", token: "ghp_1" }] });
 * const octokit = new Octokit({
 *   auth: "ghp_1",
 *   baseUrl: "http://emulator.test",
 *   request: { fetch: (url: string, init: RequestInit) => emulator.handler(new Request(url, init)) },
 * });
 * ```
 */
export function createEmulator(options: EmulatorOptions = {}): Emulator {
  const core = new EmulatorCore(options);
  const now = core.time.now();
  if (options.demo) applySeed(core.world, demoSeed(), now);
  const direct: SeedData = {
    ...(options.users ? { users: options.users } : {}),
    ...(options.tokens ? { tokens: options.tokens } : {}),
    ...(options.repos ? { repos: options.repos } : {}),
    ...(options.apps ? { apps: options.apps } : {}),
  };
  applySeed(core.world, direct, now);
  if (options.data) applySeed(core.world, options.data, now);
  return emulatorOf(core);
}

function emulatorOf(core: EmulatorCore): Emulator & { core: EmulatorCore } {
  return { core, handler: (req) => core.handle(req), control: new EmulatorControl(core) };
}

/**
 * Settings of a running server.
 *
 * @example
 * ```ts
 * const options: StartOptions = { port: 0, demo: true, statePath: "emulator-state.json" };
 * ```
 */
export interface StartOptions extends EmulatorOptions {
  /** TCP port on 127.0.0.1; 0 (the default) picks a free one. */
  port?: number;
  /** Load the world from this file at start (when it exists) and save it on change and on close. */
  statePath?: string;
  /** Closes the server when aborted. */
  signal?: AbortSignal;
}

/**
 * A running emulator.
 *
 * @example
 * ```ts
 * const running = await startEmulator({ demo: true });
 * await running.close();
 * ```
 */
export interface RunningEmulator extends Emulator {
  /** Base URL for Octokit's `baseUrl`, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** The TCP port actually bound. */
  port: number;
  /** Stops listening, releases held requests and saves the state file. */
  close(): Promise<void>;
}

/**
 * Starts the emulator as an HTTP server bound to 127.0.0.1.
 *
 * @example
 * ```ts
 * import { Octokit } from "@octokit/rest";
 * const emulator = await startEmulator({ demo: true });
 * const octokit = new Octokit({ auth: "ghp_emulator_owner", baseUrl: emulator.url });
 * await octokit.rest.issues.get({ owner: "octo-org", repo: "hello", issue_number: 1 });
 * await emulator.close();
 * ```
 */
export async function startEmulator(options: StartOptions = {}): Promise<RunningEmulator> {
  let state: EmulatorSnapshot | undefined = options.state;
  if (options.statePath) state = await readState(options.statePath) ?? state;
  const fresh = state === undefined;
  const emulator = fresh
    ? createEmulator(options)
    : emulatorOf(new EmulatorCore({ ...options, state: state! }));
  const core = (emulator as Emulator & { core: EmulatorCore }).core;

  let saving: Promise<void> = Promise.resolve();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const save = () => {
    if (!options.statePath) return saving;
    const path = options.statePath;
    const snapshot = emulator.control.snapshot();
    saving = saving.then(() => writeState(path, snapshot));
    return saving;
  };
  if (options.statePath) {
    core.onChange = () => {
      if (timer === undefined) {
        timer = setTimeout(() => {
          timer = undefined;
          save();
        }, 50);
      }
    };
    if (fresh) await save();
  }

  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`Invalid port ${port}: expected 0 (any free port) to 65535.`);
  }
  const stop = new AbortController();
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port,
    signal: stop.signal,
    onListen() {},
    onError(error) {
      const message = `Emulator error: ${error instanceof Error ? error.message : String(error)}`;
      return new Response(JSON.stringify({ message }), {
        status: 500,
        headers: { "content-type": "application/json; charset=utf-8" },
      });
    },
  }, async (req) => {
    try {
      return await emulator.handler(req);
    } catch (error) {
      if (error instanceof DroppedConnection) return cutResponse();
      throw error;
    }
  });
  const addr = server.addr as Deno.NetAddr;
  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= (async () => {
      core.abortHolds();
      stop.abort();
      await server.finished;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      await save();
    })();
    return closed;
  };
  options.signal?.addEventListener("abort", () => void close(), { once: true });
  return {
    url: `http://127.0.0.1:${addr.port}`,
    port: addr.port,
    handler: emulator.handler,
    control: emulator.control,
    close,
  };
}

/**
 * A response whose connection breaks after the status line: `Deno.serve`
 * cannot close a connection without answering, so a dropped request gets a
 * 502 head and a body that ends early (the client sees a network error).
 */
function cutResponse(): Response {
  return new Response(new ReadableStream({ start: (c) => c.close() }), {
    status: 502,
    headers: { "content-type": "application/json; charset=utf-8", "content-length": "64" },
  });
}

async function readState(path: string): Promise<EmulatorSnapshot | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  try {
    return JSON.parse(text) as EmulatorSnapshot;
  } catch {
    throw new TypeError(
      `Invalid state file "${path}": not JSON. Delete it to start from a fresh world.`,
    );
  }
}

async function writeState(path: string, snapshot: EmulatorSnapshot): Promise<void> {
  const tmp = `${path}.tmp`;
  await Deno.writeTextFile(tmp, JSON.stringify(snapshot));
  await Deno.rename(tmp, path);
}
