import assert from "node:assert/strict";
import { ownCopy } from "../../src/text/own_copy.ts";

Deno.test("ownCopy returns an equal string, lone surrogates and long texts included", () => {
  for (const s of ["", "a", "x".repeat(5_000), "ab\ud800cd\udc00", "😀".repeat(700) + "\ud83d"]) {
    assert.equal(ownCopy(s), s);
  }
});
