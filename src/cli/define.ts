/**
 * One way to declare a subcommand: a name, a description, its table of
 * options, help text, and an action that receives checked values with the
 * configuration file applied (flags first, then the file, then defaults).
 *
 * @module
 */
import { Command } from "@commander-js/extra-typings";
import { type ConfigFile, findConfigFile, NO_CONFIG, readConfigFile } from "./config_file.ts";
import type { CliContext } from "./context.ts";
import { CONFIG_OPTION } from "./option_groups.ts";
import { addOptions, mergeValues, type OptionSpec, type OptionValues } from "./options.ts";

/** What an action receives besides the values. */
export interface ActionInfo {
  /** The command, for help and value sources. */
  command: Command;
  /** The configuration file read (`path` null when there was none). */
  config: ConfigFile;
  /** Where each value came from. */
  sources: Record<string, "flag" | "config" | "default">;
}

/**
 * Declares a subcommand from its option table.
 *
 * @example
 * ```ts
 * const cmd = defineCommand(ctx, {
 *   name: "hello", description: "Say hello.", options: [JSON_OPTION],
 *   action: async (values) => ctx.out(values.json ? "{}" : "hello"),
 * });
 * ```
 */
export function defineCommand(
  ctx: CliContext,
  spec: {
    name: string;
    description: string;
    options: readonly OptionSpec[];
    /** Text after the option list (environment, examples). */
    helpAfter?: string;
    /** Positional arguments, as commander spells them (`<shell>`). */
    args?: string[];
    action: (values: OptionValues, info: ActionInfo, args: string[]) => Promise<void> | void;
  },
): Command {
  const command = new Command(spec.name).description(spec.description);
  for (const arg of spec.args ?? []) command.argument(arg);
  addOptions(command, spec.options);
  if (spec.helpAfter) command.addHelpText("after", spec.helpAfter);
  const usesConfig = spec.options.includes(CONFIG_OPTION);
  command.action(async (...received: unknown[]) => {
    const cmd = received.at(-1) as Command;
    const args = received.slice(0, -2).map(String);
    const parsed = cmd.opts() as OptionValues;
    let config = NO_CONFIG;
    if (usesConfig) {
      if (typeof parsed.config === "string") {
        config = await readConfigFile(parsed.config, true);
      } else {
        const start = typeof parsed.repoDir === "string" ? parsed.repoDir : ctx.cwd ?? Deno.cwd();
        const found = await findConfigFile(start);
        if (found) config = await readConfigFile(found, false);
      }
    }
    const { values, sources } = mergeValues(cmd, spec.options, config.values);
    await spec.action(values, { command: cmd, config, sources }, args);
  });
  return command as unknown as Command;
}
