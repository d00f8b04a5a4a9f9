/**
 * Pure helpers that turn GitHub REST answers into the port's types: comments,
 * `Link` headers, permission levels.
 *
 * @module
 */
import type { LogComment } from "../protocol/types.ts";
import type { Permission } from "./port.ts";

/**
 * The fields of a REST issue comment the adapter reads.
 *
 * See https://docs.github.com/en/rest/issues/comments#list-issue-comments
 *
 * @example
 * ```ts
 * const raw: RestComment = {
 *   id: 1, body: "hi", user: { login: "octocat", type: "User" },
 *   created_at: "2025-01-01T00:00:00Z", updated_at: "2025-01-01T00:00:00Z",
 * };
 * ```
 */
export interface RestComment {
  /** Comment id (64-bit on GitHub; a bigint only beyond 2^53). */
  id: number | bigint;
  /** Markdown body; absent or null when empty. */
  body?: string | null;
  /** Author; null for a deleted account. */
  user?: { login: string; type?: string } | null;
  /** ISO 8601 creation time, one-second resolution. */
  created_at: string;
  /** ISO 8601 time of the last edit (or creation). */
  updated_at: string;
  /** The author's relation to the repository (OWNER, MEMBER, NONE, …). */
  author_association?: string;
}

function epochMs(value: unknown, field: string, id: unknown): number {
  const ms = typeof value === "string" ? Date.parse(value) : NaN;
  if (!Number.isFinite(ms)) {
    throw new TypeError(
      `Comment ${String(id)} has an unreadable ${field} "${String(value)}": ` +
        `expected an ISO 8601 time as GitHub sends; check the server at baseUrl.`,
    );
  }
  return ms;
}

/**
 * Map a REST issue comment to a {@linkcode LogComment}: times become epoch
 * milliseconds, `user.login` the author (`ghost` for a deleted account),
 * `user.type` the author type.
 *
 * @example
 * ```ts
 * const c = toLogComment({
 *   id: 1, body: "hi", user: { login: "octocat", type: "User" },
 *   created_at: "2025-01-01T00:00:00Z", updated_at: "2025-01-01T00:00:00Z",
 *   author_association: "OWNER",
 * });
 * console.assert(c.author === "octocat" && c.createdAt === Date.UTC(2025, 0, 1));
 * ```
 */
export function toLogComment(raw: RestComment): LogComment {
  const id = Number(raw.id);
  if (!Number.isSafeInteger(id) || id <= 0) {
    throw new TypeError(
      `Comment id "${String(raw.id)}" is not a positive safe integer: check the server at baseUrl.`,
    );
  }
  const comment: LogComment = {
    id,
    body: raw.body ?? "",
    author: raw.user?.login ?? "ghost",
    authorType: raw.user?.type ?? "User",
    createdAt: epochMs(raw.created_at, "created_at", raw.id),
    updatedAt: epochMs(raw.updated_at, "updated_at", raw.id),
  };
  if (raw.author_association !== undefined) comment.authorAssociation = raw.author_association;
  return comment;
}

/**
 * The `rel="next"` URL of a `Link` header, if any.
 *
 * See https://docs.github.com/en/rest/using-the-rest-api/using-pagination-in-the-rest-api
 *
 * @example
 * ```ts
 * const link = '<https://api.github.com/x?page=2>; rel="next", <https://api.github.com/x?page=5>; rel="last"';
 * console.assert(nextLink(link) === "https://api.github.com/x?page=2");
 * ```
 */
export function nextLink(link: string | null | undefined): string | undefined {
  if (!link) return undefined;
  for (const match of link.matchAll(/<([^>]*)>\s*;\s*rel="([^"]*)"/g)) {
    const [, url, rel] = match;
    if (url !== undefined && rel?.split(/\s+/).includes("next")) return url;
  }
  return undefined;
}

/**
 * The URL of the page after `url` in GitHub's page-number pagination
 * (`page` query parameter, 1 when absent).
 *
 * @example
 * ```ts
 * console.assert(followingPage("https://h/x?per_page=100") === "https://h/x?per_page=100&page=2");
 * ```
 */
export function followingPage(url: string): string {
  const u = new URL(url);
  const page = Number(u.searchParams.get("page") ?? "1");
  u.searchParams.set("page", String((Number.isSafeInteger(page) && page > 0 ? page : 1) + 1));
  return u.href;
}

const PERMISSIONS: readonly Permission[] = ["admin", "maintain", "write", "triage", "read", "none"];

/** Whether `value` is one of the port's {@linkcode Permission} levels. */
function isPermission(value: unknown): value is Permission {
  return typeof value === "string" && (PERMISSIONS as readonly string[]).includes(value);
}

/**
 * The permission level in a `GET .../collaborators/{user}/permission` answer.
 * `role_name` names the role exactly (maintain, triage); `permission` maps
 * those to write and read for compatibility, and is the fallback for custom
 * roles.
 *
 * See https://docs.github.com/en/rest/collaborators/collaborators#get-repository-permissions-for-a-user
 *
 * @example
 * ```ts
 * console.assert(toPermission({ permission: "write", role_name: "maintain" }) === "maintain");
 * console.assert(toPermission({ permission: "write", role_name: "release-manager" }) === "write");
 * ```
 */
export function toPermission(data: { permission?: unknown; role_name?: unknown }): Permission {
  if (isPermission(data.role_name)) return data.role_name;
  if (isPermission(data.permission)) return data.permission;
  return "none";
}
