/**
 * One swarm node: it announces itself, takes part in the election, plans and
 * publishes if it leads, then claims and runs tasks until every task is
 * finished or failed, or a limit is reached. `p2p-dev run`, `elect`, `plan`
 * and `work` all run this with a different `role`.
 *
 * The node never trusts its memory over the log: it acts, then re-reads to
 * confirm, and stops when a later read shows it lost.
 *
 * @module
 */
import type { Executor } from "../executor/port.ts";
import type { ApiStats, GitHub, IssueInfo } from "../github/port.ts";
import type { Planner } from "../planner/planner.ts";
import { pollInterval } from "../protocol/budget.ts";
import { encodeMessage, splitPlan } from "../protocol/codec.ts";
import { applyComment } from "../protocol/fold.ts";
import { assertValidGraph } from "../protocol/graph.ts";
import { nextTask } from "../protocol/schedule.ts";
import type { Attempt, SwarmState, TermInfo } from "../protocol/state.ts";
import type { LogComment, ProtocolEvent, TaskResult } from "../protocol/types.ts";
import {
  activeNodes,
  canCampaign,
  currentLeader,
  isFinished,
  taskPhase,
} from "../protocol/view.ts";
import { type NodeConfig, validateTiming } from "./config.ts";
import type { NodeEvent, StopReason } from "./events.ts";
import { LogView } from "./log_view.ts";
import type { Clock, Random } from "./ports.ts";
import { VERSION } from "../version.ts";

/** Swarm-wide, at most one poll per this many ms per node while no plan is in force (600 a minute). */
const PRE_PLAN_MS_PER_NODE = 100;

/** How long a node counts as part of the swarm after its last message (an Actions job's limit). */
const SWARM_WINDOW_MS = 6 * 60 * 60_000;

/** The ports and trust settings a node runs with. */
export interface NodeDeps {
  github: GitHub;
  clock: Clock;
  random: Random;
  executor: Executor;
  planner: Planner;
  /** Aborted to stop the node cleanly (it releases its claims). */
  signal: AbortSignal;
  log?: (event: NodeEvent) => void;
  /** Called with the folded state whenever it may have changed (for a live view). */
  onState?: (state: SwarmState, serverTime: number) => void;
  /** Logins trusted besides the token's own identity and writers. */
  allow?: readonly string[];
  /** Shared HMAC secret (`P2P_SECRET`). */
  secret?: string | undefined;
}

/** What a node did, returned when it stops. */
export interface NodeReport {
  node: string;
  login: string;
  reason: StopReason;
  /** Terms this node won. */
  terms: number[];
  completed: string[];
  failed: string[];
  claimsLost: number;
  /** Comments this node wrote. */
  writes: number;
  /** List reads this node made. */
  reads: number;
  api: ApiStats;
  /** The node's final view of the swarm. */
  state: SwarmState;
  /** The node's final estimate of server time. */
  serverTime: number;
}

/**
 * Runs one node until it stops; see the module docs.
 *
 * @example
 * ```ts
 * const report = await runNode(deps, defaultConfig(7, "laptop-1"));
 * report.completed;
 * ```
 */
export function runNode(deps: NodeDeps, config: NodeConfig): Promise<NodeReport> {
  validateTiming(config);
  return new SwarmNode(deps, config).run();
}

/** Errors that retrying cannot fix: bad credentials, missing permission, missing issue. */
export function isFatalApiError(error: unknown): boolean {
  const status = (error as { status?: unknown })?.status;
  const message = error instanceof Error ? error.message : "";
  if (status === 401 || status === 404) return true;
  return status === 403 && /not accessible|permission/i.test(message) &&
    !/rate limit/i.test(message);
}

/**
 * Errors that waiting can fix: 5xx, timeouts, network failures, writes with
 * an unknown outcome, and rate limits.
 *
 * @example
 * ```ts
 * if (isTransientApiError(error)) await backOff();
 * ```
 */
