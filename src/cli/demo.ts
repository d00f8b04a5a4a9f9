/**
 * `p2p-dev demo`: a whole swarm on this machine against the local GitHub
 * emulator, no token needed.
 *
 * @module
 */
import type { Command } from "@commander-js/extra-typings";
import { type FaultPatch, mergeFaults, NO_FAULTS } from "../emulator/faults.ts";
import { runDemo } from "../demo/demo.ts";
import type { CliContext } from "./context.ts";
import { plural } from "./advice.ts";
import { defineCommand } from "./define.ts";
import type { OptionSpec } from "./options.ts";
import { shellQuote } from "./shell.ts";
import { UsageError } from "./usage_error.ts";

/** Options of `demo`. */
export const DEMO_OPTIONS: readonly OptionSpec[] = [
  {
    name: "nodes",
    flags: "--nodes <n>",
    kind: "count",
    group: "Swarm",
    description: "number of node processes (at most 50)",
    default: 5,
  },
  {
    name: "issueFile",
    flags: "--issue-file <file>",
    kind: "text",
    group: "Swarm",
    description: "use your own issue text (Markdown; its first '# ' line is the title)",
  },
  {
    name: "strict",
    flags: "--strict",
    kind: "flag",
    group: "Swarm",
    description: "nodes also take git-ref locks for claims and elections",
  },
  {
    name: "lag",
    flags: "--lag <ms>",
    kind: "duration",
    group: "Emulator",
    description: "list lag: new comments stay invisible to reads for up to this long",
  },
  {
    name: "faults",
    flags: "--faults <json|file>",
    kind: "text",
    group: "Emulator",
    description:
      'emulator fault settings (as POST /_emulator/faults takes them), e.g. \'{"serverErrors":{"rate":0.05}}\'',
  },
  {
    name: "seed",
    flags: "--seed <n>",
    kind: "count",
    group: "Emulator",
    description: "seed of the emulator's faults (same seed, same faults)",
    default: 1,
  },
  {
    name: "keep",
    flags: "--keep",
    kind: "flag",
    group: "Emulator",
    description: "leave the emulator running at the end and print how to query it",
  },
  {
    name: "out",
    flags: "--out <dir>",
    kind: "text",
    group: "Output",
    description: "output folder (emptied first)",
    default: "p2p-dev-demo",
  },
  {
    name: "timeout",
    flags: "--timeout <ms>",
    kind: "duration",
    group: "Output",
    description: "give up after this long",
    default: 120_000,
  },
];

/**
 * Builds the `demo` subcommand.
 *
 * @example
 * ```ts
 * program.addCommand(demoCommand(ctx));
 * ```
 */
export function demoCommand(ctx: CliContext): Command {
  return defineCommand(ctx, {
    name: "demo",
    description:
      "Run a whole swarm on this machine: emulator, N node processes, aggregator; no token needed.",
    options: DEMO_OPTIONS,
    action: async (opts) => {
      const nodes = opts.nodes as number;
      if (nodes > 50) {
        throw new UsageError(`Invalid --nodes "${nodes}": the demo runs at most 50 nodes.`);
      }
      const out = opts.out as string;
      let issueTitle: string | undefined;
      let issueBody: string | undefined;
      if (typeof opts.issueFile === "string") {
        let text: string;
        try {
          text = await Deno.readTextFile(opts.issueFile);
        } catch (error) {
          throw new UsageError(
            `Cannot read --issue-file "${opts.issueFile}": ${(error as Error).message}.`,
          );
        }
        const m = /^# (.+)\n/.exec(text);
        issueTitle = m ? m[1]!.trim() : opts.issueFile.replace(/^.*\//, "");
        issueBody = m ? text.slice(m[0].length) : text;
      }
      let faults: FaultPatch | undefined;
      if (typeof opts.faults === "string") {
        const given = opts.faults;
        const text = given.trim().startsWith("{")
          ? given
          : await Deno.readTextFile(given).catch(() => {
            throw new UsageError(`Cannot read --faults file "${given}".`);
          });
        try {
          faults = JSON.parse(text);
        } catch {
          throw new UsageError(`Invalid --faults: "${given}" is not JSON (or a JSON file).`);
        }
        try {
          mergeFaults(NO_FAULTS, faults!);
        } catch (error) {
          throw new UsageError(`Invalid --faults: ${(error as Error).message}`);
        }
      }
      const env: Record<string, string> = {};
      for (const k of ["PATH", "HOME", "TMPDIR", "DENO_DIR", "XDG_CACHE_HOME"]) {
        const v = ctx.env[k];
        if (v) env[k] = v;
      }
      const result = await runDemo({
        nodes,
        outDir: out,
        selfCommand: ctx.selfCommand,
        ...(issueTitle ? { issueTitle } : {}),
        ...(issueBody ? { issueBody } : {}),
        ...(typeof opts.lag === "number" ? { lagMs: opts.lag } : {}),
        ...(faults ? { faults } : {}),
        seed: opts.seed as number,
        strict: opts.strict === true,
        keep: opts.keep === true,
        timeoutMs: opts.timeout as number,
        signal: ctx.signal,
        out: ctx.out,
        isTty: ctx.isTty,
        columns: ctx.columns,
        env,
      });
      ctx.out("");
      ctx.out(
        `${result.ok ? "✅" : "❌"} leader ${result.leader ?? "none"} · ${result.done}/${
          plural(result.tasks, "task")
        } done, ` +
          `${result.failed} failed · ${plural(result.attempts, "attempt")} · ` +
          `${plural(result.duplicateResults, "duplicate result")}`,
      );
      ctx.out(
        `API: ${result.requests} requests and ${result.writes} writes by the swarm's identity ` +
          `(${result.tasks ? (result.writes / result.tasks).toFixed(2) : "0"} writes per task) · ` +
          `${(result.elapsedMs / 1000).toFixed(1)} s`,
      );
      ctx.out(
        `Branches: ${
          plural(result.branches.length, "task branch", "task branches")
        } with one commit each in ${out}/origin.git`,
      );
      ctx.out(`Files: ${result.files.join(", ")}`);
      ctx.out(
        `Inspect: p2p-dev state --comments ${
          shellQuote(`${out}/comments.json`)
        } --self "github-actions[bot]"`,
      );
      if (!result.ok) ctx.setExitCode(1);
    },
  });
}
