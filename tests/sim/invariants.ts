/**
 * The eight invariants of DESIGN.md ("Tests"), checked over a finished run:
 * the final log (folded with `src/protocol/fold.ts` and the same trust
 * policy the nodes use), each process's recorded events, the executions and
 * every HTTP exchange the model saw. Also the figures the CLI tabulates.
 *
 * Where an invariant says "X changes nothing", the check folds the log
 * twice, once as it is and once with every X replaced by a neutral foreign
 * comment with the same id and time, and compares the states without the
 * counters of ignored messages.
 *
 * @module
 */
import { canonicalJson } from "../../src/protocol/canonical.ts";
import { decodeBody, encodeMessage } from "../../src/protocol/codec.ts";
import { toEntry } from "../../src/protocol/entry.ts";
import { bearsFacts, effectiveEntries, logFacts } from "../../src/protocol/facts.ts";
import { applyEntry, fold } from "../../src/protocol/fold.ts";
import { emptyState, type SwarmState } from "../../src/protocol/state.ts";
import { judgeComment, type TrustPolicy } from "../../src/protocol/trust.ts";
import type { LogComment } from "../../src/protocol/types.ts";
import { leaseOf } from "../../src/protocol/leases.ts";
import { taskPhase } from "../../src/protocol/view.ts";
import { aggregate } from "../../src/node/aggregate.ts";
import { type SwarmRun, type TaskOutcome, trustedLogins } from "./harness.ts";
import { toLog } from "./model.ts";
import { Rng } from "./rng.ts";
import { Scheduler, VirtualClock } from "./virtual_clock.ts";
import { type Scenario, SIM_REPO } from "./scenario.ts";

/**
 * The invariants, numbered as in DESIGN.md.
 *
 * @example
 * ```ts
 * INVARIANTS[3]; // "no task lost"
 * ```
 */
export const INVARIANTS: Record<number, string> = {
  1: "one plan in force",
  2: "claim exclusivity",
  3: "no task lost",
  4: "dependencies",
  5: "determinism",
  6: "idempotency",
  7: "trust",
  8: "budget",
};

/**
 * One broken invariant.
 *
 * @example
 * ```ts
 * const v: Violation = { invariant: 3, code: "node_died", detail: "n1#0 died: …" };
 * ```
 */
export interface Violation {
  invariant: number;
  /** A short stable code for the kind of breakage (used to group and to recognise known issues). */
  code: string;
  detail: string;
}

/**
 * Figures of one run, for the comparison table.
 *
 * @example
 * ```ts
 * figures(run).lost;
 * ```
 */
export interface RunFigures {
  tasks: number;
  done: number;
  failed: number;
  /** Tasks neither done nor failed at the end. */
  lost: number;
  /** Most processes that believed they led one term. */
  believedLeaders: number;
  /** Tasks that ran to a successful end more than once. */
  executedTwice: number;
  /** Tasks with executions by two processes overlapping in time. */
  overlapping: number;
  /** Executions started by a process whose claim did not win that attempt in the final log. */
  unownedStarts: number;
  /** Executions of tasks that are not in the plan (forged by someone untrusted). */
  forgedRuns: number;
  /** Requests counted against the primary limit. */
  requests: number;
  /** 304 answers. */
  notModified: number;
  /** Writes that GitHub accepted. */
  writes: number;
  /** Rate-limit answers. */
  rateLimited: number;
  /** Processes that died of an exception. */
  nodeErrors: number;
  /** Hours from start to the last task ending (or the end of the run). */
  hours: number;
}

/**
 * The thread the checker folds: the final log, except that a person's rewrite
 * of a node's comment that no process which had read the comment was ever
 * shown stands as first posted. docs/PROTOCOL.md ("Edits and deletions")
 * says such a rewrite cannot be undone: every node that knew the comment
 * stopped (or its last read came) before the rewrite showed, so nothing
 * running can restore it. The people actor only rewrites comments two
 * running processes have read, but it cannot know they will read again
 * (full seeds 489 and 1953: both readers stopped within a second of the edit).
 *
 * @example
 * ```ts
 * const state = fold(knowableLog(run), checkerPolicy(run.scenario));
 * ```
 */
