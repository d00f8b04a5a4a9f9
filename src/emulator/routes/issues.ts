/**
 * Issues and labels.
 *
 * @module
 */
import { HttpError, notFound, paginate, parseSince, toSecond, validationFailed } from "../http.ts";
import { issue as renderIssue, label as renderLabel } from "../render.ts";
import type { RouteContext, RouteDef } from "../router.ts";
import { ensureLabel } from "../seed.ts";
import type { IssueRecord, RepoRecord } from "../types.ts";
import {
  checkBodyLength,
  forbidden,
  hasRole,
  intParam,
  render,
  repoOf,
  requireParticipant,
  requireRole,
  stringField,
} from "./common.ts";

/**
 * Issue `{issue_number}` of the request's repository, or 404.
 *
 * @example
 * ```ts
 * function get(ctx: RouteContext, repo: RepoRecord) { return issueOf(ctx, repo); }
 * ```
 */
export function issueOf(ctx: RouteContext, repo: RepoRecord): IssueRecord {
  const found = ctx.world.issue(repo, intParam(ctx, "issue_number"));
  if (!found) throw notFound();
  return found;
}

/** Label names from a body: `["a"]`, `{labels: ["a"]}` or `{labels: [{name: "a"}]}`. */
function labelNames(raw: unknown): string[] {
  const list = Array.isArray(raw) ? raw : (raw as { labels?: unknown })?.labels;
  if (!Array.isArray(list)) {
    throw new HttpError(422, `Invalid request.\n\n"labels" wasn't supplied.`);
  }
  return list.map((x) => {
    const name = typeof x === "string" ? x : (x as { name?: unknown })?.name;
    if (typeof name !== "string" || name.trim() === "") {
      throw validationFailed({ resource: "Label", field: "name", code: "invalid", value: x });
    }
    return name;
  });
}

function addLabels(ctx: RouteContext, repo: RepoRecord, issue: IssueRecord, names: string[]): void {
  for (const name of names) {
    const l = ensureLabel(ctx.world, repo, name);
    if (!issue.labels.some((x) => x.toLowerCase() === l.name.toLowerCase())) {
      issue.labels.push(l.name);
    }
  }
}

const LIST_DOCS = "https://docs.github.com/rest/issues/issues#list-repository-issues";

/**
 * Issue and label routes.
 *
 * @example
 * ```ts
 * const router = new Router(issueRoutes);
 * ```
 */
