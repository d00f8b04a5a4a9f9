/**
 * A comment as the fold keeps it: its id, author and times, and its body
 * already decoded. A reader keeps what the fold needs, not every body: the
 * decoded message of a comment that can count, and for everything else only
 * what it was (foreign, malformed, or a message withheld because it can
 * never count for this reader).
 *
 * @module
 */
import { decodeBody, type Decoded } from "./codec.ts";
import { parseCommand, type SteeringCommand } from "./command.ts";
import { judgeDecoded, type RejectReason, type TrustPolicy, type Verdict } from "./trust.ts";
import type { LogComment } from "./types.ts";

/**
 * A decoded body, a person's steering command (an ordinary comment whose
 * first line is one, see `command.ts`), or the reason a message's body was
 * not kept.
 */
export type EntryBody =
  | Decoded
  | { kind: "command"; command: SteeringCommand }
  | { kind: "withheld"; reason: RejectReason };

/**
 * One comment of the log, decoded.
 *
 * @example
 * ```ts
 * const e: LogEntry = {
 *   id: 1, author: "x", authorType: "User", createdAt: 0, updatedAt: 0, body: { kind: "foreign" },
 * };
 * ```
 */
export interface LogEntry {
  id: number;
  author: string;
  authorType: string;
  createdAt: number;
  updatedAt: number;
  body: EntryBody;
}

/**
 * Decodes a comment into an entry.
 *
 * @example
 * ```ts
 * toEntry({ id: 1, body: "LGTM", author: "x", authorType: "User", createdAt: 0, updatedAt: 0 })
 *   .body.kind; // "foreign"
 * ```
 */
export function toEntry(comment: LogComment): LogEntry {
  let body = bodies.get(comment);
  if (body === undefined) {
    body = bodyOf(comment.body);
    bodies.set(comment, body);
  }
  return {
    id: comment.id,
    author: comment.author,
    authorType: comment.authorType,
    createdAt: comment.createdAt,
    updatedAt: comment.updatedAt,
    body,
  };
}

/**
 * Decoded bodies per comment object: a comment read again as the same object
 * (a page cache's `304`, readers sharing what one client read) is decoded
 * once, and its message stays one value (whose signature is then checked
 * once). Comments and decoded bodies are never changed; held weakly.
 */
const bodies = new WeakMap<LogComment, EntryBody>();

function bodyOf(text: string): EntryBody {
  const decoded = decodeBody(text);
  if (decoded.kind !== "foreign") return decoded;
  const command = parseCommand(text);
  return command ? { kind: "command", command } : decoded;
}

/**
 * Judges an entry with the trust policy and the logins the log vouches for.
 *
 * @example
 * ```ts
 * judgeEntry(entry, policy, new Set()).ok;
 * ```
 */
export function judgeEntry(
  entry: LogEntry,
  policy: TrustPolicy,
  vouched: ReadonlySet<string>,
): Verdict {
  if (entry.body.kind === "withheld") return { ok: false, reason: entry.body.reason };
  if (entry.body.kind === "command") return { ok: false, reason: "foreign" };
  return judgeDecoded(entry, entry.body, policy, vouched);
}