export function knowableLog(run: SwarmRun): LogComment[] {
  const rewritten = new Set(run.humans.filter((h) => h.kind === "rewrite").map((h) => h.id));
  return run.model.knowableLog(rewritten);
}

/**
 * The trust policy the checker folds with: every login with write access, the
 * nodes' own logins, the allowlist, and the secret.
 *
 * @example
 * ```ts
 * const state = fold(knowableLog(run), checkerPolicy(run.scenario));
 * ```
 */
export function checkerPolicy(s: Scenario): TrustPolicy {
  return {
    repo: SIM_REPO,
    issue: s.issue,
    self: undefined,
    allow: new Set(s.allow),
    writers: trustedLogins(s),
    secret: s.secret,
  };
}

const NEUTRAL = "(neutralised by the checker)";

function neutralise(log: readonly LogComment[], ids: Set<number>): LogComment[] {
  return log.map((c) => ids.has(c.id) ? { ...c, body: NEUTRAL, updatedAt: c.createdAt } : c);
}

/**
 * `log` with the plan events of the comments `ids` taken out and the rest of
 * each message kept: a leader posts its plan's last part with its own first
 * claim, and that claim is a node's claim like any other (the fold judges it
 * against the plan in force).
 */
function withoutPlans(
  log: readonly LogComment[],
  ids: Set<number>,
  policy: TrustPolicy,
): LogComment[] {
  return log.map((c) => {
    if (!ids.has(c.id)) return c;
    const verdict = judgeComment(c, policy);
    const rest = verdict.ok ? verdict.message.events.filter((e) => e.type !== "plan") : [];
    if (!verdict.ok || rest.length === 0) return { ...c, body: NEUTRAL, updatedAt: c.createdAt };
    const body = encodeMessage(
      { node: verdict.message.node, nonce: verdict.message.nonce, events: rest },
      { repo: policy.repo, issue: policy.issue, secret: policy.secret },
    );
    return { ...c, body, updatedAt: c.createdAt };
  });
}

/** A state without the counters that rejected comments change. */
function essence(state: SwarmState): string {
  const { ignored: _i, foreign: _f, duplicateResults: _d, ...rest } = state;
  return canonicalJson(rest);
}

/** What leaders decide: terms, the plan in force and everything folded under it. */
function decisions(state: SwarmState): string {
  const { terms, plan, pending, settings, order, tasks } = state;
  return canonicalJson({
    terms: terms.map(({ lastActivity: _l, ...t }) => t),
    plan,
    pending,
    settings,
    order,
    tasks,
  });
}

function firstDifference(a: string, b: string): string {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return `…${a.slice(Math.max(0, i - 80), i + 80)}… vs …${b.slice(Math.max(0, i - 80), i + 80)}…`;
}

/**
 * Checks every invariant that one run can show (determinism across two runs
 * is {@linkcode checkSameTrace}). Returns the violations, empty when all hold.
 *
 * @example
 * ```ts
 * const violations = checkRun(await runSwarm(scenario(7, CI_PROFILE), ours));
 * ```
 */
