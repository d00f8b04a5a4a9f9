/**
 * Helpers every route uses: finding the repository, checking who may do
 * what, and reading request fields with GitHub's error answers.
 *
 * @module
 */
import { HttpError, notFound } from "../http.ts";
import type { Identity, RouteContext } from "../router.ts";
import { roleAtLeast } from "../state.ts";
import type { RepoRecord, RepoRole, ScopeLevel, TokenScope } from "../types.ts";
import type { RenderContext } from "../render.ts";

/**
 * Maximum comment and issue body length (GitHub: 65,536 characters).
 *
 * @example
 * ```ts
 * checkBodyLength("IssueComment", "x".repeat(MAX_BODY)); // fine; one more throws 422
 * ```
 */
export const MAX_BODY = 65_536;

/**
 * The render context of a request.
 *
 * @example
 * ```ts
 * function r(ctx: RouteContext) { return render(ctx); }
 * ```
 */
export function render(ctx: RouteContext): RenderContext {
  return { world: ctx.world, api: ctx.api, html: ctx.html };
}

/**
 * The repository of `{owner}/{repo}`, or 404 (also when it is private and the
 * caller has no role: GitHub hides private repositories).
 *
 * @example
 * ```ts
 * function get(ctx: RouteContext) { return repoOf(ctx); }
 * ```
 */
export function repoOf(ctx: RouteContext): RepoRecord {
  const repo = ctx.world.repo(ctx.params.owner ?? "", ctx.params.repo ?? "");
  if (!repo) throw notFound();
  if (repo.private && ctx.world.role(repo, ctx.identity?.user.login ?? null) === null) {
    throw notFound();
  }
  if (repo.private && ctx.identity?.token.repos && !tokenCovers(ctx.identity, repo)) {
    throw notFound();
  }
  checkScope(ctx, "metadata", "read");
  return repo;
}

/**
 * The caller, or 401 `Requires authentication`.
 *
 * @example
 * ```ts
 * function me(ctx: RouteContext) { return requireAuth(ctx).user.login; }
 * ```
 */
export function requireAuth(ctx: RouteContext): Identity {
  if (!ctx.identity) throw new HttpError(401, "Requires authentication");
  return ctx.identity;
}

/**
 * The 403 GitHub gives a token that lacks a permission.
 *
 * @example
 * ```ts
 * throw forbidden(); // 403 "Resource not accessible by integration"
 * ```
 */
export function forbidden(): HttpError {
  return new HttpError(403, "Resource not accessible by integration");
}

/**
 * Whether a token may act on `repo` at all (an installation token names its
 * repositories; other tokens are not restricted).
 *
 * @example
 * ```ts
 * function covered(identity: Identity, repo: RepoRecord) { return tokenCovers(identity, repo); }
 * ```
 */
export function tokenCovers(identity: Identity, repo: RepoRecord): boolean {
  const repos = identity.token.repos;
  if (!repos) return true;
  const key = `${repo.owner}/${repo.name}`.toLowerCase();
  return repos.some((r) => r.toLowerCase() === key);
}

/**
 * The role a request acts with on `repo`: the user's role, raised to `write`
 * for an installation token (a workflow's `GITHUB_TOKEN`) on the repositories
 * it was issued for; its `permissions` scopes still apply (`checkScope`).
 *
 * @example
 * ```ts
 * function role(ctx: RouteContext, repo: RepoRecord) { return effectiveRole(ctx, repo); }
 * ```
 */
export function effectiveRole(
  ctx: Pick<RouteContext, "world" | "identity">,
  repo: RepoRecord,
): RepoRole | null {
  const identity = ctx.identity;
  const userRole = ctx.world.role(repo, identity?.user.login ?? null);
  if (
    identity && identity.token.kind !== "pat" && identity.token.repos && tokenCovers(identity, repo)
  ) {
    return roleAtLeast(userRole, "write") ? userRole : "write";
  }
  return userRole;
}

/**
 * Checks a token's scope restriction (`permissions:` of a workflow token).
 *
 * @example
 * ```ts
 * function canWriteIssues(ctx: RouteContext) { checkScope(ctx, "issues", "write"); }
 * ```
 */
