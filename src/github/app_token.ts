/**
 * GitHub App installation tokens for the adapter: an App's id and private key
 * mint an installation token (`@octokit/auth-app`), which is renewed before
 * it expires, and at once after GitHub refuses it (401).
 *
 * GitHub documentation this relies on:
 * - Installation tokens expire after one hour:
 *   https://docs.github.com/apps/creating-github-apps/authenticating-with-a-github-app/generating-an-installation-access-token-for-a-github-app
 * - The installation of a repository, found with the App's JWT:
 *   https://docs.github.com/rest/apps/apps#get-a-repository-installation-for-the-authenticated-app
 *
 * @module
 */
import { createAppAuth } from "@octokit/auth-app";
import { Octokit } from "@octokit/rest";
import type { TokenSource } from "./octokit.ts";

/**
 * How an App authenticates.
 *
 * @example
 * ```ts
 * const app: AppCredentials = { appId: 1001, privateKey: "-----BEGIN RSA PRIVATE KEY-----\n..." };
 * ```
 */
export interface AppCredentials {
  appId: number;
  /** PEM (PKCS#1 or PKCS#8). */
  privateKey: string;
  /** The installation; found from the repository when absent. */
  installationId?: number;
}

/** Longest margin before expiry at which a token is renewed (and a quarter of its life at most). */
const RENEW_MARGIN_MS = 5 * 60_000;

/**
 * A {@linkcode TokenSource} minting installation tokens for `owner/repo`.
 *
 * @example
 * ```ts
 * const source = appTokenSource({ appId: 1, privateKey: pem }, { owner: "o", repo: "r" });
 * const gh = createGitHub({ tokenSource: source, owner: "o", repo: "r" });
 * ```
 */
export function appTokenSource(
  app: AppCredentials,
  options: {
    owner: string;
    repo: string;
    baseUrl?: string;
    fetch?: typeof fetch;
    /** Local time (default `Date.now`): when to renew. */
    now?: () => number;
    /** Called with each token minted (to redact it from output). */
    onToken?: (token: string, expiresAt: number) => void;
  },
): TokenSource & { minted(): number } {
  const baseUrl = (options.baseUrl ?? "https://api.github.com").replace(/\/+$/, "");
  const now = options.now ?? (() => Date.now());
  const silent = () => {};
  const octokit = new Octokit({
    baseUrl,
    userAgent: "p2p-dev",
    log: { debug: silent, info: silent, warn: silent, error: silent },
    ...(options.fetch ? { request: { fetch: options.fetch } } : {}),
  });
  const auth = createAppAuth({
    appId: app.appId,
    privateKey: app.privateKey,
    request: octokit.request,
  });
  let installationId = app.installationId;
  let current: { token: string; expiresAt: number; margin: number } | undefined;
  let pending: Promise<string> | undefined;
  let minted = 0;

  /** The App's JWT; a key that cannot sign is the user's to fix, said plainly. */
  const appJwt = async (): Promise<string> => {
    try {
      return (await auth({ type: "app" })).token;
    } catch (error) {
      throw new Error(
        `Cannot sign a token for GitHub App ${app.appId} with its private key ` +
          `(${(error as Error).message}): pass the .pem file downloaded from the App's settings.`,
        { cause: error },
      );
    }
  };

  const findInstallation = async (): Promise<number> => {
    const jwt = await appJwt();
    try {
      const { data } = await octokit.request("GET /repos/{owner}/{repo}/installation", {
        owner: options.owner,
        repo: options.repo,
        headers: { authorization: `bearer ${jwt}` },
      });
      return data.id;
    } catch (error) {
      const status = (error as { status?: number }).status;
      throw new Error(
        status === 404
          ? `GitHub App ${app.appId} is not installed on "${options.owner}/${options.repo}": ` +
            `install it there, or pass the installation with --installation-id.`
          : `Cannot find the installation of GitHub App ${app.appId} on "${options.owner}/` +
            `${options.repo}": ${(error as Error).message}. Check --app-id and --private-key.`,
        { cause: error },
      );
    }
  };

  const mint = async (): Promise<string> => {
    installationId ??= await findInstallation();
    await appJwt(); // a key that cannot sign fails here, with a plain message
    const started = now();
    const result = await auth({ type: "installation", installationId, refresh: true }) as {
      token: string;
      expiresAt: string;
    };
    const expiresAt = Date.parse(result.expiresAt);
    const life = Number.isFinite(expiresAt) ? expiresAt - started : 3_600_000;
    current = {
      token: result.token,
      expiresAt: started + life,
      margin: Math.min(RENEW_MARGIN_MS, life / 4),
    };
    minted++;
    options.onToken?.(result.token, current.expiresAt);
    return result.token;
  };

  return {
    token(): Promise<string> {
      if (current && current.expiresAt - now() > current.margin) {
        return Promise.resolve(current.token);
      }
      pending ??= mint().finally(() => (pending = undefined));
      return pending;
    },
    refused(token: string): void {
      if (current?.token === token) current = undefined;
    },
    minted: () => minted,
  };
}