export function checkRun(run: SwarmRun): Violation[] {
  const out: Violation[] = [];
  const s = run.scenario;
  const policy = checkerPolicy(s);
  const log = knowableLog(run);
  const state = fold(log, policy);
  const v = (invariant: number, code: string, detail: string) =>
    out.push({ invariant, code, detail });

  // --- 1. one plan in force -------------------------------------------------
  const tokens = new Set<number>();
  state.terms.forEach((t, i) => {
    if (t.term !== i + 1) v(1, "term_order", `term ${t.term} at position ${i + 1}`);
    if (tokens.has(t.token)) v(1, "token_reused", `token ${t.token} wins two terms`);
    tokens.add(t.token);
  });
  if (state.plan) {
    const winner = state.terms[state.plan.term - 1];
    if (!winner || winner.token !== state.plan.token) {
      v(1, "plan_token", `plan of term ${state.plan.term} carries token ${state.plan.token}`);
    }
    for (const id of state.plan.commentIds) {
      // A plan part people edited or deleted stands as a node restored it: as first posted.
      const restored = Object.hasOwn(state.restored, String(id));
      const stored = run.model.comment(id);
      const c = restored && stored
        ? toLog(stored, stored.versions[0]!)
        : log.find((x) => x.id === id);
      const d = c ? decodeBody(c.body) : undefined;
      if (
        !c || !winner || c.author !== winner.author || d?.kind !== "message" ||
        d.message.node !== winner.node
      ) {
        v(1, "plan_author", `plan part ${id} is not from the winner of term ${state.plan.term}`);
      }
    }
  }
  {
    // Plans from non-winners or with stale tokens change nothing.
    const stale = new Set<number>();
    for (const c of log) {
      const verdict = judgeComment(c, policy);
      if (!verdict.ok) continue;
      for (const e of verdict.message.events) {
        if (e.type !== "plan") continue;
        const w = state.terms[e.term - 1];
        if (!w || w.node !== verdict.message.node || w.author !== c.author || w.token !== e.token) {
          stale.add(c.id);
        }
      }
    }
    if (stale.size > 0) {
      const a = decisions(state), b = decisions(fold(withoutPlans(log, stale, policy), policy));
      if (a !== b) {
        v(
          1,
          "stale_plan_counted",
          `plans from non-winners changed the state: ${firstDifference(a, b)}`,
        );
      }
    }
  }

  // --- 2. claim exclusivity -------------------------------------------------
  for (const id of state.order) {
    const task = state.tasks[id]!;
    if (!task.done) continue;
    const attempt = task.attempts[task.done.attempt - 1];
    if (!attempt || attempt.node !== task.done.node) {
      v(
        2,
        "result_not_owner",
        `${id}: result from ${task.done.node}, not the owner of attempt ${task.done.attempt}`,
      );
      continue;
    }
    const claim = run.model.comment(attempt.claimId);
    const result = run.model.comment(task.done.commentId);
    if (claim && result && claim.poster !== result.poster) {
      v(
        2,
        "result_other_process",
        `${id}: claim ${attempt.claimId} by ${claim.poster}, result ${task.done.commentId} by ${result.poster}`,
      );
    }
    if (result && !result.poster.startsWith("human:")) {
      const ran = run.execs.some((e) =>
        e.proc === result.poster && e.task === id && e.ok === true && e.end !== undefined &&
        e.end <= result.effect
      );
      if (!ran) {
        v(
          2,
          "result_without_execution",
          `${id}: ${result.poster} reported completion without a successful execution`,
        );
      }
    }
  }

  // --- 3. no task lost ------------------------------------------------------
  const rateLimitWait = waitedForLimits(run);
  let lastEnd = s.start;
  const notEnded: string[] = [];
  for (const id of state.order) {
    const task = state.tasks[id]!;
    const phase = taskPhase(state, task, run.endTime);
    if (phase === "done") lastEnd = Math.max(lastEnd, task.done!.at);
    else if (phase === "failed") lastEnd = Math.max(lastEnd, failedAt(state, id));
    else if ((phase as string) === "skipped") continue; // a dependency failed for good: ended too
    else notEnded.push(`${id}:${phase}${blockedBy(state, id, run.endTime)}`);
  }
  if (!state.plan) v(3, "no_plan", `no plan in force at the end (${state.terms.length} terms)`);
  // A trusted `end` stops the swarm on purpose: what it left is not lost.
  if (notEnded.length > 0 && !state.ended) {
    const blockedOnFailed = notEnded.every((x) => x.includes("<-failed"));
    // A swarm that declared itself finished, and then a late result changed the state.
    let finishedAt = Infinity;
    for (const p of run.processes) {
      for (const { t, e } of p.events) {
        if (e.type === "stop" && e.reason === "finished") finishedAt = Math.min(finishedAt, t);
      }
    }
    const revived = state.order.map((id) => state.tasks[id]!.done)
      .find((d) => d && (run.model.comment(d.commentId)?.effect ?? 0) > finishedAt);
    const list = `${notEnded.slice(0, 8).join(" ")}${notEnded.length > 8 ? " …" : ""}`;
    if (revived) {
      v(
        3,
        "revived_after_finish",
        `a node stopped "finished" at +${((finishedAt - s.start) / 1000).toFixed(1)} s; later ` +
          `${revived.node} completed attempt ${revived.attempt} (comment ${revived.commentId}); ` +
          `not ended: ${list}`,
      );
    } else v(3, blockedOnFailed ? "blocked_on_failed" : "not_ended", `not ended: ${list}`);
  }
  if (notEnded.length === 0 && state.plan && run.end !== "stopped") {
    const stuck = run.processes.filter((p) =>
      p.outcome === "aborted" || p.outcome === "killed" && p.endedAt === run.endTime
    );
    v(
      3,
      "node_stuck",
      `every task ended but the run ${run.end}: ${
        stuck.map((p) => p.proc).join(" ")
      } never stopped`,
    );
  }
  if (lastEnd > run.bound + rateLimitWait) {
    v(
      3,
      "late",
      `last task ended ${
        ((lastEnd - run.bound - rateLimitWait) / 60_000).toFixed(1)
      } min after the bound`,
    );
  }
  for (const p of run.processes) {
    if (p.outcome !== "threw") continue;
    const fatal = p.errorStatus === 401 || p.errorStatus === 404;
    if (!fatal) v(3, "node_died", `${p.proc} died: ${p.error?.slice(0, 300)}`);
  }

  // --- 4. dependencies ------------------------------------------------------
  const known = new Set(s.tasks.map((t) => t.id));
  const lagBeyondSettle = Math.max(s.faults.maxLagMs, s.fixedLagMs ?? 0) > s.config.settleMs;
  for (const e of run.execs) {
    if (!known.has(e.task)) {
      v(7, "foreign_task_run", `${e.proc} ran task ${e.task}, which is not in the plan`);
      continue;
    }
    const def = s.tasks.find((t) => t.id === e.task)!;
    for (const d of def.deps) {
      const done = state.tasks[d]?.done;
      const effect = done ? run.model.comment(done.commentId)?.effect : undefined;
      // A list lag longer than the settle window can hide a rival's earlier
      // claim until after both ran (the price the benchmark shows as tasks
      // run twice). A node whose dependency was finished, successfully, before
      // it started the dependent (by itself, or by a node whose result it
      // read) built on finished work even when the log later gives that
      // attempt to the rival (seed 285 of the CI profile: a claim lagging
      // 60 s on the replicas two nodes read).
      const ownFinishedWork = lagBeyondSettle &&
        run.execs.some((x) => x.task === d && x.ok && x.end !== undefined && x.end <= e.start);
      if ((effect === undefined || effect > e.start) && !ownFinishedWork) {
        v(
          4,
          "dep_not_done",
          `${e.proc} started ${e.task} at +${
            ((e.start - s.start) / 1000).toFixed(1)
          } s before ${d} was done`,
        );
      }
    }
  }

  // --- 5. determinism (of the fold) -----------------------------------------
  for (const k of [Math.floor(log.length / 3), Math.floor((2 * log.length) / 3), log.length]) {
    const prefix = log.slice(0, k);
    const a = canonicalJson(fold(prefix, policy));
    const b = canonicalJson(fold([...prefix].reverse(), policy));
    // Comment by comment, given the prefix's vouches and restores (which act
    // on earlier comments: a reader learns them first, then folds in order).
    const entries = prefix.map(toEntry);
    const byId = new Map(entries.map((e) => [e.id, e]));
    const facts = logFacts(entries.filter(bearsFacts), (id) => byId.get(id), policy);
    const inc = emptyState();
    for (const e of effectiveEntries(entries, facts)) applyEntry(inc, e, policy, facts);
    if (a !== b) v(5, "fold_order", `fold of ${k} comments depends on input order`);
    if (a !== canonicalJson(inc)) {
      v(5, "fold_incremental", `incremental fold of ${k} comments differs from fold`);
    }
  }

  // --- 6. idempotency -------------------------------------------------------
  {
    const seen = new Set<string>();
    const repeats = new Set<number>();
    for (const c of log) {
      const verdict = judgeComment(c, policy);
      if (!verdict.ok || verdict.message.nonce === "") continue;
      if (seen.has(verdict.message.nonce)) repeats.add(c.id);
      seen.add(verdict.message.nonce);
    }
    if (repeats.size > 0) {
      const a = essence(state), b = essence(fold(neutralise(log, repeats), policy));
      if (a !== b) {
        v(6, "nonce_counted_twice", `a repeated nonce changed the state: ${firstDifference(a, b)}`);
      }
    }
  }
  for (const p of run.processes) {
    let last = -Infinity;
    for (const { e } of p.events) {
      if (typeof e.serverTime !== "number") continue;
      if (e.serverTime < last) {
        v(
          6,
          "time_travel",
          `${p.proc}: serverTime went back ${last - e.serverTime} ms at ${e.type}`,
        );
        break;
      }
      last = e.serverTime;
    }
  }

  // A node's final view has every trusted message up to the newest comment it folded,
  // except those still lagging at its last read.
  const acceptedIds = new Set(Object.values(state.nonces));
  const rewritten = new Set(run.humans.filter((h) => h.kind === "rewrite").map((h) => h.id));
  const lastRead = new Map<string, number>();
  for (const r of run.model.requests) {
    if (
      r.method === "GET" && r.route.includes("/comments?") && (r.status === 200 || r.status === 304)
    ) {
      lastRead.set(r.proc, r.t);
    }
  }
  for (const p of run.processes) {
    const report = p.result as
      | { state?: { lastId?: unknown; nonces?: Record<string, number> } }
      | undefined;
    const seen = report?.state?.nonces;
    const lastId = report?.state?.lastId;
    if (!seen || typeof lastId !== "number") continue;
    const have = new Set(Object.values(seen));
    // A list lag the scenario fixed (designed cases) counts like the faults' most.
    const lag = Math.max(s.faults.maxLagMs, s.fixedLagMs ?? 0);
    const settled = (lastRead.get(p.proc) ?? -Infinity) - lag;
    // A comment people rewrote counts through its restore: known from then on.
    const knowable = (id: number) => {
      const by = state.restored[String(id)];
      const own = run.model.comment(id)?.effect ?? Infinity;
      return by === undefined ? own : Math.max(own, run.model.comment(by)?.effect ?? Infinity);
    };
    // A rewrite nobody could undo (knowableLog) leaves the comment as first
    // posted only for the processes that read it so.
    const lostToRewrite = (id: number) =>
      rewritten.has(id) && !Object.hasOwn(state.restored, String(id)) &&
      !run.model.knewFirst(id, p.proc);
    const missing = log.filter((c) =>
      c.id <= lastId && acceptedIds.has(c.id) && !have.has(c.id) && knowable(c.id) < settled &&
      !lostToRewrite(c.id)
    );
    if (missing.length > 0) {
      v(
        6,
        "view_hole",
        `${p.proc} stopped (${
          String((p.result as { reason?: unknown }).reason)
        }) without ${missing.length} trusted comment(s) older than its newest, e.g. ${
          missing[0]!.id
        } (${missing[0]!.body.split("\n")[0]})`,
      );
    }
  }

  // --- 7. trust ---------------------------------------------------------------
  {
    const rejected = new Set<number>();
    for (const c of log) {
      const verdict = judgeComment(c, policy);
      if (!verdict.ok && verdict.reason !== "foreign") rejected.add(c.id);
    }
    // Everything people other than a trusted maintainer posted.
    for (const h of run.humans) if (h.author === s.stranger) rejected.add(h.id);
    // An edit within the second a comment was posted, before any read could
    // have returned the first body, is indistinguishable from posting the
    // second body (`updated_at` has one-second resolution; docs/PROTOCOL.md,
    // "Trust"): no reader can know, so the checker does not call it an edit.
    const listReads = run.model.requests.filter((r) =>
      r.method === "GET" && r.route.includes("/comments?")
    ).map((r) => r.t);
    const unseenEdit = (c: (typeof run.model.comments)[number]) => {
      const [v0, v1] = c.versions;
      return c.versions.length === 2 && v1!.updatedAt === v0!.updatedAt && !v1!.deleted &&
        !listReads.some((t) => t >= v0!.effect && t <= v1!.effect);
    };
    // The swarm's own messages people edited or deleted count as first
    // posted once a node restored them, or when no reader of theirs was ever
    // shown the rewrite (knowableLog); otherwise as they are now.
    const rewrites = new Set(run.humans.filter((h) => h.kind === "rewrite").map((h) => h.id));
    const edited = run.model.comments.filter((c) =>
      c.versions.length > 1 && !unseenEdit(c) && !rewrites.has(c.id)
    ).map((c) => c.id);
    for (const id of edited) rejected.add(id);
    let expected = log;
    for (const id of rewrites) {
      const c = run.model.comment(id)!;
      if (Object.hasOwn(state.restored, String(id)) || !run.model.newestShown(c)) {
        const original = toLog(c, c.versions[0]!);
        expected = [...expected.filter((x) => x.id !== id), original];
      } else if (!c.versions.at(-1)!.deleted) {
        rejected.add(id);
      }
    }
    if (rejected.size > 0 || rewrites.size > 0) {
      const a = essence(state), b = essence(fold(neutralise(expected, rejected), policy));
      if (a !== b) {
        v(
          7,
          "untrusted_counted",
          `untrusted, edited or unsigned comments changed the state: ${firstDifference(a, b)}`,
        );
      }
    }
  }

  // --- 8. budget ----------------------------------------------------------------
  out.push(...checkBudget(run));
  return out;
}

