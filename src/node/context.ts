/**
 * What every role of a node shares: its ports and configuration, its view of
 * the log, and the one way it writes (a message folded into its view at
 * once), reads (gated by any wait GitHub asked for) and waits (a poll
 * interval from the budget, a settle window, a back-off after an error).
 *
 * @module
 */
import type { Executor } from "../executor/port.ts";
import type { GitHub, IssueInfo } from "../github/port.ts";
import type { Planner } from "../planner/planner.ts";
import { encodeMessage, MAX_COMMENT_CHARS } from "../protocol/codec.ts";
import type { Attempt, SwarmState } from "../protocol/state.ts";
import type { LogComment, ProtocolEvent } from "../protocol/types.ts";
import { activeNodes, taskPhase } from "../protocol/view.ts";
import { VERSION } from "../version.ts";
import { errorText, isFatalApiError } from "./api_errors.ts";
import { AdmissionControl, SWARM_WINDOW_MS } from "./admission.ts";
import type { NodeConfig } from "./config.ts";
import type { NodeEvent } from "./events.ts";
import { LAG_DEFAULTS, LagEstimator, LagObserver } from "./lag.ts";
import type { ListRead, LogView } from "./log_view.ts";
import type { Clock, Random } from "./ports.ts";
import { RateGate } from "./rate_gate.ts";

/**
 * The shortest settle window of a node: `settleFloorMs`, or 1 s (at most
 * the configured window).
 *
 * @example
 * ```ts
 * settleFloorMs(defaultConfig(1, "n1")); // 1000
 * ```
 */
export function settleFloorMs(config: Pick<NodeConfig, "settleMs" | "settleFloorMs">): number {
  return Math.min(config.settleFloorMs ?? LAG_DEFAULTS.floorMs, config.settleMs);
}

/**
 * The ports and trust settings a node runs with.
 *
 * @example
 * ```ts
 * const deps: NodeDeps = { github, clock: systemClock, random: systemRandom, executor, planner, signal };
 * ```
 */
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

/**
 * One node's shared context; the roles (election, leading, claims, execution)
 * act through it.
 *
 * @example
 * ```ts
 * const ctx = new NodeContext(deps, config);
 * ctx.attach(view, "github-actions[bot]");
 * await ctx.post([{ type: "heartbeat", tasks: [] }]);
 * ```
 */
export class NodeContext {
  readonly deps: NodeDeps;
  readonly config: NodeConfig;
  /** The GitHub port behind this node's rate gate: use it for every request. */
  readonly github: GitHub;
  /** Holds every request while GitHub asked for quiet. */
  readonly gate: RateGate;
  /** How many nodes may work, and this node's poll and renewal rates. */
  readonly admission: AdmissionControl;
  /** Nonces of every message this process wrote (or tried to). */
  readonly nonces = new Set<string>();
  /** Whether this node's announcement has landed. */
  announced = false;
  /** Comments this node wrote. */
  writes = 0;
  /** Local time of the last list read (tried). */
  lastRead = 0;
  /** Local time at which the last successful list read was sent. */
  lastGoodRead = 0;
  /** Local time at which the last write of this node was sent. */
  lastWrite = 0;
  /** Local time the node started (for `--max-runtime`). */
  startedAt = 0;
  /** Attempts in a row that failed for reasons of this node, not the task's. */
  localFailures = 0;
  /** Runs after every poll (answering `/p2p-dev status` within one poll, even while busy). */
  onPolled?: () => Promise<void>;
  /** List lag as this node measured it: the settle window in force. */
  readonly lag: LagEstimator;
  /** What this node's list reads and own writes tell about list lag. */
  readonly lagObserver: LagObserver;
  #view?: LogView;
  #login = "";
  #issue?: IssueInfo;
  /** This node's own wait before restoring what people rewrote (drawn once). */
  #restoreDelay: number | undefined;

  constructor(deps: NodeDeps, config: NodeConfig) {
    this.deps = deps;
    this.config = config;
    this.gate = new RateGate(deps.clock, deps.signal);
    this.github = this.gate.wrap(deps.github);
    this.admission = new AdmissionControl(this);
    this.lag = new LagEstimator({
      ...LAG_DEFAULTS,
      floorMs: settleFloorMs(config),
      ceilingMs: config.settleMs,
    });
    this.lagObserver = new LagObserver(this.lag);
  }

  /** Binds the context to its view of the log and the token's login (once known). */
  attach(view: LogView, login: string): void {
    this.#view = view;
    this.#login = login;
  }

