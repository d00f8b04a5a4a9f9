/**
 * `p2p-dev emulator`: runs the local GitHub REST API emulator until
 * interrupted, printing its URL and the demo tokens.
 *
 * @module
 */
import type { Command } from "@commander-js/extra-typings";
import type { CliContext } from "./context.ts";
import { defineCommand } from "./define.ts";
import { type OptionSpec, type OptionValues, parseOptionValue } from "./options.ts";
import { UsageError } from "./usage_error.ts";
import {
  CONTROL_ENDPOINTS,
  DEMO,
  type EmulatorConfigFile,
  type FaultPatch,
  loadEmulatorConfig,
  type SeedData,
  startEmulator,
} from "../emulator/mod.ts";

const ms = (text: string): NonNullable<OptionSpec["range"]> => ({ min: 0, text });

/** Options of `emulator`. */
export const EMULATOR_OPTIONS: readonly OptionSpec[] = [
  {
    name: "port",
    flags: "--port <n>",
    kind: "number",
    range: { min: 0, max: 65535, integer: true, text: "0 (any free port) to 65535" },
    group: "Server",
    description: "TCP port on 127.0.0.1; 0 picks a free one",
    defaultText: "$PORT, else 0",
  },
  {
    name: "config",
    flags: "--config <file>",
    kind: "text",
    group: "Server",
    description: "JSON settings: seed, timeScale, faults, limits, demo, data (a seed), htmlUrl",
  },
  {
    name: "state",
    flags: "--state <file>",
    kind: "text",
    group: "Server",
    description: "load the world from FILE at start, save it on change and on exit",
  },
  {
    name: "demo",
    flags: "--no-demo",
    kind: "flag",
    group: "Server",
    description: "start without the demo repository, users and tokens",
  },
  {
    name: "seed",
    flags: "--seed <n>",
    kind: "number",
    range: { integer: true, text: "a whole number" },
    group: "Faults",
    description: "seed of every random fault (same seed, same faults)",
  },
  {
    name: "latencyMs",
    flags: "--latency-ms <n>",
    kind: "number",
    range: ms("a number of milliseconds >= 0"),
    group: "Faults",
    description: "median response latency in ms (lognormal)",
  },
  {
    name: "lagMs",
    flags: "--lag-ms <n>",
    kind: "number",
    range: ms("a number of milliseconds >= 0"),
    group: "Faults",
    description: "new or edited comments may stay out of lists for up to N ms",
  },
  {
    name: "errorRate",
    flags: "--error-rate <x>",
    kind: "number",
    range: { min: 0, max: 1, text: "a number from 0 to 1" },
    group: "Faults",
    description: "share of requests answered with a 5xx",
  },
  {
    name: "timeScale",
    flags: "--time-scale <x>",
    kind: "number",
    range: { min: 0, minExclusive: true, text: "a positive number" },
    group: "Faults",
    description: "emulated seconds per real second (1 = real time)",
  },
];

/**
 * An example seed, shown in `--help` and the README (a test seeds it, so it
 * stays valid).
 *
 * @example
 * ```ts
 * emulator.control.seed(SEED_EXAMPLE);
 * ```
 */
export const SEED_EXAMPLE: SeedData = {
  users: [{ login: "octo", token: "ghp_octo" }, { login: "alice", token: "ghp_alice" }],
  tokens: [{
    token: "ghs_swarm",
    login: "github-actions[bot]",
    kind: "actions",
    repos: ["octo/hello"],
  }],
  repos: [{
    owner: "octo",
    name: "hello",
    permissions: { alice: "write" },
    labels: [{ name: "p2p-dev" }],
    issues: [{
      title: "Add search",
      author: "octo",
      body: "- [ ] T1: API\n- [ ] T2: UI (after: T1)",
      labels: ["p2p-dev"],
      comments: [{ author: "alice", body: "Looks good" }],
    }],
  }],
};

/** The control surface and the seed format, for `--help`. */
export function emulatorHelp(): string {
  const width = Math.max(...Object.keys(CONTROL_ENDPOINTS).map((k) => k.length));
  return `
Control surface (JSON over HTTP on the same port; GET /_emulator lists it):
${Object.entries(CONTROL_ENDPOINTS).map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join("\n")}

Seed format (POST /_emulator/seed, or "data" in --config); seeding merges, tokens
authenticate as their login, "permissions" grants read, triage, write, maintain or admin:
  ${JSON.stringify(SEED_EXAMPLE)}
Tokens' "kind" (actions, pat, app) picks their rate limit; actions tokens share one
budget per repository, as GitHub's GITHUB_TOKEN does.`;
}

