/**
 * `p2p-dev emulator`: runs the local GitHub REST API emulator until
 * interrupted, printing its URL and the demo tokens.
 *
 * @module
 */
import { Command } from "@commander-js/extra-typings";
import type { CliContext } from "./context.ts";
import { UsageError } from "./usage_error.ts";
import {
  DEMO,
  type EmulatorConfigFile,
  type FaultPatch,
  loadEmulatorConfig,
  startEmulator,
} from "../emulator/mod.ts";

/** Flags of `p2p-dev emulator`, as commander hands them over. */
interface EmulatorFlags {
  port: string;
  seed?: string;
  config?: string;
  state?: string;
  latencyMs?: string;
  lagMs?: string;
  errorRate?: string;
  timeScale?: string;
  demo: boolean;
}

function number(
  flag: string,
  value: string | undefined,
  check: (n: number) => boolean,
  expected: string,
) {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || !check(n)) {
    throw new UsageError(`Invalid ${flag} "${value}": expected ${expected}.`);
  }
  return n;
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
  const command = new Command("emulator")
    .description(
      "Run a local GitHub REST API emulator on 127.0.0.1 (limits and seeded faults included) until interrupted.",
    )
    .option("--port <n>", "TCP port; 0 picks a free one", "0")
    .option("--seed <n>", "seed of every random fault (same seed, same faults)")
    .option("--config <file>", "JSON settings: seed, timeScale, faults, limits, demo, data")
    .option("--state <file>", "load the world from FILE at start, save it on change and on exit")
    .option("--latency-ms <n>", "median response latency in ms (lognormal)")
    .option("--lag-ms <n>", "new or edited comments may stay out of lists for up to N ms")
    .option("--error-rate <x>", "share of requests answered with a 5xx, from 0 to 1")
    .option("--time-scale <x>", "emulated seconds per real second (1 = real time)")
    .option("--no-demo", "start without the demo repository, users and tokens")
    .action(async (flags: EmulatorFlags) => {
      await runEmulator(ctx, flags);
    });
  return command as unknown as Command;
}

async function runEmulator(ctx: CliContext, flags: EmulatorFlags): Promise<void> {
  const port = number(
    "--port",
    flags.port,
    (n) => Number.isInteger(n) && n >= 0 && n <= 65535,
    "0 (any free port) to 65535",
  )!;
  const seed = number("--seed", flags.seed, Number.isSafeInteger, "a whole number");
  const latency = number(
    "--latency-ms",
    flags.latencyMs,
    (n) => n >= 0,
    "a number of milliseconds >= 0",
  );
  const lag = number("--lag-ms", flags.lagMs, (n) => n >= 0, "a number of milliseconds >= 0");
  const errorRate = number(
    "--error-rate",
    flags.errorRate,
    (n) => n >= 0 && n <= 1,
    "a number from 0 to 1",
  );
  const timeScale = number("--time-scale", flags.timeScale, (n) => n > 0, "a positive number");

  let config: EmulatorConfigFile = {};
  if (flags.config !== undefined) {
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

  const demo = flags.demo && config.demo !== false;
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
    ...(flags.state ? { statePath: flags.state } : {}),
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
