/**
 * Issue comments (the swarm's log) and reactions.
 *
 * Facts relied on (https://docs.github.com/rest/issues/comments):
 * lists are in ascending id order; `since` filters on `updated_at` (treated
 * as at-or-after); pages hold at most 100; bodies hold at most 65,536
 * characters. No read-after-write guarantee is documented, hence list lag.
 *
 * @module
 */
import { notFound, paginate, parseSince, toSecond, validationFailed } from "../http.ts";
import { comment as renderComment, reaction as renderReaction } from "../render.ts";
import type { RouteContext, RouteDef, RouteResult } from "../router.ts";
import { nodeId } from "../state.ts";
import { REACTION_CONTENTS, type ReactionContent, type ReactionRecord } from "../types.ts";
import type { CommentRef } from "../state.ts";
import {
  checkBodyLength,
  forbidden,
  hasRole,
  intParam,
  render,
  repoOf,
  requireParticipant,
  stringField,
} from "./common.ts";
import { issueOf } from "./issues.ts";

function commentOf(ctx: RouteContext): CommentRef {
  const repo = repoOf(ctx);
  const found = ctx.world.commentById(intParam(ctx, "comment_id"));
  if (!found || found.repo !== repo || found.comment.deletedAt !== undefined) throw notFound();
  return found;
}

function canModerate(ctx: RouteContext, ref: CommentRef): void {
  const login = ctx.identity!.user.login.toLowerCase();
  if (ref.comment.author.toLowerCase() !== login && !hasRole(ctx, ref.repo, "write")) {
    throw forbidden();
  }
}

/**
 * Adds a reaction, or returns the caller's existing identical one (200).
 *
 * @example
 * ```ts
 * function react(ctx: RouteContext, list: ReactionRecord[]) { return addReaction(ctx, list); }
 * ```
 */
export function addReaction(ctx: RouteContext, list: ReactionRecord[]): RouteResult {
  const content = stringField(ctx, "content", true);
  if (!(REACTION_CONTENTS as readonly string[]).includes(content)) {
    throw validationFailed({
      resource: "Reaction",
      code: "invalid",
      field: "content",
      value: content,
    });
  }
  const login = ctx.identity!.user.login;
  const existing = list.find((x) =>
    x.user.toLowerCase() === login.toLowerCase() && x.content === content
  );
  if (existing) return { status: 200, body: renderReaction(render(ctx), existing) };
  const id = ctx.world.nextId();
  const record: ReactionRecord = {
    id,
    nodeId: nodeId("REA", id),
    user: login,
    content: content as ReactionContent,
    createdAt: toSecond(ctx.now),
  };
  list.push(record);
  ctx.world.touch();
  return { status: 201, body: renderReaction(render(ctx), record) };
}

function listReactions(ctx: RouteContext, list: readonly ReactionRecord[]): RouteResult {
  const content = ctx.url.searchParams.get("content");
  const page = paginate(list.filter((x) => content === null || x.content === content), ctx.url);
  const r = render(ctx);
  return {
    status: 200,
    body: page.items.map((x) => renderReaction(r, x)),
    headers: page.link ? { link: page.link } : {},
  };
}

/**
 * Comment and reaction routes.
 *
 * @example
 * ```ts
 * const router = new Router(commentRoutes);
 * ```
 */
