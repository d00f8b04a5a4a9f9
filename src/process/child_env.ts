/**
 * The environment a task, an agent or a planner command runs with: built
 * from an allowlist, never inherited whole.
 *
 * A node holds credentials: the GitHub token (`GITHUB_TOKEN`, `GH_TOKEN`,
 * `--token`), the swarm's HMAC secret (`P2P_SECRET`), a GitHub App's key, the
 * Actions runtime's own tokens (`ACTIONS_RUNTIME_TOKEN`,
 * `ACTIONS_ID_TOKEN_REQUEST_TOKEN`). The code a task runs was written, or
 * steered, by whoever wrote the issue, so none of that reaches it. A child
 * gets:
 *
 * - what every program needs: `PATH`, `HOME`, user and shell names, `TERM`,
 *   the locale (`LANG`, `LANGUAGE`, `LC_*`, `TZ`), the temporary directory
 *   (`TMPDIR`, `TMP`, `TEMP`), the XDG base directories, `CI`, `NO_COLOR`;
 * - what reaching the network through a proxy needs: `HTTP_PROXY`,
 *   `HTTPS_PROXY`, `NO_PROXY`, `ALL_PROXY` (either case), and the CA settings
 *   of a TLS-intercepting proxy (`SSL_CERT_FILE`, `SSL_CERT_DIR`,
 *   `NODE_EXTRA_CA_CERTS`, `NODE_OPTIONS`, `NODE_USE_ENV_PROXY`,
 *   `REQUESTS_CA_BUNDLE`, `CURL_CA_BUNDLE`, `GIT_SSL_CAINFO`, `DENO_CERT`);
 * - tool settings by prefix: `DENO_*` and `npm_config_*` (any case), except
 *   variables whose name names a secret (`DENO_AUTH_TOKENS`,
 *   `NPM_CONFIG__AUTH`);
 * - for Claude Code (the executor and the planner) also the agent's own
 *   settings and key: `ANTHROPIC_*`, `CLAUDE_CODE_*`, `CLAUDE_CONFIG_DIR`,
 *   `DISABLE_*`, its timeouts and limits (`API_TIMEOUT_MS`,
 *   `BASH_DEFAULT_TIMEOUT_MS`, `BASH_MAX_TIMEOUT_MS`, `BASH_MAX_OUTPUT_LENGTH`,
 *   `MAX_THINKING_TOKENS`, `MAX_MCP_OUTPUT_TOKENS`, `MCP_TIMEOUT`,
 *   `MCP_TOOL_TIMEOUT`, `ENABLE_TOOL_SEARCH`), and the cloud provider's
 *   credentials when Claude Code is told to use one (`AWS_*` with
 *   `CLAUDE_CODE_USE_BEDROCK`, `CLOUD_ML_REGION`, `VERTEX_REGION_*`,
 *   `GOOGLE_APPLICATION_CREDENTIALS`, `GOOGLE_CLOUD_PROJECT`,
 *   `GCLOUD_PROJECT` with `CLAUDE_CODE_USE_VERTEX`), as documented in
 *   https://docs.anthropic.com/en/docs/claude-code/settings#environment-variables;
 * - whatever the user names with `--pass-env NAME` (or `P2P_PASS_ENV`):
 *   exact names, or a prefix ending in `*`. This is the only way a child gets
 *   `GITHUB_TOKEN`, `GH_TOKEN`, `P2P_SECRET` or any other variable outside
 *   the lists above.
 *
 * The executors add the task's own `P2P_*` variables on top; no `P2P_*`
 * variable of the node's own environment is passed on (not even by a prefix
 * rule), so `P2P_SECRET` and `P2P_ALLOW` stay with the node.
 *
 * @module
 */
import { isSecretKey } from "../text/secret_key.ts";

/**
 * Environment variables as a record (as `Deno.env.toObject()` returns them).
 *
 * @example
 * ```ts
 * const env: EnvRecord = { PATH: "/usr/bin", HOME: undefined };
 * ```
 */
export type EnvRecord = Readonly<Record<string, string | undefined>>;

/**
 * Which agent a child is: Claude Code also gets its own settings and key.
 *
 * @example
 * ```ts
 * const agent: ChildAgent = "claude";
 * ```
 */
export type ChildAgent = "claude";

/**
 * Options of {@linkcode childEnv}.
 *
 * @example
 * ```ts
 * const opts: ChildEnvOptions = { agent: "claude", passEnv: ["NPM_TOKEN"] };
 * ```
 */
export interface ChildEnvOptions {
  /** The agent the child is, if any: adds its settings and key. */
  agent?: ChildAgent;
  /** Names (or `PREFIX*` patterns) the user chose to pass on as well (`--pass-env`). */
  passEnv?: readonly string[];
}

/** Variables every child gets when they are set. */
const BASE_NAMES: readonly string[] = [
  "PATH",
  "HOME",
  "USER",
  "LOGNAME",
  "SHELL",
  "TERM",
  "COLORTERM",
  "NO_COLOR",
  "LANG",
  "LANGUAGE",
  "TZ",
  "TMPDIR",
  "TMP",
  "TEMP",
  "CI",
  "XDG_CONFIG_HOME",
  "XDG_CACHE_HOME",
  "XDG_DATA_HOME",
  "XDG_STATE_HOME",
  "HTTP_PROXY",
  "HTTPS_PROXY",
  "NO_PROXY",
  "ALL_PROXY",
  "http_proxy",
  "https_proxy",
  "no_proxy",
  "all_proxy",
  "SSL_CERT_FILE",
  "SSL_CERT_DIR",
  "NODE_EXTRA_CA_CERTS",
  "NODE_OPTIONS",
  "NODE_USE_ENV_PROXY",
  "REQUESTS_CA_BUNDLE",
  "CURL_CA_BUNDLE",
  "GIT_SSL_CAINFO",
  "DENO_CERT",
];

