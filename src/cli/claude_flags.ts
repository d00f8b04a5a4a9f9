/**
 * The Claude Code options of the node commands: what the agent may do, as
 * users set it in Claude Code (permission mode, allowed and disallowed tools,
 * an appended system prompt, more arguments), the per-task and swarm-wide
 * cost caps, how denied tool calls count, and the planner's turn limit.
 *
 * Each value comes from its flag, else the configuration file, else its
 * environment variable (for workflows that set them once), else the default.
 *
 * @module
 */
import {
  bypassRefusal,
  DEFAULT_ALLOWED_TOOLS,
  DEFAULT_PERMISSION_MODE,
  PERMISSION_MODES,
} from "../executor/claude_permissions.ts";
import { DEFAULT_PLANNER_MAX_TURNS } from "../planner/claude.ts";
import type { Env } from "./env.ts";
import { type OptionSpec, type OptionValues, parseOptionValue } from "./options.ts";
import { UsageError } from "./usage_error.ts";

/**
 * Claude Code settings of a node, resolved.
 *
 * @example
 * ```ts
 * const s: ClaudeSettings = {
 *   permissionMode: "acceptEdits", allowedTools: ["Bash"], disallowedTools: [], extraArgs: [],
 *   acceptDenials: false, plannerMaxTurns: 30,
 * };
 * ```
 */
export interface ClaudeSettings {
  permissionMode: string;
  allowedTools: string[];
  disallowedTools: string[];
  appendSystemPrompt?: string;
  extraArgs: string[];
  /** Per task: Claude Code's own `--max-budget-usd`. */
  maxBudgetUsd?: number;
  /** Swarm-wide: no new claims once the log's reported costs reach it. */
  maxCostUsd?: number;
  acceptDenials: boolean;
  plannerMaxTurns: number;
}

const DOLLARS = { min: 0, minExclusive: true, text: "a positive dollar amount, e.g. 5 or 0.50" };

/** An option with the environment variable that stands in for it. */
type EnvOption = OptionSpec & { env: string };

/** `--max-cost-usd`: the swarm-wide cost cap (published with the plan by the leader). */
export const MAX_COST_OPTION: EnvOption = {
  name: "maxCostUsd",
  flags: "--max-cost-usd <usd>",
  kind: "number",
  range: DOLLARS,
  group: "Limits",
  description: "whole swarm: once the costs reported in the log reach this, nobody claims new " +
    "work (the leader publishes it with the plan; a node's own replaces it)",
  defaultText: "$P2P_MAX_COST_USD, else no cap",
  config: "budgets.max-cost-usd",
  env: "P2P_MAX_COST_USD",
};

/** `--planner-max-turns`: the Claude Code planner's turn limit. */
export const PLANNER_TURNS_OPTION: EnvOption = {
  name: "plannerMaxTurns",
  flags: "--planner-max-turns <n>",
  kind: "count",
  group: "Planner",
  description: "turn limit of the Claude Code planner",
  defaultText: `$P2P_PLANNER_MAX_TURNS, else ${DEFAULT_PLANNER_MAX_TURNS}`,
  config: "planner.max-turns",
  env: "P2P_PLANNER_MAX_TURNS",
};

/**
 * What the executor's Claude Code may do, its per-task cost cap, and how
 * denied tool calls count.
 *
 * @example
 * ```ts
 * const table = [...WORKER_OPTIONS, ...CLAUDE_EXECUTOR_OPTIONS];
 * ```
 */
