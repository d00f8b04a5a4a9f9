/**
 * `p2p-dev state`: prints the folded state of an issue's log, from a saved
 * comments file or live. The first debugging tool users reach for.
 *
 * @module
 */
import { Command, Option } from "@commander-js/extra-typings";
import { toLogComment } from "../github/rest.ts";
import { fold } from "../protocol/fold.ts";
import type { TokenKind } from "../protocol/budget.ts";
import type { LogComment } from "../protocol/types.ts";
import { LogView } from "../node/log_view.ts";
import { systemClock } from "../node/ports.ts";
import type { CliContext } from "./context.ts";
import { connect, type GitHubFlags, withGitHubFlags } from "./connect.ts";
import { positiveInt } from "./env.ts";
import { renderState } from "./render_state.ts";
import { UsageError } from "./usage_error.ts";

interface StateFlags extends GitHubFlags {
  comments?: string;
  issue?: string;
  self?: string;
  json?: boolean;
  secretEnv: string;
}

const WRITE_ASSOCIATIONS = new Set(["OWNER", "MEMBER", "COLLABORATOR"]);

/**
 * Builds the `state` subcommand.
 *
 * @example
 * ```ts
 * program.addCommand(stateCommand(ctx));
 * ```
 */
export function stateCommand(ctx: CliContext) {
  return withGitHubFlags(new Command("state"))
    .description("Print the swarm state folded from an issue's comments (a file or live).")
    .option("--comments <file>", "a saved comments JSON array, as the REST API returns it")
    .option("--issue <n>", "the issue to read live")
    .option(
      "--self <login>",
      "with --comments: the login whose messages are trusted as the swarm's own",
    )
    .option("--json", "print the state as JSON")
    .addOption(
      new Option("--secret-env <name>", "env variable holding the HMAC secret").default(
        "P2P_SECRET",
      ),
    )
    .action(async (raw) => {
      const opts = raw as StateFlags;
      if (!opts.comments === !opts.issue) {
        throw new UsageError("Pass exactly one of --comments FILE or --issue N.");
      }
      let state;
      let now: number;
      const secret = ctx.env[opts.secretEnv] || undefined;
      if (opts.comments) {
        const comments = await readComments(opts.comments);
        const issue = issueFromComments(comments.raw) ?? 0;
        // Offline there is no permission API: authors GitHub marks as owner,
        // member or collaborator stand in for writers.
        const writers = new Set(
          comments.raw.filter((c) => WRITE_ASSOCIATIONS.has(String(c.author_association)))
            .map((c) => String((c.user as { login?: unknown } | null)?.login)),
        );
        state = fold(comments.log, {
          issue,
          self: opts.self,
          allow: new Set([...(opts.allow ?? [])]),
          writers,
          secret,
        });
        now = state.lastTime;
      } else {
        const issue = positiveInt("--issue", opts.issue!);
        const conn = connect(opts, ctx);
        const identity = await conn.github.identity();
        const view = new LogView({
          github: conn.github,
          clock: systemClock,
          issue,
          self: identity.login,
          allow: conn.allow,
          secret: conn.secret ?? secret,
          sinceSlackMs: 0,
        });
        await view.refresh();
        state = view.state;
        now = view.serverNow();
      }
      if (opts.json) {
        ctx.out(JSON.stringify(state, null, 2));
      } else {
        for (const line of renderState(state, now, (opts.tokenKind ?? "actions") as TokenKind)) {
          ctx.out(line);
        }
      }
    });
}

async function readComments(
  path: string,
): Promise<{ raw: Record<string, unknown>[]; log: LogComment[] }> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new UsageError(
      `Cannot read comments file "${path}": ${error instanceof Error ? error.message : error}.`,
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new UsageError(
      `Comments file "${path}" is not JSON: save the output of GET /repos/{owner}/{repo}/issues/{n}/comments.`,
    );
  }
  if (!Array.isArray(data)) {
    throw new UsageError(`Comments file "${path}" must hold a JSON array of comments.`);
  }
  const raw = data.filter((c): c is Record<string, unknown> => typeof c === "object" && c !== null);
  const log: LogComment[] = [];
  for (const c of raw) {
    try {
      log.push(toLogComment(c as never));
    } catch {
      // A malformed entry is skipped, like a malformed comment in the fold.
    }
  }
  return { raw, log };
}

function issueFromComments(raw: Record<string, unknown>[]): number | undefined {
  for (const c of raw) {
    const m = /\/issues\/(\d+)$/.exec(String(c.issue_url ?? ""));
    if (m) return Number(m[1]);
  }
  return undefined;
}
