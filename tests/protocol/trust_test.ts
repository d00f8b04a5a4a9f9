import assert from "node:assert/strict";
import fc from "fast-check";
import { encodeMessage } from "../../src/protocol/codec.ts";
import { isTrustedAuthor, judgeComment, type TrustPolicy } from "../../src/protocol/trust.ts";
import type { LogComment, ProtocolEvent } from "../../src/protocol/types.ts";
import { BOT, ev, ISSUE, REPO, trustPolicy } from "./_log.ts";

const EVENTS: ProtocolEvent[] = [ev.claim("T1", 1)];

function comment(body: string, extra: Partial<LogComment> = {}): LogComment {
  return {
    id: 2_200_000_001,
    body,
    author: BOT,
    authorType: "Bot",
    createdAt: 1_730_000_000_000,
    updatedAt: 1_730_000_000_000,
    ...extra,
  };
}

function signed(secret?: string, issue = ISSUE, repo = REPO): string {
  return encodeMessage({ node: "node-1", nonce: "n1", events: EVENTS }, { repo, issue, secret });
}

Deno.test("trust: a well-formed message from a trusted author is accepted with its content", () => {
  const v = judgeComment(comment(signed()), trustPolicy());
  assert.deepEqual(v, { ok: true, message: { v: 1, node: "node-1", nonce: "n1", events: EVENTS } });
});

Deno.test("trust: the token's own login, the allowlist and resolved writers are trusted; nobody else", () => {
  const policy = trustPolicy();
  for (const login of [BOT, "alice", "bob"]) {
    assert.ok(isTrustedAuthor(login, policy), login);
    assert.equal(judgeComment(comment(signed(), { author: login }), policy).ok, true);
  }
  for (const login of ["mallory", "dependabot[bot]", "ALICE", ""]) {
    assert.equal(isTrustedAuthor(login, policy), false, login);
  }
  const noSelf: TrustPolicy = { repo: REPO, issue: ISSUE, allow: new Set(), writers: new Set() };
  assert.equal(isTrustedAuthor("", noSelf), false);
  // A login the log vouches for is trusted too (see facts.ts).
  assert.ok(isTrustedAuthor("carol", policy, new Set(["carol"])));
});

Deno.test("trust: an unknown login (an installation token before its first write) trusts no other bot as itself", () => {
  const noSelf: TrustPolicy = { repo: REPO, issue: ISSUE, allow: new Set(), writers: new Set() };
  for (const login of [BOT, "dependabot[bot]", "my-app[bot]"]) {
    const v = judgeComment(comment(signed(), { author: login }), noSelf);
    assert.equal(!v.ok && v.reason, "untrusted_author", login);
  }
});

Deno.test("trust: an ordinary comment is foreign, not an error", () => {
  assert.deepEqual(judgeComment(comment("LGTM 👍"), trustPolicy()), {
    ok: false,
    reason: "foreign",
  });
  assert.deepEqual(judgeComment(comment("LGTM", { author: "mallory" }), trustPolicy()), {
    ok: false,
    reason: "foreign",
  });
});

Deno.test("trust: a broken payload is malformed, with the decoder's reason as detail", () => {
  const v = judgeComment(comment("<!-- p2p-dev v1 {nope} -->"), trustPolicy());
  assert.deepEqual(v, { ok: false, reason: "malformed", detail: "payload is not JSON" });
});

Deno.test("trust: a trusted author's comment that hides a valid payload among other text is malformed, not a message", () => {
  const marker = signed().split("\n").at(-1)!;
  for (
    const body of [
      `## Summary\n- T1: Add the endpoint ${marker}\n`,
      `Add the endpoint ${marker}`,
      `${signed()}\n`,
      ` ${signed()}`,
      `${signed()}\nP.S. thanks`,
      `> ${signed().split("\n").join("\n> ")}`,
    ]
  ) {
    const v = judgeComment(comment(body), trustPolicy());
    assert.equal(!v.ok && v.reason, "malformed", JSON.stringify(body));
  }
});