/**
 * Builds the `emulator` subcommand.
 *
 * @example
 * ```ts
 * const cmd = emulatorCommand(ctx); // p2p-dev emulator --port 8080 --error-rate 0.05
 * ```
 */
export function emulatorCommand(ctx: CliContext): Command {
  return defineCommand(ctx, {
    name: "emulator",
    description:
      "Run a local GitHub REST API emulator on 127.0.0.1 (limits and seeded faults included) until interrupted.",
    options: EMULATOR_OPTIONS,
    helpAfter: emulatorHelp(),
    action: (values) => runEmulator(ctx, values),
  });
}

async function runEmulator(ctx: CliContext, flags: OptionValues): Promise<void> {
  const n = (v: unknown) => (typeof v === "number" ? v : undefined);
  // PORT: the server port of the original design's deployments (Cloud Run, a VPS).
  const envPort = (ctx.env.PORT ?? "").trim();
  const port = n(flags.port) ??
    (envPort === "" ? 0 : parseOptionValue(EMULATOR_OPTIONS[0]!, envPort, "PORT") as number);
  const seed = n(flags.seed);
  const latency = n(flags.latencyMs);
  const lag = n(flags.lagMs);
  const errorRate = n(flags.errorRate);
  const timeScale = n(flags.timeScale);

  let config: EmulatorConfigFile = {};
  if (typeof flags.config === "string") {
    try {
      config = await loadEmulatorConfig(flags.config);
    } catch (error) {
      throw new UsageError(error instanceof Error ? error.message : String(error));
    }
  }
  const faults: FaultPatch = { ...config.faults };
  if (latency !== undefined) {
    faults.latency = latency === 0
      ? { distribution: "none" }
      : { distribution: "lognormal", medianMs: latency, sigma: 0.5 };
  }
  if (lag !== undefined) {
    faults.listLag = { ...faults.listLag, probability: 1, minMs: 0, maxMs: lag };
  }
  if (errorRate !== undefined) faults.serverErrors = { ...faults.serverErrors, rate: errorRate };

  const demo = flags.demo !== false && config.demo !== false;
  const emulator = await startEmulator({
    port,
    demo,
    faults,
    ...(seed ?? config.seed) !== undefined ? { seed: (seed ?? config.seed)! } : {},
    ...(timeScale ?? config.timeScale) !== undefined
      ? { timeScale: (timeScale ?? config.timeScale)! }
      : {},
    ...(config.limits ? { limits: config.limits } : {}),
    ...(config.data ? { data: config.data } : {}),
    ...(config.htmlUrl ? { htmlUrl: config.htmlUrl } : {}),
    ...(typeof flags.state === "string" ? { statePath: flags.state } : {}),
  }).catch((error: unknown) => {
    if (error instanceof Deno.errors.AddrInUse) {
      throw new Error(
        `Cannot listen on 127.0.0.1:${port}: the port is in use. Pick another --port, or 0.`,
      );
    }
    throw error;
  });
  try {
    ctx.out(`Emulator listening on ${emulator.url}`);
    const world = emulator.control.world;
    const demoRepo = world.repo(DEMO.owner, DEMO.repo);
    if (demoRepo) ctx.out(`Demo issue: ${DEMO.owner}/${DEMO.repo}#${DEMO.issue}`);
    for (const token of world.data.tokens) {
      const covers = token.kind !== "pat" &&
        token.repos?.some((r) => r.toLowerCase() === `${DEMO.owner}/${DEMO.repo}`);
      const role = !demoRepo ? "-" : covers ? "write" : world.role(demoRepo, token.login) ?? "none";
      ctx.out(`Token for ${token.login} (${token.kind}, ${role}): ${token.token}`);
    }
    if (!ctx.signal.aborted) {
      await new Promise<void>((resolve) =>
        ctx.signal.addEventListener("abort", () => resolve(), { once: true })
      );
    }
  } finally {
    await emulator.close();
  }
}
