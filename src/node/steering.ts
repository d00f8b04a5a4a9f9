/**
 * Answering `/p2p-dev status`: one node (the leader while it is active, else
 * the first active node by id) answers the newest trusted request with one
 * comment it edits in place on later requests. The other steering commands
 * (`stop`, `cancel`, `retry`) need no answer: they are folded into the state
 * every node acts on (see `protocol/command.ts`).
 *
 * Two nodes whose views of the log differ (list lag) can both believe they
 * are the responder and both write a status comment. With the same login
 * (every matrix job of a workflow is `github-actions[bot]`) they converge: the
 * oldest status comment of the login is the one edited, and the responder
 * deletes the newer ones it sees (a node may delete its login's comments), so
 * the issue ends with one status comment answering the newest request. A
 * request a node of another login answered (before the responder changed) is
 * not answered again.
 *
 * @module
 */
import { activeNodes, currentLeader } from "../protocol/view.ts";
import type { NodeContext } from "./context.ts";
import { buildMetrics, renderSummary, SUMMARY_MARKER } from "./metrics.ts";

/** Marks the status comment; the number is the request it answers. */
export const STATUS_MARKER = "<!-- p2p-dev:status";

/**
 * The status comment's body answering request `request` by `by`.
 *
 * @example
 * ```ts
 * statusBody(summaryMarkdown, 2_200_000_001, "alice");
 * ```
 */
export function statusBody(summary: string, request: number, by: string): string {
  const body = summary.startsWith(SUMMARY_MARKER)
    ? summary.slice(SUMMARY_MARKER.length).replace(/^\n/, "")
    : summary;
  return `${STATUS_MARKER} ${request} -->\n_Status for @${by}'s \`/p2p-dev status\`, ` +
    `updated in place on the next request._\n\n${body}`;
}

/**
 * Answers status requests for one node.
 *
 * @example
 * ```ts
 * const steering = new Steering(ctx);
 * await steering.answerStatus();
 * ```
 */
export class Steering {
  readonly #ctx: NodeContext;
  /** Duplicates this node deleted (its view may still list them until a full read). */
  readonly #deleted = new Set<number>();

  constructor(ctx: NodeContext) {
    this.#ctx = ctx;
  }

  /** Whether this node is the one to answer (the active leader, else the first active node). */
  #responder(): boolean {
    const ctx = this.#ctx;
    const state = ctx.view.state;
    const active = activeNodes(state, ctx.now(), state.settings.leaseMs);
    const leader = currentLeader(state);
    const who = leader && active.includes(leader.node) ? leader.node : active[0];
    return who === ctx.config.node;
  }

  /**
   * Answers the newest status request if it is this node's to answer and not
   * answered yet; first deletes the newer duplicates of its login's status
   * comment, so that every answer goes to the oldest.
   */
  async answerStatus(): Promise<void> {
    const ctx = this.#ctx;
    const state = ctx.view.state;
    const request = state.statusRequest;
    if (!request || !this.#responder()) return;
    const comments = ctx.view.comments();
    // Ascending id: the oldest first, the one every node of this login edits.
    const [kept, ...duplicates] = comments.filter((c) =>
      c.author === ctx.login && c.body.startsWith(STATUS_MARKER) && !this.#deleted.has(c.id)
    );
    // Through the node's rate gate: no request while GitHub asked for quiet.
    const { github } = ctx;
    for (const duplicate of duplicates) {
      // False: a twin deleted it first; either way it is gone.
      if (await github.deleteComment(duplicate.id)) ctx.writes++;
      this.#deleted.add(duplicate.id);
      ctx.emit({ type: "status_deduplicated", comment: duplicate.id, serverTime: ctx.now() });
    }
    // Answered already: by this login's comment, or by a node of another
    // login that answered before this node became the responder.
    const swarm = new Set(Object.values(state.nodes).map((n) => n.author));
    const answered = Math.max(
      kept ? answeredRequest(kept.body) : 0,
      ...comments.filter((c) =>
        c.author !== ctx.login && swarm.has(c.author) && c.body.startsWith(STATUS_MARKER)
      ).map((c) => answeredRequest(c.body)),
    );
    if (answered >= request.id) return;
    const metrics = buildMetrics(state, comments, {
      repo: "",
      issue: ctx.config.issue,
      tokenKind: ctx.config.tokenKind,
      now: ctx.now(),
    });
    const body = statusBody(renderSummary(metrics), request.id, request.by);
    const nonce = ctx.nonce();
    const written = kept ? await github.updateComment(kept.id, body) : await github.createComment(
      ctx.config.issue,
      `${body}<!-- p2p-dev:nonce ${nonce} -->\n`,
      nonce,
    );
    await ctx.view.addOwn(written);
    ctx.writes++;
    ctx.emit({
      type: "status_answered",
      request: request.id,
      comment: written.id,
      serverTime: ctx.now(),
    });
  }
}

/** The request a status comment answers (0 when its marker names none). */
function answeredRequest(body: string): number {
  return Number(/^<!-- p2p-dev:status (\d+)/.exec(body)?.[1] ?? 0);
}
