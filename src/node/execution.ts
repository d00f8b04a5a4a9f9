/**
 * Running one claimed attempt: the executor runs the task while the node
 * renews its lease (a progress note or a heartbeat) and watches the log for
 * a lost claim, which aborts the run. The result is returned as an event to
 * carry into the next write (with the next claim).
 *
 * @module
 */
import type { ExecOutcome } from "../executor/port.ts";
import type { ProtocolEvent, TaskResult } from "../protocol/types.ts";
import { leaseOf } from "../protocol/leases.ts";
import { taskPhase } from "../protocol/view.ts";
import { errorText, isFatalApiError } from "./api_errors.ts";
import type { NodeContext } from "./context.ts";

/** The late look at the log comes this many settle windows after a run starts. */
export const LATE_CHECK_SETTLES = 3;

/**
 * Runs claimed attempts and keeps their leases.
 *
 * @example
 * ```ts
 * const execution = new Execution(ctx);
 * const carry = await execution.run("T1", 1, claimNonce);
 * ```
 */
export class Execution {
  readonly #ctx: NodeContext;
  /** Tasks this node completed. */
  readonly completed: string[] = [];
  /** Tasks whose attempt failed on this node. */
  readonly failed: string[] = [];
  /** The last failure that was this node's, not the task's. */
  lastLocalFailure = "";

  constructor(ctx: NodeContext) {
    this.#ctx = ctx;
  }

  /** Whether this process still owns the attempt in its current view. */
  owns(task: string, attempt: number, nonce: string): boolean {
    const ctx = this.#ctx;
    const state = ctx.view.state;
    const t = state.tasks[task];
    const a = t?.attempts[attempt - 1];
    if (!t || !a || a.claimNonce !== nonce) return false;
    if (t.status === "done") return false;
    return !a.end && taskPhase(state, t, ctx.now()) === "running";
  }

