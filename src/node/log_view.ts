/**
 * A node's view of the issue's log: every comment it has seen, merged by id,
 * and the state folded from them.
 *
 * - Reads are incremental (`since` the newest `updated_at`, less a slack for
 *   lagging comments) and conditional (the adapter sends `If-None-Match`).
 *   Every `fullReadMs` a read goes without `since`, to notice deletions.
 * - A read that lacks a comment already seen is stale: the view keeps what it
 *   has ("no time travel"). A comment the view folded as a trusted message
 *   and that later changes or disappears (confirmed by reading it by id) is
 *   kept as it was, and the node restores it for everyone (`restoreEvents`).
 *   A comment a full read lacks is read by id only once it is older than
 *   twice the longest lag the view has seen: a by-id read that finds the
 *   comment shows the list lagged that long, so a lagging comment is not read
 *   again and again at every poll (`confirms` counts these reads).
 * - A node's own writes enter the view at once (`addOwn`): it never re-reads
 *   to learn what it just wrote.
 * - The view keeps what the fold needs, not every body: decoded messages that
 *   can count, and for the rest (people's comments, strangers' messages) only
 *   their kind and a digest that shows an edit.
 * - Appends fold incrementally; a comment that arrives out of id order, a
 *   login that becomes trusted, or a restore of an older comment refolds from
 *   the latest checkpoint before it, never from the start when one is kept.
 *   A change to a comment that never counted only corrects the counters.
 * - Authors of protocol messages and steering commands are looked up once
 *   for write permission (not messages with a secret, where the signature
 *   decides); the node vouches for the ones it trusts (`vouchEvent`), so
 *   readers that start later trust them alike.
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { GitHub, Permission } from "../github/port.ts";
import { MAX_COMMENT_CHARS, renderMessage } from "../protocol/codec.ts";
import { judgeEntry, type LogEntry, toEntry } from "../protocol/entry.ts";
import { bearsFacts, type LogFacts, logFacts, NO_FACTS, restoredEntry } from "../protocol/facts.ts";
import { applyEntry } from "../protocol/fold.ts";
import { emptyState, type SwarmState } from "../protocol/state.ts";
import {
  isRootAuthor,
  type RejectReason,
  type TrustPolicy,
  type Verdict,
} from "../protocol/trust.ts";
import type { LogComment, ProtocolEvent, VouchReason } from "../protocol/types.ts";
import type { Clock } from "./ports.ts";
import { ownCopy } from "../text/own_copy.ts";

const WRITE_LEVELS = new Set<Permission>(["admin", "maintain", "write"]);

/** Entries applied between two checkpoints of the folded state. */
const CHECKPOINT_EVERY = 128;
/** Checkpoints kept (the newest): a refold goes back at most this far before a full one. */
const CHECKPOINTS_KEPT = 4;
/** Comments a page of a list holds (the adapter asks for 100). */
const PER_PAGE = 100;
/** Comments confirmed by id per read when a full read misses them. */
const CONFIRMS_PER_READ = 5;
/**
 * The longest list lag the view learns from its confirmations: a deletion of
 * a comment younger than twice this can go unnoticed until it is that old.
 */
const LEARNED_LAG_MAX_MS = 5 * 60_000;

/** One comment as the view keeps it. */
interface Kept {
  entry: LogEntry;
  /** SHA-256 of the body as last read: an edit changes it. */
  digest: string;
  /** `updated_at` as last read (the entry keeps the version that counts). */
  seen: number;
  /** The body's first {@linkcode HEAD_CHARS} characters (a marker, a status line). */
  head: string;
}

/** Characters of each body kept besides what the fold needs. */
const HEAD_CHARS = 256;

/**
 * One list read as {@linkcode LogView}'s `onRead` sees it.
 *
 * @example
 * ```ts
 * const onRead = (read: ListRead) => console.log(read.fresh.size, "new at", read.serverTime);
 * ```
 */
export interface ListRead {
  comments: readonly LogComment[];
  /** The read's server time (`Date`). */
  serverTime: number;
  /** Ids of the comments this read showed the view for the first time. */
  fresh: ReadonlySet<number>;
}

/** A comment the view folded as a trusted message, that changed or disappeared since. */
interface Lost {
  entry: LogEntry;
  how: "edited" | "deleted";
  /** Local time the view noticed. */
  at: number;
}

/**
 * The merged log and its fold.
 *
 * @example
 * ```ts
 * const view = new LogView({ github, clock, issue: 7, self: "bot", allow: [], sinceSlackMs: 120_000 });
 * await view.refresh();
 * view.state.plan;
 * ```
 */
