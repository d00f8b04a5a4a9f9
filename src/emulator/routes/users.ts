/**
 * `GET /user` and `GET /rate_limit`.
 *
 * @module
 */
import { privateUser } from "../render.ts";
import type { RouteDef } from "../router.ts";
import { forbidden, render, requireAuth } from "./common.ts";

/**
 * Routes about the caller.
 *
 * @example
 * ```ts
 * const router = new Router(userRoutes);
 * ```
 */
export const userRoutes: RouteDef[] = [
  {
    method: "GET",
    pattern: "/user",
    operation: "users/get-authenticated",
    docs: "https://docs.github.com/rest/users/users#get-the-authenticated-user",
    handle(ctx) {
      const identity = requireAuth(ctx);
      // An installation token (a workflow's GITHUB_TOKEN included) is not a
      // user: GitHub answers 403 "Resource not accessible by integration".
      if (identity.token.kind !== "pat") throw forbidden();
      return { status: 200, body: privateUser(render(ctx), identity.user.login) };
    },
  },
  {
    method: "GET",
    pattern: "/rate_limit",
    operation: "rate-limit/get",
    docs:
      "https://docs.github.com/rest/rate-limit/rate-limit#get-rate-limit-status-for-the-authenticated-user",
    handle(ctx) {
      // "Accessing this endpoint does not count against your REST API rate limit."
      const core = ctx.rate;
      const other = (limit: number) => ({ limit, used: 0, remaining: limit, reset: core.reset });
      return {
        status: 200,
        body: {
          resources: {
            core,
            search: other(30),
            graphql: other(5000),
            integration_manifest: other(5000),
            code_search: other(10),
          },
          rate: core,
        },
      };
    },
  },
];