/** Why a task is blocked: its dependencies that are not done, `failed` when one failed for good. */
function blockedBy(state: SwarmState, id: string, now: number): string {
  const task = state.tasks[id]!;
  const deps = task.def.deps.filter((d) => state.tasks[d]?.status !== "done");
  if (deps.length === 0) return "";
  return `<-${
    deps.map((d) => {
      const phase = taskPhase(state, state.tasks[d]!, now);
      return `${
        phase === "failed" || /<-failed/.test(blockedBy(state, d, now)) ? "failed" : phase
      }:${d}`;
    }).join(",")
  }`;
}

/** When a task failed for good (a lapse not yet folded ends at its lease's end). */
function failedAt(state: SwarmState, id: string): number {
  const task = state.tasks[id]!;
  if (task.failedAt !== undefined) return task.failedAt;
  const live = task.attempts.at(-1);
  return live ? live.lastBeat + leaseOf(state, live) : state.lastTime;
}

/** Total time GitHub told the swarm to wait (union of rate-limit windows). */
function waitedForLimits(run: SwarmRun): number {
  const windows = run.model.requests.filter((r) => r.limit).map((r) =>
    [r.t, r.t + r.limit!.waitMs] as const
  )
    .sort((a, b) => a[0] - b[0]);
  let total = 0, end = -Infinity;
  for (const [a, b] of windows) {
    if (b <= end) continue;
    total += b - Math.max(a, end);
    end = b;
  }
  return total * 2; // the adapter doubles its waits on repeats
}

