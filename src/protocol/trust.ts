/**
 * The trust policy: which comments may enter the fold. Anyone can comment on
 * a public issue; only trusted, unedited, whole protocol comments may steer
 * the swarm.
 *
 * - **Without a shared secret**, a message counts when its author is trusted:
 *   the reader's own login, a login on its `--allow` list or one it found to
 *   have write, maintain or admin permission (its *roots*), or a login the log
 *   vouches for (a `vouch` event from an author already trusted; see
 *   `facts.ts`). Vouches make every reader that shares a root see the same
 *   trusted set, whenever it looked.
 * - **With a shared secret** (`P2P_SECRET`), the signature is the membership:
 *   a message counts when its HMAC verifies for this `owner/repo#issue`,
 *   whoever posted it (the login only binds the node id, see the fold). So a
 *   laptop's token and a workflow's `GITHUB_TOKEN` can share one swarm, and
 *   no text anyone else posts, quoted by any workflow, can speak for it.
 * - Either way an edited comment never counts as edited (`updated_at >
 *   created_at`): the log is append-only. What it said before the edit may be
 *   restored by a node that saw it (see `facts.ts`).
 *
 * @module
 */
import { decodeBody, type Decoded } from "./codec.ts";
import { verifyMessage } from "./signature.ts";
import type { LogComment, LogRef, Message } from "./types.ts";

/**
 * Who and what counts, as one reader configures it.
 *
 * @example
 * ```ts
 * const policy: TrustPolicy = {
 *   repo: "octo/app", issue: 7, self: "github-actions[bot]", allow: new Set(["alice"]),
 *   writers: new Set(),
 * };
 * ```
 */
export interface TrustPolicy extends LogRef {
  /** The token's own login, once known; always trusted. */
  self?: string | undefined;
  /** Logins trusted by configuration (`--allow`). */
  allow: ReadonlySet<string>;
  /** Logins this reader found to have write, maintain or admin permission. */
  writers: ReadonlySet<string>;
  /** When set, a message counts if and only if its HMAC-SHA256 signature verifies. */
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

/** The fields of a comment the verdict reads besides its body. */
export interface CommentHead {
  author: string;
  createdAt: number;
  updatedAt: number;
}

/**
 * Whether a login is one of the reader's roots: its own login, allowed, or a
 * writer it looked up.
 *
 * @example
 * ```ts
 * isRootAuthor("alice", { repo: "o/r", issue: 1, allow: new Set(["alice"]), writers: new Set() }); // true
 * ```
 */
export function isRootAuthor(login: string, policy: TrustPolicy): boolean {
  return login === policy.self || policy.allow.has(login) || policy.writers.has(login);
}

/**
 * Whether an author is trusted: a root of the policy or vouched for in the log.
 *
 * @example
 * ```ts
 * isTrustedAuthor("bob", { repo: "o/r", issue: 1, allow: new Set(), writers: new Set() }, new Set(["bob"])); // true
 * ```
 */
export function isTrustedAuthor(
  login: string,
  policy: TrustPolicy,
  vouched: ReadonlySet<string> = NONE,
): boolean {
  return isRootAuthor(login, policy) || vouched.has(login);
}

const NONE: ReadonlySet<string> = new Set();

/**
 * Judges one comment: decodes it and applies the trust policy. Never throws.
 * Ordinary human comments are `foreign`, which is not an error.
 *
 * @example
 * ```ts
 * const v = judgeComment(
 *   { id: 1, body: "hi", author: "x", authorType: "User", createdAt: 0, updatedAt: 0 },
 *   { repo: "o/r", issue: 1, allow: new Set(), writers: new Set() },
 * );
 * v.ok; // false (foreign)
 * ```
 */
export function judgeComment(
  comment: LogComment,
  policy: TrustPolicy,
  vouched: ReadonlySet<string> = NONE,
): Verdict {
  return judgeDecoded(comment, decodeBody(comment.body), policy, vouched);
}

/**
 * Judges an already decoded comment (see {@linkcode judgeComment}).
 *
 * @example
 * ```ts
 * judgeDecoded({ author: "x", createdAt: 0, updatedAt: 0 }, { kind: "foreign" },
 *   { repo: "o/r", issue: 1, allow: new Set(), writers: new Set() }).ok; // false
 * ```
 */
export function judgeDecoded(
  head: CommentHead,
  decoded: Decoded,
  policy: TrustPolicy,
  vouched: ReadonlySet<string> = NONE,
): Verdict {
  if (decoded.kind === "foreign") return { ok: false, reason: "foreign" };
  if (decoded.kind === "malformed") {
    return { ok: false, reason: "malformed", detail: decoded.error };
  }
  const message = decoded.message;
  if (policy.secret) {
    if (!message.sig) return { ok: false, reason: "missing_signature" };
    if (!verifyMessage(message, policy, policy.secret)) {
      return { ok: false, reason: "bad_signature" };
    }
  } else if (!isTrustedAuthor(head.author, policy, vouched)) {
    return { ok: false, reason: "untrusted_author", detail: head.author };
  }
  // An edit after posting could rewrite history; the log is append-only.
  if (head.updatedAt > head.createdAt) return { ok: false, reason: "edited" };
  return { ok: true, message };
}
