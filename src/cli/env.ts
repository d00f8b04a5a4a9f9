/**
 * Configuration read from the environment GitHub Actions already sets.
 * The environment is read here and handed down; nothing below `cli/` reads it.
 *
 * @module
 */
import { UsageError } from "./usage_error.ts";

/** Environment variables as a plain record. */
export type Env = Readonly<Record<string, string | undefined>>;

/**
 * The GitHub token: `--token`, then `GITHUB_TOKEN`, then `GH_TOKEN`. An empty
 * value counts as unset (a workflow passing an unset secret gives `""`).
 *
 * @example
 * ```ts
 * resolveToken(undefined, { GITHUB_TOKEN: "", GH_TOKEN: "ghp_x" }); // "ghp_x"
 * ```
 */
export function resolveToken(flag: string | undefined, env: Env): string {
  const token = flag || env.GITHUB_TOKEN || env.GH_TOKEN;
  if (!token) {
    throw new UsageError("Missing GitHub token: set GITHUB_TOKEN (or GH_TOKEN) or pass --token.");
  }
  return token;
}

/**
 * The repository as `{ owner, repo }`: `--repo`, then `GITHUB_REPOSITORY`, then `GITHUB_REPO`.
 *
 * @example
 * ```ts
 * resolveRepo("octo/hello", {}); // { owner: "octo", repo: "hello" }
 * ```
 */
export function resolveRepo(flag: string | undefined, env: Env): { owner: string; repo: string } {
  const value = flag || env.GITHUB_REPOSITORY || env.GITHUB_REPO;
  if (!value) {
    throw new UsageError(
      "Missing repository: set GITHUB_REPOSITORY (owner/name) or pass --repo owner/name.",
    );
  }
  const m = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/.exec(value);
  if (!m) {
    throw new UsageError(`Invalid repository "${value}": expected owner/name, e.g. octo/hello.`);
  }
  return { owner: m[1]!, repo: m[2]! };
}

/**
 * A URL as it may be shown: whatever stands between `//` and `@` (a user
 * name, a password, a token) replaced by `***`.
 *
 * @example
 * ```ts
 * urlForDisplay("http://user:ghp_x@127.0.0.1:8080/"); // "http://***@127.0.0.1:8080/"
 * ```
 */
export function urlForDisplay(url: string): string {
  return url.replace(/^([^/]*\/\/)[^/?#]*@/, "$1***@");
}

/**
 * The API base URL: `--api-url`, then `GITHUB_API_URL`, else api.github.com.
 * A URL with credentials in it is refused (the token goes in `--token` or
 * `GITHUB_TOKEN`), and no error message repeats them.
 *
 * @example
 * ```ts
 * resolveApiUrl(undefined, {}); // "https://api.github.com"
 * ```
 */
export function resolveApiUrl(flag: string | undefined, env: Env): string {
  const url = flag || env.GITHUB_API_URL || "https://api.github.com";
  const shown = urlForDisplay(url);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(
      `Invalid API URL "${shown}": pass a full URL such as http://127.0.0.1:8080.`,
    );
  }
  if (parsed.username !== "" || parsed.password !== "" || shown !== url) {
    throw new UsageError(
      `The API URL "${shown}" holds credentials: pass the URL without them, and the token with --token or GITHUB_TOKEN.`,
    );
  }
  return url.replace(/\/+$/, "");
}

/**
 * Parses a positive integer flag or throws a `UsageError` naming the flag.
 *
 * @example
 * ```ts
 * positiveInt("--issue", "12"); // 12
 * ```
 */
export function positiveInt(flag: string, value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) {
    throw new UsageError(`Invalid ${flag} "${value}": expected a positive whole number.`);
  }
  return Number(value);
}
