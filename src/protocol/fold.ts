/**
 * The fold: `SwarmState = fold(trusted comments in id order)`. Pure and
 * deterministic; time inside it is each comment's own `created_at` (server
 * time), never a local clock. Applying one more comment to a state equals
 * folding the whole log (`applyComment` is the fold's step).
 *
 * Rules (changes from the first sketch are documented in
 * docs/PROTOCOL.md):
 * - Election: the lowest-id election message for term `k = terms + 1` wins,
 *   if no plan is in force and the previous leader has been silent for its
 *   declared timeout. Its comment id is the fencing token.
 * - Plan: parts count only from the winner of the newest term, carrying its
 *   token; a plan comes into force when all its parts are present and its
 *   graph is valid.
 * - Claims: the first claim for attempt `a` of a ready task, valid at its own
 *   position, owns the attempt.
 * - Leases lapse when no message of the owner about the attempt came within
 *   `leaseMs` (server time); a lapse counts as a failure.
 * - The first completion from the owner of any attempt makes the task done.
 *
 * @module
 */
import { judgeEntry, type LogEntry, toEntry } from "./entry.ts";
import { bearsFacts, effectiveEntries, type LogFacts, logFacts, NO_FACTS } from "./facts.ts";
import { validateGraph } from "./graph.ts";
import type { SteeringCommand } from "./command.ts";
import { isTrustedAuthor, type TrustPolicy } from "./trust.ts";
import { grantedLease, lapseLeases, noteLease } from "./leases.ts";
import { type Attempt, emptyState, type SwarmState, type TaskState } from "./state.ts";
import type { LogComment, Message, ProtocolEvent } from "./types.ts";

/**
 * Folds comments (any order; sorted by id here) into a state: the log's
 * facts (vouches, restores) first, then every comment in id order.
 *
 * @example
 * ```ts
 * const state = fold([], { repo: "o/r", issue: 1, allow: new Set(), writers: new Set() });
 * state.plan; // null
 * ```
 */
export function fold(comments: readonly LogComment[], policy: TrustPolicy): SwarmState {
  return foldEntries(comments.map(toEntry), policy);
}

/**
 * {@linkcode fold} over already decoded entries.
 *
 * @example
 * ```ts
 * const state = foldEntries(comments.map(toEntry), policy);
 * ```
 */
export function foldEntries(entries: readonly LogEntry[], policy: TrustPolicy): SwarmState {
  const byId = new Map(entries.map((e) => [e.id, e]));
  const facts = logFacts(entries.filter(bearsFacts), (id) => byId.get(id), policy);
  const state = emptyState();
  for (const e of effectiveEntries(entries, facts)) applyEntry(state, e, policy, facts);
  return state;
}

/**
 * Applies one comment to a state in place; the comment must have a higher id
 * than every comment already folded (an older one is counted as
 * `out_of_order` and ignored: refold instead). `facts` are the log's vouches
 * and restores (see `facts.ts`); folding comment by comment equals
 * {@linkcode fold} when they are the whole log's.
 *
 * @example
 * ```ts
 * const state = emptyState();
 * applyComment(state, {
 *   id: 2_200_000_001, body: "hello", author: "a", authorType: "User", createdAt: 0, updatedAt: 0,
 * }, { repo: "o/r", issue: 1, allow: new Set(), writers: new Set() });
 * state.foreign; // 1
 * ```
 */
export function applyComment(
  state: SwarmState,
  comment: LogComment,
  policy: TrustPolicy,
  facts: LogFacts = NO_FACTS,
): void {
  applyEntry(state, toEntry(comment), policy, facts);
}

/**
 * {@linkcode applyComment} for an already decoded entry.
 *
 * @example
 * ```ts
 * applyEntry(state, toEntry(comment), policy, NO_FACTS);
 * ```
 */
