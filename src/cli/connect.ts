/**
 * Shared flags and set-up of the commands that talk to GitHub: token,
 * repository and API URL, trust settings, and the node id default.
 *
 * @module
 */
import { type Command, Option } from "@commander-js/extra-typings";
import { createGitHub } from "../github/octokit.ts";
import type { GitHub } from "../github/port.ts";
import type { TokenKind } from "../protocol/budget.ts";
import type { CliContext } from "./context.ts";
import { resolveApiUrl, resolveRepo, resolveToken } from "./env.ts";
import { UsageError } from "./usage_error.ts";

/** Flags every GitHub-facing command accepts. */
export interface GitHubFlags {
  repo?: string;
  token?: string;
  apiUrl?: string;
  tokenKind?: string;
  allow?: string[];
  timeScale?: string;
}

/**
 * Adds the GitHub connection and trust flags to a command.
 *
 * @example
 * ```ts
 * const cmd = withGitHubFlags(new Command("state"));
 * ```
 */
export function withGitHubFlags(cmd: Command): Command {
  return cmd
    .option("--repo <owner/name>", "repository (default: $GITHUB_REPOSITORY)")
    .option("--token <token>", "GitHub token (default: $GITHUB_TOKEN or $GH_TOKEN)")
    .option("--api-url <url>", "API base URL (default: $GITHUB_API_URL or https://api.github.com)")
    .addOption(
      new Option("--token-kind <kind>", "token kind, for the rate-limit budget").choices([
        "actions",
        "pat",
        "app",
      ]),
    )
    .option(
      "--allow <login...>",
      "logins whose protocol messages are trusted besides the token's own and writers",
    )
    .addOption(
      new Option("--time-scale <factor>", "shrink the client's own waits (for emulators)")
        .hideHelp(),
    ) as unknown as Command;
}

/** A connected client and what was resolved along the way. */
export interface Connection {
  github: GitHub;
  owner: string;
  repo: string;
  fullName: string;
  tokenKind: TokenKind;
  token: string;
  allow: string[];
  secret: string | undefined;
}

/**
 * Resolves flags and environment into a GitHub client.
 *
 * @example
 * ```ts
 * const { github } = connect(opts, ctx);
 * ```
 */
export function connect(flags: GitHubFlags, ctx: CliContext): Connection {
  const token = resolveToken(flags.token, ctx.env);
  const { owner, repo } = resolveRepo(flags.repo, ctx.env);
  const baseUrl = resolveApiUrl(flags.apiUrl, ctx.env);
  const tokenKind = (flags.tokenKind ??
    (ctx.env.GITHUB_ACTIONS === "true" && !flags.token && ctx.env.GITHUB_TOKEN === token
      ? "actions"
      : "pat")) as TokenKind;
  const timeScale = flags.timeScale === undefined ? 1 : Number(flags.timeScale);
  if (!(timeScale > 0 && timeScale <= 1)) {
    throw new UsageError(`Invalid --time-scale "${flags.timeScale}": use a number in (0, 1].`);
  }
  const github = createGitHub({
    token,
    baseUrl,
    owner,
    repo,
    timeScale,
    // plugin-throttling spaces writes 1 s and comment posts 3 s apart; an
    // emulator run with a shrunk time scale shrinks that pacing alike.
    ...(timeScale < 1
      ? { writeIntervalMs: 1_000 * timeScale, contentIntervalMs: 3_000 * timeScale }
      : {}),
  });
  const allow = [
    ...(flags.allow ?? []),
    ...(ctx.env.P2P_ALLOW ?? "").split(/[\s,]+/).filter(Boolean),
  ];
  return {
    github,
    owner,
    repo,
    fullName: `${owner}/${repo}`,
    tokenKind,
    token,
    allow,
    secret: ctx.env.P2P_SECRET || undefined,
  };
}

/**
 * A unique, readable node id: `run-<run id>-job-<n>` in GitHub Actions
 * (`n` from `P2P_JOB_INDEX`, else the job name), `<host>-<pid>` elsewhere.
 *
 * @example
 * ```ts
 * defaultNodeId({ GITHUB_RUN_ID: "42", P2P_JOB_INDEX: "3" }, "box", 7); // "run-42-job-3"
 * ```
 */
export function defaultNodeId(
  env: Readonly<Record<string, string | undefined>>,
  host: string,
  pid: number,
): string {
  if (env.GITHUB_RUN_ID) {
    const job = env.P2P_JOB_INDEX ?? env.GITHUB_JOB ?? "1";
    const attempt = env.GITHUB_RUN_ATTEMPT && env.GITHUB_RUN_ATTEMPT !== "1"
      ? `-a${env.GITHUB_RUN_ATTEMPT}`
      : "";
    return `run-${env.GITHUB_RUN_ID}${attempt}-job-${job}`.replace(/[^A-Za-z0-9_.-]/g, "-");
  }
  return `${host}-${pid}`.replace(/[^A-Za-z0-9_.-]/g, "-");
}
