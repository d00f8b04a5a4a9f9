/**
 * Pull requests (they share the issue number sequence, as on GitHub).
 *
 * @module
 */
import { notFound, paginate, toSecond, validationFailed } from "../http.ts";
import { pullRequest } from "../render.ts";
import type { RouteDef } from "../router.ts";
import { nodeId } from "../state.ts";
import { checkBodyLength, intParam, render, repoOf, requireRole, stringField } from "./common.ts";

/** GitHub's limit on a pull request's title, in characters. */
const MAX_TITLE_CHARS = 256;

/**
 * Pull request routes.
 *
 * @example
 * ```ts
 * const router = new Router(pullRoutes);
 * ```
 */
export const pullRoutes: RouteDef[] = [
  {
    method: "POST",
    pattern: "/repos/{owner}/{repo}/pulls",
    operation: "pulls/create",
    docs: "https://docs.github.com/rest/pulls/pulls#create-a-pull-request",
    handle(ctx) {
      const repo = repoOf(ctx);
      const identity = requireRole(ctx, repo, "write", "pull_requests");
      const title = stringField(ctx, "title", true);
      // GitHub refuses a pull request (and an issue) whose title is longer
      // than 256 characters with a 422.
      if ([...title].length > MAX_TITLE_CHARS) {
        throw validationFailed({
          resource: "PullRequest",
          field: "title",
          code: "custom",
          message: `title is too long (maximum is ${MAX_TITLE_CHARS} characters)`,
        });
      }
      const rawHead = stringField(ctx, "head", true);
      const base = stringField(ctx, "base", true);
      const body = stringField(ctx, "body") ?? null;
      if (body !== null) checkBodyLength("PullRequest", body);
      const draft = ctx.body.draft === true;
      const head = rawHead.includes(":") ? rawHead.slice(rawHead.indexOf(":") + 1) : rawHead;
      const headSha = repo.refs[`refs/heads/${head}`];
      const baseSha = repo.refs[`refs/heads/${base}`];
      if (headSha === undefined) {
        throw validationFailed({ resource: "PullRequest", field: "head", code: "invalid" });
      }
      if (baseSha === undefined) {
        throw validationFailed({ resource: "PullRequest", field: "base", code: "invalid" });
      }
      const open = repo.issues.find((i) =>
        i.pull && i.state === "open" && i.pull.head === head && i.pull.base === base
      );
      if (open) {
        throw validationFailed({
          resource: "PullRequest",
          code: "custom",
          message: `A pull request already exists for ${repo.owner}:${head}.`,
        });
      }
      if (ctx.world.isAncestor(repo, headSha, baseSha)) {
        throw validationFailed({
          resource: "PullRequest",
          code: "custom",
          message: `No commits between ${base} and ${head}`,
        });
      }
      const pullId = ctx.world.nextId();
      const issue = ctx.world.openIssue(repo, {
        title,
        body,
        author: identity.user.login,
        at: toSecond(ctx.now),
        pull: {
          id: pullId,
          nodeId: nodeId("PR", pullId),
          head,
          headSha,
          base,
          baseSha,
          draft,
          merged: false,
          maintainerCanModify: false,
        },
      });
      const json = pullRequest(render(ctx), repo, issue, true);
      return { status: 201, body: json, headers: { location: json.url as string } };
    },
  },
  {
    method: "GET",
    pattern: "/repos/{owner}/{repo}/pulls",
    operation: "pulls/list",
    docs: "https://docs.github.com/rest/pulls/pulls#list-pull-requests",
    handle(ctx) {
      const repo = repoOf(ctx);
      const q = ctx.url.searchParams;
      const state = q.get("state") ?? "open";
      if (!["open", "closed", "all"].includes(state)) {
        throw validationFailed({
          resource: "PullRequest",
          field: "state",
          code: "invalid",
          value: state,
        });
      }
      const head = q.get("head");
      const headBranch = head?.includes(":") ? head.slice(head.indexOf(":") + 1) : head;
      const base = q.get("base");
      const list = repo.issues
        .filter((i) =>
          i.pull !== undefined &&
          (state === "all" || i.state === state) &&
          (headBranch === null || headBranch === undefined || i.pull.head === headBranch) &&
          (base === null || i.pull.base === base)
        )
        .sort((a, b) => b.createdAt - a.createdAt || b.number - a.number);
      if (q.get("direction") === "asc") list.reverse();
      const page = paginate(list, ctx.url);
      const r = render(ctx);
      return {
        status: 200,
        body: page.items.map((i) => pullRequest(r, repo, i, false)),
        headers: page.link ? { link: page.link } : {},
      };
    },
  },
  {
    method: "GET",
    pattern: "/repos/{owner}/{repo}/pulls/{pull_number}",
    operation: "pulls/get",
    docs: "https://docs.github.com/rest/pulls/pulls#get-a-pull-request",
    handle(ctx) {
      const repo = repoOf(ctx);
      const issue = ctx.world.issue(repo, intParam(ctx, "pull_number"));
      if (!issue?.pull) throw notFound();
      return { status: 200, body: pullRequest(render(ctx), repo, issue, true) };
    },
  },
];