  /** Whether the first read of the log has been made. */
  get attached(): boolean {
    return this.#view !== undefined;
  }

  /** The node's view of the log. */
  get view(): LogView {
    if (!this.#view) throw new Error("The node's view of the log is used before it was read.");
    return this.#view;
  }

  /** The token's login (empty until known: an installation token learns it from its first write). */
  get login(): string {
    return this.#login;
  }

  /** Reports an event. */
  emit(event: NodeEvent): void {
    this.deps.log?.(event);
  }

  /** Estimated server time; 0 until the first read (the token's identity comes first). */
  now(): number {
    return this.#view ? this.#view.serverNow() : 0;
  }

  /** The issue's title and body, read once. */
  async issue(): Promise<IssueInfo> {
    this.#issue ??= await this.github.getIssue(this.config.issue);
    return this.#issue;
  }

  /** A random nonce (128 bits, hex). */
  nonce(): string {
    const r = this.deps.random;
    let s = "";
    for (let i = 0; i < 4; i++) {
      s += Math.floor(r.next() * 0x100000000).toString(16).padStart(8, "0");
    }
    return s;
  }

  // --- writing --------------------------------------------------------------

  /** Posts one message (with the announcement, until it landed) and folds it into the view at once. */
  async post(
    events: ProtocolEvent[],
    nonce = this.nonce(),
  ): Promise<{ comment: LogComment; nonce: string }> {
    const announcing = !this.announced;
    if (announcing) {
      events = [{
        type: "announce",
        role: "node",
        version: VERSION,
        exec: this.deps.executor.name,
      }, ...events];
    }
    // Logins this node trusts and the log does not vouch for yet (see facts.ts).
    const vouch = this.view.vouchEvent();
    if (vouch) events = [...events, vouch];
    this.nonces.add(nonce);
    const body = this.encode(events, nonce);
    this.lastWrite = this.deps.clock.now();
    const comment = await this.github.createComment(this.config.issue, body, nonce);
    this.writes++;
    this.lagObserver.noteOwn(comment.id, comment.createdAt);
    if (announcing) this.announced = true;
    if (!this.#login) {
      // An installation token that neither GET /user nor GraphQL named: its
      // first comment shows who it is.
      this.#login = comment.author;
      await this.view.setSelf(comment.author);
    }
    await this.view.addOwn(comment);
    this.deps.onState?.(this.view.state, this.now());
    return { comment, nonce };
  }

  /** This node's message for `owner/repo#issue`, signed when a secret is set. */
  encode(events: ProtocolEvent[], nonce: string): string {
    return encodeMessage(
      { node: this.config.node, nonce, events },
      { repo: this.view.policy.repo, issue: this.config.issue, secret: this.deps.secret },
    );
  }

  /**
   * Trusted messages people edited or deleted since this node folded them:
   * says what they were, in one comment per call (as many restores as fit),
   * after a wait of this node's own (unless `now`) so that the nodes that
   * noticed together do not all post the same restore.
   */
  async postRestores(now = false): Promise<void> {
    this.#restoreDelay ??= this.config.settleMs * this.deps.random.next();
    const events = this.view.restoreEvents(now ? 0 : this.#restoreDelay);
    const batch: ProtocolEvent[] = [];
    let size = 0;
    for (const e of events) {
      const chars = JSON.stringify(e).length;
      if (batch.length > 0 && (size + chars > MAX_COMMENT_CHARS / 2 || batch.length >= 40)) break;
      batch.push(e);
      size += chars;
    }
    if (batch.length) await this.post(batch);
  }

  /** How often a read goes without `since`, to notice deleted comments. */
  fullReadMs(): number {
    const state = this.view.state;
    const nodes = Math.max(1, activeNodes(state, this.now(), SWARM_WINDOW_MS).length);
    // A log of a few pages is read whole at every poll: its pages answer 304
    // (free) while unchanged, so this costs no more than reading `since`.
    // A longer one once a lease per node (with several nodes, someone
    // notices sooner), or slower so that the swarm's full reads stay within
    // a third of GitHub's 900 points a minute.
    const pages = Math.ceil(this.view.size / 100);
    if (pages <= 3) return 0;
    return Math.max(state.settings.leaseMs, pages * nodes * 200);
  }

  /**
   * Releases, in one comment, every live attempt that `mine` picks and this
   * process is not running, skipping `except` (tasks whose result is about to
   * be posted).
   */
  async releaseLive(
    mine: (attempt: Attempt) => boolean,
    reason: string,
    except: ReadonlySet<string> = new Set(),
  ): Promise<void> {
    const state = this.view.state;
    const now = this.now();
    const events: ProtocolEvent[] = [];
    for (const id of state.order) {
      if (except.has(id)) continue;
      const task = state.tasks[id]!;
      const live = task.attempts.at(-1);
      if (live && mine(live) && taskPhase(state, task, now) === "running") {
        events.push({ type: "release", task: id, attempt: live.n, reason });
      }
    }
    if (events.length) await this.post(events);
  }

  // --- reading and waiting --------------------------------------------------

  /** Sleeps one poll interval (with jitter), then re-reads the log. */
  async wait(mode: "idle" | "busy", capMs = Infinity, cancel?: AbortSignal): Promise<void> {
    await this.admission.remeasure();
    const interval = this.admission.pollMs(mode);
    const ms = Math.min(capMs, interval * (1 + this.config.jitter * this.deps.random.next()));
    const signal = cancel ? AbortSignal.any([this.deps.signal, cancel]) : this.deps.signal;
    try {
      await this.deps.clock.sleep(ms, signal);
    } catch {
      return; // interrupted or cancelled: the caller notices
    }
    const changed = await this.refresh();
    this.emit({
      type: "poll",
      changed,
      comments: this.view.size,
      intervalMs: Math.round(ms),
      serverTime: this.now(),
    });
    if (this.onPolled) {
      try {
        await this.onPolled();
      } catch (error) {
        if (isFatalApiError(error)) throw error;
        this.emit({ type: "api_error", message: errorText(error), serverTime: this.now() });
      }
    }
  }

  /** Local time when `--max-runtime` runs out (Infinity without it). */
  deadline(): number {
    return this.config.maxRuntimeMs === undefined
      ? Infinity
      : this.startedAt + this.config.maxRuntimeMs;
  }

  /**
   * Re-reads the log (`full`: without `since`, looking for deleted comments);
   * transient errors are reported and read as "nothing changed".
   */
  async refresh(options: { full?: boolean } = {}): Promise<boolean> {
    try {
      await this.gate.pass();
      const sent = this.lastRead = this.deps.clock.now();
      const changed = await this.view.refresh(options);
      this.lastGoodRead = sent;
      if (changed) this.deps.onState?.(this.view.state, this.now());
      return changed;
    } catch (error) {
      if (isFatalApiError(error)) throw error;
      this.emit({ type: "api_error", message: errorText(error), serverTime: this.now() });
      return false;
    }
  }

  /** Learns list lag from one list read (the view calls it; see lag.ts). */
  observeRead(read: ListRead): void {
    this.lagObserver.observeRead(read);
  }

  /**
   * Waits the settle window, then re-reads: the window list lag calls for
   * now (lag.ts; at most the configured `settleMs`), with jitter. A read that
   * shows a longer lag (this node's own comment still missing, or another
   * lagging comment) widens the window at once: the node waits on and reads
   * again, up to the configured window. Before its first observation the
   * window is the ceiling, read at every floor.
   */
  async settle(): Promise<void> {
    const stretch = 1 + this.config.jitter * this.deps.random.next();
    const started = this.deps.clock.now();
    const ceiling = this.config.settleMs * stretch;
    while (true) {
      const target = Math.min(ceiling, this.lag.windowMs(this.now()) * stretch);
      const elapsed = this.deps.clock.now() - started;
      if (elapsed > 0 && elapsed >= target) return;
      // A window widened by a little still waits a floor's half, not a few
      // ms; a node that has observed nothing yet (its first election or
      // claim) reads at the floor: whether its own comment shows is the
      // first observation.
      const floor = this.lag.options.floorMs;
      const step = this.lag.count === 0 ? floor * stretch : target - elapsed;
      const ms = Math.min(ceiling - elapsed, Math.max(step, floor / 2));
      try {
        await this.deps.clock.sleep(ms, this.deps.signal);
      } catch {
        return;
      }
      await this.refresh();
    }
  }

  /** Waits after a transient error: `retry-after` when GitHub gave one, else exponential. */
  async backOff(failures: number): Promise<void> {
    const asked = this.gate.remainingMs(); // a rate limit: as long as GitHub asked
    const ms = asked > 0
      ? asked
      : Math.min(this.config.pollMaxMs, this.config.pollMinMs * 2 ** Math.min(failures, 10));
    try {
      await this.deps.clock.sleep(
        ms * (1 + this.config.jitter * this.deps.random.next()),
        this.deps.signal,
      );
    } catch {
      // Interrupted: the loop notices the signal.
    }
  }
}
