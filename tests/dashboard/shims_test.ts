import assert from "node:assert/strict";
import { createHmac as nodeHmac, timingSafeEqual as nodeEqual } from "node:crypto";
import fc from "fast-check";
import { Buffer } from "../../src/dashboard/shims/buffer.ts";
import { createHmac, sha256, timingSafeEqual } from "../../src/dashboard/shims/crypto.ts";

const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, "0")).join("");

Deno.test("the browser SHA-256 matches FIPS 180-4 test vectors", () => {
  const enc = new TextEncoder();
  assert.equal(
    hex(sha256(enc.encode("abc"))),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
  assert.equal(
    hex(sha256(enc.encode(""))),
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  );
  assert.equal(
    hex(sha256(enc.encode("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
  );
});

Deno.test("the browser HMAC-SHA256 equals node:crypto's for any key and text", () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 150 }), fc.string({ maxLength: 300 }), (key, text) => {
      assert.equal(
        createHmac("sha256", key).update(text).digest("hex"),
        nodeHmac("sha256", key).update(text).digest("hex"),
      );
    }),
    { numRuns: 300 },
  );
});

Deno.test("the browser Buffer.from and timingSafeEqual behave like node's for hex signatures", () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (bytes) => {
      const h = hex(bytes);
      assert.deepEqual([...Buffer.from(h, "hex")], [...bytes]);
      const other = Uint8Array.from(bytes, (b, i) => (i === 0 ? b ^ 1 : b));
      assert.equal(timingSafeEqual(bytes, other), nodeEqual(bytes, other));
      assert.equal(timingSafeEqual(bytes, bytes), true);
    }),
  );
  assert.throws(() => createHmac("md5", "k"), /only sha256/);
});
