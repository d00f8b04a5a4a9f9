/**
 * HMAC-SHA256 signatures over a message's canonical payload, bound to the
 * issue so a signed message cannot be replayed on another issue.
 *
 * `node:crypto` is used because its HMAC is synchronous: the fold stays a
 * plain synchronous function.
 *
 * @module
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { Buffer } from "node:buffer";
import { canonicalJson } from "./canonical.ts";
import type { Message } from "./types.ts";

/** The text a signature covers: issue number and the payload without `sig`. */
function signedText(message: Omit<Message, "sig">, issue: number): string {
  const { v, node, nonce, events } = message;
  return `p2p-dev:${issue}\n${canonicalJson({ v, node, nonce, events })}`;
}

/**
 * Signs a message for an issue with a shared secret; returns lowercase hex.
 *
 * @example
 * ```ts
 * const sig = signMessage({ v: 1, node: "n1", nonce: "x", events: [] }, 7, "s3cret");
 * ```
 */
export function signMessage(message: Omit<Message, "sig">, issue: number, secret: string): string {
  return createHmac("sha256", secret).update(signedText(message, issue)).digest("hex");
}

/**
 * Checks a message's signature in constant time.
 *
 * @example
 * ```ts
 * const m = { v: 1, node: "n1", nonce: "x", events: [] };
 * verifyMessage({ ...m, sig: signMessage(m, 7, "k") }, 7, "k"); // true
 * ```
 */
export function verifyMessage(message: Message, issue: number, secret: string): boolean {
  if (!message.sig || !/^[0-9a-f]{64}$/.test(message.sig)) return false;
  const expected = Buffer.from(signMessage(message, issue, secret), "hex");
  const given = Buffer.from(message.sig, "hex");
  return expected.length === given.length && timingSafeEqual(expected, given);
}
