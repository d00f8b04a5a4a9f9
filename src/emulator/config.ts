/**
 * The emulator's JSON configuration file (`p2p-dev emulator --config FILE`).
 *
 * ```json
 * {
 *   "seed": 7,
 *   "timeScale": 1,
 *   "faults": { "latency": { "distribution": "lognormal", "medianMs": 150, "sigma": 0.5 },
 *               "listLag": { "probability": 0.3, "minMs": 5000, "maxMs": 20000 },
 *               "serverErrors": { "rate": 0.02 } },
 *   "limits": { "primary": { "actions": 1000 } },
 *   "demo": true,
 *   "data": { "users": [], "repos": [] }
 * }
 * ```
 *
 * @module
 */
import { type FaultPatch, mergeFaults, NO_FAULTS } from "./faults.ts";
import { DEFAULT_LIMITS, type LimitsPatch, mergeLimits } from "./limits.ts";
import type { SeedData } from "./types.ts";

/**
 * Contents of a configuration file.
 *
 * @example
 * ```ts
 * const c: EmulatorConfigFile = { seed: 3, faults: { serverErrors: { rate: 0.05 } } };
 * ```
 */
export interface EmulatorConfigFile {
  /** Seed of every random fault. */
  seed?: number;
  /** Emulated ms per real ms. */
  timeScale?: number;
  /** Faults to start with. */
  faults?: FaultPatch;
  /** Limits to change from GitHub's values. */
  limits?: LimitsPatch;
  /** Seed the demo world. */
  demo?: boolean;
  /** More users, tokens and repositories. */
  data?: SeedData;
  /** Base URL for `html_url` fields. */
  htmlUrl?: string;
}

const KEYS = ["seed", "timeScale", "faults", "limits", "demo", "data", "htmlUrl"];

/**
 * Parses and checks a configuration file's text. Errors name the file, the
 * setting and what to write instead.
 *
 * @example
 * ```ts
 * const config = parseEmulatorConfig('{"seed": 3}', "emulator.json");
 * ```
 */
export function parseEmulatorConfig(text: string, source = "configuration"): EmulatorConfigFile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new TypeError(
      `Invalid JSON in ${source}: ${
        error instanceof Error ? error.message : error
      }. Fix the syntax and retry.`,
    );
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError(
      `Invalid ${source}: expected a JSON object such as {"seed": 1, "faults": {}}.`,
    );
  }
  const config = value as EmulatorConfigFile;
  for (const key of Object.keys(config)) {
    if (!KEYS.includes(key)) {
      throw new TypeError(`Unknown setting "${key}" in ${source}: use one of ${KEYS.join(", ")}.`);
    }
  }
  try {
    if (config.faults !== undefined) mergeFaults(NO_FAULTS, config.faults);
    if (config.limits !== undefined) mergeLimits(DEFAULT_LIMITS, config.limits);
  } catch (error) {
    throw new TypeError(`${error instanceof Error ? error.message : error} (in ${source})`);
  }
  if (config.seed !== undefined && !Number.isSafeInteger(config.seed)) {
    throw new TypeError(
      `Invalid seed ${JSON.stringify(config.seed)} in ${source}: expected a whole number.`,
    );
  }
  if (
    config.timeScale !== undefined &&
    !(typeof config.timeScale === "number" && config.timeScale > 0)
  ) {
    throw new TypeError(
      `Invalid timeScale ${
        JSON.stringify(config.timeScale)
      } in ${source}: expected a positive number.`,
    );
  }
  return config;
}

/**
 * Reads and checks a configuration file.
 *
 * @example
 * ```ts
 * const config = await loadEmulatorConfig("emulator.json");
 * ```
 */
export async function loadEmulatorConfig(path: string): Promise<EmulatorConfigFile> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new TypeError(
      `Cannot read emulator configuration "${path}": ${
        error instanceof Error ? error.message : error
      }. Check the path.`,
    );
  }
  return parseEmulatorConfig(text, `"${path}"`);
}
