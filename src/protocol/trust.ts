/**
 * The trust policy: which comments may enter the fold. Anyone can comment on
 * a public issue; only trusted, unedited, well-formed (and, with a shared
 * secret, correctly signed) messages may steer the swarm.
 *
 * @module
 */
import { decodeBody } from "./codec.ts";
import { verifyMessage } from "./signature.ts";
import type { LogComment, Message } from "./types.ts";

/**
 * Who and what counts.
 *
 * @example
 * ```ts
 * const policy: TrustPolicy = {
 *   issue: 7, self: "github-actions[bot]", allow: new Set(["alice"]), writers: new Set(),
 * };
 * ```
 */
export interface TrustPolicy {
  /** The issue the messages belong to (signatures are bound to it). */
  issue: number;
  /** The token's own login; always trusted. */
  self?: string | undefined;
  /** Logins trusted by configuration (`--allow`). */
  allow: ReadonlySet<string>;
  /** Logins the node resolved to have write, maintain or admin permission. */
  writers: ReadonlySet<string>;
  /** When set, every message must carry a valid HMAC-SHA256 signature. */
  secret?: string | undefined;
}

/** Why a comment was kept out of the fold. */
export type RejectReason =
  | "malformed"
  | "untrusted_author"
  | "edited"
  | "missing_signature"
  | "bad_signature";

/** Verdict on one comment. */
export type Verdict =
  | { ok: true; message: Message }
  | { ok: false; reason: RejectReason | "foreign"; detail?: string };

/**
 * Whether an author is trusted by the policy.
 *
 * @example
 * ```ts
 * isTrustedAuthor("alice", { issue: 1, allow: new Set(["alice"]), writers: new Set() }); // true
 * ```
 */
export function isTrustedAuthor(login: string, policy: TrustPolicy): boolean {
  return login === policy.self || policy.allow.has(login) || policy.writers.has(login);
}

/**
 * Judges one comment: decodes it and applies the trust policy. Never throws.
 * Ordinary human comments are `foreign`, which is not an error.
 *
 * @example
 * ```ts
 * const v = judgeComment(
 *   { id: 1, body: "hi", author: "x", authorType: "User", createdAt: 0, updatedAt: 0 },
 *   { issue: 1, allow: new Set(), writers: new Set() },
 * );
 * v.ok; // false (foreign)
 * ```
 */
export function judgeComment(comment: LogComment, policy: TrustPolicy): Verdict {
  const decoded = decodeBody(comment.body);
  if (decoded.kind === "foreign") return { ok: false, reason: "foreign" };
  if (decoded.kind === "malformed") {
    return { ok: false, reason: "malformed", detail: decoded.error };
  }
  if (!isTrustedAuthor(comment.author, policy)) {
    return { ok: false, reason: "untrusted_author", detail: comment.author };
  }
  // An edit after posting could rewrite history; the log is append-only.
  if (comment.updatedAt > comment.createdAt) return { ok: false, reason: "edited" };
  const message = decoded.message;
  if (policy.secret) {
    if (!message.sig) return { ok: false, reason: "missing_signature" };
    if (!verifyMessage(message, policy.issue, policy.secret)) {
      return { ok: false, reason: "bad_signature" };
    }
  }
  return { ok: true, message };
}
