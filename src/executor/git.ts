/**
 * A thin runner for the `git` command line, with redacted errors.
 *
 * @module
 */
import { redactor } from "./redact.ts";

/**
 * A commit identity.
 *
 * @example
 * ```ts
 * const me: GitAuthor = { name: "Bot", email: "bot@example.com" };
 * ```
 */
export interface GitAuthor {
  name: string;
  email: string;
}

/**
 * The identity p2p-dev commits as when none is configured.
 *
 * @example
 * ```ts
 * gitIdentityEnv(DEFAULT_AUTHOR).GIT_AUTHOR_NAME; // "p2p-dev"
 * ```
 */
export const DEFAULT_AUTHOR: GitAuthor = {
  name: "p2p-dev",
  email: "p2p-dev@users.noreply.github.com",
};

/**
 * Environment variables that make `git commit` and `git merge` use `author`
 * as both author and committer, whatever the user's git configuration says.
 *
 * @example
 * ```ts
 * gitIdentityEnv({ name: "Bot", email: "bot@example.com" }).GIT_COMMITTER_EMAIL; // "bot@example.com"
 * ```
 */
export function gitIdentityEnv(author: GitAuthor): Record<string, string> {
  return {
    GIT_AUTHOR_NAME: author.name,
    GIT_AUTHOR_EMAIL: author.email,
    GIT_COMMITTER_NAME: author.name,
    GIT_COMMITTER_EMAIL: author.email,
  };
}

/**
 * What one `git` run printed.
 *
 * @example
 * ```ts
 * const { code, stdout }: GitOutput = await gitRaw(["status"], "/repo");
 * ```
 */
export interface GitOutput {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Options shared by the git helpers.
 *
 * @example
 * ```ts
 * await git(["fetch"], "/repo", { env: { GIT_TRACE: "1" }, secrets: [token] });
 * ```
 */
export interface GitOptions {
  /** Extra environment variables for every `git` run. */
  env?: Readonly<Record<string, string>>;
  /** Strings redacted from error messages. */
  secrets?: readonly string[];
}

/**
 * An error from a `git` run, its message redacted.
 *
 * @example
 * ```ts
 * try { await git(["push"], "/repo"); } catch (e) { if (e instanceof GitError) e.code; }
 * ```
 */
export class GitError extends Error {
  /** Exit code of git. */
  readonly code: number;
  /** Standard error of git, redacted. */
  readonly stderr: string;

  /** Builds the error from a failed run. */
  constructor(message: string, code: number, stderr: string) {
    super(message);
    this.name = "GitError";
    this.code = code;
    this.stderr = stderr;
  }
}

/**
 * Runs `git <args>` in `cwd` and returns its output, whatever the exit code.
 * Never prompts for credentials (`GIT_TERMINAL_PROMPT=0`).
 *
 * @example
 * ```ts
 * const { code } = await gitRaw(["diff", "--cached", "--quiet"], "/repo");
 * ```
 */
export async function gitRaw(
  args: readonly string[],
  cwd: string,
  opts: GitOptions = {},
): Promise<GitOutput> {
  const out = await new Deno.Command("git", {
    args: [...args],
    cwd,
    env: { GIT_TERMINAL_PROMPT: "0", GIT_EDITOR: "true", ...opts.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: out.code,
    stdout: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr),
  };
}

/**
 * Runs `git <args>` in `cwd`; returns standard output without the trailing
 * newline, or throws a {@linkcode GitError} whose message quotes the command
 * and git's (redacted) complaint.
 *
 * @example
 * ```ts
 * const head = await git(["rev-parse", "HEAD"], "/repo");
 * ```
 */
export async function git(
  args: readonly string[],
  cwd: string,
  opts: GitOptions = {},
): Promise<string> {
  const out = await gitRaw(args, cwd, opts);
  if (out.code !== 0) {
    const clean = redactor(opts.secrets ?? []);
    const stderr = clean(out.stderr.trim() || out.stdout.trim());
    throw new GitError(
      `Command "git ${clean(args.join(" "))}" failed in "${cwd}" (exit code ${out.code}): ${
        stderr || "no message"
      }`,
      out.code,
      stderr,
    );
  }
  return out.stdout.replace(/\n$/, "");
}