/** Invariant 8: the limits held, and every process waited as long as GitHub asked. */
function checkBudget(run: SwarmRun): Violation[] {
  const out: Violation[] = [];
  const byProc = new Map<string, typeof run.model.requests>();
  for (const r of run.model.requests) {
    const list = byProc.get(r.proc) ?? [];
    list.push(r);
    byProc.set(r.proc, list);
  }
  for (const [proc, list] of byProc) {
    // No process polls or retries in a tight loop: GitHub's per-endpoint budget is 900
    // points a minute for the whole identity (DESIGN.md): one process sending a request a
    // second for a minute is a loop, not polling (pollMinMs is 5 s).
    let lo = 0;
    for (let i = 0; i < list.length; i++) {
      while (list[i]!.t - list[lo]!.t >= 60_000) lo++;
      if (i - lo + 1 > 60 && !proc.startsWith("human:")) {
        out.push({
          invariant: 8,
          code: "request_storm",
          detail: `${proc}: ${i - lo + 1} requests within a minute at +${
            ((list[i]!.t - run.scenario.start) / 1000).toFixed(1)
          } s (${list[i]!.method} ${list[i]!.route.split("?")[0]} ${list[i]!.status})`,
        });
        break;
      }
    }
    for (let i = 0; i < list.length; i++) {
      const r = list[i]!;
      if (!r.limit) continue;
      // The process waits on its own clock, which may run fast by its drift.
      const drift = Math.abs(
        run.scenario.nodes.find((n) => n.node === proc.split("#")[0])?.drift ?? 0,
      );
      const until = r.t + r.limit.waitMs * (1 - drift);
      const next = list[i + 1];
      if (next && next.t < until - 1) {
        out.push({
          invariant: 8,
          code: "no_backoff",
          detail: `${proc}: ${r.limit.kind} limit at +${
            ((r.t - run.scenario.start) / 1000).toFixed(1)
          } s asked ${r.limit.waitMs} ms; next request ${next.t - r.t} ms later`,
        });
        break;
      }
    }
  }
  // Accepted content writes per identity: 80 a minute, 500 an hour (the model enforces it; verify).
  const writes = new Map<string, number[]>();
  for (const r of run.model.requests) {
    // Content creation: comment posts and edits, pull requests (refs are not content).
    const content = (r.method === "POST" || r.method === "PATCH") &&
      /\/(comments|pulls)(\/|$)/.test(r.route);
    if (!content || r.status >= 400 || r.status === 0) continue;
    const list = writes.get(r.login) ?? [];
    list.push(r.t);
    writes.set(r.login, list);
  }
  for (const [login, times] of writes) {
    let lo = 0, lo60 = 0;
    for (let i = 0; i < times.length; i++) {
      while (times[i]! - times[lo60]! >= 60_000) lo60++;
      while (times[i]! - times[lo]! >= 3_600_000) lo++;
      if (i - lo60 + 1 > 80 || i - lo + 1 > 500) {
        out.push({
          invariant: 8,
          code: "write_limit",
          detail: `${login} wrote over the content limit`,
        });
        break;
      }
    }
  }
  return out;
}