export function applyEntry(
  state: SwarmState,
  comment: LogEntry,
  policy: TrustPolicy,
  facts: LogFacts,
): void {
  if (comment.id <= state.lastId) {
    count(state, "out_of_order");
    return;
  }
  state.lastId = comment.id;
  const t = comment.createdAt;
  if (t > state.lastTime) state.lastTime = t;
  lapseLeases(state, t);

  const verdict = judgeEntry(comment, policy, facts.vouched);
  if (!verdict.ok) {
    if (verdict.reason !== "foreign") return count(state, verdict.reason);
    if (comment.body.kind === "command") {
      return applyCommand(state, comment, comment.body.command, policy, facts);
    }
    state.foreign++;
    return;
  }
  const message = verdict.message;
  const nonce = message.nonce || `legacy:${comment.id}`;
  if (own(state.nonces, nonce) !== undefined) {
    count(state, "duplicate_nonce");
    return;
  }
  const known = own(state.nodes, message.node);
  if (known && known.author !== comment.author) {
    count(state, "node_impersonation");
    return;
  }
  put(state.nonces, nonce, comment.id);
  state.accepted++;
  if (known) {
    known.lastSeen = t;
    known.messages++;
  } else {
    put(state.nodes, message.node, {
      node: message.node,
      author: comment.author,
      firstSeen: t,
      lastSeen: t,
      role: "worker",
      messages: 1,
    });
  }
  const ctx: EventContext = { state, message, comment, nonce, t };
  for (const event of message.events) applyEvent(ctx, event);
  const leader = state.terms.at(-1);
  if (leader && leader.node === message.node && leader.author === comment.author) {
    leader.lastActivity = t;
  }
}

interface EventContext {
  state: SwarmState;
  message: Message;
  comment: LogEntry;
  nonce: string;
  t: number;
}

/**
 * An own entry of a record. Node ids, nonces and task ids are text from the
 * log: "constructor" or "__proto__" must not reach `Object.prototype`.
 */