Deno.test("trust: a message from an author outside the policy is untrusted_author, naming the login", () => {
  const v = judgeComment(comment(signed(), { author: "mallory" }), trustPolicy());
  assert.deepEqual(v, { ok: false, reason: "untrusted_author", detail: "mallory" });
  // Also for the original design's plain lines.
  const legacy = judgeComment(
    comment("🎯 LEADER_ELECTION|node-1|1730000000", { author: "mallory" }),
    trustPolicy(),
  );
  assert.equal(!legacy.ok && legacy.reason, "untrusted_author");
});

Deno.test("trust: an edited comment (updated_at after created_at) is rejected as edited", () => {
  const c = comment(signed());
  const v = judgeComment({ ...c, updatedAt: c.createdAt + 1000 }, trustPolicy());
  assert.deepEqual(v, { ok: false, reason: "edited" });
  // An untrusted author's edit is reported as untrusted first.
  const u = judgeComment({ ...c, author: "mallory", updatedAt: c.createdAt + 1000 }, trustPolicy());
  assert.equal(!u.ok && u.reason, "untrusted_author");
});

Deno.test("trust: with a shared secret an unsigned message is missing_signature", () => {
  const v = judgeComment(comment(signed()), trustPolicy({ secret: "k" }));
  assert.deepEqual(v, { ok: false, reason: "missing_signature" });
  const legacy = judgeComment(comment("🎯 CLAIM|T1|node-1|1"), trustPolicy({ secret: "k" }));
  assert.deepEqual(legacy, { ok: false, reason: "missing_signature" });
});

Deno.test("trust: a wrong key, another issue's or repository's signature, a tampered payload or a junk sig is bad_signature", () => {
  const policy = trustPolicy({ secret: "k" });
  const good = signed("k");
  assert.equal(judgeComment(comment(good), policy).ok, true);
  // Tampered payloads re-rendered whole (a hand-edited payload alone is malformed).
  const tampered = good.replace('"task":"T1"', '"task":"T2"').replace("CLAIM|T1", "CLAIM|T2");
  assert.notEqual(tampered, good);
  const junk = good.replace(/"sig":"[0-9a-f]+"/, '"sig":"zz"');
  for (
    const body of [
      signed("other"),
      signed("k", ISSUE + 1),
      signed("k", ISSUE, "octo-org/other"),
      tampered,
      junk,
    ]
  ) {
    assert.deepEqual(judgeComment(comment(body), policy), { ok: false, reason: "bad_signature" });
  }
});

Deno.test("trust: with a secret the signature is the membership: a correctly signed message counts from any login", () => {
  const policy = trustPolicy({ secret: "k" });
  for (const login of [BOT, "laptop-user", "other-app[bot]"]) {
    assert.equal(judgeComment(comment(signed("k"), { author: login }), policy).ok, true, login);
  }
  // The login cannot stand in for the signature.
  const v = judgeComment(comment(signed("wrong"), { author: BOT }), policy);
  assert.equal(!v.ok && v.reason, "bad_signature");
});

Deno.test("trust: without a secret a signed message is accepted as is", () => {
  const v = judgeComment(comment(signed("k")), trustPolicy());
  assert.equal(v.ok, true);
});

Deno.test("trust property: judgeComment never throws on arbitrary comments", () => {
  const policies = [trustPolicy(), trustPolicy({ secret: "k" })];
  fc.assert(
    fc.property(
      fc.record({
        body: fc.oneof(
          fc.string({ unit: "grapheme", maxLength: 100 }),
          fc.jsonValue().map((j) => `<!-- p2p-dev v1 ${JSON.stringify(j)} -->`),
          fc.string({ maxLength: 64 }).map((s) =>
            signed("k").replace(/"sig":"[0-9a-f]+"/, `"sig":${JSON.stringify(s)}`)
          ),
        ),
        author: fc.constantFrom(BOT, "alice", "mallory", ""),
        createdAt: fc.integer(),
        edit: fc.integer({ min: -1000, max: 1000 }),
        secret: fc.boolean(),
      }),
      ({ body, author, createdAt, edit, secret }) => {
        const v = judgeComment(
          comment(body, { author, createdAt, updatedAt: createdAt + edit }),
          policies[secret ? 1 : 0]!,
        );
        assert.equal(typeof v.ok, "boolean");
      },
    ),
    { seed: 201, numRuns: 500 },
  );
});
