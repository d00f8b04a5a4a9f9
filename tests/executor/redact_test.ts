import assert from "node:assert/strict";
import { OutputTail } from "../../src/executor/process.ts";
import { redact, redactor, tailText } from "../../src/executor/redact.ts";

Deno.test("redact replaces exact secrets, longest first", () => {
  const clean = redactor(["abcd", "abcdefgh"]);
  assert.equal(clean("x abcdefgh y abcd z"), "x *** y *** z");
});

Deno.test("redact ignores empty and very short secrets", () => {
  assert.equal(redact("a b ab abc", ["", "  ", "a", "ab", "abc"]), "a b ab abc");
});

Deno.test("redact escapes regular expression characters in secrets", () => {
  assert.equal(redact("p: a.b*c+d", ["a.b*c+d"]), "p: ***");
  assert.equal(redact("p: aXb*c+d", ["a.b*c+d"]), "p: aXb*c+d");
});

Deno.test("redact replaces well-known token patterns", () => {
  const cases: [string, string][] = [
    ["ghp_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", "***"],
    ["gho_abcdefghijklmnopqrstuvwxyz", "***"],
    ["ghs_abcdefghijklmnopqrstuvwxyz0123", "***"],
    ["ghu_abcdefghijklmnopqrstuvwxyz0123", "***"],
    ["ghr_abcdefghijklmnopqrstuvwxyz0123", "***"],
    ["github_pat_11AAAAAAA0123456789_abcdefghijklmnop", "***"],
    ["sk-ant-api03-AbC_dEf-0123456789", "***"],
    ["sk-proj-abcdefghijklmnopqrstuvwxyz", "***"],
    ["AKIAABCDEFGHIJKLMNOP", "***"],
    ["Authorization: Bearer eyJhbGciOi.x.y", "Authorization: Bearer ***"],
    ["authorization: token abc123", "authorization: token ***"],
    ["https://user:pa55word@example.com/repo.git", "https://user:***@example.com/repo.git"],
  ];
  for (const [input, expected] of cases) {
    assert.equal(redact(`before ${input} after`), `before ${expected} after`, input);
  }
});

Deno.test("redact leaves ordinary text alone", () => {
  const text = "ghp_ short, sk-1, task-ant, https://example.com/a:b, git@github.com:o/r";
  assert.equal(redact(text), text);
});

Deno.test("tailText cuts from the start and marks the cut", () => {
  assert.equal(tailText("abc", 3), "abc");
  assert.equal(tailText("abcdef", 3), "…def");
});

Deno.test("OutputTail redacts before cutting, so a secret at the cut never leaks", () => {
  const tail = new OutputTail(100);
  const secret = "s3cret-value-0123456789";
  tail.push(`${secret}${"x".repeat(10)}`);
  // A 20-character tail would start inside the secret if cut first.
  const text = tail.text([secret], 20);
  assert.ok(!text.includes("0123456789"), text);
  assert.equal(text, "***" + "x".repeat(10));
});

Deno.test("OutputTail stays bounded and marks dropped output", () => {
  const tail = new OutputTail(10);
  for (let i = 0; i < 100; i++) tail.push(`${i}\n`);
  const text = tail.text([], 1000);
  assert.ok(text.startsWith("…"), text);
  assert.ok(text.endsWith("98\n99"), text);
  assert.ok(text.length <= 30, text);
});
