/**
 * Options as data. Every subcommand declares one table of {@linkcode OptionSpec}s;
 * the same entry gives the flag, its help line and group, how its value is
 * checked, its default (printed as a number where it is one), and its key in
 * the configuration file (`.github/p2p-dev.yml`). Adding a flag is adding one
 * entry to a table.
 *
 * @module
 */
import { type Command, Option } from "@commander-js/extra-typings";
import { UsageError } from "./usage_error.ts";

/** How an option's value is read and checked. */
export type ValueKind =
  /** Milliseconds: `1500`, or with a unit: `250ms`, `10s`, `5m`, `1h`. */
  | "duration"
  /** A positive whole number. */
  | "count"
  /** A number within `range`. */
  | "number"
  /** Any non-empty text. */
  | "text"
  /** One of `choices`. */
  | "choice"
  /** On or off (a flag without a value). */
  | "flag"
  /** A list of words (a variadic flag; in the file a YAML list or a comma-separated string). */
  | "list";

/**
 * One option of a subcommand.
 *
 * @example
 * ```ts
 * const settle: OptionSpec = {
 *   name: "settleMs", flags: "--settle-ms <ms>", kind: "duration", group: "Timing",
 *   description: "wait before confirming a claim", default: 10_000, config: "timings.settle-ms",
 * };
 * ```
 */
export interface OptionSpec {
  /** The key commander stores the value under (camelCase of the long flag). */
  name: string;
  /** Commander flags, e.g. `--settle-ms <ms>`. */
  flags: string;
  description: string;
  kind: ValueKind;
  /** Help heading the option is listed under. */
  group: string;
  choices?: readonly string[];
  /** For `number`: the accepted range and how to say it. */
  range?: { min?: number; max?: number; minExclusive?: boolean; integer?: boolean; text: string };
  /** For `duration`: the smallest value (default 1 ms). */
  min?: number;
  /** The default value, shown in help. */
  default?: number | string | boolean;
  /** Shown instead of a default that depends on the environment. */
  defaultText?: string;
  required?: boolean;
  /** Key in `.github/p2p-dev.yml` (`section.key`), when the file may set it. */
  config?: string;
  /** Left out of the help (for a negated twin such as `--no-comment`). */
  hidden?: boolean;
}

/** Parsed option values by name. */
export type OptionValues = Record<string, unknown>;

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/**
 * Reads a duration: whole milliseconds, or a number with a unit (`ms`, `s`, `m`, `h`).
 * Returns undefined when the text is not one.
 *
 * @example
 * ```ts
 * parseDuration("5m"); // 300000
 * parseDuration("1500"); // 1500
 * ```
 */
export function parseDuration(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text);
  if (!m) return undefined;
  const ms = Number(m[1]) * UNITS[m[2] ?? "ms"]!;
  return Number.isSafeInteger(Math.round(ms)) && (m[2] || Number.isInteger(Number(m[1])))
    ? Math.round(ms)
    : undefined;
}

/** Says a list of words as "a, b or c". */
export function orList(words: readonly string[]): string {
  return words.length <= 1 ? words.join("") : `${words.slice(0, -1).join(", ")} or ${words.at(-1)}`;
}

/**
 * Checks and converts one value of an option, from a flag (a string) or the
 * configuration file (any YAML value). `where` names it in the error:
 * `--settle-ms` or `timings.settle-ms in .github/p2p-dev.yml`.
 *
 * @example
 * ```ts
 * parseOptionValue({ ...settle }, "10s", "--settle-ms"); // 10000
 * ```
 */
