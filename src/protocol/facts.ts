/**
 * What the log as a whole says before it is folded in order: which logins it
 * vouches for, and which comments it restores. Both act on comments before
 * them, so a reader computes them over everything it has read and then folds
 * in id order; a reader that joins late gets the same answer as one that was
 * there all along.
 *
 * - **Vouches.** A trusted message may carry `vouch{logins}`: logins its
 *   sender trusts by its own roots (its `--allow` list, or write, maintain or
 *   admin permission as it looked it up then). Every reader that trusts the
 *   sender then trusts them for the whole log: a writer whose access is
 *   revoked mid-run stays trusted for what the log already holds, for a node
 *   that starts after the revocation too. Vouches chain (a vouched login's
 *   vouches count) and are ignored with a secret, where the signature decides.
 * - **Restores.** People can edit or delete comments. A node that folded a
 *   message and later sees its comment changed or gone posts
 *   `restore{comment, author, createdAt, message}`: what it said. The first
 *   trusted restore of a comment stands for it, wherever the comment is now
 *   (edited, deleted, or never seen), so the plan a maintainer edits stays in
 *   force and a deleted claim keeps its attempt. A restore without a message
 *   says the comment carried none (it was rewritten within the second it was
 *   posted, which `updated_at` cannot show): it never counts. With a secret,
 *   a restore whose message does not verify for this issue is no restore.
 *
 * @module
 */
import { canonicalJson } from "./canonical.ts";
import { judgeEntry, type LogEntry } from "./entry.ts";
import { verifyMessage } from "./signature.ts";
import { isRootAuthor, type TrustPolicy } from "./trust.ts";
import type { Message } from "./types.ts";

/** A restore that stands for a comment. */
export interface RestoreRecord {
  /** Id of the comment that carried the restore. */
  by: number;
  author: string;
  createdAt: number;
  /** What the comment said; absent when it carried no message. */
  message?: Message;
}

/**
 * Vouches and restores of a log, as seen from one reader's roots.
 *
 * @example
 * ```ts
 * const facts: LogFacts = { vouched: new Set(["alice"]), restores: new Map() };
 * ```
 */
export interface LogFacts {
  /** Logins the log vouches for (besides the reader's roots). */
  vouched: ReadonlySet<string>;
  /** Comment id -> the first trusted restore of it. */
  restores: ReadonlyMap<number, RestoreRecord>;
}

/**
 * Facts of a log that vouches for nobody and restores nothing.
 *
 * @example
 * ```ts
 * NO_FACTS.vouched.size; // 0
 * ```
 */
export const NO_FACTS: LogFacts = { vouched: new Set(), restores: new Map() };

/** Rounds of the fixed point; vouches and restores that depend on each other settle in a few. */
const MAX_ROUNDS = 16;

/**
 * Whether an entry carries vouches or restores (the only entries the facts read).
 *
 * @example
 * ```ts
 * bearsFacts(entry); // false for an ordinary claim
 * ```
 */
export function bearsFacts(entry: LogEntry): boolean {
  return entry.body.kind === "message" &&
    entry.body.message.events.some((e) => e.type === "vouch" || e.type === "restore");
}

/**
 * Computes the facts of a log. `bearing` are the entries that carry vouches
 * or restores (any order); `byId` finds any entry of the log.
 *
 * @example
 * ```ts
 * const byId = new Map(entries.map((e) => [e.id, e]));
 * const facts = logFacts(entries.filter(bearsFacts), (id) => byId.get(id), policy);
 * ```
 */
