/**
 * The configuration file of a target repository, `.github/p2p-dev.yml`:
 * planner, executor, delivery, trust, timings, budgets and instance bounds,
 * one section each. Its schema is the option groups' `config` keys
 * (`option_groups.ts`), so a flag and its key never disagree; flags override
 * the file. Every error names the field and what it accepts.
 *
 * @module
 */
import { parse as parseYaml, YAMLParseError } from "yaml";
import { CONFIGURABLE } from "./option_groups.ts";
import { type OptionSpec, orList, parseOptionValue } from "./options.ts";
import { UsageError } from "./usage_error.ts";

/** Where the file lives in a repository. */
export const CONFIG_PATH = ".github/p2p-dev.yml";

/** A loaded file: its path and its values by key (`timings.settle-ms`), already checked. */
export interface ConfigFile {
  path: string | null;
  values: Record<string, unknown>;
}

/** No file. */
export const NO_CONFIG: ConfigFile = { path: null, values: {} };

/**
 * The schema: every key the file may hold, by section.
 *
 * @example
 * ```ts
 * configSchema().get("timings")!.get("settle-ms")!.kind; // "duration"
 * ```
 */
export function configSchema(
  specs: readonly OptionSpec[] = CONFIGURABLE,
): Map<string, Map<string, OptionSpec>> {
  const sections = new Map<string, Map<string, OptionSpec>>();
  for (const spec of specs) {
    if (!spec.config) continue;
    const [section, key] = spec.config.split(".") as [string, string];
    if (!sections.has(section)) sections.set(section, new Map());
    sections.get(section)!.set(key, spec);
  }
  return sections;
}

/**
 * Checks a parsed YAML document against the schema and returns its values
 * by key. Throws a `UsageError` naming the file, the field and the allowed
 * keys or values.
 *
 * @example
 * ```ts
 * validateConfig({ timings: { "settle-ms": "10s" } }, "p2p-dev.yml"); // { "timings.settle-ms": 10000 }
 * ```
 */
export function validateConfig(
  doc: unknown,
  path: string,
  specs: readonly OptionSpec[] = CONFIGURABLE,
): Record<string, unknown> {
  const schema = configSchema(specs);
  const values: Record<string, unknown> = {};
  if (doc === null || doc === undefined) return values; // an empty file
  if (typeof doc !== "object" || Array.isArray(doc)) {
    throw new UsageError(
      `Invalid ${path}: expected a mapping of sections (${orList([...schema.keys()])}).`,
    );
  }
  for (const [section, body] of Object.entries(doc)) {
    const keys = schema.get(section);
    if (!keys) {
      throw new UsageError(
        `Unknown section "${section}" in ${path}: use ${orList([...schema.keys()])}.`,
      );
    }
    if (body === null) continue;
    if (typeof body !== "object" || Array.isArray(body)) {
      throw new UsageError(
        `Invalid section "${section}" in ${path}: expected keys such as ${
          orList([...keys.keys()])
        }.`,
      );
    }
    for (const [key, raw] of Object.entries(body as Record<string, unknown>)) {
      const spec = keys.get(key);
      if (!spec) {
        throw new UsageError(
          `Unknown field "${section}.${key}" in ${path}: section "${section}" takes ${
            orList([...keys.keys()])
          }.`,
        );
      }
      if (raw === null) continue;
      values[`${section}.${key}`] = parseOptionValue(spec, raw, `${section}.${key} in ${path}`);
    }
  }
  const min = values["instances.min"] as number | undefined;
  const max = values["instances.max"] as number | undefined;
  const def = values["instances.default"] as number | undefined;
  if (min !== undefined && max !== undefined && min > max) {
    throw new UsageError(
      `Invalid instances in ${path}: min ${min} is above max ${max}; swap them.`,
    );
  }
  if (def !== undefined && ((min !== undefined && def < min) || (max !== undefined && def > max))) {
    throw new UsageError(
      `Invalid instances.default ${def} in ${path}: it must lie between min and max.`,
    );
  }
  return values;
}

/**
 * Reads and checks a configuration file. With `explicit` a missing file is an
 * error; otherwise it means no configuration.
 *
 * @example
 * ```ts
 * const config = await readConfigFile(".github/p2p-dev.yml", false);
 * ```
 */
export async function readConfigFile(path: string, explicit: boolean): Promise<ConfigFile> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (!explicit && error instanceof Deno.errors.NotFound) return NO_CONFIG;
    throw new UsageError(
      `Cannot read configuration file "${path}": ${(error as Error).message}.`,
    );
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (error) {
    const where = error instanceof YAMLParseError && error.linePos
      ? ` at line ${error.linePos[0].line}`
      : "";
    throw new UsageError(
      `Invalid YAML in ${path}${where}: ${
        (error as Error).message.split("\n")[0]
      }. Fix the file or pass --config with another one.`,
    );
  }
  return { path, values: validateConfig(doc, path) };
}

/**
 * Finds the file the commands use by default: `.github/p2p-dev.yml` in
 * `start` or the nearest folder above it that holds one, stopping at the
 * repository root (a folder with `.git`).
 *
 * @example
 * ```ts
 * const path = await findConfigFile(Deno.cwd()); // "/src/repo/.github/p2p-dev.yml" or undefined
 * ```
 */
export async function findConfigFile(start: string): Promise<string | undefined> {
  let dir = start.replace(/\/+$/, "") || "/";
  while (true) {
    const candidate = `${dir === "/" ? "" : dir}/${CONFIG_PATH}`;
    if (await exists(candidate)) return candidate;
    if (await exists(`${dir === "/" ? "" : dir}/.git`)) return undefined;
    const parent = dir.replace(/\/[^/]*$/, "") || "/";
    if (parent === dir) return undefined;
    dir = parent;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Renders an example file from the schema: every section and key with its
 * default or a comment saying what it takes (for the README and `--help`).
 *
 * @example
 * ```ts
 * console.log(exampleConfig());
 * ```
 */
export function exampleConfig(specs: readonly OptionSpec[] = CONFIGURABLE): string {
  const lines = [`# ${CONFIG_PATH}: every key is optional; flags override them.`];
  const schema = configSchema(specs);
  const order = [...SECTION_ORDER.filter((s) => schema.has(s)), ...schema.keys()];
  for (const section of new Set(order)) {
    lines.push(`${section}:`);
    for (const [key, spec] of schema.get(section)!) {
      const hint = spec.choices
        ? spec.choices.join(" | ")
        : spec.kind === "duration"
        ? "ms, or 250ms / 10s / 5m / 1h"
        : spec.kind === "list"
        ? "a list"
        : spec.kind === "flag"
        ? "true | false"
        : undefined;
      const comment = `# ${spec.description.replace(/ \(.*\)$/, "")}${hint ? ` (${hint})` : ""}`;
      lines.push(
        spec.default !== undefined
          ? `  ${key}: ${String(spec.default)}  ${comment}`
          : `  # ${key}:  ${comment}`,
      );
    }
  }
  return lines.join("\n") + "\n";
}

/** The order sections are shown in. */
const SECTION_ORDER = [
  "planner",
  "executor",
  "claude",
  "delivery",
  "trust",
  "timings",
  "claims",
  "budgets",
  "instances",
];