/** Prefixes every child gets, except names that name a secret (compared case-insensitively). */
const BASE_PREFIXES: readonly string[] = ["LC_", "DENO_", "NPM_CONFIG_"];

/** Claude Code's own settings, by exact name. */
const CLAUDE_NAMES: readonly string[] = [
  "CLAUDE_CONFIG_DIR",
  "API_TIMEOUT_MS",
  "BASH_DEFAULT_TIMEOUT_MS",
  "BASH_MAX_TIMEOUT_MS",
  "BASH_MAX_OUTPUT_LENGTH",
  "MAX_THINKING_TOKENS",
  "MAX_MCP_OUTPUT_TOKENS",
  "MCP_TIMEOUT",
  "MCP_TOOL_TIMEOUT",
  "ENABLE_TOOL_SEARCH",
];

/** Claude Code's settings and key, by prefix (secret-named ones included: the agent needs its key). */
const CLAUDE_PREFIXES: readonly string[] = ["ANTHROPIC_", "CLAUDE_CODE_", "DISABLE_"];

/** Variables of a cloud provider Claude Code was told to use. */
const PROVIDERS: readonly {
  flag: string;
  names: readonly string[];
  prefixes: readonly string[];
}[] = [
  { flag: "CLAUDE_CODE_USE_BEDROCK", names: [], prefixes: ["AWS_"] },
  {
    flag: "CLAUDE_CODE_USE_VERTEX",
    names: [
      "CLOUD_ML_REGION",
      "GOOGLE_APPLICATION_CREDENTIALS",
      "GOOGLE_CLOUD_PROJECT",
      "GCLOUD_PROJECT",
    ],
    prefixes: ["VERTEX_REGION_"],
  },
];

const truthy = (v: string | undefined) => v !== undefined && v !== "" && v !== "0" && v !== "false";

/**
 * Parses `--pass-env` values and `P2P_PASS_ENV` (names separated by commas
 * or white space) into one list, or throws a `TypeError` naming a value that
 * is not a variable name or a `PREFIX*` pattern.
 *
 * @example
 * ```ts
 * parsePassEnv(["NPM_TOKEN"], "GH_TOKEN, MY_*"); // ["NPM_TOKEN", "GH_TOKEN", "MY_*"]
 * ```
 */
export function parsePassEnv(flag: readonly string[] = [], env?: string): string[] {
  const names = [...flag, ...(env ?? "").split(/[\s,]+/)]
    .flatMap((v) => v.split(/[\s,]+/)).filter((v) => v !== "");
  for (const name of names) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*\*?$/.test(name) && name !== "*") {
      throw new TypeError(
        `Invalid environment variable name "${name}" to pass to tasks: use a name such as NPM_TOKEN, or a prefix such as MY_APP_*.`,
      );
    }
  }
  return [...new Set(names)];
}

function matches(name: string, pattern: string): boolean {
  return pattern.endsWith("*") ? name.startsWith(pattern.slice(0, -1)) : name === pattern;
}

/**
 * The environment of a child process: the allowlist above, applied to
 * `source` (the node's own environment).
 *
 * @example
 * ```ts
 * childEnv({ PATH: "/bin", GITHUB_TOKEN: "ghs_x", ANTHROPIC_API_KEY: "sk-ant-x" }, { agent: "claude" });
 * // { PATH: "/bin", ANTHROPIC_API_KEY: "sk-ant-x" }
 * ```
 */
export function childEnv(source: EnvRecord, options: ChildEnvOptions = {}): Record<string, string> {
  const names = new Set(BASE_NAMES);
  const prefixes: { prefix: string; secrets: boolean }[] = BASE_PREFIXES.map((prefix) => ({
    prefix,
    secrets: false,
  }));
  if (options.agent === "claude") {
    for (const n of CLAUDE_NAMES) names.add(n);
    for (const prefix of CLAUDE_PREFIXES) prefixes.push({ prefix, secrets: true });
    for (const p of PROVIDERS) {
      if (!truthy(source[p.flag])) continue;
      for (const n of p.names) names.add(n);
      for (const prefix of p.prefixes) prefixes.push({ prefix, secrets: true });
    }
  }
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(source)) {
    if (value === undefined) continue;
    const passed = options.passEnv?.some((p) => matches(name, p)) ?? false;
    if (!passed && name.startsWith("P2P_")) continue;
    const upper = name.toUpperCase();
    const allowed = passed || names.has(name) ||
      prefixes.some((p) => upper.startsWith(p.prefix) && (p.secrets || !isSecretKey(name)));
    if (allowed) out[name] = value;
  }
  return out;
}

/**
 * The values in a child environment that are secrets (by their variable's
 * name, e.g. `ANTHROPIC_API_KEY`, or a `--pass-env` token): what the node
 * must redact from whatever the child prints.
 *
 * @example
 * ```ts
 * secretValues({ PATH: "/bin", ANTHROPIC_API_KEY: "sk-ant-x" }); // ["sk-ant-x"]
 * ```
 */
export function secretValues(env: EnvRecord): string[] {
  return Object.entries(env)
    .filter(([name, value]) => value !== undefined && value.length >= 4 && isSecretKey(name))
    .map(([, value]) => value!);
}