export function logFacts(
  bearing: readonly LogEntry[],
  byId: (id: number) => LogEntry | undefined,
  policy: TrustPolicy,
): LogFacts {
  if (bearing.length === 0) return NO_FACTS;
  let vouched = new Set<string>();
  let restores = new Map<number, RestoreRecord>();
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const candidates = new Map<number, LogEntry>();
    for (const e of bearing) candidates.set(e.id, e);
    for (const [id, r] of restores) {
      const entry = restoredEntry(byId(id), id, r);
      if (entry) candidates.set(id, entry);
    }
    const sorted = [...candidates.values()].sort((a, b) => a.id - b.id);
    const nextVouched = new Set(vouched);
    // Vouches act on the whole log, so repeat until nothing new is trusted.
    for (let grown = true; grown;) {
      grown = false;
      for (const e of sorted) {
        const verdict = judgeEntry(e, policy, nextVouched);
        if (!verdict.ok || policy.secret) continue;
        for (const ev of verdict.message.events) {
          if (ev.type !== "vouch") continue;
          for (const { login } of ev.logins) {
            if (!nextVouched.has(login) && !isRootAuthor(login, policy)) {
              nextVouched.add(login);
              grown = true;
            }
          }
        }
      }
    }
    const nextRestores = new Map<number, RestoreRecord>();
    for (const e of sorted) {
      const verdict = judgeEntry(e, policy, nextVouched);
      if (!verdict.ok) continue;
      for (const ev of verdict.message.events) {
        if (ev.type !== "restore" || ev.comment >= e.id || nextRestores.has(ev.comment)) continue;
        // With a secret a restored message must verify on its own; one that does not is
        // no restore at all (it neither stands in for the comment nor hides it).
        if (policy.secret && ev.message && !verifyMessage(ev.message, policy, policy.secret)) {
          continue;
        }
        const record: RestoreRecord = { by: e.id, author: ev.author, createdAt: ev.createdAt };
        if (ev.message) record.message = ev.message;
        nextRestores.set(ev.comment, record);
      }
    }
    const stable = nextVouched.size === vouched.size && sameRestores(nextRestores, restores);
    vouched = nextVouched;
    restores = nextRestores;
    if (stable) break;
  }
  return { vouched, restores };
}

function sameRestores(
  a: ReadonlyMap<number, RestoreRecord>,
  b: ReadonlyMap<number, RestoreRecord>,
): boolean {
  if (a.size !== b.size) return false;
  for (const [id, r] of a) if (b.get(id)?.by !== r.by) return false;
  return true;
}

/**
 * The entry that stands at `id` once `restore` applies, or `undefined` when
 * the restore does not apply (the comment there has another author or time).
 *
 * @example
 * ```ts
 * restoredEntry(undefined, 5, { by: 9, author: "bot", createdAt: 0 })?.body.kind; // "withheld"
 * ```
 */
export function restoredEntry(
  existing: LogEntry | undefined,
  id: number,
  restore: RestoreRecord,
): LogEntry | undefined {
  if (
    existing && (existing.author !== restore.author || existing.createdAt !== restore.createdAt)
  ) {
    return undefined;
  }
  if (
    existing && existing.updatedAt === existing.createdAt && existing.body.kind === "message" &&
    restore.message &&
    canonicalOf(existing.body.message) === canonicalOf(restore.message)
  ) {
    return existing;
  }
  return {
    id,
    author: restore.author,
    authorType: existing?.authorType ?? "User",
    createdAt: restore.createdAt,
    updatedAt: restore.createdAt,
    body: restore.message
      ? { kind: "message", message: restore.message }
      : { kind: "withheld", reason: "edited" },
  };
}

/**
 * Canonical JSON of decoded messages, once per message object: a reader
 * compares the same restored messages at every refold and every
 * recomputation of the facts. Decoded messages are values nobody changes;
 * held weakly.
 */
const canonicalTexts = new WeakMap<Message, string>();

function canonicalOf(message: Message): string {
  let text = canonicalTexts.get(message);
  if (text === undefined) {
    text = canonicalJson(message);
    canonicalTexts.set(message, text);
  }
  return text;
}

/**
 * The log to fold: every entry, with restored comments standing in for
 * edited ones and inserted where they were deleted. Ascending id.
 *
 * @example
 * ```ts
 * const log = effectiveEntries(entries, facts);
 * ```
 */
export function effectiveEntries(entries: readonly LogEntry[], facts: LogFacts): LogEntry[] {
  if (facts.restores.size === 0) return [...entries].sort((a, b) => a.id - b.id);
  const out = new Map<number, LogEntry>();
  for (const e of entries) out.set(e.id, e);
  for (const [id, r] of facts.restores) {
    const entry = restoredEntry(out.get(id), id, r);
    if (entry) out.set(id, entry);
  }
  return [...out.values()].sort((a, b) => a.id - b.id);
}
