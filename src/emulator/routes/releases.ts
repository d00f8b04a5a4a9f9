/**
 * Releases and their assets. Downloading an asset with
 * `Accept: application/octet-stream` answers 302 to a URL that serves the
 * bytes, as GitHub does (https://docs.github.com/rest/releases/assets#get-a-release-asset).
 *
 * @module
 */
import { notFound, paginate } from "../http.ts";
import { asset, release } from "../render.ts";
import type { RouteContext, RouteDef } from "../router.ts";
import type { ReleaseRecord, RepoRecord } from "../types.ts";
import { hasRole, intParam, render, repoOf } from "./common.ts";

function visibleReleases(ctx: RouteContext, repo: RepoRecord): ReleaseRecord[] {
  const drafts = hasRole(ctx, repo, "write");
  return repo.releases
    .filter((r) => drafts || !r.draft)
    .sort((a, b) => b.createdAt - a.createdAt || b.id - a.id);
}

/**
 * The latest release: "the most recent non-prerelease, non-draft release"
 * (https://docs.github.com/rest/releases/releases#get-the-latest-release).
 *
 * @example
 * ```ts
 * function tag(repo: RepoRecord) { return latestRelease(repo)?.tag; }
 * ```
 */
export function latestRelease(repo: RepoRecord): ReleaseRecord | undefined {
  return repo.releases
    .filter((r) => !r.draft && !r.prerelease)
    .sort((a, b) => (b.publishedAt ?? 0) - (a.publishedAt ?? 0) || b.id - a.id)[0];
}

/**
 * Release routes.
 *
 * @example
 * ```ts
 * const router = new Router(releaseRoutes);
 * ```
 */
export const releaseRoutes: RouteDef[] = [
  {
    method: "GET",
    pattern: "/repos/{owner}/{repo}/releases",
    operation: "repos/list-releases",
    docs: "https://docs.github.com/rest/releases/releases#list-releases",
    handle(ctx) {
      const repo = repoOf(ctx);
      const page = paginate(visibleReleases(ctx, repo), ctx.url);
      const r = render(ctx);
      return {
        status: 200,
        body: page.items.map((rel) => release(r, repo, rel)),
        headers: page.link ? { link: page.link } : {},
      };
    },
  },
  {
    method: "GET",
    pattern: "/repos/{owner}/{repo}/releases/latest",
    operation: "repos/get-latest-release",
    docs: "https://docs.github.com/rest/releases/releases#get-the-latest-release",
    handle(ctx) {
      const repo = repoOf(ctx);
      const latest = latestRelease(repo);
      if (!latest) throw notFound();
      return { status: 200, body: release(render(ctx), repo, latest) };
    },
  },
  {
    method: "GET",
    pattern: "/repos/{owner}/{repo}/releases/tags/{tag+}",
    operation: "repos/get-release-by-tag",
    docs: "https://docs.github.com/rest/releases/releases#get-a-release-by-tag-name",
    handle(ctx) {
      const repo = repoOf(ctx);
      const found = visibleReleases(ctx, repo).find((r) => r.tag === ctx.params.tag);
      if (!found) throw notFound();
      return { status: 200, body: release(render(ctx), repo, found) };
    },
  },
  {
    method: "GET",
    pattern: "/repos/{owner}/{repo}/releases/{release_id}/assets",
    operation: "repos/list-release-assets",
    docs: "https://docs.github.com/rest/releases/assets#list-release-assets",
    handle(ctx) {
      const repo = repoOf(ctx);
      const id = intParam(ctx, "release_id");
      const found = visibleReleases(ctx, repo).find((r) => r.id === id);
      if (!found) throw notFound();
      const page = paginate(found.assets, ctx.url);
      const r = render(ctx);
      return {
        status: 200,
        body: page.items.map((x) => asset(r, repo, found, x)),
        headers: page.link ? { link: page.link } : {},
      };
    },
  },
  {
    method: "GET",
    pattern: "/repos/{owner}/{repo}/releases/assets/{asset_id}",
    operation: "repos/get-release-asset",
    docs: "https://docs.github.com/rest/releases/assets#get-a-release-asset",
    handle(ctx) {
      const repo = repoOf(ctx);
      const found = ctx.world.asset(intParam(ctx, "asset_id"));
      if (!found || found.repo !== repo) throw notFound();
      const accept = ctx.request.headers.get("accept") ?? "";
      if (accept.includes("application/octet-stream")) {
        // GitHub redirects to a short-lived signed URL on another host; the
        // emulator redirects to its own unauthenticated download path.
        return {
          status: 302,
          headers: { location: `${ctx.api}/_emulator/assets/${found.asset.id}` },
        };
      }
      return { status: 200, body: asset(render(ctx), repo, found.release, found.asset) };
    },
  },
];