export function isTransientApiError(error: unknown): boolean {
  if (isFatalApiError(error)) return false;
  const name = (error as { name?: unknown })?.name;
  if (
    name === "RateLimitError" || name === "OutcomeUnknownError" ||
    name === "RequestTimeoutError" || name === "TimeoutError"
  ) return true;
  const status = (error as { status?: unknown })?.status;
  if (typeof status === "number") return status >= 500 || status === 403 || status === 429;
  return error instanceof TypeError && /fetch|network|connect|socket/i.test(error.message);
}

class SwarmNode {
  #deps: SwarmNode["deps"];
  #config: NodeConfig;
  #view!: LogView;
  #login = "";
  #issue?: IssueInfo;
  #nonces = new Set<string>();
  #lockSha?: string;
  #announced = false;
  #startedAt = 0;
  #terms: number[] = [];
  #completed: string[] = [];
  #failed: string[] = [];
  #claimsLost = 0;
  #writes = 0;
  #seenPlan = false;
  #followed = 0;
  #lastRead = 0;
  /** Local time before which GitHub asked for no requests (a rate limit). */
  #quietUntil = 0;
  /** Locks this node holds (strict mode), kept until the swarm ends. */
  #locks = new Set<string>();
  /** When this node first found a claim lock held by another (local time). */
  #lockHeld = new Map<string, number>();

  constructor(readonly deps: NodeDeps, config: NodeConfig) {
    this.#deps = deps;
    this.#config = config;
  }

