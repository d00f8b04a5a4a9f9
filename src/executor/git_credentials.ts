/**
 * The node's git credential, kept away from tasks.
 *
 * Delivery pushes with the node's own token, handed only to the `git`
 * processes that talk to the remote (`ls-remote`, `fetch`, `push`) through
 * the environment git reads configuration from (`GIT_CONFIG_COUNT`,
 * `GIT_CONFIG_KEY_<n>`, `GIT_CONFIG_VALUE_<n>`, git 2.31 and later): an
 * `http.<server>/.extraheader` with HTTP Basic credentials, scoped to the
 * GitHub server's origin, exactly as actions/checkout would persist it, but
 * never written to a file and never in an argument list (which every user of
 * the machine can read in `/proc/<pid>/cmdline`). Tasks get an environment
 * built from an allowlist (src/process/child_env.ts), so `GIT_CONFIG_*` never
 * reaches them.
 *
 * A checkout may already hold a credential a task could read: actions/checkout
 * without `persist-credentials: false` stores the job's token as an
 * `http.<server>/.extraheader` in the repository's configuration or, since
 * v6, in a file under `$RUNNER_TEMP` that `.git/config` includes
 * (`includeIf.gitdir:…`). {@linkcode removePersistedCredentials} deletes every
 * `Authorization` extra header from the repository's own configuration files
 * (local and worktree scope, and the files they include) before any task runs.
 * A remote URL with a password or token in it is refused
 * ({@linkcode remoteUrlCredentials}): it belongs to the user, so p2p-dev does
 * not rewrite it.
 *
 * Facts relied on (https://git-scm.com/docs/git-config):
 * - `GIT_CONFIG_COUNT`/`GIT_CONFIG_KEY_<n>`/`GIT_CONFIG_VALUE_<n>` add
 *   command-scope settings, read after every file;
 * - `http.extraHeader` "can have multiple values"; "an empty value will
 *   reset the extra headers to the empty list", so an empty value first drops
 *   a header a file set for the same URL (GitHub refuses two `Authorization`
 *   headers with 400 `Duplicate header: "Authorization"`);
 * - `http.<url>.*` applies to URLs with that scheme, host and port, and a path
 *   under it; git over HTTPS takes a token as the Basic password
 *   (https://docs.github.com/get-started/git-basics/about-remote-repositories#cloning-with-https-urls).
 *
 * @module
 */
import { resolve } from "node:path";
import { git, type GitOptions, gitRaw } from "./git.ts";

/**
 * How delivery authenticates to the git server.
 *
 * @example
 * ```ts
 * const auth: GitAuth = { serverUrl: "https://github.com", token: () => Deno.env.get("GITHUB_TOKEN")! };
 * ```
 */
export interface GitAuth {
  /** The GitHub server (`https://github.com`, a GHES host, the emulator): the header's scope. */
  serverUrl: string;
  /** The node's token, read when a git command needs it (tokens may be refreshed). */
  token: () => string | Promise<string>;
  /**
   * `GIT_CONFIG_COUNT` already in the environment git inherits: those entries
   * are kept, these are added after them. Default 0.
   */
  configCount?: number;
}

/**
 * The web origin of the GitHub server an API URL belongs to:
 * `GITHUB_SERVER_URL` when it is known, `https://api.github.com` →
 * `https://github.com`, `https://api.<host>` → `https://<host>` (GHE.com),
 * `https://<host>/api/v3` → `https://<host>` (GitHub Enterprise Server),
 * otherwise the API's own origin (the emulator serves both).
 *
 * @example
 * ```ts
 * gitServerUrl("https://api.github.com"); // "https://github.com"
 * gitServerUrl("https://ghes.example/api/v3"); // "https://ghes.example"
 * ```
 */
export function gitServerUrl(apiUrl: string, serverUrl?: string): string {
  if (serverUrl) return new URL(serverUrl).origin;
  const api = new URL(apiUrl);
  if (/^\/api\/v3\/?$/.test(api.pathname)) return api.origin;
  if (api.hostname.startsWith("api.") && (api.pathname === "/" || api.pathname === "")) {
    return `${api.protocol}//${api.host.slice(4)}`;
  }
  return api.origin;
}

/**
 * The configuration key of the extra header for a server: `http.<origin>/.extraheader`.
 *
 * @example
 * ```ts
 * extraHeaderKey("https://github.com"); // "http.https://github.com/.extraheader"
 * ```
 */
export function extraHeaderKey(serverUrl: string): string {
  return `http.${new URL(serverUrl).origin}/.extraheader`;
}

/**
 * The environment that gives one `git` process the token as an extra header
 * for the server (after an empty value that drops any header a file set for
 * the same URL).
 *
 * @example
 * ```ts
 * const env = gitAuthEnv("https://github.com", "ghs_x");
 * env.GIT_CONFIG_COUNT; // "2"
 * ```
 */