export class LogView {
  #github: GitHub;
  #clock: Clock;
  #issue: number;
  #slack: number;
  #fullReadMs: () => number;
  #lagMs: number;
  #lastFullRead = -Infinity;
  #kept = new Map<number, Kept>();
  /** Ids of kept comments and of restored ones the view never saw, ascending. */
  #order: number[] = [];
  /** Kept entries that carry vouches or restores. */
  #bearing = new Map<number, LogEntry>();
  /** Message and command entries per author (for look-ups, vouches and withheld bodies). */
  #byAuthor = new Map<string, number[]>();
  /** Creation times of the kept comments per author (lower case), ascending. */
  #createdBy = new Map<string, number[]>();
  /** Authors of steering commands. */
  #commanders = new Set<string>();
  #raw: Map<number, LogComment> | undefined;
  #facts: LogFacts = NO_FACTS;
  #state: SwarmState = emptyState();
  #checkpoints: { lastId: number; state: SwarmState }[] = [];
  #sinceCheckpoint = 0;
  #policy: TrustPolicy;
  #allow: Set<string>;
  #writers = new Set<string>();
  #checked = new Map<string, Permission>();
  #lost = new Map<number, Lost>();
  #maxUpdated = 0;
  #serverTime = 0;
  #localAtServer = 0;
  #lastNow = 0;
  #reads = 0;
  #reapplied = 0;
  /** The longest a list lacked a comment that a by-id read then found (server ms). */
  #listLagSeen = 0;
  #confirms = 0;
  /** Known comments the last full read lacked (deleted, or lagging). */
  #absent = new Set<number>();
  /** Requests the last read made beyond the list's pages: by-id reads, a re-read after a shift. */
  #extraLastRead = 0;
  /** Election comments read by id because a plan named them (its fencing token). */
  #namedElections = new Set<number>();
  #onRead: ((read: ListRead) => void) | undefined;

