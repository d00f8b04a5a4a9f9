import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import fc from "fast-check";
import { signMessage, verifyMessage } from "../../src/protocol/signature.ts";
import type { Message } from "../../src/protocol/types.ts";
import { ev } from "./_log.ts";

const M: Omit<Message, "sig"> = { v: 1, node: "node-1", nonce: "n1", events: [ev.claim("T1", 1)] };
const A7 = { repo: "octo-org/a", issue: 7 };

Deno.test("signature: HMAC-SHA256 over owner/repo#issue and the canonical payload, as docs/PROTOCOL.md states", () => {
  const m = { v: 1, node: "n1", nonce: "x", events: [] };
  const expected = createHmac("sha256", "k")
    .update('p2p-dev:octo-org/a#7\n{"events":[],"node":"n1","nonce":"x","v":1}')
    .digest("hex");
  assert.equal(signMessage(m, A7, "k"), expected);
  assert.match(expected, /^[0-9a-f]{64}$/);
});

Deno.test("signature: a message verifies under its own repository, issue and secret", () => {
  assert.ok(verifyMessage({ ...M, sig: signMessage(M, A7, "k") }, A7, "k"));
  // GitHub compares owner and repository names without regard to case.
  assert.ok(
    verifyMessage({ ...M, sig: signMessage(M, A7, "k") }, { ...A7, repo: "Octo-Org/A" }, "k"),
  );
});

Deno.test("signature: a message signed for repository A issue #5 does not verify on repository B issue #5 with the same secret", () => {
  const a5 = { repo: "octo-org/a", issue: 5 };
  const b5 = { repo: "octo-org/b", issue: 5 };
  const sig = signMessage(M, a5, "org-secret");
  assert.ok(verifyMessage({ ...M, sig }, a5, "org-secret"));
  assert.equal(verifyMessage({ ...M, sig }, b5, "org-secret"), false);
  // Nor on a repository whose name only extends A's.
  assert.equal(
    verifyMessage({ ...M, sig }, { repo: "octo-org/a5", issue: 5 }, "org-secret"),
    false,
  );
});

Deno.test("signature: the key order of the payload does not change the signature", () => {
  const reordered = {
    events: [{ attempt: 1, task: "T1", type: "claim" as const }],
    nonce: "n1",
    node: "node-1",
    v: 1,
  };
  assert.equal(signMessage(reordered, A7, "k"), signMessage(M, A7, "k"));
});

Deno.test("signature: a signature is bound to its issue, its secret and every field", () => {
  const sig = signMessage(M, A7, "k");
  assert.equal(verifyMessage({ ...M, sig }, { ...A7, issue: 8 }, "k"), false);
  assert.equal(verifyMessage({ ...M, sig }, A7, "K"), false);
  for (
    const changed of [
      { ...M, v: 2 },
      { ...M, node: "node-2" },
      { ...M, nonce: "n2" },
      { ...M, events: [ev.claim("T1", 2)] },
      { ...M, events: [] },
    ]
  ) {
    assert.equal(verifyMessage({ ...changed, sig }, A7, "k"), false, JSON.stringify(changed));
  }
});

Deno.test("signature: a missing, short, long, uppercase or non-hex signature does not verify", () => {
  const sig = signMessage(M, A7, "k");
  for (const bad of [undefined, "", sig.slice(2), `${sig}00`, sig.toUpperCase(), "z".repeat(64)]) {
    const m: Message = bad === undefined ? { ...M } : { ...M, sig: bad };
    assert.equal(verifyMessage(m, A7, "k"), false, String(bad));
  }
});

Deno.test("signature property: every message verifies, and no one-digit change of its signature does", () => {
  fc.assert(
    fc.property(
      fc.record({
        node: fc.string({ minLength: 1 }),
        nonce: fc.string({ minLength: 1 }),
        task: fc.string({ unit: "grapheme", minLength: 1 }),
        attempt: fc.integer({ min: 1 }),
      }),
      fc.string({ minLength: 1 }),
      fc.nat({ max: 63 }),
      fc.integer({ min: 1, max: 15 }),
      ({ node, nonce, task, attempt }, secret, at, delta) => {
        const m = { v: 1, node, nonce, events: [ev.claim(task, attempt)] };
        const where = { repo: "o/r", issue: 42 };
        const sig = signMessage(m, where, secret);
        assert.ok(verifyMessage({ ...m, sig }, where, secret));
        const digit = ((parseInt(sig[at]!, 16) + delta) % 16).toString(16);
        const broken = sig.slice(0, at) + digit + sig.slice(at + 1);
        assert.equal(verifyMessage({ ...m, sig: broken }, where, secret), false);
      },
    ),
    { seed: 301, numRuns: 200 },
  );
});

Deno.test("verifyMessage remembers a verdict per message object, yet checks again a message whose fields were replaced", () => {
  const m: Message = { ...M, sig: signMessage(M, A7, "k") };
  assert.ok(verifyMessage(m, A7, "k"));
  assert.ok(verifyMessage(m, A7, "k"));
  assert.equal(verifyMessage(m, A7, "other"), false);
  assert.equal(verifyMessage(m, { ...A7, issue: 8 }, "k"), false);
  assert.ok(verifyMessage(m, A7, "k"));
  m.node = "intruder";
  assert.equal(verifyMessage(m, A7, "k"), false);
  m.node = M.node;
  m.events = [{ type: "end" }];
  assert.equal(verifyMessage(m, A7, "k"), false);
  m.events = M.events;
  assert.ok(verifyMessage(m, A7, "k"));
  m.sig = "0".repeat(64);
  assert.equal(verifyMessage(m, A7, "k"), false);
});
