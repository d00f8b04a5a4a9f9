/**
 * Checks command lines people copy from the README or the program's own
 * output against the real parser, without running them: the subcommand
 * exists, every option exists and its value is valid, required options are
 * there.
 *
 * @module
 */
import type { Command } from "@commander-js/extra-typings";
import { buildApp } from "../../src/cli/app.ts";
import { testContext } from "./_ctx.ts";

/**
 * Splits a POSIX shell command line into words (quotes, backslash-newline),
 * replacing `$NAME` and `${NAME}` with "1" (an issue number in the README).
 *
 * @example
 * ```ts
 * shellWords(`p2p-dev run --exec './do it.sh'`); // ["p2p-dev", "run", "--exec", "./do it.sh"]
 * ```
 */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word = "";
  let has = false;
  let quote: "'" | '"' | undefined;
  const text = line.replace(/\\\n\s*/g, " ");
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
      continue;
    }
    const variable = c === "$"
      ? /^\$(\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_][A-Za-z0-9_]*)/.exec(text.slice(i))
      : null;
    if (variable) {
      const m = variable;
      word += "1";
      has = true;
      i += m[0].length - 1;
      continue;
    }
    if (quote === '"') {
      if (c === '"') quote = undefined;
      else word += c;
      continue;
    }
    if (c === "#" && !has) break; // a comment
    if (c === "'" || c === '"') {
      quote = c;
      has = true;
    } else if (/\s/.test(c)) {
      if (has) words.push(word);
      word = "";
      has = false;
    } else {
      word += c;
      has = true;
    }
  }
  if (has) words.push(word);
  return words;
}

/** The arguments after `p2p-dev` in a line, up to a shell operator; undefined without one. */
export function p2pArgs(line: string): string[] | undefined {
  const words = shellWords(line);
  const at = words.findIndex((w) =>
    w === "p2p-dev" || (/^(\.|~)?\//.test(w) && w.endsWith("/p2p-dev"))
  );
  if (at < 0) return undefined;
  const rest = words.slice(at + 1);
  const end = rest.findIndex((w) => /^(\||\|\||&&|;|>>?|2>&1|&)$/.test(w) || w.startsWith(">"));
  return end < 0 ? rest : rest.slice(0, end);
}

const ctx = testContext();

/**
 * Throws when `args` (what follows `p2p-dev`) would be refused by the parser.
 *
 * @example
 * ```ts
 * assertParses(["state", "--issue", "1"]);
 * ```
 */
export function assertParses(args: string[]): void {
  const program = buildApp(ctx);
  const [name, ...rest] = args;
  if (name === undefined || name.startsWith("-")) {
    const { unknown } = program.parseOptions(args);
    if (unknown.length) throw new Error(`Unknown option ${unknown[0]}`);
    return;
  }
  const sub = (program.commands as Command[]).find((c) => c.name() === name);
  if (!sub) throw new Error(`Unknown command "${name}"`);
  const target = sub.commands.length && rest[0] && !rest[0].startsWith("-")
    ? (sub.commands as Command[]).find((c) => c.name() === rest[0])
    : undefined;
  const cmd = target ?? sub;
  const { operands, unknown } = cmd.parseOptions(target ? rest.slice(1) : rest);
  if (unknown.length) throw new Error(`Unknown option ${unknown[0]} of ${name}`);
  if (operands.length > cmd.registeredArguments.length) {
    throw new Error(`Unexpected argument "${operands.at(-1)}" of ${name}`);
  }
  for (const option of cmd.options) {
    if (option.mandatory && cmd.getOptionValue(option.attributeName()) === undefined) {
      throw new Error(`Missing required ${option.long} of ${name}`);
    }
  }
}