export const issueRoutes: RouteDef[] = [
  {
    method: "POST",
    pattern: "/repos/{owner}/{repo}/issues",
    operation: "issues/create",
    docs: "https://docs.github.com/rest/issues/issues#create-an-issue",
    handle(ctx) {
      const repo = repoOf(ctx);
      const identity = requireParticipant(ctx, repo);
      const title = stringField(ctx, "title", true);
      if (title.trim() === "") {
        throw validationFailed({ resource: "Issue", code: "missing_field", field: "title" });
      }
      const body = stringField(ctx, "body") ?? null;
      if (body !== null) checkBodyLength("Issue", body);
      const issue = ctx.world.openIssue(repo, {
        title,
        body,
        author: identity.user.login,
        at: toSecond(ctx.now),
      });
      // Labels need push access; GitHub silently drops them otherwise.
      if (ctx.body.labels !== undefined && hasRole(ctx, repo, "triage")) {
        addLabels(ctx, repo, issue, labelNames(ctx.body));
      }
      const json = renderIssue(render(ctx), repo, issue);
      return { status: 201, body: json, headers: { location: json.url as string } };
    },
  },
  {
    method: "GET",
    pattern: "/repos/{owner}/{repo}/issues",
    operation: "issues/list-for-repo",
    docs: LIST_DOCS,
    handle(ctx) {
      const repo = repoOf(ctx);
      const q = ctx.url.searchParams;
      const state = q.get("state") ?? "open";
      if (!["open", "closed", "all"].includes(state)) {
        throw validationFailed({
          resource: "Issue",
          field: "state",
          code: "invalid",
          value: state,
        });
      }
      const wanted = (q.get("labels") ?? "").split(",").map((s) => s.trim().toLowerCase()).filter(
        Boolean,
      );
      const since = parseSince(q.get("since"));
      const creator = q.get("creator")?.toLowerCase();
      const sort = q.get("sort") ?? "created";
      const direction = q.get("direction") ?? "desc";
      let list = repo.issues.filter((i) =>
        (state === "all" || i.state === state) &&
        wanted.every((w) => i.labels.some((l) => l.toLowerCase() === w)) &&
        (since === null || i.updatedAt >= toSecond(since)) &&
        (creator === undefined || i.author.toLowerCase() === creator)
      );
      const key = (i: IssueRecord) =>
        sort === "updated"
          ? i.updatedAt
          : sort === "comments"
          ? ctx.world.issueComments(repo, i.number).length
          : i.createdAt;
      list = list.sort((a, b) => (key(a) - key(b)) || (a.number - b.number));
      if (direction !== "asc") list.reverse();
      const page = paginate(list, ctx.url);
      const r = render(ctx);
      return {
        status: 200,
        body: page.items.map((i) => renderIssue(r, repo, i)),
        headers: page.link ? { link: page.link } : {},
      };
    },
  },
  {
    method: "GET",
    pattern: "/repos/{owner}/{repo}/issues/{issue_number}",
    operation: "issues/get",
    docs: "https://docs.github.com/rest/issues/issues#get-an-issue",
    handle(ctx) {
      const repo = repoOf(ctx);
      return { status: 200, body: renderIssue(render(ctx), repo, issueOf(ctx, repo)) };
    },
  },
  {
    method: "PATCH",
    pattern: "/repos/{owner}/{repo}/issues/{issue_number}",
    operation: "issues/update",
    docs: "https://docs.github.com/rest/issues/issues#update-an-issue",
    handle(ctx) {
      const repo = repoOf(ctx);
      const identity = requireParticipant(ctx, repo);
      const issue = issueOf(ctx, repo);
      const triage = hasRole(ctx, repo, "triage");
      const isAuthor = issue.author.toLowerCase() === identity.user.login.toLowerCase();
      if (!triage && !isAuthor) throw forbidden();
      const title = stringField(ctx, "title");
      const body = stringField(ctx, "body");
      const state = stringField(ctx, "state");
      const reason = stringField(ctx, "state_reason");
      if (state !== undefined && state !== "open" && state !== "closed") {
        throw validationFailed({
          resource: "Issue",
          field: "state",
          code: "invalid",
          value: state,
        });
      }
      if (
        reason !== undefined &&
        !["completed", "not_planned", "reopened", "duplicate"].includes(reason)
      ) {
        throw validationFailed({
          resource: "Issue",
          field: "state_reason",
          code: "invalid",
          value: reason,
        });
      }
      if (ctx.body.labels !== undefined && !triage) throw forbidden();
      if (title !== undefined) issue.title = title;
      if ("body" in ctx.body) {
        if (body !== undefined) checkBodyLength("Issue", body);
        issue.body = body ?? null;
      }
      if (ctx.body.labels !== undefined) {
        issue.labels = [];
        addLabels(ctx, repo, issue, labelNames(ctx.body));
      }
      if (state === "closed" && issue.state === "open") {
        issue.state = "closed";
        issue.closedAt = toSecond(ctx.now);
        issue.closedBy = identity.user.login;
        issue.stateReason = (reason as IssueRecord["stateReason"]) ?? "completed";
      } else if (state === "open" && issue.state === "closed") {
        issue.state = "open";
        issue.closedAt = null;
        issue.closedBy = null;
        issue.stateReason = "reopened";
      } else if (reason !== undefined) {
        issue.stateReason = reason as IssueRecord["stateReason"];
      }
      issue.updatedAt = toSecond(ctx.now);
      ctx.world.touch();
      return { status: 200, body: renderIssue(render(ctx), repo, issue) };
    },
  },
  {
    method: "POST",
    pattern: "/repos/{owner}/{repo}/issues/{issue_number}/labels",
    operation: "issues/add-labels",
    docs: "https://docs.github.com/rest/issues/labels#add-labels-to-an-issue",
    handle(ctx) {
      const repo = repoOf(ctx);
      requireRole(ctx, repo, "triage", "issues");
      const issue = issueOf(ctx, repo);
      addLabels(ctx, repo, issue, labelNames(ctx.body));
      issue.updatedAt = toSecond(ctx.now);
      ctx.world.touch();
      const r = render(ctx);
      return {
        status: 200,
        body: issue.labels.flatMap((name) => {
          const l = repo.labels.find((x) => x.name === name);
          return l ? [renderLabel(r, repo, l)] : [];
        }),
      };
    },
  },
  {
    method: "DELETE",
    pattern: "/repos/{owner}/{repo}/issues/{issue_number}/labels/{name}",
    operation: "issues/remove-label",
    docs: "https://docs.github.com/rest/issues/labels#remove-a-label-from-an-issue",
    handle(ctx) {
      const repo = repoOf(ctx);
      requireRole(ctx, repo, "triage", "issues");
      const issue = issueOf(ctx, repo);
      const name = (ctx.params.name ?? "").toLowerCase();
      const index = issue.labels.findIndex((l) => l.toLowerCase() === name);
      if (index < 0) throw new HttpError(404, "Label does not exist");
      issue.labels.splice(index, 1);
      issue.updatedAt = toSecond(ctx.now);
      ctx.world.touch();
      const r = render(ctx);
      return {
        status: 200,
        body: issue.labels.flatMap((n) => {
          const l = repo.labels.find((x) => x.name === n);
          return l ? [renderLabel(r, repo, l)] : [];
        }),
      };
    },
  },
  {
    method: "GET",
    pattern: "/repos/{owner}/{repo}/labels",
    operation: "issues/list-labels-for-repo",
    docs: "https://docs.github.com/rest/issues/labels#list-labels-for-a-repository",
    handle(ctx) {
      const repo = repoOf(ctx);
      const page = paginate(repo.labels, ctx.url);
      const r = render(ctx);
      return {
        status: 200,
        body: page.items.map((l) => renderLabel(r, repo, l)),
        headers: page.link ? { link: page.link } : {},
      };
    },
  },
  {
    method: "POST",
    pattern: "/repos/{owner}/{repo}/labels",
    operation: "issues/create-label",
    docs: "https://docs.github.com/rest/issues/labels#create-a-label",
    handle(ctx) {
      const repo = repoOf(ctx);
      requireRole(ctx, repo, "write", "issues");
      const name = stringField(ctx, "name", true);
      const color = (stringField(ctx, "color") ?? "ededed").replace(/^#/, "");
      if (!/^[0-9a-fA-F]{6}$/.test(color)) {
        throw validationFailed({ resource: "Label", code: "invalid", field: "color" });
      }
      if (repo.labels.some((l) => l.name.toLowerCase() === name.toLowerCase())) {
        throw validationFailed({ resource: "Label", code: "already_exists", field: "name" });
      }
      const l = ensureLabel(ctx.world, repo, name, color, stringField(ctx, "description") ?? null);
      const body = renderLabel(render(ctx), repo, l);
      return { status: 201, body, headers: { location: body.url as string } };
    },
  },
];