function own<T>(record: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** Sets an own entry, also for the key "__proto__". */
function put<T>(record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

function count(state: SwarmState, reason: string): void {
  state.ignored[reason] = (state.ignored[reason] ?? 0) + 1;
}

function applyEvent(ctx: EventContext, event: ProtocolEvent): void {
  const { state, message, comment, t } = ctx;
  const node = own(state.nodes, message.node)!;
  switch (event.type) {
    case "announce": {
      if (event.role) node.role = node.role === "leader" ? "leader" : event.role;
      if (event.exec) node.exec = event.exec;
      if (event.version) node.version = event.version;
      return;
    }
    case "election": {
      // Messages about tasks without a plan in force mean the plan is there
      // but this reader cannot see it (deleted or edited, not yet restored,
      // or lagging): a new term would run everything again.
      if (state.plan || state.ended || state.unplanned > 0) {
        return count(state, "stale_election");
      }
      const current = state.terms.at(-1);
      if (event.term <= state.terms.length) return count(state, "lost_election");
      if (event.term !== state.terms.length + 1) return count(state, "stale_election");
      if (current && !current.resigned && t <= current.lastActivity + current.timeoutMs) {
        return count(state, "stale_election");
      }
      state.terms.push({
        term: event.term,
        node: message.node,
        author: comment.author,
        token: comment.id,
        at: t,
        lastActivity: t,
        timeoutMs: event.timeoutMs,
      });
      node.role = "leader";
      return;
    }
    case "plan":
      return applyPlanPart(ctx, event);
    case "claim":
      return applyClaim(ctx, event.task, event.attempt, event.leaseMs);
    case "progress": {
      const task = state.plan ? own(state.tasks, event.task) : undefined;
      if (!task) return unknownTask(state);
      const attempt = ownedAttempt(task, message.node, event.attempt);
      if (!attempt) return count(state, "not_owner");
      // Every reported result stays with its attempt (what it cost, what was
      // denied), also a duplicate completion's: the money was spent.
      if (event.result && event.status !== "in_progress" && !attempt.result) {
        attempt.result = event.result;
      }
      // A person cancelled the task: nothing its attempts report counts until a retry.
      if (task.cancelled) return count(state, "cancelled_task");
      if (event.status === "completed") {
        if (task.status === "done") {
          state.duplicateResults++;
          return count(state, "duplicate_result");
        }
        task.status = "done";
        task.percent = 100;
        task.done = { at: t, node: message.node, attempt: attempt.n, commentId: comment.id };
        if (event.result) task.done.result = event.result;
        delete task.failedAt;
        for (const a of task.attempts) {
          if (!a.end) a.end = { kind: a === attempt ? "completed" : "superseded", at: t };
        }
        attempt.percent = 100;
        return;
      }
      if (attempt.end) return count(state, "stale_attempt");
      attempt.lastBeat = t;
      noteLease(state, event.task, attempt.n);
      if (event.percent !== undefined) attempt.percent = task.percent = event.percent;
      if (event.note !== undefined) attempt.note = event.note;
      if (event.status === "failed") {
        attempt.end = { kind: "failed", at: t };
        task.failures++;
        // A failure its node reports as not retryable ends the task for good (docs/PROTOCOL.md).
        if (task.failures >= state.settings.maxAttempts || event.result?.retryable === false) {
          task.status = "failed";
          task.failedAt = t;
        } else {
          task.status = "pending";
          task.openAt = t + state.settings.backoffMs * 2 ** (task.failures - 1);
        }
      }
      return;
    }
    case "heartbeat": {
      if (!state.plan && event.tasks.length > 0) state.unplanned++;
      for (const entry of event.tasks) {
        const task = state.plan ? own(state.tasks, entry.task) : undefined;
        const attempt = task ? ownedAttempt(task, message.node, entry.attempt) : undefined;
        if (!task || !attempt || attempt.end) {
          count(state, "not_owner");
          continue;
        }
        attempt.lastBeat = t;
        noteLease(state, entry.task, attempt.n);
        if (entry.percent !== undefined) attempt.percent = task.percent = entry.percent;
      }
      return;
    }
    case "release": {
      const task = state.plan ? own(state.tasks, event.task) : undefined;
      if (!task) return unknownTask(state);
      const attempt = ownedAttempt(task, message.node, event.attempt);
      if (!attempt || attempt.end) return count(state, "not_owner");
      attempt.end = { kind: "released", at: t };
      task.status = "pending";
      task.openAt = t;
      return;
    }
    case "retry": {
      if (!state.plan) return unknownTask(state);
      for (const id of event.tasks) {
        const task = own(state.tasks, id);
        if (!task) {
          count(state, "unknown_task");
        } else if (task.status === "failed") {
          task.status = "pending";
          task.failures = 0;
          task.openAt = t;
          delete task.failedAt;
          delete task.cancelled;
        }
      }
      return;
    }
    case "resign": {
      const term = state.terms[event.term - 1];
      if (!term || term.node !== message.node || term.author !== comment.author) {
        return count(state, "not_leader");
      }
      if (event.term !== state.terms.length || state.plan || term.resigned) {
        return count(state, "stale_resign");
      }
      term.resigned = { at: t, cause: event.cause };
      if (event.reason !== undefined) term.resigned.reason = event.reason;
      if (event.issue !== undefined) term.resigned.issue = event.issue;
      return;
    }
    case "end": {
      if (!state.ended) {
        state.ended = { at: t, node: message.node };
        if (event.reason) state.ended.reason = event.reason;
      }
      return;
    }
    case "vouch": {
      for (const v of event.logins) {
        if (!own(state.vouched, v.login)) {
          put(state.vouched, v.login, { by: message.node, comment: comment.id, reason: v.reason });
        }
      }
      return;
    }
    case "restore": {
      // Acts through the log's facts (see facts.ts); recorded here.
      const key = String(event.comment);
      if (own(state.restored, key) === undefined) put(state.restored, key, comment.id);
      return;
    }
  }
}

/**
 * Applies a steering command from a person (see `command.ts`): only from a
 * trusted author (the token's identity, the allowlist, users with write
 * access) and only unedited; anything else is counted and ignored.
 */
function applyCommand(
  state: SwarmState,
  comment: LogEntry,
  command: SteeringCommand,
  policy: TrustPolicy,
  facts: LogFacts,
): void {
  if (!isTrustedAuthor(comment.author, policy, facts.vouched)) {
    return count(state, "untrusted_command");
  }
  if (comment.updatedAt > comment.createdAt) return count(state, "edited");
  const t = comment.createdAt;
  const by = comment.author;
  if (command.verb === "stop") {
    if (state.ended) return count(state, "stale_command");
    state.ended = { at: t, node: `@${by}`, reason: `stopped by @${by} (/p2p-dev stop)` };
    state.accepted++;
    return;
  }
  if (command.verb === "status") {
    state.statusRequest = { id: comment.id, at: t, by };
    state.accepted++;
    return;
  }
  const task = state.plan && command.task ? own(state.tasks, command.task) : undefined;
  if (!task) return count(state, "unknown_task");
  if (command.verb === "cancel") {
    if (task.status === "done" || task.status === "failed") return count(state, "stale_command");
    const live = task.attempts.at(-1);
    if (live && !live.end) live.end = { kind: "cancelled", at: t };
    task.status = "failed";
    task.failedAt = t;
    task.cancelled = { at: t, by };
  } else {
    if (task.status !== "failed") return count(state, "stale_command");
    task.status = "pending";
    task.failures = 0;
    task.openAt = t;
    delete task.failedAt;
    delete task.cancelled;
  }
  state.accepted++;
}

/** A message about a task the plan in force does not have (or about any task, with no plan). */
function unknownTask(state: SwarmState): void {
  if (!state.plan) state.unplanned++;
  count(state, "unknown_task");
}

/** The attempt of `task` owned by `node`; attempt 0 (legacy) means its latest one. */
function ownedAttempt(task: TaskState, node: string, n: number): Attempt | undefined {
  if (n === 0) return task.attempts.findLast((a) => a.node === node);
  const attempt = task.attempts[n - 1];
  return attempt && attempt.node === node ? attempt : undefined;
}

function applyPlanPart(
  ctx: EventContext,
  event: Extract<ProtocolEvent, { type: "plan" }>,
): void {
  const { state, message, comment, t } = ctx;
  const term = state.terms[event.term - 1];
  if (!term || term.node !== message.node || term.author !== comment.author) {
    return count(state, "not_leader");
  }
  const legacy = message.v === 0 && event.token === 0 && event.term === 1;
  if (!legacy && event.token !== term.token) return count(state, "bad_token");
  if (event.term !== state.terms.length) return count(state, "stale_plan");
  if (state.plan && state.plan.term === event.term && event.version <= state.plan.version) {
    return count(state, "stale_plan");
  }
  const key = `${event.term}:${event.version}`;
  const pending = state.pending[key] ??= {
    term: event.term,
    version: event.version,
    parts: event.parts,
    received: {},
    commentIds: [],
  };
  if (pending.parts !== event.parts) return count(state, "malformed_plan");
  if (pending.received[event.part]) return count(state, "duplicate_part");
  pending.received[event.part] = event.tasks;
  pending.commentIds.push(comment.id);
  if (event.planner) pending.planner = event.planner;
  if (event.settings) pending.settings = event.settings;
  if (Object.keys(pending.received).length < pending.parts) return;

  const defs = [];
  for (let i = 1; i <= pending.parts; i++) defs.push(...pending.received[i]!);
  delete state.pending[key];
  if (validateGraph(defs).length > 0) return count(state, "invalid_plan");
  state.plan = {
    term: event.term,
    token: term.token,
    version: event.version,
    planner: pending.planner ?? "unknown",
    at: t,
    commentIds: pending.commentIds,
  };
  if (pending.settings) state.settings = pending.settings;
  const tasks: Record<string, TaskState> = {};
  for (const def of defs) {
    const previous = own(state.tasks, def.id);
    put(
      tasks,
      def.id,
      previous
        ? { ...previous, def }
        : { def, status: "pending", attempts: [], failures: 0, openAt: t, percent: 0 },
    );
  }
  state.tasks = tasks;
  state.order = defs.map((d) => d.id);
  for (const k of Object.keys(state.pending)) {
    const p = state.pending[k]!;
    if (p.term < event.term || p.version <= event.version) delete state.pending[k];
  }
}

function applyClaim(
  ctx: EventContext,
  id: string,
  requested: number,
  askedLeaseMs: number | undefined,
): void {
  const { state, message, comment, nonce, t } = ctx;
  const task = state.plan ? own(state.tasks, id) : undefined;
  if (!task) return unknownTask(state);
  if (task.status === "done" || task.status === "failed") return count(state, "invalid_claim");
  if (task.status === "active") return count(state, "lost_claim");
  if (!task.def.deps.every((d) => own(state.tasks, d)?.status === "done")) {
    return count(state, "invalid_claim");
  }
  const n = (task.attempts.at(-1)?.n ?? 0) + 1;
  if (requested !== 0 && requested !== n) return count(state, "invalid_claim");
  if (t < task.openAt) return count(state, "invalid_claim");
  task.attempts.push({
    n,
    node: message.node,
    author: comment.author,
    claimId: comment.id,
    claimNonce: nonce,
    claimedAt: t,
    lastBeat: t,
    percent: 0,
  });
  const leaseMs = grantedLease(askedLeaseMs, state.settings.leaseMs);
  if (leaseMs !== undefined) task.attempts.at(-1)!.leaseMs = leaseMs;
  task.status = "active";
  noteLease(state, id, n);
}