export function checkScope(
  ctx: Pick<RouteContext, "identity">,
  scope: TokenScope,
  level: ScopeLevel,
): void {
  const granted = ctx.identity?.token.permissions?.[scope];
  if (granted === undefined) return;
  const rank = { none: 0, read: 1, write: 2 };
  if (rank[granted] < rank[level]) throw forbidden();
}

/**
 * Checks that the caller may write with `role` on `repo` through `scope`:
 * authenticated (401), the token covers the repository and scope, and the
 * user holds the role (403 otherwise).
 *
 * @example
 * ```ts
 * function label(ctx: RouteContext, repo: RepoRecord) { requireRole(ctx, repo, "write", "issues"); }
 * ```
 */
export function requireRole(
  ctx: RouteContext,
  repo: RepoRecord,
  role: RepoRole,
  scope: TokenScope,
): Identity {
  const identity = requireAuth(ctx);
  if (!tokenCovers(identity, repo)) throw forbidden();
  checkScope(ctx, scope, role === "read" ? "read" : "write");
  if (!roleAtLeast(effectiveRole(ctx, repo), role)) throw forbidden();
  return identity;
}

/**
 * Whether the caller holds `role` on `repo` (no error).
 *
 * @example
 * ```ts
 * function triager(ctx: RouteContext, repo: RepoRecord) { return hasRole(ctx, repo, "triage"); }
 * ```
 */
export function hasRole(ctx: RouteContext, repo: RepoRecord, role: RepoRole): boolean {
  if (!ctx.identity) return false;
  if (!tokenCovers(ctx.identity, repo)) return false;
  return roleAtLeast(effectiveRole(ctx, repo), role);
}

/**
 * Checks that the caller may create content (issues, comments, reactions) on
 * a repository they can read: on a public repository any authenticated user
 * may, as on GitHub.
 *
 * @example
 * ```ts
 * function post(ctx: RouteContext, repo: RepoRecord) { return requireParticipant(ctx, repo); }
 * ```
 */
export function requireParticipant(ctx: RouteContext, repo: RepoRecord): Identity {
  const identity = requireAuth(ctx);
  const installation = identity.token.kind !== "pat";
  if (installation && !tokenCovers(identity, repo)) throw forbidden();
  checkScope(ctx, "issues", "write");
  if (ctx.world.role(repo, identity.user.login) === null) throw notFound();
  return identity;
}

/**
 * A path parameter as a positive integer, or 404.
 *
 * @example
 * ```ts
 * function n(ctx: RouteContext) { return intParam(ctx, "issue_number"); }
 * ```
 */
export function intParam(ctx: RouteContext, name: string): number {
  const raw = ctx.params[name] ?? "";
  if (!/^\d+$/.test(raw)) throw notFound();
  return Number(raw);
}

/**
 * A string field of the JSON body. Missing required fields answer GitHub's
 * 422 `Invalid request`; wrong types too.
 *
 * @example
 * ```ts
 * function title(ctx: RouteContext) { return stringField(ctx, "title", true); }
 * ```
 */
export function stringField(ctx: RouteContext, name: string, required: true): string;
/** An optional string field of the JSON body (see the overload above). */
export function stringField(ctx: RouteContext, name: string, required?: false): string | undefined;
export function stringField(ctx: RouteContext, name: string, required = false): string | undefined {
  const value = ctx.body[name];
  if (value === undefined || value === null) {
    if (required) throw new HttpError(422, `Invalid request.\n\n"${name}" wasn't supplied.`);
    return undefined;
  }
  if (typeof value !== "string") {
    throw new HttpError(
      422,
      `Invalid request.\n\nFor '${name}', ${JSON.stringify(value)} is not a string.`,
    );
  }
  return value;
}

/**
 * Checks a comment or issue body against GitHub's 65,536-character limit.
 *
 * @example
 * ```ts
 * checkBodyLength("IssueComment", "hello");
 * ```
 */
export function checkBodyLength(resource: string, body: string): void {
  if (body.length > MAX_BODY) {
    throw new HttpError(422, "Validation Failed", {
      errors: [{
        resource,
        code: "custom",
        field: "body",
        message: `body is too long (maximum is ${MAX_BODY} characters)`,
      }],
    });
  }
}