  constructor(
    options: {
      github: GitHub;
      clock: Clock;
      issue: number;
      /** The token's login; unknown (installation tokens) until the node's first write. */
      self: string | undefined;
      allow: readonly string[];
      secret?: string | undefined;
      sinceSlackMs: number;
      /** How often a read goes without `since` to notice deletions (default: never). */
      fullReadMs?: () => number;
      /**
       * How old a comment a full read lacks must be before it is read by id
       * to tell a deletion from list lag (default `sinceSlackMs`).
       */
      lagMs?: number;
      /** Keep every comment's body (for one-shot readers such as the aggregator). */
      retainBodies?: boolean;
      /**
       * Called after each list read, before it is folded, with what it
       * returned, its server time and which comments it showed for the first
       * time (the node measures list lag from them).
       */
      onRead?: (read: ListRead) => void;
    },
  ) {
    this.#github = options.github;
    this.#clock = options.clock;
    this.#issue = options.issue;
    this.#slack = options.sinceSlackMs;
    this.#fullReadMs = options.fullReadMs ?? (() => Infinity);
    this.#lagMs = options.lagMs ?? options.sinceSlackMs;
    this.#allow = new Set(options.allow);
    this.#policy = {
      repo: `${options.github.repository.owner}/${options.github.repository.repo}`,
      issue: options.issue,
      self: options.self || undefined,
      allow: this.#allow,
      writers: this.#writers,
      secret: options.secret,
    };
    if (options.retainBodies) this.#raw = new Map();
    this.#onRead = options.onRead;
  }

  /** The folded state. Treat it as read-only. */
  get state(): SwarmState {
    return this.#state;
  }

  /** The trust policy in use (writers fill in as authors are looked up). */
  get policy(): TrustPolicy {
    return this.#policy;
  }

  /** The log's vouches and restores, as this view sees them. */
  get facts(): LogFacts {
    return this.#facts;
  }

  /** Every comment seen, decoded, ascending id (restored comments as they stand). */
  entries(): LogEntry[] {
    return this.#order.map((id) => this.#effective(id)!).filter((e) => e !== undefined);
  }

  /**
   * Every comment seen, ascending id. With `retainBodies`, as read; else a
   * message that counts has its body (what the encoder writes for it: a
   * protocol comment is exactly that) and any other comment only its first
   * 256 characters (a node keeps what the fold needs, not every body).
   */
  comments(): LogComment[] {
    if (this.#raw) return [...this.#raw.values()].sort((a, b) => a.id - b.id);
    const out: LogComment[] = [];
    for (const id of this.#order) {
      const kept = this.#kept.get(id);
      const entry = this.#effective(id);
      if (!kept || !entry) continue;
      const { body: decoded, ...fields } = entry;
      const body = decoded.kind === "message" && decoded.message.v === 1
        ? renderMessage(decoded.message)
        : kept.head;
      out.push({ ...fields, body });
    }
    return out;
  }

  /**
   * Creation times, ascending, of the comments {@linkcode comments} lists that
   * `login` (any case) wrote after `since`: what {@linkcode comments} would
   * show of that author, without rendering a body.
   *
   * @example
   * ```ts ignore
   * const lastHour = view.authoredTimes("github-actions[bot]", now - 3_600_000).length;
   * ```
   */
  authoredTimes(login: string, since: number): number[] {
    // A restore stands in for a kept comment only with its author and time,
    // so the kept ones' authors and times are what the list shows.
    const times = this.#createdBy.get(login.toLowerCase());
    return times ? times.slice(upperBound(times, since)) : [];
  }

  /** Number of comments seen. */
  get size(): number {
    return this.#kept.size;
  }

  /** Number of list reads made. */
  get reads(): number {
    return this.#reads;
  }

  /** Comments read by id so far (a full read lacked them: lag or deletion). */
  get confirms(): number {
    return this.#confirms;
  }

  /**
   * Requests the last read made besides the list's pages (by-id reads of
   * comments it lacked, a re-read after a page shift): they spend the same
   * per-minute budget.
   */
  get extraRequestsLastRead(): number {
    return this.#extraLastRead;
  }

  /**
   * Requests a poll is expected to cost: the list's pages (every page when
   * `whole`, else the one a read `since` needs) and the extra requests the
   * last read needed. They all spend GitHub's per-minute budget of points.
   *
   * @example
   * ```ts ignore
   * const swarmMs = (workers * 60_000 * view.requestsPerRead(true)) / SWARM_POLLS_PER_MINUTE;
   * ```
   */
  requestsPerRead(whole: boolean): number {
    return (whole ? Math.max(1, Math.ceil(this.size / PER_PAGE)) : 1) + this.#extraLastRead;
  }

  /**
   * The longest a list was seen lacking a comment that still existed (ms,
   * server time, at most {@linkcode LEARNED_LAG_MAX_MS}): what the view
   * learned of the list's lag.
   */
  get listLagSeen(): number {
    return this.#listLagSeen;
  }

  /** Local time of the last read without `since` (-Infinity before any). */
  get lastFullRead(): number {
    return this.#lastFullRead;
  }

  /** Entries folded again by refolds so far (what out-of-order arrivals and trust changes cost). */
  get reapplied(): number {
    return this.#reapplied;
  }

  /**
   * Characters the view holds for comment contents (decoded messages and
   * errors; bodies too with `retainBodies`): what a flood of large comments
   * costs it.
   */
  heldChars(): number {
    let n = 0;
    for (const { entry } of this.#kept.values()) {
      const b = entry.body;
      if (b.kind === "message") n += JSON.stringify(b.message).length;
      else if (b.kind === "malformed") n += b.error.length;
    }
    for (const { head } of this.#kept.values()) n += head.length;
    for (const c of this.#raw?.values() ?? []) n += c.body.length;
    return n;
  }

  /**
   * Estimated server time now: the newest server time seen, advanced by local
   * elapsed time since (local clocks may be offset; only differences are used).
   */
  serverNow(): number {
    const elapsed = this.#serverTime === 0
      ? 0
      : Math.max(0, this.#clock.now() - this.#localAtServer);
    // Never backwards: a newer Date header is truncated to the second and was
    // stamped one latency ago, so it can lie behind the running estimate.
    this.#lastNow = Math.max(this.#lastNow, this.#state.lastTime, this.#serverTime + elapsed);
    return this.#lastNow;
  }

  /**
   * Reads new and changed comments and folds them. Returns whether the state
   * may have changed. `full`: read without `since` now (and look for deleted
   * comments), whenever the last full read was.
   */
  async refresh(options: { full?: boolean } = {}): Promise<boolean> {
    const full = options.full === true || this.#maxUpdated === 0 ||
      this.#clock.now() - this.#lastFullRead >= this.#fullReadMs();
    const since = full
      ? undefined
      : new Date(Math.floor((this.#maxUpdated - this.#slack) / 60_000) * 60_000).toISOString();
    const page = await this.#github.listComments(this.#issue, since);
    this.#reads++;
    this.#extraLastRead = 0;
    if (full) this.#lastFullRead = this.#clock.now();
    this.#noteServerTime(page.serverTime);
    // The lag observer sees the list read, not the re-read after a shift
    // below (it starts at a time of its own, so what it lacks proves no lag).
    if (this.#onRead) {
      const fresh = new Set<number>();
      for (const c of page.comments) if (!this.#kept.has(c.id)) fresh.add(c.id);
      this.#onRead({ comments: page.comments, serverTime: page.serverTime, fresh });
    }
    const shiftedFrom = full ? this.#shiftedFrom(page.comments) : undefined;
    // A 304 still carries the cached page: merging it is cheap (known
    // comments are skipped) and matters for a view new to this adapter.
    let changed = await this.#merge(page.comments, true);
    if (shiftedFrom !== undefined) {
      // Read again every comment that could have slid between two pages.
      const again = await this.#github.listComments(
        this.#issue,
        new Date(Math.floor(shiftedFrom / 1000) * 1000).toISOString(),
      );
      this.#reads++;
      this.#extraLastRead++;
      this.#noteServerTime(again.serverTime);
      changed = (await this.#merge(again.comments, true)) || changed;
    }
    if (full) changed = (await this.#confirmMissing(page.comments)) || changed;
    changed = (await this.#readNamedElections(page.comments)) || changed;
    return changed;
  }

  /**
   * A trusted plan part whose term's election comment the lists have not
   * shown (list lag: the plan came through on a replica the election had not
   * reached yet) names that comment: its fencing token is the election's
   * comment id. Read it by id, once, rather than wait out the lag with the
   * plan in hand: the node follows the leader and works seconds sooner.
   */
  async #readNamedElections(read: LogComment[]): Promise<boolean> {
    if (this.#state.plan) return false;
    let changed = false;
    for (const c of read) {
      const entry = this.#kept.has(c.id) ? this.#effective(c.id) : undefined;
      if (!entry || entry.body.kind !== "message" || !this.#judge(entry).ok) continue;
      for (const e of entry.body.message.events) {
        if (e.type !== "plan") continue;
        const id = e.token;
        // An election comes before its plan; one read by id per token.
        if (id <= 0 || id >= c.id || this.#kept.has(id) || this.#namedElections.has(id)) continue;
        this.#extraLastRead++;
        const election = await this.#github.getComment(id);
        this.#namedElections.add(id);
        if (election) changed = (await this.#merge([election], false)) || changed;
      }
    }
    return changed;
  }

  /**
   * Whether a full read may have lost a comment to a page shift, and from
   * which `updated_at` to read again (undefined: it may not). GitHub pages a
   * list by offset (100 a page): a comment deleted while the pages are read
   * (or gone on one replica and not yet on another) moves every later comment
   * one place up, so the first comment of a page can slide onto the page
   * before, already read, and show on neither. The deleted comment is gone
   * from the read that lost a neighbour, or from the next one: a known
   * comment a full read newly lacks, with a page boundary after its place,
   * is such a deletion. Each one is looked at once (the view keeps a deleted
   * comment, which every later full read lacks).
   */
  #shiftedFrom(read: LogComment[]): number | undefined {
    const absent = new Set<number>();
    let from: number | undefined;
    if (read.length > 0) {
      const ids = read.map((c) => c.id).sort((a, b) => a - b);
      const present = new Set(ids);
      const newest = ids.at(-1)!;
      // The server's list had at least one more comment than this read shows.
      const lastBoundary = PER_PAGE * Math.floor((read.length + 1) / PER_PAGE);
      for (const id of this.#order) {
        if (id > newest) break;
        const kept = this.#kept.get(id);
        if (!kept || present.has(id)) continue;
        absent.add(id);
        if (from === undefined && !this.#absent.has(id) && upperBound(ids, id) < lastBoundary) {
          from = kept.entry.createdAt;
        }
      }
    }
    this.#absent = absent;
    return from;
  }

  /** Adds a comment this node just wrote, without a read. */
  async addOwn(comment: LogComment): Promise<void> {
    this.#noteServerTime(comment.createdAt);
    await this.#merge([comment], false);
  }

  /**
   * Sets the token's own login once learned (from the author of the node's
   * first write, when `GET /user` is not open to the token).
   */
  async setSelf(login: string): Promise<void> {
    if (this.#policy.self === login) return;
    const trustedBefore = new Set(this.#trustedAuthors());
    this.#policy.self = login;
    await this.#settleTrust(trustedBefore, [], Infinity);
  }

  /**
   * A `vouch` event for the logins this node trusts by its own roots (its
   * allow list, or a write-level look-up) that wrote messages the log does
   * not vouch for yet; `undefined` when there is none (and always with a
   * secret, where the signature decides).
   */
  vouchEvent(): ProtocolEvent | undefined {
    if (this.#policy.secret) return undefined;
    const logins: { login: string; reason: VouchReason }[] = [];
    for (const login of this.#byAuthor.keys()) {
      if (login === this.#policy.self || Object.hasOwn(this.#state.vouched, login)) continue;
      const reason: VouchReason | undefined = this.#allow.has(login)
        ? "allow"
        : this.#writers.has(login)
        ? this.#checked.get(login) as VouchReason
        : undefined;
      if (reason) logins.push({ login, reason });
      if (logins.length === 100) break;
    }
    return logins.length ? { type: "vouch", logins } : undefined;
  }

  /**
   * `restore` events for trusted messages this view folded whose comments
   * were edited or deleted since (noticed at least `minAgeMs` ago), and that
   * no restore in the log stands for yet.
   */
  restoreEvents(minAgeMs = 0): ProtocolEvent[] {
    const out: ProtocolEvent[] = [];
    const now = this.#clock.now();
    for (const [id, lost] of this.#lost) {
      if (now - lost.at < minAgeMs) continue;
      if (this.#facts.restores.has(id)) {
        this.#lost.delete(id);
        continue;
      }
      const { entry } = lost;
      const event: ProtocolEvent = {
        type: "restore",
        comment: id,
        author: entry.author,
        createdAt: entry.createdAt,
      };
      if (entry.body.kind === "message") event.message = entry.body.message;
      // What does not fit in a comment cannot be restored (a legacy message
      // near GitHub's limit); it stays as this view folded it.
      const size = renderMessage({
        v: 1,
        node: "n".repeat(100),
        nonce: "n".repeat(40),
        events: [event],
        sig: "0".repeat(64),
      }).length;
      if (size > MAX_COMMENT_CHARS - 8_000) {
        this.#lost.delete(id);
        continue;
      }
      out.push(event);
    }
    return out;
  }

  #noteServerTime(t: number): void {
    if (t > this.#serverTime) {
      this.#serverTime = t;
      this.#localAtServer = this.#clock.now();
    }
  }

  // --- merging ----------------------------------------------------------------

  async #merge(incoming: LogComment[], fromRead: boolean): Promise<boolean> {
    // Decide first, look authors up (which may fail), and only then record:
    // a failed look-up must not leave comments marked as seen but never folded.
    const fresh: { comment: LogComment; entry: LogEntry; digest: string }[] = [];
    const changes: { kept: Kept; comment: LogComment; digest: string }[] = [];
    for (const c of incoming) {
      const kept = this.#kept.get(c.id);
      if (kept && c.updatedAt < kept.seen) continue; // an older version: stale
      const digest = commentDigest(c);
      if (kept) {
        if (c.updatedAt === kept.seen && digest === kept.digest) {
          const body = kept.entry.body;
          // A login trusted since: take the body this time.
          if (
            body.kind === "withheld" && body.reason === "untrusted_author" && this.#trusts(c.author)
          ) {
            changes.push({ kept, comment: c, digest });
          }
          continue;
        }
        changes.push({ kept, comment: c, digest });
      } else {
        fresh.push({ comment: c, entry: toEntry(c), digest });
      }
    }
    if (fresh.length === 0 && changes.length === 0) {
      if (fromRead) this.#advanceSince(incoming);
      return false;
    }
    const trustedBefore = new Set(this.#trustedAuthors());
    const looked = await this.#lookUp(
      fresh.filter((f) => this.#needsAuthor(f.entry)).map((f) => f.entry.author),
    );

    let from = Infinity;
    for (const f of fresh.sort((a, b) => a.entry.id - b.entry.id)) {
      this.#keep(
        f.entry,
        f.digest,
        f.comment.updatedAt,
        ownCopy(f.comment.body.slice(0, HEAD_CHARS)),
      );
      this.#raw?.set(f.comment.id, f.comment);
      if (f.entry.id <= this.#state.lastId) from = Math.min(from, f.entry.id);
    }
    for (const ch of changes) {
      from = Math.min(from, this.#change(ch.kept, ch.comment, ch.digest));
      this.#raw?.set(ch.comment.id, ch.comment);
    }
    if (fromRead) this.#advanceSince(incoming);
    await this.#settleTrust(trustedBefore, looked, from);
    return true;
  }

  /**
   * Moves `since` to the newest `updated_at` a read returned, known comments
   * included: a node's own writes come back in its reads, and a swarm of one
   * would otherwise list the whole log at every poll. Only reads move it: an
   * own write may be far newer than what this node has read (after a pause),
   * and must not hide what it missed.
   */
  #advanceSince(read: LogComment[]): void {
    for (const c of read) if (c.updatedAt > this.#maxUpdated) this.#maxUpdated = c.updatedAt;
  }

  /**
   * A known comment read again with another body or `updated_at`. Returns
   * the id to refold from, or Infinity.
   */
  #change(kept: Kept, comment: LogComment, digest: string): number {
    const id = comment.id;
    const sameSecond = comment.updatedAt === kept.seen && digest !== kept.digest;
    const takeBack = kept.entry.body.kind === "withheld" && digest === kept.digest &&
      comment.updatedAt === kept.seen;
    kept.seen = comment.updatedAt;
    kept.digest = digest;
    const next = toEntry(comment);
    kept.head = ownCopy(comment.body.slice(0, HEAD_CHARS));
    if (takeBack) {
      // A body withheld before and wanted now: same comment, now decoded.
      kept.entry = next;
      this.#bearingUpdate(next);
      return id;
    }
    // Edited within its own second: `updated_at` cannot show it, but this
    // node saw the first body. Mark it edited so it never counts.
    if (sameSecond) next.updatedAt = next.createdAt + 1;
    if (kept.entry.body.kind === "command" || next.body.kind === "command") {
      // A person's steering command edited: it no longer counts for any
      // reader (an edit never does); fold again as the log now stands.
      kept.entry = next;
      if (next.body.kind === "command") this.#commanders.add(next.author);
      return id;
    }
    const before = this.#effective(id)!;
    const verdict = this.#judge(before);
    if (verdict.ok) {
      // It counted: keep it as it was, and restore it for everyone.
      if (!this.#lost.has(id)) {
        this.#lost.set(id, { entry: before, how: "edited", at: this.#clock.now() });
      }
      return Infinity;
    }
    // It never counted: it still does not (an edit never does); only the
    // counters move, in the state and in every checkpoint that folded it.
    if (sameSecond && this.#judge({ ...next, updatedAt: comment.updatedAt }).ok) {
      // Rewritten into a message that would count for a reader who never saw
      // the first body: tell every reader it carried none.
      this.#lost.set(id, {
        entry: { ...kept.entry, body: { kind: "foreign" } },
        how: "edited",
        at: this.#clock.now(),
      });
    }
    kept.entry = this.#withhold(next);
    this.#bearingUpdate(kept.entry);
    if (id <= this.#state.lastId && !this.#facts.restores.has(id)) {
      this.#recount(id, verdict, this.#judge(kept.entry));
    }
    return Infinity;
  }

  /** Moves one comment's count from one rejection reason to another. */
  #recount(id: number, before: Verdict, after: Verdict): void {
    if (before.ok || after.ok) return;
    const states = [
      this.#state,
      ...this.#checkpoints.filter((c) => c.lastId >= id).map((c) => c.state),
    ];
    for (const s of states) {
      bump(s, before.reason, -1);
      bump(s, after.reason, 1);
    }
  }

  /**
   * After a full read: comments the view folded as trusted messages that the
   * read lacks are read by id; those gone are restored for everyone.
   *
   * A list lacking a comment is lag or a deletion, and only a by-id read
   * tells which. One that finds the comment shows the list lagged at least
   * the comment's age: the view then waits for lacking comments to grow
   * twice that old before it asks again, so lag it has already seen never
   * costs a read, and lag costs at most a few reads in the view's life (each
   * doubles the wait, up to {@linkcode LEARNED_LAG_MAX_MS}).
   */
  async #confirmMissing(read: LogComment[]): Promise<boolean> {
    if (read.length === 0) return false;
    const present = new Set(read.map((c) => c.id));
    const newest = read.at(-1)!.id;
    const readAt = this.serverNow();
    let asked = 0;
    let changed = false;
    for (const id of this.#order) {
      if (id > newest || asked >= CONFIRMS_PER_READ) break;
      const kept = this.#kept.get(id);
      if (!kept || present.has(id) || this.#lost.has(id)) continue;
      const entry = this.#effective(id)!;
      // A comment younger than the lag to expect may only be lagging: not asked about yet.
      if (entry.createdAt > readAt - Math.max(this.#lagMs, 2 * this.#listLagSeen)) continue;
      if (!this.#judge(entry).ok || this.#facts.restores.has(id)) continue;
      asked++;
      this.#confirms++;
      this.#extraLastRead++;
      const now = await this.#github.getComment(id);
      if (now === null) {
        this.#lost.set(id, { entry, how: "deleted", at: this.#clock.now() });
        changed = true;
      } else {
        // It exists: the list lagged (by at least its age when listed).
        this.#listLagSeen = Math.min(
          LEARNED_LAG_MAX_MS,
          Math.max(this.#listLagSeen, readAt - entry.createdAt),
        );
        changed = (await this.#merge([now], false)) || changed;
      }
    }
    // A restore that stood for a comment is itself gone: restore again.
    for (const [target, r] of this.#facts.restores) {
      const how = this.#lost.get(r.by)?.how;
      if (how && !this.#lost.has(target)) {
        const entry = this.#effective(target);
        if (entry) this.#lost.set(target, { entry, how, at: this.#clock.now() });
      }
    }
    return changed;
  }

  // --- trust ------------------------------------------------------------------

  /**
   * Looks up write permission for authors of messages not looked up yet
   * (once each; never with a secret, nor before the token's login is known).
   * Returns the authors looked up.
   */
  async #lookUp(authors: Iterable<string>): Promise<string[]> {
    if (!this.#policy.self) return [];
    const pending = new Set<string>();
    for (const author of authors) {
      if (isRootAuthor(author, this.#policy) || this.#checked.has(author)) continue;
      pending.add(author);
    }
    for (const author of pending) {
      const level = await this.#github.permission(author);
      this.#checked.set(author, level);
      if (WRITE_LEVELS.has(level)) this.#writers.add(author);
    }
    return [...pending];
  }

  /**
   * Recomputes the log's facts, withholds bodies that cannot count, takes
   * bodies back that can now, and folds: incrementally when nothing before
   * the fold's end changed, else from the latest checkpoint before `from`.
   */
  async #settleTrust(
    trustedBefore: ReadonlySet<string>,
    looked: readonly string[],
    from: number,
  ): Promise<void> {
    // Authors seen before the login was known were not looked up yet.
    const late = await this.#lookUp(
      [...this.#byAuthor.keys()].filter((a) => !this.#policy.secret || this.#commanders.has(a)),
    );
    const before = this.#facts;
    this.#facts = logFacts(
      [...this.#bearing.values()],
      (id) => this.#kept.get(id)?.entry,
      this.#policy,
    );
    for (const id of this.#facts.restores.keys()) {
      if (!binaryHas(this.#order, id)) insertSorted(this.#order, id);
    }
    // What changed for comments already folded.
    for (const [id, r] of this.#facts.restores) {
      if (before.restores.get(id)?.by !== r.by && id <= this.#state.lastId) {
        from = Math.min(from, id);
      }
    }
    let refetch = false;
    for (const author of this.#trustedAuthors()) {
      if (trustedBefore.has(author)) continue;
      for (const id of this.#byAuthor.get(author) ?? []) {
        const body = this.#kept.get(id)!.entry.body;
        if (body.kind === "withheld" && body.reason === "untrusted_author") refetch = true;
        if (id <= this.#state.lastId) from = Math.min(from, id);
      }
    }
    for (const author of [...looked, ...late]) {
      for (const id of this.#byAuthor.get(author) ?? []) {
        const kept = this.#kept.get(id)!;
        const withheld = this.#withhold(kept.entry);
        if (withheld !== kept.entry) {
          kept.entry = withheld;
          this.#bearingUpdate(withheld);
        }
      }
    }
    if (refetch) await this.#refetch();
    if (from !== Infinity) {
      this.#refold(from);
    } else {
      for (let i = upperBound(this.#order, this.#state.lastId); i < this.#order.length; i++) {
        const entry = this.#effective(this.#order[i]!);
        if (entry) this.#apply(entry);
      }
    }
  }

  /** Logins whose messages count now: the roots with messages, and vouched ones. */
  *#trustedAuthors(): Iterable<string> {
    for (const author of this.#byAuthor.keys()) if (this.#trusts(author)) yield author;
  }

  /**
   * Whether an entry's author must be trusted for it to count: a message's
   * (not with a secret, where the signature decides) and a command's.
   */
  #needsAuthor(entry: LogEntry): boolean {
    return entry.body.kind === "command" ||
      (entry.body.kind === "message" && !this.#policy.secret);
  }

  #trusts(login: string): boolean {
    return isRootAuthor(login, this.#policy) || this.#facts.vouched.has(login);
  }

  /** Re-reads the whole list to take back bodies withheld from logins trusted since. */
  async #refetch(): Promise<void> {
    const page = await this.#github.listComments(this.#issue);
    this.#reads++;
    for (const c of page.comments) {
      const kept = this.#kept.get(c.id);
      if (
        kept?.entry.body.kind === "withheld" && kept.entry.body.reason === "untrusted_author" &&
        this.#trusts(c.author)
      ) {
        kept.entry = toEntry(c);
        kept.digest = commentDigest(c);
        this.#bearingUpdate(kept.entry);
      }
    }
    this.#facts = logFacts(
      [...this.#bearing.values()],
      (id) => this.#kept.get(id)?.entry,
      this.#policy,
    );
  }

  /** The entry to keep: as is, or with its body withheld when it can never count here. */
  #withhold(entry: LogEntry): LogEntry {
    if (entry.body.kind !== "message") return entry;
    const verdict = this.#judge(entry);
    if (verdict.ok) return entry;
    const reason = verdict.reason;
    const final = reason === "edited" || reason === "bad_signature" ||
      reason === "missing_signature" ||
      (reason === "untrusted_author" && this.#checked.has(entry.author) &&
        this.#policy.self !== undefined && !this.#allow.has(entry.author));
    if (!final) return entry;
    return { ...entry, body: { kind: "withheld", reason: reason as RejectReason } };
  }

  #judge(entry: LogEntry): Verdict {
    return judgeEntry(entry, this.#policy, this.#facts.vouched);
  }

  // --- folding ----------------------------------------------------------------

  #keep(entry: LogEntry, digest: string, seen: number, head: string): void {
    const kept: Kept = { entry: this.#withhold(entry), digest, seen, head };
    this.#kept.set(entry.id, kept);
    const author = entry.author.toLowerCase();
    const times = this.#createdBy.get(author);
    if (times) insertSorted(times, entry.createdAt);
    else this.#createdBy.set(author, [entry.createdAt]);
    if (!binaryHas(this.#order, entry.id)) insertSorted(this.#order, entry.id);
    if (entry.body.kind === "command") this.#commanders.add(entry.author);
    if (speaks(entry)) {
      const ids = this.#byAuthor.get(entry.author);
      if (ids) insertSorted(ids, entry.id);
      else this.#byAuthor.set(entry.author, [entry.id]);
    }
    this.#bearingUpdate(kept.entry);
  }

  #bearingUpdate(entry: LogEntry): void {
    if (bearsFacts(entry)) this.#bearing.set(entry.id, entry);
    else this.#bearing.delete(entry.id);
  }

  /** The entry that stands at `id`: the kept one, or what a restore says it was. */
  #effective(id: number): LogEntry | undefined {
    const kept = this.#kept.get(id)?.entry;
    const r = this.#facts.restores.get(id);
    if (!r) return kept;
    return restoredEntry(kept, id, r) ?? kept;
  }

  #apply(entry: LogEntry): void {
    applyEntry(this.#state, entry, this.#policy, this.#facts);
    if (++this.#sinceCheckpoint >= CHECKPOINT_EVERY) {
      this.#sinceCheckpoint = 0;
      this.#checkpoints.push({ lastId: this.#state.lastId, state: structuredClone(this.#state) });
      if (this.#checkpoints.length > CHECKPOINTS_KEPT) this.#checkpoints.shift();
    }
  }

  /** Folds again from the latest checkpoint before `from` (or from the start). */
  #refold(from: number): void {
    while (this.#checkpoints.length && this.#checkpoints.at(-1)!.lastId >= from) {
      this.#checkpoints.pop();
    }
    const cp = this.#checkpoints.at(-1);
    this.#state = cp ? structuredClone(cp.state) : emptyState();
    this.#sinceCheckpoint = 0;
    const start = cp ? upperBound(this.#order, cp.lastId) : 0;
    for (let i = start; i < this.#order.length; i++) {
      const entry = this.#effective(this.#order[i]!);
      if (!entry) continue;
      this.#apply(entry);
      this.#reapplied++;
    }
  }
}

/**
 * Digests of comment objects already hashed. A `304` answers with the
 * adapter's cached page, the same objects again: a poll that changed nothing
 * hashes nothing. Held weakly, so it never outlives the page.
 */
const digests = new WeakMap<LogComment, string>();

/** SHA-256 of a comment's body (comments are never changed once read). */
function commentDigest(comment: LogComment): string {
  let digest = digests.get(comment);
  if (digest === undefined) {
    digest = createHash("sha256").update(comment.body).digest("base64");
    digests.set(comment, digest);
  }
  return digest;
}

function bump(state: SwarmState, reason: string, by: number): void {
  if (reason === "foreign") {
    state.foreign += by;
    return;
  }
  const n = (state.ignored[reason] ?? 0) + by;
  if (n === 0) delete state.ignored[reason];
  else state.ignored[reason] = n;
}

/** Index of the first element greater than `x` in an ascending array. */
function upperBound(sorted: readonly number[], x: number): number {
  let lo = 0, hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function binaryHas(sorted: readonly number[], x: number): boolean {
  const i = upperBound(sorted, x);
  return i > 0 && sorted[i - 1] === x;
}

function insertSorted(sorted: number[], x: number): void {
  const i = upperBound(sorted, x);
  if (i === sorted.length) sorted.push(x);
  else sorted.splice(i, 0, x);
}

/** Whether an entry is a message or a command: what needs a trusted author. */
function speaks(entry: LogEntry): boolean {
  return entry.body.kind === "message" || entry.body.kind === "command";
}
