/**
 * Git over smart HTTP, as GitHub serves it at `{server}/{owner}/{repo}.git`:
 * a repository seeded with `gitDir` (a bare repository on this machine) can be
 * cloned, fetched and pushed to over the emulator's own HTTP port, with
 * GitHub's authentication rules, so a push with a token is tested the way it
 * happens on GitHub. `git http-backend` (git's own CGI program) speaks the
 * protocol; this module decides who may do what and runs it.
 *
 * Facts relied on:
 * - Git over HTTPS authenticates with HTTP Basic: a token as the password
 *   (any user name, e.g. `x-access-token`), as actions/checkout sends it in
 *   `http.<server>/.extraheader`
 *   (https://docs.github.com/get-started/git-basics/about-remote-repositories#cloning-with-https-urls);
 *   a bad token answers 401 "Invalid username or token. Password
 *   authentication is not supported for Git operations.";
 * - reading a public repository needs no credential; pushing needs write
 *   access, for a workflow token `contents: write`; a push without a
 *   credential gets 401 with `WWW-Authenticate: Basic realm="GitHub"`, so
 *   git asks its credential helpers; one without permission gets 403
 *   "Permission to {owner}/{repo}.git denied to {login}.";
 * - a private repository the caller cannot read is "Repository not found."
 *   (404), as for the REST API;
 * - two `Authorization` headers (a checkout's persisted header plus another)
 *   get 400 `Duplicate header: "Authorization"`;
 * - the dumb HTTP protocol is not served (403).
 *
 * @module
 */
import { basename, dirname } from "node:path";

/**
 * A git request the emulator serves.
 *
 * @example
 * ```ts
 * matchGitRequest("GET", new URL("http://h/o/r.git/info/refs?service=git-upload-pack"));
 * // { owner: "o", repo: "r", service: "git-upload-pack", advertise: true }
 * ```
 */
export interface GitRequest {
  owner: string;
  repo: string;
  /** `git-upload-pack` (clone, fetch) or `git-receive-pack` (push); null for dumb HTTP. */
  service: "git-upload-pack" | "git-receive-pack" | null;
  /** `GET info/refs`: the ref advertisement. */
  advertise: boolean;
}

/**
 * The git request a URL is, or null when it is none (`/{owner}/{repo}.git/...`,
 * also without `.git`, as GitHub accepts both).
 *
 * @example
 * ```ts
 * matchGitRequest("POST", new URL("http://h/o/r.git/git-receive-pack"))?.service; // "git-receive-pack"
 * ```
 */
export function matchGitRequest(method: string, url: URL): GitRequest | null {
  const m = /^\/([^/]+)\/([^/]+?)(?:\.git)?\/(info\/refs|git-upload-pack|git-receive-pack)$/
    .exec(url.pathname);
  if (!m) return null;
  const [, owner, repo, path] = m as unknown as [string, string, string, string];
  if (path === "info/refs") {
    if (method !== "GET" && method !== "HEAD") return null;
    const service = url.searchParams.get("service");
    return {
      owner: decodeURIComponent(owner),
      repo: decodeURIComponent(repo),
      service: service === "git-upload-pack" || service === "git-receive-pack" ? service : null,
      advertise: true,
    };
  }
  if (method !== "POST") return null;
  return {
    owner: decodeURIComponent(owner),
    repo: decodeURIComponent(repo),
    service: path as "git-upload-pack" | "git-receive-pack",
    advertise: false,
  };
}

/**
 * What an `Authorization` header of a git client carries: the token, none,
 * or a header GitHub refuses.
 *
 * @example
 * ```ts
 * gitCredential("Basic " + btoa("x-access-token:ghs_1")); // { token: "ghs_1" }
 * ```
 */