/**
 * Invariant 5 for the aggregator: `aggregate` over the final log gives
 * byte-identical `metrics.json` and summary twice, read by two different
 * clients (a fresh ETag cache each), and for the nodes' identity and a
 * maintainer's.
 *
 * @example
 * ```ts
 * await checkAggregate(run); // [] when byte-identical
 * ```
 */
export async function checkAggregate(run: SwarmRun): Promise<Violation[]> {
  const s = run.scenario;
  const node = s.nodes[0]!;
  const scheduler = new Scheduler(run.endTime);
  const outputs: string[] = [];
  for (const [i, who] of [node.login, node.login].entries()) {
    const proc = `checker:aggregate:${i}`;
    const github = run.model.client(
      { login: who, id: node.accountId, type: node.type, token: `checker-${i}` },
      { proc, clock: new VirtualClock(scheduler, scheduler.group(proc)), faultless: true },
    );
    const result = await aggregate(
      { github, clock: new VirtualClock(scheduler, scheduler.group(proc)), random: new Rng(i) },
      {
        issue: s.issue,
        repo: SIM_REPO,
        tokenKind: s.tokenKind,
        post: false,
        self: node.login,
        allow: s.allow,
        secret: s.secret,
      },
    );
    outputs.push(`${result.metricsJson}\n${result.summary}`);
  }
  if (outputs[0] === outputs[1]) return [];
  return [{
    invariant: 5,
    code: "aggregate_differs",
    detail: `aggregate output differs between two reads of the same log: ${
      firstDifference(outputs[0]!, outputs[1]!)
    }`,
  }];
}

