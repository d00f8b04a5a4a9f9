/**
 * Repository, collaborator permission, branches and commits.
 *
 * @module
 */
import { HttpError, notFound } from "../http.ts";
import {
  branch,
  commit,
  gitCommit,
  repository,
  roleFlags,
  simpleUser,
  treeFor,
} from "../render.ts";
import type { RouteContext, RouteDef } from "../router.ts";
import { fakeSha } from "../state.ts";
import type { CommitRecord, RepoRecord } from "../types.ts";
import { effectiveRole, render, repoOf, requireAuth, requireRole, stringField } from "./common.ts";

/**
 * Resolves a branch, tag, full ref or SHA to a commit of `repo`.
 *
 * @example
 * ```ts
 * function head(ctx: RouteContext, repo: RepoRecord) { return resolveCommit(ctx, repo, "main"); }
 * ```
 */
export function resolveCommit(
  ctx: RouteContext,
  repo: RepoRecord,
  ref: string,
): CommitRecord | undefined {
  const sha = repo.refs[ref] ?? repo.refs[`refs/heads/${ref}`] ?? repo.refs[`refs/tags/${ref}`] ??
    (/^[0-9a-f]{4,40}$/i.test(ref)
      ? repo.commits.find((c) => c.sha.startsWith(ref.toLowerCase()))?.sha
      : undefined);
  return sha === undefined ? undefined : ctx.world.commit(repo, sha);
}

/** Legacy `permission` value of a role (maintain shows as write, triage as read). */
function legacy(role: string | null): string {
  switch (role) {
    case "admin":
      return "admin";
    case "maintain":
    case "write":
      return "write";
    case "triage":
    case "read":
      return "read";
    default:
      return "none";
  }
}

/**
 * Repository routes.
 *
 * @example
 * ```ts
 * const router = new Router(repoRoutes);
 * ```
 */
export const repoRoutes: RouteDef[] = [
  {
    method: "GET",
    pattern: "/repos/{owner}/{repo}",
    operation: "repos/get",
    docs: "https://docs.github.com/rest/repos/repos#get-a-repository",
    handle(ctx) {
      const repo = repoOf(ctx);
      const role = ctx.identity ? effectiveRole(ctx, repo) : undefined;
      return { status: 200, body: repository(render(ctx), repo, role) };
    },
  },
  {
    method: "GET",
    pattern: "/repos/{owner}/{repo}/collaborators/{username}/permission",
    operation: "repos/get-collaborator-permission-level",
    docs:
      "https://docs.github.com/rest/collaborators/collaborators#get-repository-permissions-for-a-user",
    handle(ctx) {
      const repo = repoOf(ctx);
      requireAuth(ctx);
      const user = ctx.world.user(ctx.params.username ?? "");
      if (!user) throw notFound();
      const role = ctx.world.role(repo, user.login);
      return {
        status: 200,
        body: {
          permission: legacy(role),
          role_name: role ?? "none",
          user: {
            ...simpleUser(render(ctx), user.login),
            permissions: roleFlags(role),
            role_name: role ?? "none",
          },
        },
      };
    },
  },
  {
    method: "GET",
    pattern: "/repos/{owner}/{repo}/branches/{branch+}",
    operation: "repos/get-branch",
    docs: "https://docs.github.com/rest/branches/branches#get-a-branch",
    handle(ctx) {
      const repo = repoOf(ctx);
      const name = ctx.params.branch!;
      const sha = repo.refs[`refs/heads/${name}`];
      const c = sha === undefined ? undefined : ctx.world.commit(repo, sha);
      if (!c) throw new HttpError(404, "Branch not found");
      return { status: 200, body: branch(render(ctx), repo, name, c) };
    },
  },
  {
    method: "GET",
    pattern: "/repos/{owner}/{repo}/commits/{ref+}",
    operation: "repos/get-commit",
    docs: "https://docs.github.com/rest/commits/commits#get-a-commit",
    handle(ctx) {
      const repo = repoOf(ctx);
      const c = resolveCommit(ctx, repo, ctx.params.ref!);
      if (!c) throw new HttpError(422, `No commit found for SHA: ${ctx.params.ref}`);
      return { status: 200, body: commit(render(ctx), repo, c) };
    },
  },
  {
    method: "GET",
    pattern: "/repos/{owner}/{repo}/git/commits/{commit_sha}",
    operation: "git/get-commit",
    docs: "https://docs.github.com/rest/git/commits#get-a-commit-object",
    handle(ctx) {
      const repo = repoOf(ctx);
      const c = ctx.world.commit(repo, ctx.params.commit_sha!);
      if (!c) throw notFound();
      return { status: 200, body: gitCommit(render(ctx), repo, c) };
    },
  },
  {
    method: "POST",
    pattern: "/repos/{owner}/{repo}/git/commits",
    operation: "git/create-commit",
    docs: "https://docs.github.com/rest/git/commits#create-a-commit",
    handle(ctx) {
      const repo = repoOf(ctx);
      const identity = requireRole(ctx, repo, "write", "contents");
      const message = stringField(ctx, "message", true);
      const tree = stringField(ctx, "tree", true);
      const parents = ctx.body.parents ?? [];
      if (!Array.isArray(parents) || parents.some((p) => typeof p !== "string")) {
        throw new HttpError(
          422,
          `Invalid request.\n\nFor 'parents', ${
            JSON.stringify(parents)
          } is not an array of strings.`,
        );
      }
      for (const p of parents as string[]) {
        if (!ctx.world.commit(repo, p)) {
          throw new HttpError(422, "Parent SHA does not exist or is not a commit object");
        }
      }
      const sha = fakeSha(`commit|${repo.id}|${message}|${tree}|${parents.join(",")}|${ctx.now}`);
      const record = ctx.world.addCommit(repo, {
        sha,
        treeSha: /^[0-9a-f]{40}$/.test(tree) ? tree : treeFor(message, parents as string[]),
        message,
        parents: parents as string[],
        author: identity.user.login,
        at: ctx.now,
      });
      const body = gitCommit(render(ctx), repo, record);
      return { status: 201, body, headers: { location: body.url as string } };
    },
  },
];