export function gitCredential(
  header: string | null,
): { token: string } | { none: true } | { duplicate: true } | { malformed: true } {
  if (header === null) return { none: true };
  // Headers joins repeated fields with ", ": a credential never holds one.
  if (header.includes(",")) return { duplicate: true };
  const basic = /^basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (basic) {
    let decoded: string;
    try {
      decoded = new TextDecoder().decode(Uint8Array.from(atob(basic[1]!), (c) => c.charCodeAt(0)));
    } catch {
      return { malformed: true };
    }
    const colon = decoded.indexOf(":");
    const user = colon < 0 ? decoded : decoded.slice(0, colon);
    const password = colon < 0 ? "" : decoded.slice(colon + 1);
    const token = password !== "" ? password : user;
    return token === "" ? { malformed: true } : { token };
  }
  const bearer = /^(?:bearer|token)\s+(\S+)\s*$/i.exec(header);
  return bearer ? { token: bearer[1]! } : { malformed: true };
}

/**
 * An answer in the shape git clients show (`remote: <message>`).
 *
 * @example
 * ```ts
 * gitRefusal(403, "Permission to o/r.git denied to someone.");
 * ```
 */
export function gitRefusal(
  status: number,
  message: string,
  headers: Record<string, string> = {},
): Response {
  return new Response(`${message}\n`, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", ...headers },
  });
}

/**
 * Runs `git http-backend` for one request against the bare repository
 * `gitDir` and turns its CGI answer into a response. `user` is the caller's
 * login (`REMOTE_USER`: git enables pushing only for a known user); the
 * repository's hooks run as they do on a server.
 *
 * @example
 * ```ts
 * const res = await runHttpBackend("/srv/o/r.git", req, url, "wf-maintainer");
 * ```
 */
export async function runHttpBackend(
  gitDir: string,
  req: Request,
  url: URL,
  user: string | null,
): Promise<Response> {
  const suffix = /\/(info\/refs|git-upload-pack|git-receive-pack)$/.exec(url.pathname)![1]!;
  const body = req.method === "POST" ? new Uint8Array(await req.arrayBuffer()) : new Uint8Array();
  const env: Record<string, string> = {
    GIT_PROJECT_ROOT: dirname(gitDir),
    PATH_INFO: `/${basename(gitDir)}/${suffix}`,
    REQUEST_METHOD: req.method === "HEAD" ? "GET" : req.method,
    QUERY_STRING: url.search.replace(/^\?/, ""),
    CONTENT_TYPE: req.headers.get("content-type") ?? "",
    CONTENT_LENGTH: String(body.byteLength),
    GIT_HTTP_EXPORT_ALL: "1",
    REMOTE_ADDR: "127.0.0.1",
    REMOTE_USER: user ?? "",
  };
  const encoding = req.headers.get("content-encoding");
  if (encoding) env.HTTP_CONTENT_ENCODING = encoding;
  const protocol = req.headers.get("git-protocol");
  if (protocol) env.GIT_PROTOCOL = protocol;
  const child = new Deno.Command("git", {
    args: ["http-backend"],
    env,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(body).catch(() => {});
  await writer.close().catch(() => {});
  const out = await child.output();
  return cgiResponse(out.stdout, new TextDecoder().decode(out.stderr));
}

/** Splits a CGI answer into its headers (with `Status:`) and body. */
function cgiResponse(raw: Uint8Array, stderr: string): Response {
  let end = -1;
  let skip = 0;
  for (let i = 0; i + 1 < raw.length; i++) {
    if (raw[i] === 10 && raw[i + 1] === 10) {
      end = i;
      skip = 2;
      break;
    }
    if (raw[i] === 13 && raw[i + 1] === 10 && raw[i + 2] === 13 && raw[i + 3] === 10) {
      end = i;
      skip = 4;
      break;
    }
  }
  if (end < 0) {
    return gitRefusal(500, `git http-backend gave no answer: ${stderr.trim() || "no message"}`);
  }
  const headers = new Headers();
  let status = 200;
  for (const line of new TextDecoder().decode(raw.subarray(0, end)).split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (name.toLowerCase() === "status") status = Number.parseInt(value, 10) || 500;
    else headers.append(name, value);
  }
  return new Response(raw.slice(end + skip), { status, headers });
}