export const commentRoutes: RouteDef[] = [
  {
    method: "GET",
    pattern: "/repos/{owner}/{repo}/issues/{issue_number}/comments",
    operation: "issues/list-comments",
    docs: "https://docs.github.com/rest/issues/comments#list-issue-comments",
    handle(ctx) {
      const repo = repoOf(ctx);
      const issue = issueOf(ctx, repo);
      const since = parseSince(ctx.url.searchParams.get("since"));
      const r = render(ctx);
      const shown: Record<string, unknown>[] = [];
      for (const c of ctx.world.issueComments(repo, issue.number)) {
        const version = ctx.visible(c);
        if (!version) continue;
        if (since !== null && version.updatedAt < toSecond(since)) continue;
        if (ctx.flap(c)) continue;
        shown.push(renderComment(r, repo, c, version));
      }
      const page = paginate(shown, ctx.url);
      return { status: 200, body: page.items, headers: page.link ? { link: page.link } : {} };
    },
  },
  {
    method: "POST",
    pattern: "/repos/{owner}/{repo}/issues/{issue_number}/comments",
    operation: "issues/create-comment",
    docs: "https://docs.github.com/rest/issues/comments#create-an-issue-comment",
    handle(ctx) {
      const repo = repoOf(ctx);
      const identity = requireParticipant(ctx, repo);
      const issue = issueOf(ctx, repo);
      const body = stringField(ctx, "body", true);
      checkBodyLength("IssueComment", body);
      if (issue.locked && !hasRole(ctx, repo, "write")) throw forbidden();
      const id = ctx.world.nextCommentId();
      const at = toSecond(ctx.now);
      const c = ctx.world.addComment(repo, {
        id,
        nodeId: nodeId("IC", id),
        issue: issue.number,
        author: identity.user.login,
        body,
        createdAt: at,
        updatedAt: at,
        writtenAt: ctx.now,
        history: [],
        reactions: [],
      });
      issue.updatedAt = at;
      const json = renderComment(render(ctx), repo, c);
      return { status: 201, body: json, headers: { location: json.url as string } };
    },
  },
  {
    method: "GET",
    pattern: "/repos/{owner}/{repo}/issues/comments/{comment_id}",
    operation: "issues/get-comment",
    docs: "https://docs.github.com/rest/issues/comments#get-an-issue-comment",
    handle(ctx) {
      const { repo, comment } = commentOf(ctx);
      return { status: 200, body: renderComment(render(ctx), repo, comment) };
    },
  },
  {
    method: "PATCH",
    pattern: "/repos/{owner}/{repo}/issues/comments/{comment_id}",
    operation: "issues/update-comment",
    docs: "https://docs.github.com/rest/issues/comments#update-an-issue-comment",
    handle(ctx) {
      const ref = commentOf(ctx);
      requireParticipant(ctx, ref.repo);
      canModerate(ctx, ref);
      const body = stringField(ctx, "body", true);
      checkBodyLength("IssueComment", body);
      const c = ref.comment;
      c.history.push({ body: c.body, updatedAt: c.updatedAt, writtenAt: c.writtenAt });
      c.body = body;
      c.updatedAt = toSecond(ctx.now);
      c.writtenAt = ctx.now;
      ctx.world.touch();
      return { status: 200, body: renderComment(render(ctx), ref.repo, c) };
    },
  },
  {
    method: "DELETE",
    pattern: "/repos/{owner}/{repo}/issues/comments/{comment_id}",
    operation: "issues/delete-comment",
    docs: "https://docs.github.com/rest/issues/comments#delete-an-issue-comment",
    handle(ctx) {
      const ref = commentOf(ctx);
      requireParticipant(ctx, ref.repo);
      canModerate(ctx, ref);
      ref.comment.deletedAt = ctx.now;
      ctx.world.touch();
      return { status: 204 };
    },
  },
  {
    method: "GET",
    pattern: "/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions",
    operation: "reactions/list-for-issue-comment",
    docs: "https://docs.github.com/rest/reactions/reactions#list-reactions-for-an-issue-comment",
    handle(ctx) {
      return listReactions(ctx, commentOf(ctx).comment.reactions);
    },
  },
  {
    method: "POST",
    pattern: "/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions",
    operation: "reactions/create-for-issue-comment",
    docs: "https://docs.github.com/rest/reactions/reactions#create-reaction-for-an-issue-comment",
    handle(ctx) {
      const ref = commentOf(ctx);
      requireParticipant(ctx, ref.repo);
      return addReaction(ctx, ref.comment.reactions);
    },
  },
  {
    method: "GET",
    pattern: "/repos/{owner}/{repo}/issues/{issue_number}/reactions",
    operation: "reactions/list-for-issue",
    docs: "https://docs.github.com/rest/reactions/reactions#list-reactions-for-an-issue",
    handle(ctx) {
      const repo = repoOf(ctx);
      return listReactions(ctx, issueOf(ctx, repo).reactions);
    },
  },
  {
    method: "POST",
    pattern: "/repos/{owner}/{repo}/issues/{issue_number}/reactions",
    operation: "reactions/create-for-issue",
    docs: "https://docs.github.com/rest/reactions/reactions#create-reaction-for-an-issue",
    handle(ctx) {
      const repo = repoOf(ctx);
      requireParticipant(ctx, repo);
      return addReaction(ctx, issueOf(ctx, repo).reactions);
    },
  },
];