  #emit(event: NodeEvent): void {
    this.#deps.log?.(event);
  }

  #now(): number {
    return this.#view.serverNow();
  }

  async run(): Promise<NodeReport> {
    const { github, clock } = this.#deps;
    this.#startedAt = clock.now();
    const identity = await github.identity();
    this.#login = identity.login;
    this.#view = new LogView({
      github,
      clock,
      issue: this.#config.issue,
      self: identity.login,
      allow: this.#deps.allow ?? [],
      secret: this.#deps.secret,
      sinceSlackMs: this.#config.sinceSlackMs,
    });
    this.#lastRead = clock.now();
    await this.#view.refresh();
    this.#emit({
      type: "start",
      node: this.#config.node,
      login: this.#login,
      serverTime: this.#now(),
    });
    await this.#releaseOrphans();
    const reason = await this.#loop();
    this.#emit({ type: "stop", reason, serverTime: this.#now() });
    return {
      node: this.#config.node,
      login: this.#login,
      reason,
      terms: this.#terms,
      completed: this.#completed,
      failed: this.#failed,
      claimsLost: this.#claimsLost,
      writes: this.#writes,
      reads: this.#view.reads,
      api: github.stats(),
      state: this.#view.state,
      serverTime: this.#now(),
    };
  }

  /**
   * The main loop. Transient API errors (5xx, timeouts, unknown outcomes,
   * rate limits) never escape: the node backs off (as long as GitHub asks,
   * for a rate limit) and goes on. Errors retrying cannot fix are thrown.
   */
  async #loop(): Promise<StopReason> {
    let carry: ProtocolEvent[] = [];
    let failures = 0;
    while (true) {
      try {
        const step = await this.#step(carry);
        failures = 0;
        carry = step.carry;
        if (step.stop) return step.stop;
        if (step.idle) await this.#wait("idle");
      } catch (error) {
        if (!isTransientApiError(error)) throw error;
        failures++;
        this.#emit({ type: "api_error", message: errorText(error), serverTime: this.#now() });
        await this.#backOff(error, failures);
      }
    }
  }

  /** Waits after a transient error: `retry-after` when GitHub gave one, else exponential. */
  async #backOff(error: unknown, failures: number): Promise<void> {
    this.#noteRateLimit(error);
    const asked = this.#quietUntil - this.#deps.clock.now();
    const ms = asked > 0
      ? asked
      : Math.min(this.#config.pollMaxMs, this.#config.pollMinMs * 2 ** Math.min(failures, 10));
    try {
      await this.#deps.clock.sleep(
        ms * (1 + this.#config.jitter * this.#deps.random.next()),
        this.#deps.signal,
      );
    } catch {
      // Interrupted: the loop notices the signal.
    }
  }

  /** Posts `carry` if there is any; returns the carry left (kept when the write failed). */
  async #flush(carry: ProtocolEvent[]): Promise<ProtocolEvent[]> {
    if (carry.length === 0) return carry;
    await this.#post(carry);
    return [];
  }

  /** One turn of the loop. */
  async #step(
    carry: ProtocolEvent[],
  ): Promise<{ stop?: StopReason; carry: ProtocolEvent[]; idle?: boolean }> {
    const config = this.#config;
    if (this.#deps.signal.aborted) {
      return { stop: "interrupted", carry: await this.#flush(carry) };
    }
    if (
      config.maxRuntimeMs !== undefined &&
      this.#deps.clock.now() - this.#startedAt > config.maxRuntimeMs
    ) {
      return { stop: "max_runtime", carry: await this.#flush(carry) };
    }
    if (!this.#announced) await this.#announce();
    const state = this.#view.state;
    const now = this.#now();
    if (state.ended) return { stop: "ended", carry };
    if (!state.plan) {
      const leader = currentLeader(state);
      if (config.role === "elect" && leader) return { stop: "elected", carry };
      if (leader && this.#isMe(leader)) {
        await this.#lead(leader);
        return { carry };
      }
      if (config.role !== "work" && canCampaign(state, now)) {
        if (await this.#campaign(state.terms.length + 1)) return { carry };
      } else if (leader && this.#followed !== leader.term) {
        this.#followed = leader.term;
        this.#emit({ type: "follower", leader: leader.node, term: leader.term, serverTime: now });
      }
      return { carry, idle: true };
    }
    if (!this.#seenPlan) {
      this.#seenPlan = true;
      this.#emit({
        type: "plan_seen",
        tasks: state.order.length,
        term: state.plan.term,
        serverTime: now,
      });
    }
    if (config.role === "elect") return { stop: "elected", carry };
    if (config.role === "plan") return { stop: "planned", carry };
    if (isFinished(state, now)) {
      // A carried completion may reopen work (a late result unblocks its
      // dependents): post it, then look again before stopping.
      if (carry.length) return { carry: await this.#flush(carry) };
      if (config.retryFailed && this.#retryable(state, now).length > 0) {
        await this.#post([{ type: "retry", tasks: this.#retryable(state, now) }]);
        config.retryFailed = false;
        return { carry };
      }
      if (config.strict) await this.#unlockAll();
      return { stop: "finished", carry };
    }
    if (config.maxTasks !== undefined && this.#completed.length >= config.maxTasks) {
      return { stop: "max_tasks", carry: await this.#flush(carry) };
    }
    const worked = await this.#claimAndWork(carry);
    return { carry: worked.carry, idle: !worked.posted && worked.carry.length === 0 };
  }

  #retryable(state: SwarmState, now: number): string[] {
    return state.order.filter((id) => taskPhase(state, state.tasks[id]!, now) === "failed");
  }

  #isMe(leader: TermInfo): boolean {
    return leader.node === this.#config.node && leader.author === this.#login;
  }

  /**
   * Announces this node unless it is about to campaign (the election message
   * carries the announcement) or the swarm has ended. Every node's
   * announcement is what lets the others size their poll budget.
   */
  async #announce(): Promise<void> {
    const state = this.#view.state;
    if (state.ended || isFinished(state, this.#now())) return;
    if (this.#config.role !== "work" && canCampaign(state, this.#now())) return;
    await this.#post([]);
  }

  /** Releases attempts held under this node id by an earlier process (a restart). */
  async #releaseOrphans(): Promise<void> {
    try {
      await this.#releaseLive(
        (a) =>
          a.node === this.#config.node && a.author === this.#login &&
          !this.#nonces.has(a.claimNonce),
        "restarted",
      );
    } catch (error) {
      if (!isTransientApiError(error)) throw error;
      // The attempts lapse with their leases instead.
      this.#emit({ type: "api_error", message: errorText(error), serverTime: this.#now() });
    }
  }

  /**
   * Releases, in one comment, every live attempt that `mine` picks and this
   * process is not running, skipping `except` (tasks whose result is about to
   * be posted).
   */
  async #releaseLive(
    mine: (attempt: Attempt) => boolean,
    reason: string,
    except: ReadonlySet<string> = new Set(),
  ): Promise<void> {
    const state = this.#view.state;
    const now = this.#now();
    const events: ProtocolEvent[] = [];
    for (const id of state.order) {
      if (except.has(id)) continue;
      const task = state.tasks[id]!;
      const live = task.attempts.at(-1);
      if (live && mine(live) && taskPhase(state, task, now) === "running") {
        events.push({ type: "release", task: id, attempt: live.n, reason });
      }
    }
    if (events.length) await this.#post(events);
  }

  // --- writing --------------------------------------------------------------

  #nonce(): string {
    const r = this.#deps.random;
    let s = "";
    for (let i = 0; i < 4; i++) {
      s += Math.floor(r.next() * 0x100000000).toString(16).padStart(8, "0");
    }
    return s;
  }

  /** Posts one message and folds it into the view at once. */
  async #post(
    events: ProtocolEvent[],
    nonce = this.#nonce(),
  ): Promise<{ comment: LogComment; nonce: string }> {
    const announcing = !this.#announced;
    if (announcing) {
      events = [{
        type: "announce",
        role: "node",
        version: VERSION,
        exec: this.#deps.executor.name,
      }, ...events];
    }
    this.#nonces.add(nonce);
    const body = encodeMessage(
      { node: this.#config.node, nonce, events },
      { issue: this.#config.issue, secret: this.#deps.secret },
    );
    await this.#gate();
    let comment: LogComment;
    try {
      comment = await this.#deps.github.createComment(this.#config.issue, body, nonce);
    } catch (error) {
      this.#noteRateLimit(error);
      throw error;
    }
    this.#writes++;
    if (announcing) this.#announced = true;
    await this.#view.addOwn(comment);
    this.#deps.onState?.(this.#view.state, this.#now());
    return { comment, nonce };
  }

  async #lockRef(name: string): Promise<boolean> {
    const { github } = this.#deps;
    this.#lockSha ??= await github.branchSha(await github.defaultBranch());
    return await github.createRef(`refs/heads/${name}`, this.#lockSha);
  }

  #lockName(kind: string): string {
    return `p2p-lock/issue-${this.#config.issue}/${kind}`;
  }

  // --- waiting --------------------------------------------------------------

  /** Sleeps one poll interval (with jitter), then re-reads the log. */
  async #wait(mode: "idle" | "busy", capMs = Infinity, cancel?: AbortSignal): Promise<void> {
    const state = this.#view.state;
    const now = this.#now();
    // Idle nodes write nothing yet poll all the same: count every node seen
    // within a job's lifetime, not only those that wrote lately.
    const nodes = Math.max(1, activeNodes(state, now, SWARM_WINDOW_MS).length);
    const base = pollInterval({
      tokenKind: this.#config.tokenKind,
      nodes,
      mode,
      minMs: this.#config.pollMinMs,
      maxMs: this.#config.pollMaxMs,
      ...(this.#config.requestsPerHour ? { requestsPerHour: this.#config.requestsPerHour } : {}),
    });
    // Before a plan is in force, polls mostly answer with free 304s and every
    // node is waiting for the same few comments: poll faster, keeping the
    // swarm within GitHub's per-endpoint budget (900 points a minute; we use
    // at most 600).
    const interval = state.plan
      ? base
      : Math.min(base, Math.max(this.#config.pollMinMs, nodes * PRE_PLAN_MS_PER_NODE));
    const ms = Math.min(capMs, interval * (1 + this.#config.jitter * this.#deps.random.next()));
    const signal = cancel ? AbortSignal.any([this.#deps.signal, cancel]) : this.#deps.signal;
    try {
      await this.#deps.clock.sleep(ms, signal);
    } catch {
      return; // interrupted or cancelled: the caller notices
    }
    const changed = await this.#refresh();
    this.#emit({
      type: "poll",
      changed,
      comments: this.#view.size,
      intervalMs: Math.round(ms),
      serverTime: this.#now(),
    });
  }

  async #refresh(): Promise<boolean> {
    if (!(await this.#gate())) return false;
    this.#lastRead = this.#deps.clock.now();
    try {
      const changed = await this.#view.refresh();
      if (changed) this.#deps.onState?.(this.#view.state, this.#now());
      return changed;
    } catch (error) {
      if (isFatalApiError(error)) throw error;
      this.#noteRateLimit(error);
      this.#emit({ type: "api_error", message: errorText(error), serverTime: this.#now() });
      return false;
    }
  }

  /**
   * Waits out a rate limit GitHub asked us to respect before any request.
   * Returns false when interrupted.
   */
  async #gate(): Promise<boolean> {
    const wait = this.#quietUntil - this.#deps.clock.now();
    if (wait <= 0) return true;
    try {
      await this.#deps.clock.sleep(wait, this.#deps.signal);
      return true;
    } catch {
      return false;
    }
  }

  /** Remembers how long GitHub asked this node to stay quiet. */
  #noteRateLimit(error: unknown): void {
    const asked = (error as { retryAfterMs?: unknown })?.retryAfterMs;
    if (typeof asked === "number" && asked > 0) {
      this.#quietUntil = Math.max(this.#quietUntil, this.#deps.clock.now() + asked);
    }
  }

  async #settle(): Promise<void> {
    const ms = this.#config.settleMs * (1 + this.#config.jitter * this.#deps.random.next());
    try {
      await this.#deps.clock.sleep(ms, this.#deps.signal);
    } catch {
      return;
    }
    await this.#refresh();
  }

  // --- election and leading -------------------------------------------------

  /** Campaigns for `term`. Returns true when the loop should re-evaluate at once. */
  async #campaign(term: number): Promise<boolean> {
    if (this.#config.strict) {
      let held = false;
      try {
        held = !(await this.#lockRef(this.#lockName(`term-${term}`)));
      } catch (error) {
        if (!isTransientApiError(error)) throw error; // unknown outcome: let the log decide
      }
      if (held) return false;
    }
    this.#emit({ type: "campaign", term, serverTime: this.#now() });
    const { comment } = await this.#post([{
      type: "election",
      term,
      timeoutMs: this.#config.electionTimeoutMs,
    }]);
    if (this.#config.strict) {
      this.#locks.add(`term-${term}`);
      await this.#refresh();
    } else {
      await this.#settle();
    }
    const winner = this.#view.state.terms[term - 1];
    if (winner && winner.token === comment.id) {
      this.#terms.push(term);
      this.#emit({ type: "elected", term, token: winner.token, serverTime: this.#now() });
    }
    return true;
  }

  /** Deletes one of this node's lock refs; a missing ref is fine. */
  async #unlock(kind: string): Promise<void> {
    await this.#deps.github.deleteRef(`heads/${this.#lockName(kind)}`).catch(() => {});
  }

  async #lead(leader: TermInfo): Promise<void> {
    const { github, planner } = this.#deps;
    const config = this.#config;
    this.#issue ??= await github.getIssue(config.issue);
    const tasks = await planner.plan(
      { number: this.#issue.number, title: this.#issue.title, body: this.#issue.body },
      this.#deps.signal,
    );
    assertValidGraph(tasks);
    const pendingVersions = Object.values(this.#view.state.pending)
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
      },
      tasks,
    }, {
      node: config.node,
      issue: config.issue,
      ...(this.#deps.secret ? { secret: this.#deps.secret } : {}),
    });
    await this.#refresh(); // planning may have taken long: publish on a fresh view
    for (const part of parts) {
      const state = this.#view.state;
      if (state.terms.length !== leader.term || state.plan) return; // superseded
      await this.#post([part]);
    }
    this.#emit({
      type: "planned",
      tasks: tasks.length,
      parts: parts.length,
      planner: planner.name,
      serverTime: this.#now(),
    });
  }

  // --- claiming and working -------------------------------------------------

  /**
   * Claims the next ready task (posting `carry` events in the same comment),
   * confirms it after the settle window and runs it. Returns the events to
   * carry into the next write (a completion to combine with the next claim).
   */
  async #claimAndWork(
    carry: ProtocolEvent[],
  ): Promise<{ carry: ProtocolEvent[]; posted: boolean }> {
    // A conditional re-read before claiming: free (304) when nothing changed,
    // and it spares a lost race when another node claimed in the meantime.
    if (this.#deps.clock.now() - this.#lastRead >= this.#config.pollMinMs / 2) {
      await this.#refresh();
    }
    await this.#releaseStray(carry);
    const state = this.#view.state;
    const now = this.#now();
    const pick = this.#pickAfter(state, carry, now);
    if (!pick) return { carry: await this.#flush(carry), posted: carry.length > 0 };
    const lockKind = `${pick.task}/attempt-${pick.attempt}`;
    let locked = false;
    if (this.#config.strict && !this.#lockExpired(lockKind)) {
      let held: boolean;
      try {
        held = !(await this.#lockRef(this.#lockName(lockKind)));
      } catch (error) {
        // Unknown outcome: the ref may be ours. Fall back to the log's own
        // claim rule (post, settle, re-read) rather than strand the attempt.
        if (!isTransientApiError(error)) throw error;
        held = false;
      }
      if (held) {
        this.#claimsLost++;
        this.#lockHeld.set(lockKind, this.#deps.clock.now());
        this.#emit({ ...pick, type: "claim_lost", winner: "(lock held)", serverTime: now });
        // Not a tight loop: wait a poll before trying again.
        return { carry: await this.#flush(carry), posted: false };
      }
      locked = true;
    }
    this.#emit({ type: "claim", ...pick, serverTime: now });
    const nonce = this.#nonce();
    try {
      await this.#post([...carry, { type: "claim", ...pick }], nonce);
    } catch (error) {
      if (!isTransientApiError(error)) throw error;
      this.#emit({ type: "api_error", message: errorText(error), serverTime: this.#now() });
      locked = false; // the outcome is unknown: confirm through the log below
    }
    // With a lock, one re-read confirms; without, wait out list lag first.
    if (locked) await this.#refresh();
    else await this.#settle();
    const landed = Object.hasOwn(this.#view.state.nonces, nonce);
    const kept = landed ? [] : carry;
    const attempt = this.#view.state.tasks[pick.task]?.attempts[pick.attempt - 1];
    if (!attempt || attempt.claimNonce !== nonce) {
      this.#claimsLost++;
      this.#emit({
        type: "claim_lost",
        ...pick,
        winner: attempt?.node ?? "(none)",
        serverTime: this.#now(),
      });
      return { carry: kept, posted: true };
    }
    if (this.#config.strict) this.#locks.add(lockKind);
    const next = await this.#execute(pick.task, pick.attempt, nonce);
    return { carry: [...kept, ...next], posted: true };
  }

  /**
   * Whether a claim lock held by another node has been held for a whole lease
   * with no claim in the log: its holder died between locking and claiming,
   * so the attempt is claimed through the log alone.
   */
  #lockExpired(kind: string): boolean {
    const since = this.#lockHeld.get(kind);
    return since !== undefined &&
      this.#deps.clock.now() - since > this.#view.state.settings.leaseMs;
  }

  /**
   * Releases live attempts this process claimed but is not running (a claim
   * whose write failed yet landed, seen only later).
   */
  async #releaseStray(carry: ProtocolEvent[]): Promise<void> {
    const reported = new Set(carry.map((e) => "task" in e ? e.task : ""));
    await this.#releaseLive((a) => this.#nonces.has(a.claimNonce), "claim not confirmed", reported);
  }

  /** Deletes every lock this node took (the swarm has ended). */
  async #unlockAll(): Promise<void> {
    for (const kind of this.#locks) await this.#unlock(kind);
    this.#locks.clear();
  }

  /**
   * The task to claim next, judged on the state as it will be once `carry`
   * (a completion) is folded: so a completion and the next claim can share
   * one comment.
   */
  #pickAfter(state: SwarmState, carry: ProtocolEvent[], now: number) {
    if (carry.length === 0) return nextTask(state, this.#config.node, now);
    const future = structuredClone(state);
    const body = encodeMessage(
      { node: this.#config.node, nonce: "preview", events: carry },
      { issue: this.#config.issue, secret: this.#deps.secret },
    );
    applyComment(future, {
      id: state.lastId + 1,
      body,
      author: this.#login,
      authorType: "User",
      createdAt: Math.max(now, state.lastTime),
      updatedAt: Math.max(now, state.lastTime),
    }, this.#view.policy);
    return nextTask(future, this.#config.node, now);
  }

  /** Whether this process still owns the attempt in its current view. */
  #owns(task: string, attempt: number, nonce: string): boolean {
    const state = this.#view.state;
    const t = state.tasks[task];
    const a = t?.attempts[attempt - 1];
    if (!t || !a || a.claimNonce !== nonce) return false;
    if (t.status === "done") return false;
    return !a.end && taskPhase(state, t, this.#now()) === "running";
  }

  async #execute(task: string, attempt: number, nonce: string): Promise<ProtocolEvent[]> {
    const { executor } = this.#deps;
    const state = this.#view.state;
    const def = state.tasks[task]!.def;
    this.#issue ??= await this.#deps.github.getIssue(this.#config.issue);
    const controller = new AbortController();
    const onAbort = () => controller.abort(this.#deps.signal.reason);
    this.#deps.signal.addEventListener("abort", onAbort, { once: true });
    let percent = 0;
    let note: string | undefined;
    let reported = -1;
    const depBranches = def.deps.map((d) => state.tasks[d]?.done?.result?.branch)
      .filter((b): b is string => typeof b === "string");
    this.#emit({ type: "exec_start", task, attempt, serverTime: this.#now() });
    const run = executor.run(def, {
      issue: this.#config.issue,
      issueTitle: this.#issue.title,
      issueBody: this.#issue.body,
      node: this.#config.node,
      attempt,
      signal: controller.signal,
      depBranches,
      onProgress: (p, n) => {
        percent = Math.max(0, Math.min(100, p));
        note = n;
        this.#emit({
          type: "progress",
          task,
          percent,
          ...(n !== undefined ? { note: n } : {}),
          serverTime: this.#now(),
        });
      },
    }).then(
      (outcome) => ({ done: true as const, outcome }),
      (error) => ({
        done: true as const,
        outcome: { ok: false, result: { summary: errorText(error) } as TaskResult },
      }),
    );
    let lastWrite = this.#now();
    let lost = false;
    try {
      while (true) {
        const renew = Math.min(this.#config.renewMs, this.#view.state.settings.leaseMs * 0.4);
        const untilRenew = Math.max(0, lastWrite + renew - this.#now());
        const cancelTick = new AbortController();
        const tick = this.#wait("busy", untilRenew, cancelTick.signal)
          .then(() => ({ done: false as const }));
        const first = await Promise.race([run, tick]);
        if (first.done) {
          cancelTick.abort();
          await tick;
          break;
        }
        if (this.#deps.signal.aborted) break;
        if (!this.#owns(task, attempt, nonce)) {
          lost = true;
          controller.abort(new Error("Lost the claim."));
          break;
        }
        if (this.#now() - lastWrite >= renew) {
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
          reported = percent;
          try {
            await this.#post([event]);
          } catch (error) {
            if (isFatalApiError(error)) throw error;
            this.#emit({ type: "api_error", message: errorText(error), serverTime: this.#now() });
          }
          lastWrite = this.#now();
        }
      }
      const { outcome } = await run;
      if (lost) {
        this.#emit({ type: "lost_ownership", task, attempt, serverTime: this.#now() });
        this.#emit({
          type: "exec_end",
          task,
          attempt,
          ok: false,
          summary: "lost claim",
          serverTime: this.#now(),
        });
        return [];
      }
      if (this.#deps.signal.aborted) {
        this.#emit({
          type: "exec_end",
          task,
          attempt,
          ok: false,
          summary: "interrupted",
          serverTime: this.#now(),
        });
        this.#emit({ type: "release", task, attempt, serverTime: this.#now() });
        return [{ type: "release", task, attempt, reason: "node stopped" }];
      }
      this.#emit({
        type: "exec_end",
        task,
        attempt,
        ok: outcome.ok,
        ...(outcome.result.summary !== undefined ? { summary: outcome.result.summary } : {}),
        serverTime: this.#now(),
      });
      (outcome.ok ? this.#completed : this.#failed).push(task);
      return [{
        type: "progress",
        task,
        attempt,
        status: outcome.ok ? "completed" : "failed",
        percent: outcome.ok ? 100 : percent,
        result: outcome.result,
      }];
    } finally {
      this.#deps.signal.removeEventListener("abort", onAbort);
      controller.abort();
    }
  }
}

/** One line for an error. */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
