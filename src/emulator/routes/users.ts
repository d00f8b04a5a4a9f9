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
    method: "POST",
    pattern: "/graphql",
    operation: "graphql",
    docs: "https://docs.github.com/graphql/reference/queries#viewer",
    content: false,
    handle(ctx) {
      // Only the query p2p-dev sends: who the token is. Installation tokens,
      // which `GET /user` refuses, get their bot (GraphQL answers them).
      const identity = requireAuth(ctx);
      const query = typeof ctx.body.query === "string" ? ctx.body.query : "";
      if (!/^\s*(query\s*)?\{\s*viewer\s*\{[\s\w]*\}\s*\}\s*$/.test(query)) {
        return {
          status: 200,
          body: {
            errors: [{
              message:
                "This emulator answers only `query { viewer { login databaseId __typename } }`.",
            }],
          },
        };
      }
      const user = identity.user;
      return {
        status: 200,
        body: {
          data: { viewer: { login: user.login, databaseId: user.id, __typename: user.type } },
        },
      };
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
