/**
 * `p2p-dev completions bash|zsh|fish`: shell completion scripts generated
 * from the command tree itself, so every subcommand, option and choice
 * (`--token-kind actions|pat|app`) completes, and new ones do without edits
 * here.
 *
 * @module
 */
import type { Command, Option } from "@commander-js/extra-typings";
import type { CliContext } from "./context.ts";
import { defineCommand } from "./define.ts";
import { UsageError } from "./usage_error.ts";

/** Shells with a completion script. */
export const SHELLS = ["bash", "zsh", "fish"] as const;

/** What completion needs to know about one option. */
interface OptionInfo {
  long: string;
  description: string;
  takesValue: boolean;
  choices: readonly string[];
  /** Completes file names (its value is a file or folder). */
  path: boolean;
}

/** One subcommand and its options. */
interface CommandInfo {
  name: string;
  description: string;
  options: OptionInfo[];
}

function describe(program: Command): CommandInfo[] {
  return (program.commands as Command[]).map((cmd) => ({
    name: cmd.name(),
    description: cmd.description(),
    options: [...(cmd.options as Option[]), { long: "--help", description: "show help" }]
      .filter((o) => o.long && !(o as Option).hidden)
      .map((o) => {
        const option = o as Option;
        const flags = option.flags ?? "";
        return {
          long: o.long!,
          description: o.description ?? "",
          takesValue: option.required === true || option.optional === true,
          choices: option.argChoices ?? [],
          path: /<(file|dir|path)[^>]*>/.test(flags),
        };
      }),
  }));
}

