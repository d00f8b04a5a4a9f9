/**
 * Answering `/p2p-dev status`: one node (the leader while it is active, else
 * the first active node by id) answers the newest trusted request with one
 * comment it edits in place on later requests. The other steering commands
 * (`stop`, `cancel`, `retry`) need no answer: they are folded into the state
 * every node acts on (see `protocol/command.ts`).
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

  /** Answers the newest status request if it is this node's to answer and not answered yet. */
  async answerStatus(): Promise<void> {
    const ctx = this.#ctx;
    const state = ctx.view.state;
    const request = state.statusRequest;
    if (!request || !this.#responder()) return;
    const comments = ctx.view.comments();
    const mine = comments.findLast((c) =>
      c.author === ctx.login && c.body.startsWith(STATUS_MARKER)
    );
    const answered = mine ? Number(/^<!-- p2p-dev:status (\d+)/.exec(mine.body)?.[1] ?? 0) : 0;
    if (answered >= request.id) return;
    const metrics = buildMetrics(state, comments, {
      repo: "",
      issue: ctx.config.issue,
      tokenKind: ctx.config.tokenKind,
      now: ctx.now(),
    });
    const body = statusBody(renderSummary(metrics), request.id, request.by);
    const { github } = ctx.deps;
    const nonce = ctx.nonce();
    await ctx.gate();
    const written = mine ? await github.updateComment(mine.id, body) : await github.createComment(
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
