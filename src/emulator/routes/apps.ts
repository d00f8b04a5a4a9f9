/**
 * GitHub App endpoints, called with the App's JWT: who the App is, which
 * installation covers a repository, and minting an installation token
 * (`ghs_…`, valid for the App's `tokenTtlMs`, GitHub's hour by default),
 * which then acts as `<slug>[bot]` (type `Bot`; `GET /user` refuses it).
 *
 * @module
 */
import { HttpError, isoSeconds, notFound } from "../http.ts";
import { hexDigest } from "../random.ts";
import { simpleUser } from "../render.ts";
import type { RouteContext, RouteDef } from "../router.ts";
import { nodeId } from "../state.ts";
import type { AppRecord } from "../types.ts";
import { intParam, render, repoOf, requireAuth } from "./common.ts";

function appOf(ctx: RouteContext): AppRecord {
  const app = ctx.world.app(requireAuth(ctx).token.app ?? -1);
  if (!app) throw new HttpError(401, "A JSON web token could not be decoded");
  return app;
}

function installation(ctx: RouteContext, app: AppRecord, inst: AppRecord["installations"][0]) {
  const r = render(ctx);
  const account = ctx.world.user(inst.account);
  return {
    id: inst.id,
    account: simpleUser(r, inst.account),
    repository_selection: inst.repos ? "selected" : "all",
    access_tokens_url: `${ctx.api}/app/installations/${inst.id}/access_tokens`,
    repositories_url: `${ctx.api}/installation/repositories`,
    html_url: `${ctx.html}/settings/installations/${inst.id}`,
    app_id: app.id,
    app_slug: app.slug,
    target_id: account?.id ?? 0,
    target_type: account?.type === "Organization" ? "Organization" : "User",
    permissions: inst.permissions,
    events: [],
    created_at: isoSeconds(inst.createdAt),
    updated_at: isoSeconds(inst.createdAt),
    single_file_name: null,
    suspended_by: null,
    suspended_at: null,
  };
}

/**
 * Routes of GitHub Apps.
 *
 * @example
 * ```ts
 * const router = new Router(appRoutes);
 * ```
 */
export const appRoutes: RouteDef[] = [
  {
    method: "GET",
    pattern: "/app",
    operation: "apps/get-authenticated",
    docs: "https://docs.github.com/rest/apps/apps#get-the-authenticated-app",
    jwt: true,
    handle(ctx) {
      const app = appOf(ctx);
      return {
        status: 200,
        body: {
          id: app.id,
          slug: app.slug,
          node_id: nodeId("A", app.id),
          owner: simpleUser(render(ctx), app.owner),
          name: app.name,
          description: null,
          external_url: `${ctx.html}/apps/${app.slug}`,
          html_url: `${ctx.html}/apps/${app.slug}`,
          created_at: isoSeconds(app.createdAt),
          updated_at: isoSeconds(app.createdAt),
          permissions: app.installations[0]?.permissions ?? {},
          events: [],
          installations_count: app.installations.length,
        },
      };
    },
  },
  {
    method: "GET",
    pattern: "/repos/{owner}/{repo}/installation",
    operation: "apps/get-repo-installation",
    docs:
      "https://docs.github.com/rest/apps/apps#get-a-repository-installation-for-the-authenticated-app",
    jwt: true,
    handle(ctx) {
      const app = appOf(ctx);
      const repo = repoOf(ctx);
      const full = `${repo.owner}/${repo.name}`.toLowerCase();
      const inst = app.installations.find((i) =>
        i.repos
          ? i.repos.some((r) => r.toLowerCase() === full)
          : i.account.toLowerCase() === repo.owner.toLowerCase()
      );
      if (!inst) throw notFound();
      return { status: 200, body: installation(ctx, app, inst) };
    },
  },
  {
    method: "POST",
    pattern: "/app/installations/{installation_id}/access_tokens",
    operation: "apps/create-installation-access-token",
    docs: "https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app",
    jwt: true,
    content: false,
    handle(ctx) {
      const app = appOf(ctx);
      const id = intParam(ctx, "installation_id");
      const inst = app.installations.find((i) => i.id === id);
      if (!inst) throw notFound();
      const bot = `${app.slug}[bot]`;
      const expiresAt = ctx.now + app.tokenTtlMs;
      const token = `ghs_${hexDigest(`${app.id}|${id}|${ctx.now}|${ctx.world.nextId()}`, 36)}`;
      const repos = inst.repos ??
        ctx.world.repos().filter((r) => r.owner.toLowerCase() === inst.account.toLowerCase())
          .map((r) => `${r.owner}/${r.name}`);
      ctx.world.addToken({
        token,
        login: bot,
        kind: "app",
        repos,
        permissions: inst.permissions,
        expiresAt,
        // Every token of one installation shares its rate limit.
        bucket: `installation:${id}`,
      });
      return {
        status: 201,
        body: {
          token,
          expires_at: isoSeconds(expiresAt),
          permissions: inst.permissions,
          repository_selection: inst.repos ? "selected" : "all",
        },
      };
    },
  },
];
