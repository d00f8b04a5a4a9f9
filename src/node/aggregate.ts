/**
 * The aggregator role: folds the whole log into metrics and a summary, and
 * keeps one summary comment on the issue up to date (edited in place, never
 * a new comment per run).
 *
 * @module
 */
import type { GitHub } from "../github/port.ts";
import type { TokenKind } from "../protocol/budget.ts";
import { fold } from "../protocol/fold.ts";
import type { LogComment } from "../protocol/types.ts";
import { LogView } from "./log_view.ts";
import {
  buildMetrics,
  type IdentityApiUse,
  type Metrics,
  metricsJson,
  renderSummary,
  SUMMARY_MARKER,
} from "./metrics.ts";
import type { Clock, Random } from "./ports.ts";

/** What the aggregator produced. */
export interface AggregateResult {
  metrics: Metrics;
  /** `metrics.json` text (deterministic). */
  metricsJson: string;
  /** Summary markdown (also the comment body). */
  summary: string;
  /** The comments the metrics were folded from (the summary comment left out). */
  comments: LogComment[];
  /** The summary comment's id, when one was posted or updated. */
  commentId?: number;
  /** What happened to the summary comment. */
  comment: "created" | "updated" | "unchanged" | "skipped";
}

/**
 * Reads the log, builds metrics and the summary, and (unless `post` is false)
 * creates or updates the summary comment.
 *
 * @example
 * ```ts
 * const r = await aggregate({ github, clock, random }, { issue: 7, repo: "o/r", tokenKind: "actions", post: true });
 * await Deno.writeTextFile("metrics.json", r.metricsJson);
 * ```
 */
export async function aggregate(
  deps: { github: GitHub; clock: Clock; random: Random },
  options: {
    issue: number;
    repo: string;
    tokenKind: TokenKind;
    post: boolean;
    allow?: readonly string[];
    secret?: string | undefined;
    /** The swarm's login, when the token cannot tell (neither `GET /user` nor GraphQL answer). */
    self?: string | undefined;
    apiByIdentity?: Record<string, IdentityApiUse>;
    /** Cost cap to judge the budget by; default the one the plan published. */
    maxCostUsd?: number;
  },
): Promise<AggregateResult> {
  const { github } = deps;
  // The token's login (GraphQL's viewer for an installation token), so the
  // swarm's own messages count; `self` when the token cannot tell.
  const login = (await github.identity())?.login ?? options.self;
  const view = new LogView({
    github,
    clock: deps.clock,
    issue: options.issue,
    self: login,
    allow: options.allow ?? [],
    secret: options.secret,
    sinceSlackMs: 0,
    retainBodies: true,
  });
  await view.refresh();
  const all = view.comments();
  // The summary comment is the aggregator's own output, not part of the
  // swarm's log: leaving it out keeps re-runs byte-identical.
  const isSummary = (c: LogComment) => c.author === login && c.body.startsWith(SUMMARY_MARKER);
  const comments = all.filter((c) => !isSummary(c));
  const state = comments.length === all.length ? view.state : fold(comments, view.policy);
  const metrics = buildMetrics(state, comments, {
    repo: options.repo,
    issue: options.issue,
    tokenKind: options.tokenKind,
    ...(options.apiByIdentity ? { apiByIdentity: options.apiByIdentity } : {}),
    trust: {
      self: login ?? null,
      allow: [...view.policy.allow],
      writers: [...view.policy.writers],
    },
    ...(options.maxCostUsd !== undefined ? { maxCostUsd: options.maxCostUsd } : {}),
  });
  const summary = renderSummary(metrics);
  const result: AggregateResult = {
    metrics,
    metricsJson: metricsJson(metrics),
    summary,
    comments,
    comment: "skipped",
  };
  if (!options.post) return result;
  // One summary comment, the oldest: aggregators that ran at once (two
  // scheduled runs, or a run whose list lagged behind the last one's
  // comment) may each have created one. Every run keeps the lowest id and
  // deletes the rest, so they agree whoever runs.
  const [existing, ...extra] = all.filter(isSummary).sort((a, b) => a.id - b.id);
  for (const c of extra) await github.deleteComment(c.id);
  if (existing) return await keepSummary(github, existing, summary, result);
  const nonce = Math.floor(deps.random.next() * 2 ** 48).toString(16);
  const body = `${summary}<!-- p2p-dev:nonce ${nonce} -->\n`;
  const created = await github.createComment(options.issue, body, nonce);
  result.commentId = created.id;
  result.comment = "created";
  // Another aggregator may have created one while this one did: read once
  // more, and leave the older one if there is.
  await view.refresh();
  const older = view.comments().filter((c) => isSummary(c) && c.id < created.id)
    .sort((a, b) => a.id - b.id)[0];
  if (older) {
    await github.deleteComment(created.id);
    return await keepSummary(github, older, summary, result);
  }
  return result;
}

/** Edits the summary comment `existing` to show `summary`, unless it already does. */
async function keepSummary(
  github: GitHub,
  existing: LogComment,
  summary: string,
  result: AggregateResult,
): Promise<AggregateResult> {
  result.commentId = existing.id;
  if (stripNonce(existing.body) === summary) {
    result.comment = "unchanged";
  } else {
    await github.updateComment(existing.id, summary);
    result.comment = "updated";
  }
  return result;
}

function stripNonce(body: string): string {
  return body.replace(/<!-- p2p-dev:nonce [0-9a-f]+ -->\n?$/, "");
}