  /** Runs attempt `attempt` of `task`, claimed with `nonce`; returns the events to post next. */
  async run(task: string, attempt: number, nonce: string): Promise<ProtocolEvent[]> {
    const ctx = this.#ctx;
    const { executor } = ctx.deps;
    const state = ctx.view.state;
    const def = state.tasks[task]!.def;
    const issue = await ctx.issue();
    const controller = new AbortController();
    const onAbort = () => controller.abort(ctx.deps.signal.reason);
    ctx.deps.signal.addEventListener("abort", onAbort, { once: true });
    let percent = 0;
    let note: string | undefined;
    let reported = -1;
    const depBranches = def.deps.map((d) => state.tasks[d]?.done?.result?.branch)
      .filter((b): b is string => typeof b === "string");
    ctx.emit({ type: "exec_start", task, attempt, serverTime: ctx.now() });
    const run = executor.run(def, {
      issue: ctx.config.issue,
      issueTitle: issue.title,
      issueBody: issue.body,
      node: ctx.config.node,
      attempt,
      signal: controller.signal,
      depBranches,
      onProgress: (p, n) => {
        percent = Math.max(0, Math.min(100, p));
        note = n;
        ctx.emit({
          type: "progress",
          task,
          percent,
          ...(n !== undefined ? { note: n } : {}),
          serverTime: ctx.now(),
        });
      },
    }).then(
      (outcome) => ({ done: true as const, outcome }),
      // An executor that throws never ran the task: the failure is this node's.
      (error) => ({
        done: true as const,
        outcome: {
          ok: false,
          local: true,
          result: { summary: errorText(error) } as TaskResult,
        } as ExecOutcome,
      }),
    );
    let lastWrite = ctx.now();
    // Renewed at the admitted interval (`--renew-ms`, or once a quarter of
    // the plan's lease is left); a longer lease of the attempt's own moves
    // that point by what it adds, so the margin before a lapse stays what the
    // admitted interval leaves.
    const extraMs = leaseOf(state, state.tasks[task]!.attempts[attempt - 1]!) -
      state.settings.leaseMs;
    const renewMs = () => ctx.admission.view().admission.renewMs + extraMs;
    let renewAt = lastWrite + renewMs();
    // One more look once list lag has surely passed (three settle windows
    // after the start): a rival's earlier claim that lagged past the settle
    // window shows then, and this run stops before it runs to its end.
    let checkAt = ctx.now() + LATE_CHECK_SETTLES * ctx.config.settleMs;
    let lost = false;
    /** Why this node stops the attempt itself (and releases it), if it does. */
    let stopping: string | undefined;
    try {
      while (true) {
        const untilRenew = Math.max(0, renewAt - ctx.now());
        // --max-runtime holds during a task too: wake up when it runs out.
        const untilDeadline = Math.max(0, ctx.deadline() - ctx.deps.clock.now());
        const untilCheck = Math.max(0, checkAt - ctx.now());
        const cancelTick = new AbortController();
        const tick = ctx.wait(
          "busy",
          Math.min(untilRenew, untilDeadline, untilCheck),
          cancelTick.signal,
        )
          .then(() => ({ done: false as const }));
        const first = await Promise.race([run, tick]);
        if (first.done) {
          cancelTick.abort();
          await tick;
          break;
        }
        if (ctx.deps.signal.aborted) break;
        const now = ctx.view.state;
        if (now.ended) stopping = `the swarm was ended: ${now.ended.reason ?? now.ended.node}`;
        else if (ctx.deps.clock.now() >= ctx.deadline()) stopping = "--max-runtime reached";
        if (stopping) {
          controller.abort(new Error(`Stopped: ${stopping}.`));
          break;
        }
        if (ctx.now() >= checkAt) checkAt = Infinity;
        if (!this.owns(task, attempt, nonce)) {
          lost = true;
          controller.abort(new Error("Lost the claim."));
          break;
        }
        try {
          // People rewrote a message this node folded (its own claim too): restore it.
          await ctx.postRestores();
        } catch (error) {
          if (isFatalApiError(error)) throw error;
          ctx.emit({ type: "api_error", message: errorText(error), serverTime: ctx.now() });
        }
        if (ctx.now() >= renewAt) {
          const event: ProtocolEvent = percent !== reported
            ? {
              type: "progress",
              task,
              attempt,
              status: "in_progress",
              percent,
              ...(note !== undefined ? { note } : {}),
            }
            : { type: "heartbeat", tasks: [{ task, attempt, percent }] };
          try {
            await ctx.post([event]);
            reported = percent;
            lastWrite = ctx.now();
            renewAt = lastWrite + renewMs();
          } catch (error) {
            if (isFatalApiError(error)) throw error;
            ctx.emit({ type: "api_error", message: errorText(error), serverTime: ctx.now() });
            // Not renewed: try again soon, while the lease still runs.
            renewAt = ctx.now() + ctx.config.pollMinMs;
          }
        }
      }
      const { outcome } = await run;
      if (lost) {
        const cancelled = ctx.view.state.tasks[task]?.cancelled;
        if (!cancelled) ctx.emit({ type: "lost_ownership", task, attempt, serverTime: ctx.now() });
        ctx.emit({
          type: "exec_end",
          task,
          attempt,
          ok: false,
          summary: cancelled ? `cancelled by @${cancelled.by}` : "lost claim",
          serverTime: ctx.now(),
        });
        return [];
      }
      if (ctx.deps.signal.aborted || stopping) {
        ctx.emit({
          type: "exec_end",
          task,
          attempt,
          ok: false,
          summary: stopping ?? "interrupted",
          serverTime: ctx.now(),
        });
        ctx.emit({ type: "release", task, attempt, serverTime: ctx.now() });
        return [{ type: "release", task, attempt, reason: stopping ?? "node stopped" }];
      }
      if (!outcome.ok && outcome.local) {
        // Not the task's fault (workspace, git, executor missing): release it
        // for another node without using up one of its attempts.
        ctx.localFailures++;
        this.lastLocalFailure = (outcome.result.summary ?? "no summary").split("\n")[0]!;
        const reason = `local failure on this node: ${this.lastLocalFailure}`.slice(0, 480);
        ctx.emit({
          type: "exec_end",
          task,
          attempt,
          ok: false,
          summary: reason,
          serverTime: ctx.now(),
        });
        ctx.emit({ type: "release", task, attempt, serverTime: ctx.now() });
        return [{ type: "release", task, attempt, reason }];
      }
      ctx.localFailures = 0;
      ctx.emit({
        type: "exec_end",
        task,
        attempt,
        ok: outcome.ok,
        ...(outcome.result.summary !== undefined ? { summary: outcome.result.summary } : {}),
        serverTime: ctx.now(),
      });
      (outcome.ok ? this.completed : this.failed).push(task);
      return [{
        type: "progress",
        task,
        attempt,
        status: outcome.ok ? "completed" : "failed",
        percent: outcome.ok ? 100 : percent,
        result: outcome.result,
      }];
    } finally {
      ctx.deps.signal.removeEventListener("abort", onAbort);
      controller.abort();
    }
  }
}
