/**
 * Set-up of the commands that talk to GitHub: token, repository and API URL,
 * token kind, trust settings, and the node id default.
 *
 * @module
 */
import { type AppCredentials, appTokenSource } from "../github/app_token.ts";
import { createGitHub } from "../github/octokit.ts";
import { LogView } from "../node/log_view.ts";
import { systemClock } from "../node/ports.ts";
import type { GitHub, WorkflowGitHub } from "../github/port.ts";
import type { TokenKind } from "../protocol/budget.ts";
import type { CliContext } from "./context.ts";
import { type Env, resolveApiUrl, resolveRepo, resolveToken } from "./env.ts";
import type { OptionValues } from "./options.ts";
import { UsageError } from "./usage_error.ts";

/** A connected client and what was resolved along the way. */
export interface Connection {
  github: GitHub & WorkflowGitHub;
  owner: string;
  repo: string;
  fullName: string;
  tokenKind: TokenKind;
  /** The token given (empty with a GitHub App, whose tokens are minted as needed). */
  token: string;
  /** Every credential to keep out of output: the token, the secret, an App's key and tokens. */
  secrets: string[];
  allow: string[];
  secret: string | undefined;
}

const str = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);

/**
 * The token kind the budget arithmetic assumes, the same for every command:
 * `--token-kind` (or the configuration file), else `actions` when running in
 * GitHub Actions with the workflow's `GITHUB_TOKEN` (and no `--token`), else
 * `pat`.
 *
 * @example
 * ```ts
 * resolveTokenKind(undefined, { GITHUB_ACTIONS: "true", GITHUB_TOKEN: "ghs_x" }); // "actions"
 * resolveTokenKind(undefined, { GITHUB_TOKEN: "ghp_x" }); // "pat"
 * ```
 */
export function resolveTokenKind(
  given: unknown,
  env: Env,
  tokenFlag?: unknown,
  app = false,
): TokenKind {
  if (given === "actions" || given === "pat" || given === "app") return given;
  if (app) return "app";
  return env.GITHUB_ACTIONS === "true" && !str(tokenFlag) && !!str(env.GITHUB_TOKEN)
    ? "actions"
    : "pat";
}

/**
 * Logins trusted besides the token's own identity and writers: `--allow`
 * (or the configuration file's `trust.allow`) and `P2P_ALLOW`.
 *
 * @example
 * ```ts
 * resolveAllow(["a"], { P2P_ALLOW: "b, c" }); // ["a", "b", "c"]
 * ```
 */
export function resolveAllow(given: unknown, env: Env): string[] {
  const flag = Array.isArray(given) ? given.map(String) : [];
  return [...new Set([...flag, ...(env.P2P_ALLOW ?? "").split(/[\s,]+/).filter(Boolean)])];
}

/**
 * Resolves options and environment into a GitHub client.
 *
 * @example
 * ```ts
 * const { github } = connect(values, ctx);
 * ```
 */
