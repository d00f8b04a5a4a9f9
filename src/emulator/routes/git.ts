/**
 * Git references over the minimal commit graph.
 *
 * Facts relied on (https://docs.github.com/rest/git/refs): creating a ref
 * that exists fails with 422 "Reference already exists" (an atomic create);
 * updating without `force` must be a fast-forward, else 422 "Update is not a
 * fast forward"; deleting a missing ref answers 422 "Reference does not exist".
 *
 * @module
 */
import { HttpError, notFound } from "../http.ts";
import { gitRef } from "../render.ts";
import type { RouteContext, RouteDef } from "../router.ts";
import type { RepoRecord } from "../types.ts";
import { render, repoOf, requireRole, stringField } from "./common.ts";

function fullRef(ctx: RouteContext): string {
  const ref = ctx.params.ref ?? "";
  return ref.startsWith("refs/") ? ref : `refs/${ref}`;
}

function existingSha(ctx: RouteContext, repo: RepoRecord, sha: string): string {
  if (!/^[0-9a-f]{40}$/i.test(sha) || !ctx.world.commit(repo, sha.toLowerCase())) {
    throw new HttpError(422, "Object does not exist");
  }
  return sha.toLowerCase();
}

/**
 * Git reference routes.
 *
 * @example
 * ```ts
 * const router = new Router(gitRoutes);
 * ```
 */
export const gitRoutes: RouteDef[] = [
  {
    method: "POST",
    pattern: "/repos/{owner}/{repo}/git/refs",
    operation: "git/create-ref",
    docs: "https://docs.github.com/rest/git/refs#create-a-reference",
    handle(ctx) {
      const repo = repoOf(ctx);
      requireRole(ctx, repo, "write", "contents");
      const ref = stringField(ctx, "ref", true);
      const sha = stringField(ctx, "sha", true);
      if (!/^refs\/[^/]+\/.+/.test(ref) || /\.\.|[\s~^:?*[\\]|\/$|\.lock$/.test(ref)) {
        throw new HttpError(422, 'ref must start with "refs" and have at least two slashes.');
      }
      const target = existingSha(ctx, repo, sha);
      if (repo.refs[ref] !== undefined) throw new HttpError(422, "Reference already exists");
      repo.refs[ref] = target;
      repo.pushedAt = ctx.now;
      ctx.world.touch();
      const body = gitRef(render(ctx), repo, ref, target);
      return { status: 201, body, headers: { location: body.url as string } };
    },
  },
  {
    method: "GET",
    pattern: "/repos/{owner}/{repo}/git/ref/{ref+}",
    operation: "git/get-ref",
    docs: "https://docs.github.com/rest/git/refs#get-a-reference",
    handle(ctx) {
      const repo = repoOf(ctx);
      const ref = fullRef(ctx);
      const sha = repo.refs[ref];
      if (sha === undefined) throw notFound();
      return { status: 200, body: gitRef(render(ctx), repo, ref, sha) };
    },
  },
  {
    method: "GET",
    pattern: "/repos/{owner}/{repo}/git/matching-refs/{ref+}",
    operation: "git/list-matching-refs",
    docs: "https://docs.github.com/rest/git/refs#list-matching-references",
    handle(ctx) {
      const repo = repoOf(ctx);
      const prefix = fullRef(ctx);
      const r = render(ctx);
      const body = Object.entries(repo.refs)
        .filter(([ref]) => ref.startsWith(prefix))
        .sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)
        .map(([ref, sha]) => gitRef(r, repo, ref, sha));
      return { status: 200, body };
    },
  },
  {
    method: "PATCH",
    pattern: "/repos/{owner}/{repo}/git/refs/{ref+}",
    operation: "git/update-ref",
    docs: "https://docs.github.com/rest/git/refs#update-a-reference",
    handle(ctx) {
      const repo = repoOf(ctx);
      requireRole(ctx, repo, "write", "contents");
      const ref = fullRef(ctx);
      const sha = stringField(ctx, "sha", true);
      const force = ctx.body.force === true;
      const current = repo.refs[ref];
      if (current === undefined) throw new HttpError(422, "Reference does not exist");
      const target = existingSha(ctx, repo, sha);
      if (!force && !ctx.world.isAncestor(repo, current, target)) {
        throw new HttpError(422, "Update is not a fast forward");
      }
      repo.refs[ref] = target;
      repo.pushedAt = ctx.now;
      ctx.world.touch();
      return { status: 200, body: gitRef(render(ctx), repo, ref, target) };
    },
  },
  {
    method: "DELETE",
    pattern: "/repos/{owner}/{repo}/git/refs/{ref+}",
    operation: "git/delete-ref",
    docs: "https://docs.github.com/rest/git/refs#delete-a-reference",
    handle(ctx) {
      const repo = repoOf(ctx);
      requireRole(ctx, repo, "write", "contents");
      const ref = fullRef(ctx);
      if (repo.refs[ref] === undefined) throw new HttpError(422, "Reference does not exist");
      delete repo.refs[ref];
      ctx.world.touch();
      return { status: 204 };
    },
  },
];
