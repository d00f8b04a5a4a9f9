/**
 * The leader's role: turn the issue into a task graph and publish it, in
 * parts, under the term's fencing token, unless a newer term or a plan
 * superseded it meanwhile.
 *
 * @module
 */
import { splitPlan } from "../protocol/codec.ts";
import { assertValidGraph } from "../protocol/graph.ts";
import type { TermInfo } from "../protocol/state.ts";
import type { PlanTask, ProtocolEvent, ResignCause } from "../protocol/types.ts";
import type { NodeEvent } from "./events.ts";
import { errorText, isTransientApiError } from "./api_errors.ts";
import type { NodeContext } from "./context.ts";

/**
 * Plans and publishes the plan of `leader`'s term (this node's). With
 * `keepLast`, the plan's last part is returned instead of posted, with the
 * `planned` event to emit once it is out: the node posts it with its own
 * first claim, one comment that makes the first wave ready and takes one of
 * its tasks.
 *
 * @example
 * ```ts
 * const leader = currentLeader(ctx.view.state);
 * if (leader && leader.node === ctx.config.node) await lead(ctx, leader);
 * ```
 */
export async function lead(
  ctx: NodeContext,
  leader: TermInfo,
  options: { keepLast?: boolean } = {},
): Promise<{ failed?: string; last?: ProtocolEvent; published?: () => void }> {
  const { planner } = ctx.deps;
  const config = ctx.config;
  const issue = await ctx.issue();
  let tasks: PlanTask[];
  try {
    tasks = await planner.plan(
      { number: issue.number, title: issue.title, body: issue.body },
      ctx.deps.signal,
    );
    assertValidGraph(tasks);
  } catch (error) {
    if (ctx.deps.signal.aborted) {
      await resign(ctx, leader, "interrupted", "the leader was stopped while planning");
      return {};
    }
    if (isTransientApiError(error)) throw error; // the loop backs off and plans again
    // The issue (or the planner) cannot give a valid plan: say so on the
    // issue once, and end the term so the next trigger campaigns at once.
    const reason = `Planning failed: ${errorText(error)}`;
    await resign(ctx, leader, "plan_failed", reason, await issueDigest(issue));
    return { failed: reason };
  }
  const pendingVersions = Object.values(ctx.view.state.pending)
    .filter((p) => p.term === leader.term)
    .map((p) => p.version);
  const version = Math.max(0, ...pendingVersions) + 1;
  const parts = splitPlan({
    term: leader.term,
    token: leader.token,
    version,
    planner: planner.name,
    settings: {
      leaseMs: config.leaseMs,
      maxAttempts: config.maxAttempts,
      backoffMs: config.backoffMs,
      ...(config.maxCostUsd !== undefined ? { maxCostUsd: config.maxCostUsd } : {}),
    },
    tasks,
  }, {
    node: config.node,
    repo: ctx.view.policy.repo,
    issue: config.issue,
    ...(ctx.deps.secret ? { secret: ctx.deps.secret } : {}),
  });
  await ctx.refresh(); // planning may have taken long: publish on a fresh view
  for (const [i, part] of parts.entries()) {
    const state = ctx.view.state;
    if (state.terms.length !== leader.term || state.plan) return {}; // superseded
    if (options.keepLast && i === parts.length - 1) {
      return { last: part, published: () => ctx.emit(planned(ctx, tasks.length, parts.length)) };
    }
    await ctx.post([part]);
  }
  ctx.emit(planned(ctx, tasks.length, parts.length));
  return {};
}

/** The `planned` event of a plan of `tasks` tasks in `parts` comments. */
function planned(ctx: NodeContext, tasks: number, parts: number): NodeEvent {
  return {
    type: "planned",
    tasks,
    parts,
    planner: ctx.deps.planner.name,
    serverTime: ctx.now(),
  };
}

/**
 * Gives up `leader`'s term (this node's) before a plan is in force, with the
 * reason readable on the issue: others may campaign at once instead of
 * waiting out the election timeout.
 *
 * @example
 * ```ts
 * await resign(ctx, leader, "interrupted", "stopped by SIGTERM");
 * ```
 */
export async function resign(
  ctx: NodeContext,
  leader: TermInfo,
  cause: ResignCause,
  reason: string,
  issue?: string,
): Promise<void> {
  const state = ctx.view.state;
  if (state.plan || leader.resigned || state.terms.length !== leader.term) return;
  ctx.emit({ type: "resign", term: leader.term, cause, reason, serverTime: ctx.now() });
  await ctx.post([{
    type: "resign",
    term: leader.term,
    cause,
    reason,
    ...(issue !== undefined ? { issue } : {}),
  }]);
}

/**
 * A short digest of an issue's title and body: a resignation for a failed
 * plan carries it, so a later node can tell whether the issue changed since.
 *
 * @example
 * ```ts
 * await issueDigest({ title: "Search", body: "- [ ] T1: API" }); // "3f0a…" (16 hex digits)
 * ```
 */
export async function issueDigest(issue: { title: string; body: string }): Promise<string> {
  const bytes = new TextEncoder().encode(`${issue.title}\n${issue.body}`);
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return [...hash.slice(0, 8)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
