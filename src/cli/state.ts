/**
 * `p2p-dev state`: prints the folded state of an issue's log, from a saved
 * comments file or live. The first debugging tool users reach for.
 *
 * @module
 */
import type { Command } from "@commander-js/extra-typings";
import { toLogComment } from "../github/rest.ts";
import { fold } from "../protocol/fold.ts";
import type { LogComment } from "../protocol/types.ts";
import type { CliContext } from "./context.ts";
import { connect, readerView, resolveAllow, resolveTokenKind } from "./connect.ts";
import { defineCommand } from "./define.ts";
import { GITHUB_OPTIONS, ISSUE_OPTION, JSON_OPTION } from "./option_groups.ts";
import type { OptionSpec } from "./options.ts";
import { type BudgetContext, renderState } from "./render_state.ts";
import { UsageError } from "./usage_error.ts";

const WRITE_ASSOCIATIONS = new Set(["OWNER", "MEMBER", "COLLABORATOR"]);

/** Options of `state`. */
export const STATE_OPTIONS: readonly OptionSpec[] = [
  {
    name: "comments",
    flags: "--comments <file>",
    kind: "text",
    group: "Source",
    description: "a saved comments JSON array, as the REST API returns it",
  },
  {
    ...ISSUE_OPTION,
    group: "Source",
    required: false,
    description: "the issue to read live (exactly one of --comments and --issue)",
  },
  {
    name: "self",
    flags: "--self <login>",
    kind: "text",
    group: "Source",
    description: "with --comments: the login whose messages are trusted as the swarm's own",
  },
  ...GITHUB_OPTIONS,
  {
    name: "secretEnv",
    flags: "--secret-env <name>",
    kind: "text",
    group: "Trust",
    description: "environment variable holding the HMAC secret",
    default: "P2P_SECRET",
  },
  {
    name: "swarmSize",
    flags: "--swarm-size <n>",
    kind: "count",
    group: "Budget",
    description: "the swarm's size, for the admission line",
    defaultText: "$P2P_SWARM_SIZE, else the nodes the log shows",
  },
  { ...JSON_OPTION, description: "print the folded state as JSON (task results included)" },
];

/**
 * Builds the `state` subcommand.
 *
 * @example
 * ```ts
 * program.addCommand(stateCommand(ctx));
 * ```
 */
export function stateCommand(ctx: CliContext): Command {
  return defineCommand(ctx, {
    name: "state",
    description: "Print the swarm state folded from an issue's comments (a file or live).",
    options: STATE_OPTIONS,
    helpAfter: `
Trust is the nodes' own: --allow and P2P_ALLOW add logins, P2P_SECRET (or --secret-env)
requires signatures. Offline (--comments), authors the file marks OWNER, MEMBER or
COLLABORATOR stand in for users with write access.`,
    action: async (opts) => {
      if (!opts.comments === !opts.issue) {
        throw new UsageError("Pass exactly one of --comments FILE or --issue N.");
      }
      let state;
      let now: number;
      const budget: BudgetContext = {};
      const size = typeof opts.swarmSize === "number"
        ? opts.swarmSize
        : Number(ctx.env.P2P_SWARM_SIZE || NaN);
      if (Number.isSafeInteger(size) && size > 0) budget.swarmSize = size;
      const secret = ctx.env[opts.secretEnv as string] || undefined;
      const allow = resolveAllow(opts.allow, ctx.env);
      if (typeof opts.comments === "string") {
        const comments = await readComments(opts.comments);
        const where = logRefFromComments(comments.raw);
        const issue = where?.issue ?? 0;
        // Signatures are bound to owner/repo#issue: the file says which.
        const repo = (typeof opts.repo === "string" ? opts.repo : undefined) ?? where?.repo ??
          ctx.env.GITHUB_REPOSITORY ?? "";
        // Offline there is no permission API: authors GitHub marks as owner,
        // member or collaborator stand in for writers.
        const writers = new Set(
          comments.raw.filter((c) => WRITE_ASSOCIATIONS.has(String(c.author_association)))
            .map((c) => String((c.user as { login?: unknown } | null)?.login)),
        );
        state = fold(comments.log, {
          repo,
          issue,
          self: typeof opts.self === "string" ? opts.self : undefined,
          allow: new Set(allow),
          writers,
          secret,
        });
        now = state.lastTime;
        if (typeof opts.self === "string") budget.login = opts.self;
      } else {
        const issue = opts.issue as number;
        const conn = connect(opts, ctx);
        // GET /user answers 403 to an installation token; GraphQL's viewer
        // names it. When neither does, --self names the swarm's login.
        const self = (await conn.github.identity())?.login ??
          (typeof opts.self === "string" ? opts.self : undefined);
        if (!self && !(conn.secret ?? secret)) {
          ctx.err(
            "The token's login is unknown: the swarm's own messages count only with --self LOGIN " +
              '(e.g. --self "github-actions[bot]") or with P2P_SECRET.',
          );
        }
        const view = readerView(conn, self, issue, secret ?? conn.secret);
        await view.refresh();
        state = view.state;
        now = view.serverNow();
        if (self) budget.login = self;
        // Free: GET /rate_limit does not count against the limit it reports.
        const limit = (await conn.github.rateLimit().catch(() => undefined))?.limit;
        if (limit) budget.requestsPerHour = limit;
      }
      if (opts.json) {
        ctx.out(JSON.stringify(state, null, 2));
      } else {
        const tokenKind = resolveTokenKind(opts.tokenKind, ctx.env, opts.token);
        for (const line of renderState(state, now, tokenKind, undefined, budget)) ctx.out(line);
      }
    },
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

function logRefFromComments(
  raw: Record<string, unknown>[],
): { repo: string; issue: number } | undefined {
  for (const c of raw) {
    const m = /\/repos\/([^/]+\/[^/]+)\/issues\/(\d+)$/.exec(String(c.issue_url ?? ""));
    if (m) return { repo: m[1]!, issue: Number(m[2]) };
  }
  return undefined;
}