export function gitAuthEnv(
  serverUrl: string,
  token: string,
  configCount = 0,
): Record<string, string> {
  const key = extraHeaderKey(serverUrl);
  const basic = btoa(String.fromCharCode(...new TextEncoder().encode(`x-access-token:${token}`)));
  const n = configCount;
  return {
    GIT_CONFIG_COUNT: String(n + 2),
    [`GIT_CONFIG_KEY_${n}`]: key,
    [`GIT_CONFIG_VALUE_${n}`]: "",
    [`GIT_CONFIG_KEY_${n + 1}`]: key,
    [`GIT_CONFIG_VALUE_${n + 1}`]: `AUTHORIZATION: basic ${basic}`,
  };
}

/**
 * A credential found in, or removed from, a repository's configuration:
 * where (`file`), which key; never the value.
 *
 * @example
 * ```ts
 * const c: PersistedCredential = { file: "/repo/.git/config", key: "http.https://github.com/.extraheader" };
 * ```
 */
export interface PersistedCredential {
  file: string;
  key: string;
}

/**
 * Removes every `Authorization` extra header (`http.extraheader`,
 * `http.<url>.extraheader`) from the repository's own configuration: its
 * local and worktree files and the files they include (actions/checkout's
 * credentials file). Other extra headers, and the user's global and system
 * configuration, are left alone. Returns what was removed.
 *
 * @example
 * ```ts
 * const removed = await removePersistedCredentials("/work/repo");
 * for (const r of removed) console.log(`removed ${r.key} from ${r.file}`);
 * ```
 */
export async function removePersistedCredentials(
  repoDir: string,
  opts: GitOptions = {},
): Promise<PersistedCredential[]> {
  const found = await persistedCredentials(repoDir, opts);
  for (const c of found) {
    // The value pattern keeps other headers: Authorization in any letter case.
    await git(
      ["config", "--file", c.file, "--unset-all", c.key, `^${caseless("authorization")}[ \t]*:`],
      repoDir,
      opts,
    );
  }
  return found;
}

/**
 * The `Authorization` extra headers in the repository's own configuration
 * (local and worktree scope, includes followed), without removing them.
 *
 * @example
 * ```ts
 * (await persistedCredentials("/work/repo")).length; // 0 after a checkout with persist-credentials: false
 * ```
 */
export async function persistedCredentials(
  repoDir: string,
  opts: GitOptions = {},
): Promise<PersistedCredential[]> {
  const out = await gitRaw(
    [
      "config",
      "--includes",
      "--show-scope",
      "--show-origin",
      "--null",
      "--get-regexp",
      "^http\\..*extraheader$",
    ],
    repoDir,
    opts,
  );
  // Exit code 1: no such key.
  if (out.code === 1) return [];
  if (out.code !== 0) {
    throw new Error(
      `Could not read the git configuration of "${repoDir}": ${out.stderr.trim() || "no message"}`,
    );
  }
  // With --null: scope NUL origin NUL key LF value NUL, per entry.
  const fields = out.stdout.split("\0");
  const found = new Map<string, PersistedCredential>();
  for (let i = 0; i + 2 < fields.length; i += 3) {
    const scope = fields[i]!;
    const origin = fields[i + 1]!;
    const entry = fields[i + 2]!;
    const newline = entry.indexOf("\n");
    const key = newline < 0 ? entry : entry.slice(0, newline);
    const value = newline < 0 ? "" : entry.slice(newline + 1);
    if (scope !== "local" && scope !== "worktree") continue;
    if (!origin.startsWith("file:")) continue;
    if (!/^\s*authorization\s*:/i.test(value)) continue;
    // Paths of the repository's own file are relative to it.
    const file = resolve(repoDir, origin.slice("file:".length));
    found.set(`${file}\n${key}`, { file, key });
  }
  return [...found.values()];
}

/**
 * Remote URLs of the repository that carry a password or a token
 * (`https://user:secret@host/…`, `https://ghp_…@host/…`), by remote name;
 * the URLs themselves are not returned.
 *
 * @example
 * ```ts
 * await remoteUrlCredentials("/work/repo"); // ["origin"] for https://x:ghp_1@github.com/o/r
 * ```
 */
export async function remoteUrlCredentials(
  repoDir: string,
  opts: GitOptions = {},
): Promise<string[]> {
  const out = await gitRaw(
    ["config", "--null", "--get-regexp", "^remote\\..*\\.(push)?url$"],
    repoDir,
    opts,
  );
  if (out.code !== 0) return [];
  const remotes = new Set<string>();
  for (const entry of out.stdout.split("\0")) {
    const newline = entry.indexOf("\n");
    if (newline < 0) continue;
    const key = entry.slice(0, newline);
    const url = entry.slice(newline + 1);
    const userinfo = /^[a-z][a-z0-9+.-]*:\/\/([^/@]+)@/i.exec(url)?.[1];
    if (userinfo === undefined) continue;
    const tokenLike = /^(gh[pousr]_|github_pat_|x-access-token|x-oauth-basic)/i.test(userinfo) ||
      userinfo.length >= 30;
    if (userinfo.includes(":") || tokenLike) {
      remotes.add(key.replace(/^remote\./, "").replace(/\.(push)?url$/, ""));
    }
  }
  return [...remotes];
}

/** A POSIX bracket pattern that matches `word` in any letter case. */
function caseless(word: string): string {
  return [...word].map((c) => /[a-z]/i.test(c) ? `[${c.toUpperCase()}${c.toLowerCase()}]` : c)
    .join("");
}
