/**
 * Every GitHub REST route the emulator serves.
 *
 * @module
 */
import type { RouteDef } from "../router.ts";
import { actionRoutes } from "./actions.ts";
import { appRoutes } from "./apps.ts";
import { commentRoutes } from "./comments.ts";
import { gitRoutes } from "./git.ts";
import { issueRoutes } from "./issues.ts";
import { pullRoutes } from "./pulls.ts";
import { releaseRoutes } from "./releases.ts";
import { repoRoutes } from "./repos.ts";
import { userRoutes } from "./users.ts";

/**
 * The route table.
 *
 * @example
 * ```ts
 * const operations = ROUTES.map((r) => r.operation);
 * ```
 */
export const ROUTES: readonly RouteDef[] = [
  ...userRoutes,
  ...appRoutes,
  ...repoRoutes,
  ...issueRoutes,
  ...commentRoutes,
  ...gitRoutes,
  ...pullRoutes,
  ...actionRoutes,
  ...releaseRoutes,
];