/**
 * Invariant 5 across runs: the same seed gives the same trace.
 *
 * @example
 * ```ts
 * checkSameTrace(runA, runB); // [] when equal
 * ```
 */
export function checkSameTrace(a: SwarmRun, b: SwarmRun): Violation[] {
  if (a.traceHash === b.traceHash) return [];
  return [{
    invariant: 5,
    code: "trace_differs",
    detail: `seed ${a.scenario.seed}: trace ${a.traceHash.slice(0, 12)} then ${
      b.traceHash.slice(0, 12)
    }`,
  }];
}

/**
 * How each task ended by our fold of the final log.
 *
 * @example
 * ```ts
 * foldOutcome(run)["T1"]?.status; // "done"
 * ```
 */
export function foldOutcome(run: SwarmRun): Record<string, TaskOutcome> {
  const state = fold(knowableLog(run), checkerPolicy(run.scenario));
  const out: Record<string, TaskOutcome> = {};
  for (const t of run.scenario.tasks) {
    const task = state.tasks[t.id];
    const phase = task ? taskPhase(state, task, run.endTime) : "blocked";
    out[t.id] = phase === "done"
      ? { status: "done", at: task!.done!.at }
      : phase === "failed"
      ? { status: "failed", at: failedAt(state, t.id) }
      : (phase as string) === "skipped"
      ? { status: "failed" }
      : { status: "lost" };
  }
  return out;
}