const oneLine = (s: string) => s.replace(/\s+/g, " ").replace(/ \(.*$/, "").trim();

/**
 * The bash completion script.
 *
 * @example
 * ```ts
 * const script = bashCompletion(buildApp(ctx));
 * ```
 */
export function bashCompletion(program: Command): string {
  const commands = describe(program);
  const lines = [
    "# bash completion for p2p-dev: source <(p2p-dev completions bash)",
    "_p2p_dev() {",
    '  local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}"',
    '  local cmd="${COMP_WORDS[1]}"',
    '  if [ "$COMP_CWORD" -eq 1 ]; then',
    `    COMPREPLY=($(compgen -W "${
      commands.map((c) => c.name).join(" ")
    } --help --version" -- "$cur"))`,
    "    return",
    "  fi",
    '  case "$cmd $prev" in',
  ];
  for (const c of commands) {
    for (const o of c.options) {
      if (o.choices.length) {
        lines.push(
          `    "${c.name} ${o.long}") COMPREPLY=($(compgen -W "${
            o.choices.join(" ")
          }" -- "$cur")); return ;;`,
        );
      } else if (o.path) {
        lines.push(`    "${c.name} ${o.long}") COMPREPLY=($(compgen -f -- "$cur")); return ;;`);
      } else if (o.takesValue) {
        lines.push(`    "${c.name} ${o.long}") COMPREPLY=(); return ;;`);
      }
    }
  }
  lines.push("  esac", '  case "$cmd" in');
  for (const c of commands) {
    const extra = c.name === "completions" ? " " + SHELLS.join(" ") : "";
    lines.push(
      `    ${c.name}) COMPREPLY=($(compgen -W "${
        c.options.map((o) => o.long).join(" ")
      }${extra}" -- "$cur")) ;;`,
    );
  }
  lines.push("  esac", "}", "complete -F _p2p_dev p2p-dev", "");
  return lines.join("\n");
}

const zshQuote = (s: string) => s.replace(/'/g, "'\\''").replace(/[[\]:]/g, "\\$&");

/**
 * The zsh completion script (for `fpath` as `_p2p-dev`, or to source).
 *
 * @example
 * ```ts
 * const script = zshCompletion(buildApp(ctx));
 * ```
 */
export function zshCompletion(program: Command): string {
  const commands = describe(program);
  const lines = [
    "#compdef p2p-dev",
    '# zsh completion for p2p-dev: p2p-dev completions zsh > "${fpath[1]}/_p2p-dev"',
    "_p2p_dev() {",
    "  local -a commands",
    "  commands=(",
    ...commands.map((c) => `    '${c.name}:${zshQuote(oneLine(c.description))}'`),
    "  )",
    "  if (( CURRENT == 2 )); then",
    "    _describe 'command' commands",
    "    return",
    "  fi",
    "  case $words[2] in",
  ];
  for (const c of commands) {
    const specs = c.options.map((o) => {
      const help = `[${zshQuote(oneLine(o.description))}]`;
      if (!o.takesValue) return `'${o.long}${help}'`;
      const action = o.choices.length ? `(${o.choices.join(" ")})` : o.path ? "_files" : " ";
      return `'${o.long}${help}:value:${action}'`;
    });
    if (c.name === "completions") specs.push(`':shell:(${SHELLS.join(" ")})'`);
    lines.push(`    ${c.name}) _arguments ${specs.join(" ")} ;;`);
  }
  lines.push(
    "  esac",
    "}",
    'if [ "$funcstack[1]" = "_p2p_dev" ]; then',
    '  _p2p_dev "$@"',
    "else",
    "  compdef _p2p_dev p2p-dev",
    "fi",
    "",
  );
  return lines.join("\n");
}

const fishQuote = (s: string) => `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;

/**
 * The fish completion script.
 *
 * @example
 * ```ts
 * const script = fishCompletion(buildApp(ctx));
 * ```
 */
export function fishCompletion(program: Command): string {
  const commands = describe(program);
  const names = commands.map((c) => c.name).join(" ");
  const lines = [
    "# fish completion for p2p-dev: p2p-dev completions fish > ~/.config/fish/completions/p2p-dev.fish",
    "complete -c p2p-dev -f",
    ...commands.map((c) =>
      `complete -c p2p-dev -n "not __fish_seen_subcommand_from ${names}" -a ${c.name} -d ${
        fishQuote(oneLine(c.description))
      }`
    ),
  ];
  for (const c of commands) {
    for (const o of c.options) {
      const value = o.choices.length
        ? ` -x -a ${fishQuote(o.choices.join(" "))}`
        : o.path
        ? " -r -F"
        : o.takesValue
        ? " -x"
        : "";
      lines.push(
        `complete -c p2p-dev -n "__fish_seen_subcommand_from ${c.name}" -l ${
          o.long.slice(2)
        }${value} -d ${fishQuote(oneLine(o.description))}`,
      );
    }
    if (c.name === "completions") {
      lines.push(
        `complete -c p2p-dev -n "__fish_seen_subcommand_from completions" -a ${
          fishQuote(SHELLS.join(" "))
        }`,
      );
    }
  }
  return lines.join("\n") + "\n";
}

/**
 * Builds the `completions` subcommand. It needs the whole program, which the
 * app hands over once every subcommand is attached.
 *
 * @example
 * ```ts
 * program.addCommand(completionsCommand(ctx, () => program));
 * ```
 */
export function completionsCommand(ctx: CliContext, program: () => Command): Command {
  return defineCommand(ctx, {
    name: "completions",
    description: "Print a shell completion script: bash, zsh or fish.",
    args: ["<shell>"],
    options: [],
    helpAfter: `
Install:
  bash  echo 'source <(p2p-dev completions bash)' >> ~/.bashrc
  zsh   p2p-dev completions zsh > "\${fpath[1]}/_p2p-dev"   (then restart zsh)
  fish  p2p-dev completions fish > ~/.config/fish/completions/p2p-dev.fish`,
    action: (_values, _info, args) => {
      const shell = args[0];
      const make = shell === "bash"
        ? bashCompletion
        : shell === "zsh"
        ? zshCompletion
        : shell === "fish"
        ? fishCompletion
        : undefined;
      if (!make) throw new UsageError(`Unknown shell "${shell}": use bash, zsh or fish.`);
      ctx.out(make(program()).trimEnd());
    },
  });
}
