/**
 * HMAC-SHA256 signatures over a message's canonical payload, bound to the
 * repository and the issue (`owner/repo#issue`), so a signed message cannot
 * be replayed on another issue, nor on the same issue number of another
 * repository that shares the secret.
 *
 * `node:crypto` is used because its HMAC is synchronous: the fold stays a
 * plain synchronous function.
 *
 * @module
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { Buffer } from "node:buffer";
import { canonicalJson } from "./canonical.ts";
import type { LogRef, Message } from "./types.ts";

/**
 * The text a signature covers: `p2p-dev:owner/repo#issue`, a newline, and the
 * canonical payload without `sig`. The repository is lower-cased: GitHub
 * treats `Octo/Repo` and `octo/repo` as one.
 *
 * @example
 * ```ts
 * signedText({ v: 1, node: "n1", nonce: "x", events: [] }, { repo: "o/r", issue: 7 });
 * // 'p2p-dev:o/r#7\n{"events":[],"node":"n1","nonce":"x","v":1}'
 * ```
 */
export function signedText(message: Omit<Message, "sig">, where: LogRef): string {
  const { v, node, nonce, events } = message;
  return `p2p-dev:${where.repo.toLowerCase()}#${where.issue}\n${
    canonicalJson({ v, node, nonce, events })
  }`;
}

/**
 * Signs a message for `owner/repo#issue` with a shared secret; returns lowercase hex.
 *
 * @example
 * ```ts
 * const sig = signMessage({ v: 1, node: "n1", nonce: "x", events: [] }, { repo: "o/r", issue: 7 }, "s3cret");
 * ```
 */
export function signMessage(message: Omit<Message, "sig">, where: LogRef, secret: string): string {
  return createHmac("sha256", secret).update(signedText(message, where)).digest("hex");
}

/**
 * Checks a message's signature for `owner/repo#issue` in constant time.
 *
 * @example
 * ```ts
 * const m = { v: 1, node: "n1", nonce: "x", events: [] };
 * const where = { repo: "o/r", issue: 7 };
 * verifyMessage({ ...m, sig: signMessage(m, where, "k") }, where, "k"); // true
 * ```
 */
export function verifyMessage(message: Message, where: LogRef, secret: string): boolean {
  if (!message.sig || !/^[0-9a-f]{64}$/.test(message.sig)) return false;
  const known = verdicts.get(message);
  if (
    known && known.sig === message.sig && known.v === message.v && known.node === message.node &&
    known.nonce === message.nonce && known.events === message.events &&
    known.repo === where.repo && known.issue === where.issue && known.secret === secret
  ) {
    return known.ok;
  }
  const expected = Buffer.from(signMessage(message, where, secret), "hex");
  const given = Buffer.from(message.sig, "hex");
  const ok = expected.length === given.length && timingSafeEqual(expected, given);
  verdicts.set(message, {
    sig: message.sig,
    v: message.v,
    node: message.node,
    nonce: message.nonce,
    events: message.events,
    repo: where.repo,
    issue: where.issue,
    secret,
    ok,
  });
  return ok;
}

/**
 * The last verdict per message object. A decoded message is a value nobody
 * changes, and a reader judges the same one again at every refold and every
 * recomputation of the log's facts: its HMAC is computed once per issue and
 * secret. Held weakly (it goes with the message); a message whose fields
 * were replaced is checked again.
 */
const verdicts = new WeakMap<Message, {
  sig: string;
  v: number;
  node: string;
  nonce: string;
  events: Message["events"];
  repo: string;
  issue: number;
  secret: string;
  ok: boolean;
}>();