export const CLAUDE_EXECUTOR_OPTIONS: readonly EnvOption[] = [
  {
    name: "permissionMode",
    flags: "--permission-mode <mode>",
    kind: "choice",
    choices: PERMISSION_MODES,
    group: "Claude Code",
    description: "permission mode of the executor's claude",
    defaultText: `$P2P_CLAUDE_PERMISSION_MODE, else ${DEFAULT_PERMISSION_MODE}`,
    config: "claude.permission-mode",
    env: "P2P_CLAUDE_PERMISSION_MODE",
  },
  {
    name: "allowedTools",
    flags: "--allowed-tools <rules>",
    kind: "text",
    group: "Claude Code",
    description: 'tools used without asking, comma-separated rules ("Bash(npm test:*),Edit"; ' +
      '"none" for none)',
    defaultText: `$P2P_CLAUDE_ALLOWED_TOOLS, else ${DEFAULT_ALLOWED_TOOLS.join(",")}`,
    config: "claude.allowed-tools",
    env: "P2P_CLAUDE_ALLOWED_TOOLS",
  },
  {
    name: "disallowedTools",
    flags: "--disallowed-tools <rules>",
    kind: "text",
    group: "Claude Code",
    description: 'tools never used, comma-separated rules ("Bash(git push:*),WebFetch"); ' +
      "deny rules win",
    defaultText: "$P2P_CLAUDE_DISALLOWED_TOOLS, else none",
    config: "claude.disallowed-tools",
    env: "P2P_CLAUDE_DISALLOWED_TOOLS",
  },
  {
    name: "appendSystemPrompt",
    flags: "--append-system-prompt <text>",
    kind: "text",
    group: "Claude Code",
    description: "text added to Claude Code's system prompt for every task",
    defaultText: "$P2P_CLAUDE_APPEND_SYSTEM_PROMPT",
    config: "claude.append-system-prompt",
    env: "P2P_CLAUDE_APPEND_SYSTEM_PROMPT",
  },
  {
    name: "claudeArgs",
    flags: "--claude-args <args>",
    kind: "text",
    group: "Claude Code",
    description:
      'more arguments for the executor\'s claude, split like a shell ("--add-dir ../lib")',
    defaultText: "$P2P_CLAUDE_ARGS",
    config: "claude.args",
    env: "P2P_CLAUDE_ARGS",
  },
  {
    name: "acceptDenials",
    flags: "--accept-denials",
    kind: "flag",
    group: "Claude Code",
    description: "count an attempt as completed although shell commands or file changes were " +
      "denied (they stay listed in its result)",
    defaultText: "$P2P_ACCEPT_DENIALS=1, else off",
    config: "claude.accept-denials",
    env: "P2P_ACCEPT_DENIALS",
  },
  {
    name: "maxBudgetUsd",
    flags: "--max-budget-usd <usd>",
    kind: "number",
    range: DOLLARS,
    group: "Limits",
    description: "per task: Claude Code stops once it spent this much (the attempt fails)",
    defaultText: "$P2P_MAX_BUDGET_USD, else no cap",
    config: "claude.max-budget-usd",
    env: "P2P_MAX_BUDGET_USD",
  },
];

/** Every option above, for the configuration file's schema. */
export const CLAUDE_SETTING_OPTIONS: readonly EnvOption[] = [
  ...CLAUDE_EXECUTOR_OPTIONS,
  PLANNER_TURNS_OPTION,
  MAX_COST_OPTION,
];

/**
 * Splits a list of permission rules on commas (and line breaks) outside
 * parentheses: `Bash(npm run a, b),Edit` is two rules.
 *
 * @example
 * ```ts
 * splitRules("Bash(npm test:*), Edit,WebFetch"); // ["Bash(npm test:*)", "Edit", "WebFetch"]
 * ```
 */
export function splitRules(text: string): string[] {
  const rules: string[] = [];
  let depth = 0;
  let current = "";
  for (const ch of text) {
    if (ch === "(") depth++;
    if (ch === ")") depth = Math.max(0, depth - 1);
    if ((ch === "," || ch === "\n") && depth === 0) {
      rules.push(current);
      current = "";
    } else {
      current += ch;
    }
  }
  rules.push(current);
  return rules.map((r) => r.trim()).filter((r) => r !== "");
}

/**
 * Splits arguments like a POSIX shell: whitespace separates, single quotes
 * keep everything, double quotes keep everything but `\"` and `\\`, a
 * backslash outside quotes escapes the next character. Throws a
 * `UsageError` on an unclosed quote.
 *
 * @example
 * ```ts
 * shellWords(`--add-dir "../my lib" --settings '{"a": 1}'`);
 * // ["--add-dir", "../my lib", "--settings", '{"a": 1}']
 * ```
 */