export function parseOptionValue(spec: OptionSpec, raw: unknown, where: string): unknown {
  const quoted = typeof raw === "string" ? `"${raw}"` : JSON.stringify(raw);
  const fail = (expected: string): never => {
    throw new UsageError(`Invalid ${where} ${quoted}: ${expected}.`);
  };
  switch (spec.kind) {
    case "duration": {
      const min = spec.min ?? 1;
      const ms = typeof raw === "number"
        ? (Number.isSafeInteger(raw) ? raw : undefined)
        : typeof raw === "string"
        ? parseDuration(raw)
        : undefined;
      if (ms === undefined || ms < min) {
        fail(
          `expected ${
            min === 0 ? "0 or more" : min > 1 ? `at least ${min}` : "a positive number of"
          } milliseconds, or a number with a unit (250ms, 10s, 5m, 1h)`,
        );
      }
      return ms;
    }
    case "count": {
      const text = typeof raw === "number" ? String(raw) : typeof raw === "string" ? raw : "";
      if (!/^\d+$/.test(text) || Number(text) < 1 || !Number.isSafeInteger(Number(text))) {
        fail("expected a positive whole number");
      }
      return Number(text);
    }
    case "number": {
      const n = typeof raw === "number"
        ? raw
        : typeof raw === "string" && raw.trim() !== ""
        ? Number(raw)
        : NaN;
      const r = spec.range;
      if (
        !Number.isFinite(n) ||
        (r?.integer && !Number.isSafeInteger(n)) ||
        (r?.min !== undefined && (r.minExclusive ? n <= r.min : n < r.min)) ||
        (r?.max !== undefined && n > r.max)
      ) {
        fail(r ? `expected ${r.text}` : "expected a number");
      }
      return n;
    }
    case "text":
      if (typeof raw !== "string" && typeof raw !== "number") fail("expected text");
      if (String(raw).trim() === "") fail("expected a non-empty value");
      return String(raw);
    case "choice": {
      const choices = spec.choices ?? [];
      if (typeof raw !== "string" || !choices.includes(raw)) fail(`use ${orList(choices)}`);
      return raw;
    }
    case "flag":
      if (typeof raw !== "boolean") fail("expected true or false");
      return raw;
    case "list": {
      const items = Array.isArray(raw)
        ? raw
        : typeof raw === "string"
        ? raw.split(/[\s,]+/).filter(Boolean)
        : undefined;
      if (!items || !items.every((i) => typeof i === "string" && i.trim() !== "")) {
        fail("expected a list of names");
      }
      return items!.map((i) => String(i).trim());
    }
  }
}

/**
 * Adds the options of a table to a command: help text (with "(required)" and
 * numeric defaults), help group, choices, and a parser that turns a bad value
 * into a usage error (exit code 2) naming the flag and what it expects.
 *
 * @example
 * ```ts
 * addOptions(new Command("run"), RUN_OPTIONS);
 * ```
 */
export function addOptions<C extends Command>(cmd: C, specs: readonly OptionSpec[]): C {
  for (const spec of specs) {
    const flag = spec.flags.split(/[ ,]/)[0]!;
    const description = spec.required
      ? `${spec.description} (required)`
      : spec.defaultText
      ? `${spec.description} (default: ${spec.defaultText})`
      : spec.description;
    const option = new Option(spec.flags, description).helpGroup(`${spec.group}:`);
    if (spec.choices) option.choices(spec.choices);
    if (spec.default !== undefined) option.default(spec.default);
    if (spec.required) option.makeOptionMandatory();
    if (spec.hidden) option.hideHelp();
    if (spec.kind === "list") {
      option.argParser((value: string, previous: unknown) => [
        ...(Array.isArray(previous) ? previous : []),
        ...(parseOptionValue(spec, value, flag) as string[]),
      ]);
    } else if (spec.kind !== "flag") {
      option.argParser((value: string) => parseOptionValue(spec, value, flag));
    }
    cmd.addOption(option as never);
  }
  return cmd;
}

/**
 * Where each value came from: the command line, the configuration file, or
 * the default.
 */
export type ValueSource = "flag" | "config" | "default";

/**
 * The values of a command's options after parsing, with the configuration
 * file filling in what the command line left out. Flags win over the file;
 * the file wins over defaults.
 *
 * @example
 * ```ts
 * const { values } = mergeValues(cmd, RUN_OPTIONS, configValues);
 * ```
 */
export function mergeValues(
  cmd: Command,
  specs: readonly OptionSpec[],
  fromFile: Readonly<Record<string, unknown>>,
): { values: OptionValues; sources: Record<string, ValueSource> } {
  const parsed = cmd.opts() as OptionValues;
  const values: OptionValues = {};
  const sources: Record<string, ValueSource> = {};
  for (const spec of specs) {
    const source = cmd.getOptionValueSource(spec.name);
    const given = source !== undefined && source !== "default" && source !== "implied";
    if (given) {
      values[spec.name] = parsed[spec.name];
      sources[spec.name] = "flag";
    } else if (spec.config && Object.hasOwn(fromFile, spec.config)) {
      values[spec.name] = fromFile[spec.config];
      sources[spec.name] = "config";
    } else if (parsed[spec.name] !== undefined) {
      values[spec.name] = parsed[spec.name];
      sources[spec.name] = "default";
    }
  }
  return { values, sources };
}
