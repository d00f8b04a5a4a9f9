/**
 * Route table: `METHOD /path/{param}` patterns matched against requests. A
 * last parameter written `{name+}` takes the rest of the path (git refs and
 * branch names contain slashes; Octokit sends them percent-encoded, curl
 * users often do not).
 *
 * @module
 */
import type { RateView } from "./limits.ts";
import type { World } from "./state.ts";
import type {
  CommentRecord,
  CommentVersion,
  TokenRecord,
  TokenScope,
  UserRecord,
} from "./types.ts";

/** Who is calling: the user behind the token, and the token. */
export interface Identity {
  user: UserRecord;
  token: TokenRecord;
}

/** What a route handler gets. */
export interface RouteContext {
  world: World;
  request: Request;
  url: URL;
  params: Record<string, string>;
  /** The parsed JSON body (`{}` when there is none). */
  body: Record<string, unknown>;
  identity: Identity | null;
  /** Stable key of the reader for list lag: the token, or `anonymous`. */
  readerKey: string;
  /** Emulated epoch milliseconds. */
  now: number;
  /** API base URL (`http://127.0.0.1:PORT`). */
  api: string;
  /** Web base URL for `html_url` fields. */
  html: string;
  /** Documentation URL of this operation, for error bodies. */
  docs: string;
  /** The version of a comment a list read by this reader shows now, or null (list lag). */
  visible(comment: CommentRecord): CommentVersion | null;
  /** Whether a recent comment vanishes from this list read (stale read fault). */
  flap(comment: CommentRecord): boolean;
  /** The caller's primary rate-limit bucket. */
  rate: RateView;
}

/** What a route handler answers. */
export interface RouteResult {
  status: number;
  /** JSON body. */
  body?: unknown;
  /** Raw body (with `contentType`). */
  bytes?: Uint8Array;
  contentType?: string;
  headers?: Record<string, string>;
}

/**
 * One endpoint.
 *
 * @example
 * ```ts
 * const r: RouteDef = {
 *   method: "GET", pattern: "/user", operation: "users/get-authenticated",
 *   docs: "https://docs.github.com/rest/users/users#get-the-authenticated-user",
 *   handle: () => ({ status: 200, body: {} }),
 * };
 * ```
 */
export interface RouteDef {
  method: "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
  pattern: string;
  /** GitHub's operationId. */
  operation: string;
  docs: string;
  /** Token scope the route needs (read for GET, write otherwise). */
  scope?: TokenScope;
  /** Counted against the content-creation secondary limit (default: every non-GET). */
  content?: boolean;
  /** Called by a GitHub App with its JWT (and only so), not with a token. */
  jwt?: boolean;
  handle(ctx: RouteContext): RouteResult | Promise<RouteResult>;
}

/** A route matched against a request. */
export interface RouteMatch {
  route: RouteDef;
  params: Record<string, string>;
}

interface Compiled {
  route: RouteDef;
  segments: { literal?: string; param?: string; rest?: boolean }[];
}

/**
 * Matches requests to routes.
 *
 * @example
 * ```ts
 * const router = new Router([]);
 * router.match("GET", "/user"); // undefined
 * ```
 */
export class Router {
  #routes: Compiled[];

  /** Compiles the patterns; literal segments win over parameters. */
  constructor(routes: readonly RouteDef[]) {
    this.#routes = routes.map((route) => ({
      route,
      segments: route.pattern.split("/").slice(1).map((s) => {
        const m = /^\{(\w+)(\+)?\}$/.exec(s);
        return m ? { param: m[1]!, rest: m[2] === "+" } : { literal: s };
      }),
    }));
    // Prefer more literal segments so /releases/latest beats /releases/{release_id}.
    this.#routes.sort((a, b) => literalCount(b) - literalCount(a));
  }

  /** The route for `method` (HEAD as GET) and a raw pathname, or undefined. */
  match(method: string, pathname: string): RouteMatch | undefined {
    const m = method === "HEAD" ? "GET" : method;
    const parts = pathname.replace(/\/+$/, "").split("/").slice(1);
    for (const compiled of this.#routes) {
      if (compiled.route.method !== m) continue;
      const params = matchSegments(compiled.segments, parts);
      if (params) return { route: compiled.route, params };
    }
    return undefined;
  }
}

function literalCount(c: Compiled): number {
  return c.segments.filter((s) => s.literal !== undefined).length;
}

function matchSegments(
  segments: Compiled["segments"],
  parts: string[],
): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    if (seg.rest) {
      if (i >= parts.length) return undefined;
      params[seg.param!] = parts.slice(i).map(safeDecode).join("/");
      return params;
    }
    const part = parts[i];
    if (part === undefined || part === "") return undefined;
    if (seg.literal !== undefined) {
      if (seg.literal !== part) return undefined;
    } else {
      params[seg.param!] = safeDecode(part);
    }
  }
  return parts.length === segments.length ? params : undefined;
}

function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}
