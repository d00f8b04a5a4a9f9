import assert from "node:assert/strict";
import fc from "fast-check";
import { canonicalJson } from "../../src/protocol/canonical.ts";
import { shuffled } from "./_log.ts";

Deno.test("canonicalJson: object keys are sorted at every depth, with no whitespace", () => {
  assert.equal(canonicalJson({ b: 1, a: [true, null] }), '{"a":[true,null],"b":1}');
  assert.equal(
    canonicalJson({ z: { y: 1, x: { b: "B", a: "A" } }, a: [] }),
    '{"a":[],"z":{"x":{"a":"A","b":"B"},"y":1}}',
  );
  // Code-unit order: upper case before lower case, "10" before "9".
  assert.equal(canonicalJson({ b: 0, B: 0, 9: 0, 10: 0 }), '{"10":0,"9":0,"B":0,"b":0}');
});

Deno.test("canonicalJson: undefined properties are dropped; undefined in arrays and at top level is null", () => {
  assert.equal(canonicalJson({ a: undefined, b: 2 }), '{"b":2}');
  assert.equal(canonicalJson([undefined, 1]), "[null,1]");
  assert.equal(canonicalJson(undefined), "null");
});

Deno.test("canonicalJson: primitives and strings are written as JSON writes them", () => {
  for (const v of [0, -1.5, 1e21, true, false, null, "", 'a"b\\c\n', "🎯 <!-- -->", "\u2028"]) {
    assert.equal(canonicalJson(v), JSON.stringify(v));
  }
});

Deno.test("canonicalJson: a __proto__ key read from JSON is kept as an ordinary key", () => {
  const v = JSON.parse('{"b":1,"__proto__":{"x":1}}');
  assert.equal(canonicalJson(v), '{"__proto__":{"x":1},"b":1}');
});

Deno.test("canonicalJson property: the text does not depend on key insertion order", () => {
  fc.assert(
    fc.property(
      fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 })),
      fc.integer(),
      (o, seed) => {
        const entries = shuffled(Object.entries(o), seed);
        const copy: Record<string, unknown> = {};
        for (const [k, v] of entries) {
          Object.defineProperty(copy, k, {
            value: v,
            enumerable: true,
          });
        }
        assert.equal(canonicalJson(copy), canonicalJson(o));
      },
    ),
    { seed: 401, numRuns: 200 },
  );
});

Deno.test("canonicalJson property: the text parses back to the value JSON would give, and is a fixed point", () => {
  fc.assert(
    fc.property(fc.jsonValue(), (v) => {
      const text = canonicalJson(v);
      assert.deepEqual(JSON.parse(text), JSON.parse(JSON.stringify(v)));
      assert.equal(canonicalJson(JSON.parse(text)), text);
    }),
    { seed: 402, numRuns: 300 },
  );
});