/**
 * The comparison figures of one run.
 *
 * @example
 * ```ts
 * figures(run).requests;
 * ```
 */
export function figures(run: SwarmRun): RunFigures {
  const s = run.scenario;
  const outcome = run.outcome ? run.outcome(run) : foldOutcome(run);
  let done = 0, failed = 0, lost = 0, last = s.start;
  for (const t of s.tasks) {
    const o = outcome[t.id] ?? { status: "lost" };
    if (o.status === "done") done++;
    else if (o.status === "failed") failed++;
    else lost++;
    if (o.at !== undefined) last = Math.max(last, o.at);
  }
  if (lost > 0) last = run.endTime;
  const believers = new Map<string, Set<string>>();
  for (const p of run.processes) {
    for (const { e } of p.events) {
      if (e.type !== "elected") continue;
      const key = String(e.term ?? 1);
      const set = believers.get(key) ?? new Set<string>();
      set.add(p.proc);
      believers.set(key, set);
    }
  }
  let executedTwice = 0, overlapping = 0;
  const byTask = new Map<string, typeof run.execs>();
  for (const e of run.execs) {
    const list = byTask.get(e.task) ?? [];
    list.push(e);
    byTask.set(e.task, list);
  }
  for (const list of byTask.values()) {
    if (list.filter((e) => e.ok).length > 1) executedTwice++;
    let overlap = false;
    for (let i = 0; i < list.length && !overlap; i++) {
      for (let j = i + 1; j < list.length; j++) {
        const a = list[i]!, b = list[j]!;
        if (a.proc === b.proc) continue;
        if (a.start < (b.end ?? run.endTime) && b.start < (a.end ?? run.endTime)) {
          overlap = true;
          break;
        }
      }
    }
    if (overlap) overlapping++;
  }
  const state = fold(knowableLog(run), checkerPolicy(s));
  let unownedStarts = 0;
  for (const e of run.execs) {
    const owner = run.claimant ? run.claimant(run, e.task, e.attempt) : (() => {
      const a = state.tasks[e.task]?.attempts[e.attempt - 1];
      return a ? run.model.comment(a.claimId)?.poster : undefined;
    })();
    if (owner !== e.proc) unownedStarts++;
  }
  let requests = 0, notModified = 0, writes = 0, rateLimited = 0;
  for (const r of run.model.requests) {
    if (r.proc.startsWith("human:") || r.proc.startsWith("checker")) continue;
    if (r.limit) rateLimited++;
    else if (r.status === 304) notModified++;
    else requests++;
    if (r.write && r.status > 0 && r.status < 400) writes++;
  }
  return {
    tasks: s.tasks.length,
    done,
    failed,
    lost,
    believedLeaders: Math.max(0, ...[...believers.values()].map((x) => x.size)),
    executedTwice,
    overlapping,
    unownedStarts,
    forgedRuns: run.execs.filter((e) => !s.tasks.some((t) => t.id === e.task)).length,
    requests,
    notModified,
    writes,
    rateLimited,
    nodeErrors: run.processes.filter((p) => p.outcome === "threw").length,
    hours: (last - s.start) / 3_600_000,
  };
}
