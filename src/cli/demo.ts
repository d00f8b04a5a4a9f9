/**
 * `p2p-dev demo`: a whole swarm on this machine against the local GitHub
 * emulator, no token needed.
 *
 * @module
 */
import { Command } from "@commander-js/extra-typings";
import type { FaultPatch } from "../emulator/faults.ts";
import { runDemo } from "../demo/demo.ts";
import type { CliContext } from "./context.ts";
import { positiveInt } from "./env.ts";
import { UsageError } from "./usage_error.ts";

/**
 * Builds the `demo` subcommand.
 *
 * @example
 * ```ts
 * program.addCommand(demoCommand(ctx));
 * ```
 */
export function demoCommand(ctx: CliContext) {
  return new Command("demo")
    .description(
      "Run a whole swarm on this machine: emulator, N node processes, aggregator; no token needed.",
    )
    .option("--nodes <n>", "number of node processes", "5")
    .option(
      "--issue-file <file>",
      "use your own issue text (Markdown; first '# ' line is the title)",
    )
    .option("--lag <ms>", "list lag: new comments stay invisible to reads for up to this long")
    .option(
      "--faults <json|file>",
      'emulator fault settings, e.g. \'{"serverErrors":{"rate":0.05}}\'',
    )
    .option("--seed <n>", "seed of the emulator's faults", "1")
    .option("--strict", "nodes also take git-ref locks for claims and elections")
    .option("--out <dir>", "output folder", "p2p-dev-demo")
    .option("--timeout <ms>", "give up after this long", "120000")
    .option("--keep", "leave the emulator running at the end")
    .action(async (opts) => {
      const nodes = positiveInt("--nodes", opts.nodes);
      if (nodes > 50) {
        throw new UsageError(`Invalid --nodes "${nodes}": the demo runs at most 50 nodes.`);
      }
      let issueTitle: string | undefined;
      let issueBody: string | undefined;
      if (opts.issueFile) {
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
      if (opts.faults) {
        const text = opts.faults.trim().startsWith("{")
          ? opts.faults
          : await Deno.readTextFile(opts.faults).catch(() => {
            throw new UsageError(`Cannot read --faults file "${opts.faults}".`);
          });
        try {
          faults = JSON.parse(text);
        } catch {
          throw new UsageError(`Invalid --faults: "${opts.faults}" is not JSON (or a JSON file).`);
        }
      }
      const env: Record<string, string> = {};
      for (const k of ["PATH", "HOME", "TMPDIR", "DENO_DIR", "XDG_CACHE_HOME"]) {
        const v = ctx.env[k];
        if (v) env[k] = v;
      }
      const result = await runDemo({
        nodes,
        outDir: opts.out,
        selfCommand: ctx.selfCommand,
        ...(issueTitle ? { issueTitle } : {}),
        ...(issueBody ? { issueBody } : {}),
        ...(opts.lag ? { lagMs: positiveInt("--lag", opts.lag) } : {}),
        ...(faults ? { faults } : {}),
        seed: positiveInt("--seed", opts.seed),
        strict: opts.strict === true,
        keep: opts.keep === true,
        timeoutMs: positiveInt("--timeout", opts.timeout),
        signal: ctx.signal,
        out: ctx.out,
        isTty: ctx.isTty,
        columns: ctx.columns,
        env,
      });
      ctx.out("");
      ctx.out(
        `${result.ok ? "✅" : "❌"} leader ${
          result.leader ?? "none"
        } · ${result.done}/${result.tasks} tasks done, ` +
          `${result.failed} failed · ${result.attempts} attempts · ${result.duplicateResults} duplicate results`,
      );
      ctx.out(
        `API: ${result.requests} requests and ${result.writes} writes by the swarm's identity ` +
          `(${result.tasks ? (result.writes / result.tasks).toFixed(2) : "0"} writes per task) · ` +
          `${(result.elapsedMs / 1000).toFixed(1)} s`,
      );
      ctx.out(
        `Branches: ${result.branches.length} task branches with one commit each in ${opts.out}/origin.git`,
      );
      ctx.out(`Files: ${result.files.join(", ")}`);
      ctx.out(
        `Inspect: p2p-dev state --comments ${opts.out}/comments.json --self "github-actions[bot]"`,
      );
      if (!result.ok) ctx.setExitCode(1);
    });
}