export function connect(values: OptionValues, ctx: CliContext): Connection {
  const app = resolveApp(values, ctx.env);
  const token = app ? "" : resolveToken(str(values.token), ctx.env);
  const { owner, repo } = resolveRepo(str(values.repo), ctx.env);
  const baseUrl = resolveApiUrl(str(values.apiUrl), ctx.env);
  const tokenKind = resolveTokenKind(values.tokenKind, ctx.env, values.token, app !== undefined);
  const timeScale = typeof values.timeScale === "number" ? values.timeScale : 1;
  const secrets = [
    ...(token ? [token] : []),
    ...(ctx.env.P2P_SECRET ? [ctx.env.P2P_SECRET] : []),
    ...(app ? [app.privateKey] : []),
  ];
  const github = createGitHub({
    ...(app
      ? {
        // Minted tokens join `secrets` as they come, so output redacts them.
        tokenSource: appTokenSource(app, {
          owner,
          repo,
          baseUrl,
          onToken: (minted) => secrets.push(minted),
        }),
      }
      : { token }),
    installationToken: tokenKind !== "pat",
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
  return {
    github,
    owner,
    repo,
    fullName: `${owner}/${repo}`,
    tokenKind,
    token,
    secrets,
    allow: resolveAllow(values.allow, ctx.env),
    secret: ctx.env.P2P_SECRET || undefined,
  };
}

/**
 * A node id that no other node of the swarm shares. In GitHub Actions,
 * `run-<run id>[-a<attempt>]-job-<P2P_JOB_INDEX>` (readable and stable for
 * the job); without `P2P_JOB_INDEX`, matrix jobs share `GITHUB_JOB`, so the
 * runner's name and a random suffix make it unique. Elsewhere
 * `<host>-<pid>-<random>` (containers often share a host name and pid 1).
 *
 * @example
 * ```ts
 * defaultNodeId({ GITHUB_RUN_ID: "42", P2P_JOB_INDEX: "3" }, "box", 7, "a1b2"); // "run-42-job-3"
 * defaultNodeId({}, "box", 7, "a1b2"); // "box-7-a1b2"
 * ```
 */
export function defaultNodeId(env: Env, host: string, pid: number, suffix: string): string {
  const clean = (s: string) => s.replace(/[^A-Za-z0-9_.-]/g, "-");
  if (env.GITHUB_RUN_ID) {
    const attempt = env.GITHUB_RUN_ATTEMPT && env.GITHUB_RUN_ATTEMPT !== "1"
      ? `-a${env.GITHUB_RUN_ATTEMPT}`
      : "";
    const base = `run-${env.GITHUB_RUN_ID}${attempt}`;
    if (env.P2P_JOB_INDEX) return clean(`${base}-job-${env.P2P_JOB_INDEX}`).slice(0, 100);
    const job = [env.GITHUB_JOB, env.RUNNER_NAME].filter(Boolean).join("-") || "job";
    return clean(`${base}-${job.slice(0, 60)}-${suffix}`);
  }
  return clean(`${host.slice(0, 60)}-${pid}-${suffix}`);
}

/**
 * A short random suffix for node ids (4 hex digits from the platform's
 * cryptographic generator).
 *
 * @example
 * ```ts
 * randomSuffix(); // "9f3c"
 * ```
 */
export function randomSuffix(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(2));
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * A view of one issue's log as the connection's identity trusts it (the
 * nodes' own rules), for commands that read a swarm without joining it.
 *
 * @example
 * ```ts
 * const view = readerView(conn, "github-actions[bot]", 7);
 * await view.refresh();
 * ```
 */
export function readerView(
  conn: Connection,
  login: string | undefined,
  issue: number,
  secret: string | undefined = conn.secret,
): LogView {
  return new LogView({
    github: conn.github,
    clock: systemClock,
    issue,
    self: login,
    allow: conn.allow,
    secret,
    sinceSlackMs: 0,
  });
}

/**
 * GitHub App credentials from `--app-id`/`--private-key`/`--installation-id`
 * or `P2P_APP_ID`/`P2P_APP_PRIVATE_KEY`/`P2P_APP_INSTALLATION_ID`; undefined
 * without an App id. The key is a PEM, or the path of a file holding one.
 *
 * @example
 * ```ts
 * resolveApp({}, {}); // undefined: no App
 * ```
 */
export function resolveApp(values: OptionValues, env: Env): AppCredentials | undefined {
  const id = str(values.appId) ?? str(env.P2P_APP_ID);
  const key = str(values.privateKey) ?? str(env.P2P_APP_PRIVATE_KEY);
  const installation = str(values.installationId) ?? str(env.P2P_APP_INSTALLATION_ID);
  if (id === undefined) {
    if (key) {
      throw new UsageError("A private key needs its App: pass --app-id ID (or set P2P_APP_ID).");
    }
    return undefined;
  }
  if (!/^\d+$/.test(id)) {
    throw new UsageError(`Invalid --app-id "${id}": use the App's numeric id (its settings page).`);
  }
  if (!key) {
    throw new UsageError(
      "Missing the App's private key: pass --private-key FILE (or set P2P_APP_PRIVATE_KEY).",
    );
  }
  const PEM = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;
  let pem = key.replace(/\\n/g, "\n");
  if (!PEM.test(pem)) {
    try {
      pem = Deno.readTextFileSync(key);
    } catch (error) {
      throw new UsageError(
        `Cannot read the App's private key "${key}": ${(error as Error).message}. Pass the ` +
          "PEM file's path or the PEM itself.",
      );
    }
    if (!PEM.test(pem)) {
      throw new UsageError(`File "${key}" holds no PEM private key: pass the App's .pem file.`);
    }
  }
  if (installation !== undefined && !/^\d+$/.test(installation)) {
    throw new UsageError(`Invalid --installation-id "${installation}": use a numeric id.`);
  }
  return {
    appId: Number(id),
    privateKey: pem,
    ...(installation !== undefined ? { installationId: Number(installation) } : {}),
  };
}