export function shellWords(text: string, what = "--claude-args"): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    const next = text[i + 1];
    if (quote === "'") {
      if (ch === "'") quote = undefined;
      else word += ch;
    } else if (quote === '"') {
      if (ch === '"') quote = undefined;
      else if (ch === "\\" && (next === '"' || next === "\\")) {
        word += next;
        i++;
      } else word += ch;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      inWord = true;
      if (ch === "'" || ch === '"') quote = ch;
      else if (ch === "\\" && next !== undefined) {
        word += next;
        i++;
      } else word += ch;
    }
  }
  if (quote) {
    throw new UsageError(`Invalid ${what} ${JSON.stringify(text)}: close the ${quote} quote.`);
  }
  if (inWord) words.push(word);
  return words;
}

/**
 * One option's value: from the flag or the configuration file (already
 * checked), else its environment variable (checked here, the error naming
 * the variable), else `undefined`.
 */
function valueOf(spec: EnvOption, values: OptionValues, env: Env): unknown {
  if (values[spec.name] !== undefined) return values[spec.name];
  const raw = env[spec.env];
  if (raw === undefined || raw === "") return undefined;
  if (spec.kind === "flag") {
    if (raw === "1" || raw === "true") return true;
    if (raw === "0" || raw === "false") return false;
    throw new UsageError(`Invalid ${spec.env} "${raw}": use 1 or 0.`);
  }
  return parseOptionValue(spec, raw, spec.env);
}

/**
 * The swarm-wide cost cap: `--max-cost-usd`, the file's
 * `budgets.max-cost-usd`, else `P2P_MAX_COST_USD`, else none.
 *
 * @example
 * ```ts
 * resolveMaxCostUsd({}, { P2P_MAX_COST_USD: "20" }); // 20
 * ```
 */
export function resolveMaxCostUsd(values: OptionValues, env: Env): number | undefined {
  return valueOf(MAX_COST_OPTION, values, env) as number | undefined;
}

/**
 * Resolves the settings from a command's values and the environment.
 * Throws a `UsageError` naming the flag or variable for a bad value.
 *
 * @example
 * ```ts
 * resolveClaudeSettings({ maxCostUsd: 5 }, { P2P_CLAUDE_ALLOWED_TOOLS: "Bash(npm test:*)" });
 * ```
 */
export function resolveClaudeSettings(values: OptionValues, env: Env): ClaudeSettings {
  const get = (name: string) => {
    const spec = CLAUDE_SETTING_OPTIONS.find((s) => s.name === name)!;
    return valueOf(spec, values, env);
  };
  const text = (name: string) => get(name) as string | undefined;
  const allowed = text("allowedTools");
  const disallowed = text("disallowedTools");
  const append = text("appendSystemPrompt");
  const extra = text("claudeArgs");
  const budget = get("maxBudgetUsd") as number | undefined;
  const cap = get("maxCostUsd") as number | undefined;
  return {
    permissionMode: text("permissionMode") ?? DEFAULT_PERMISSION_MODE,
    allowedTools: allowed === undefined
      ? [...DEFAULT_ALLOWED_TOOLS]
      : allowed.trim() === "none"
      ? []
      : splitRules(allowed),
    disallowedTools: disallowed !== undefined ? splitRules(disallowed) : [],
    ...(append !== undefined ? { appendSystemPrompt: append } : {}),
    extraArgs: extra !== undefined ? shellWords(extra) : [],
    ...(budget !== undefined ? { maxBudgetUsd: budget } : {}),
    ...(cap !== undefined ? { maxCostUsd: cap } : {}),
    acceptDenials: get("acceptDenials") === true,
    plannerMaxTurns: (get("plannerMaxTurns") as number | undefined) ?? DEFAULT_PLANNER_MAX_TURNS,
  };
}

/**
 * Refuses, before any task starts, settings Claude Code will not run with
 * (`bypassPermissions` as root outside a declared sandbox).
 *
 * @example
 * ```ts
 * assertClaudeCanRun(settings, Deno.uid(), ctx.env);
 * ```
 */
export function assertClaudeCanRun(settings: ClaudeSettings, uid: number | null, env: Env): void {
  const refusal = bypassRefusal(settings, { uid, env });
  if (refusal) throw new UsageError(refusal);
}
