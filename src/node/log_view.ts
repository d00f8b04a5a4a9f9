/**
 * A node's view of the issue's log: every comment it has seen, merged by id,
 * and the state folded from them.
 *
 * - Reads are incremental (`since` the newest `updated_at`, less a slack for
 *   lagging comments) and conditional (the adapter sends `If-None-Match`).
 * - A read that lacks a comment already seen is stale: the view keeps what it
 *   has ("no time travel").
 * - A node's own writes enter the view at once (`addOwn`): it never re-reads to
 *   learn what it just wrote.
 * - Appends fold incrementally; a comment that arrives out of id order (list
 *   lag) or an edit of a known comment triggers a full refold.
 * - Authors of protocol messages and steering commands are checked once for
 *   write permission.
 *
 * @module
 */
import type { GitHub } from "../github/port.ts";
import { parseCommand } from "../protocol/command.ts";
import { decodeBody } from "../protocol/codec.ts";
import { applyComment, fold } from "../protocol/fold.ts";
import type { SwarmState } from "../protocol/state.ts";
import type { TrustPolicy } from "../protocol/trust.ts";
import type { LogComment } from "../protocol/types.ts";
import type { Clock } from "./ports.ts";

const WRITE_LEVELS = new Set(["admin", "maintain", "write"]);

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
  #comments = new Map<number, LogComment>();
  #state: SwarmState;
  #policy: TrustPolicy;
  #writers = new Set<string>();
  #checked = new Map<string, boolean>();
  #maxUpdated = 0;
  #serverTime = 0;
  #localAtServer = 0;
  #lastNow = 0;
  #reads = 0;

  constructor(
    options: {
      github: GitHub;
      clock: Clock;
      issue: number;
      self: string;
      allow: readonly string[];
      secret?: string | undefined;
      sinceSlackMs: number;
    },
  ) {
    this.#github = options.github;
    this.#clock = options.clock;
    this.#issue = options.issue;
    this.#slack = options.sinceSlackMs;
    this.#policy = {
      issue: options.issue,
      self: options.self,
      allow: new Set(options.allow),
      writers: this.#writers,
      secret: options.secret,
    };
    this.#state = fold([], this.#policy);
  }

  /** The folded state. Treat it as read-only. */
  get state(): SwarmState {
    return this.#state;
  }

  /** The trust policy in use (writers fill in as authors are checked). */
  get policy(): TrustPolicy {
    return this.#policy;
  }

  /** Every comment seen, ascending id. */
  comments(): LogComment[] {
    return [...this.#comments.values()].sort((a, b) => a.id - b.id);
  }

  /** Number of comments seen. */
  get size(): number {
    return this.#comments.size;
  }

  /** Number of list reads made. */
  get reads(): number {
    return this.#reads;
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
   * may have changed.
   */
  async refresh(): Promise<boolean> {
    const since = this.#maxUpdated > 0
      ? new Date(Math.floor((this.#maxUpdated - this.#slack) / 60_000) * 60_000).toISOString()
      : undefined;
    const page = await this.#github.listComments(this.#issue, since);
    this.#reads++;
    this.#noteServerTime(page.serverTime);
    // A 304 still carries the cached page: merging it is cheap (known
    // comments are skipped) and matters for a view new to this adapter.
    const changed = await this.#merge(page.comments, true);
    return changed;
  }

  /** Adds a comment this node just wrote, without a read. */
  async addOwn(comment: LogComment): Promise<void> {
    this.#noteServerTime(comment.createdAt);
    await this.#merge([comment], false);
  }

  #noteServerTime(t: number): void {
    if (t > this.#serverTime) {
      this.#serverTime = t;
      this.#localAtServer = this.#clock.now();
    }
  }

  async #merge(incoming: LogComment[], fromRead: boolean): Promise<boolean> {
    // Decide first, check authors (which may fail), and only then record:
    // a failed permission look-up must not leave comments marked as seen
    // but never folded.
    let refold = false;
    const fresh: LogComment[] = [];
    for (const c of incoming) {
      const known = this.#comments.get(c.id);
      if (known) {
        if (c.updatedAt > known.updatedAt) {
          fresh.push(c);
          refold = true;
        } else if (c.updatedAt === known.updatedAt && c.body !== known.body) {
          // Edited within the second it was posted: `updated_at` cannot show
          // it (one-second resolution), but this node saw the first body.
          // Mark it edited so the fold rejects it.
          fresh.push({ ...c, updatedAt: c.createdAt + 1 });
          refold = true;
        }
      } else {
        fresh.push(c);
        if (c.id < this.#state.lastId) refold = true;
      }
    }
    if (fresh.length === 0) return false;
    const newAuthors = await this.#checkAuthors(fresh);
    for (const c of fresh) {
      this.#comments.set(c.id, c);
      // Only reads move `since`: an own write may be far newer than what this
      // node has read (after a pause), and must not hide what it missed.
      if (fromRead && c.updatedAt > this.#maxUpdated) this.#maxUpdated = c.updatedAt;
    }
    if (refold || newAuthors) {
      this.#state = fold([...this.#comments.values()], this.#policy);
    } else {
      fresh.sort((a, b) => a.id - b.id);
      for (const c of fresh) applyComment(this.#state, c, this.#policy);
    }
    return true;
  }

  /**
   * Resolves write permission for authors of protocol-looking comments not yet
   * checked. Returns true when an author already folded turned out trusted
   * (which calls for a refold).
   */
  async #checkAuthors(comments: LogComment[]): Promise<boolean> {
    const self = this.#policy.self;
    const pending = new Set<string>();
    for (const c of comments) {
      if (c.author === self || this.#policy.allow.has(c.author) || this.#checked.has(c.author)) {
        continue;
      }
      // Protocol messages and steering commands need a trusted author.
      if (decodeBody(c.body).kind === "foreign" && !parseCommand(c.body)) continue;
      pending.add(c.author);
    }
    let changed = false;
    for (const author of pending) {
      const level = await this.#github.permission(author);
      const trusted = WRITE_LEVELS.has(level);
      this.#checked.set(author, trusted);
      if (trusted) {
        this.#writers.add(author);
        if (
          [...this.#comments.values()].some((c) =>
            c.author === author && c.id <= this.#state.lastId
          )
        ) {
          changed = true;
        }
      }
    }
    return changed;
  }
}
