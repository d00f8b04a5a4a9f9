import assert from "node:assert/strict";
import { OutputTail } from "../../src/executor/process.ts";
import { redact, redactor, secretFinder, tailText } from "../../src/executor/redact.ts";

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

Deno.test("a token glued to the word before it, in JSON, npm, JWT and 40-hex with a key: all redacted", () => {
  const cases: [string, string][] = [
    ["MY_TOKEN_ghp_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", "MY_TOKEN_***"],
    ["x1ghs_abcdefghijklmnopqrstuvwxyz0123456789", "x1***"],
    ["APIKEYsk-ant-api03-abcdefghijklmnop", "APIKEY***"],
    ['{"authorization":"Bearer abcdefghijklmnop123"}', '{"authorization":"Bearer ***"}'],
    ["'Authorization': 'token abcdef123456'", "'Authorization': 'token ***'"],
    ["npm_abcdefghijklmnopqrstuvwxyz0123456789", "***"],
    ["GITHUB_TOKEN=0123456789abcdef0123456789abcdef01234567", "GITHUB_TOKEN=***"],
    ['"token": "0123456789abcdef0123456789abcdef01234567"', '"token": "***"'],
    ["eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dBjftJeZ4CVPmB92K27uhbUJU1p1r", "***"],
    ["https://ghs_abcdefghijklmnop1234@github.com/o/r", "https://***@github.com/o/r"],
    ["https://0123456789abcdef0123@example.com/", "https://***@example.com/"],
    ["xoxb-1234567890-abcdefghij", "***"],
    ["-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----", "***"],
    ["apiKey: 'abcd1234efgh'", "apiKey: '***'"],
  ];
  for (const [input, expected] of cases) {
    assert.equal(redact(`before ${input} after`), `before ${expected} after`, input);
  }
});

Deno.test("a well-known token split across lines is redacted across the break", () => {
  const token = "ghp_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  const split = `token ${token.slice(0, 15)}\n${token.slice(15, 30)}\n  ${
    token.slice(30)
  }\nnext line`;
  assert.equal(redact(split), "token ***\nnext line");
});

Deno.test("commit ids, token counts, authors and prose are not secrets", () => {
  const text = "commit 0123456789abcdef0123456789abcdef01234567, max_tokens: 100000, " +
    "MAX_THINKING_TOKENS=31999, Author: Jonathan Doe, tokenizer=sentencepiece, " +
    "risk-assessment-for-the-new-module, task-ant, sk-1, git@github.com:o/r";
  assert.equal(redact(text), text);
});

/** Encodings a task can print a secret in. */
function encodings(secret: string): Record<string, string> {
  const bytes = new TextEncoder().encode(secret);
  const b64 = (b: Uint8Array) => btoa(String.fromCharCode(...b));
  const withPrefix = (prefix: string) => b64(new TextEncoder().encode(prefix + secret));
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return {
    plain: secret,
    glued: `VALUE${secret}`,
    upper: secret.toUpperCase(),
    lower: secret.toLowerCase(),
    reversed: [...secret].reverse().join(""),
    spaced: [...secret].join(" "),
    dashed: [...secret].join("-"),
    "one per line": [...secret].join("\n"),
    "split in three lines": `${secret.slice(0, 7)}\n${secret.slice(7, 15)}\n${secret.slice(15)}`,
    concatenated: `"${secret.slice(0, 9)}" + "${secret.slice(9)}"`,
    base64: b64(bytes),
    "base64, 1 byte before": withPrefix("a"),
    "base64, 2 bytes before": withPrefix("ab"),
    "basic auth value": withPrefix("x-access-token:"),
    "base64 wrapped at 8": b64(bytes).replace(/(.{8})/g, "$1\n"),
    base64url: b64(bytes).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, ""),
    hex,
    "hex upper": hex.toUpperCase(),
    "percent-encoded": hex.replace(/(..)/g, "%$1"),
    "hex of reversed": [...new TextEncoder().encode([...secret].reverse().join(""))]
      .map((b) => b.toString(16).padStart(2, "0")).join(""),
    "hex reversed": [...hex].reverse().join(""),
    "base64 of reversed": b64(new TextEncoder().encode([...secret].reverse().join(""))),
    "in a URL": `https://x-access-token:${secret}@github.com/o/r.git`,
    "in JSON": JSON.stringify({ env: { VALUE: secret } }),
  };
}

/** Text around a secret in some encodings, which may stay. */
const CONTEXT = 'https://x-access-token: @github.com/o/r.git {"env":{"VALUE":" VALUE';

/** Runs of 6 characters with at least 4 letters or digits in `encoded` that survive in `out`. */
function survivors(encoded: string, out: string): string[] {
  const left: string[] = [];
  for (let i = 0; i + 6 <= encoded.length; i++) {
    const w = encoded.slice(i, i + 6);
    if (CONTEXT.includes(w)) continue;
    if ((w.match(/[A-Za-z0-9]/g) ?? []).length >= 4 && out.includes(w)) left.push(w);
  }
  return left;
}

Deno.test("the secrets a node holds are redacted in every encoding a task could print them in", () => {
  const secrets = {
    "GitHub token": "ghs_16C7e42F292c6912E7710c838347Ae178B4a",
    "P2P_SECRET": "swarm-hmac-Zq81xK2v9Lm",
    "Anthropic key": "sk-ant-api03-Qm9vX2Jhcl9iYXpfcXV4XzEyMzQ1Njc4OTA",
    "opaque key": "h7Ks9QwPz3Lm8Rt2",
  };
  const clean = redactor(Object.values(secrets));
  for (const [name, secret] of Object.entries(secrets)) {
    for (const [form, encoded] of Object.entries(encodings(secret))) {
      const label = form === "basic auth value" ? "Authorization: Basic " : "printenv: ";
      const out = clean(`${label}${encoded} (end)`);
      assert.ok(out.startsWith(label), `${name}, ${form}: ${out}`);
      assert.ok(out.endsWith(" (end)"), `${name}, ${form}: ${out}`);
      assert.ok(out.includes("***"), `${name}, ${form}: ${out}`);
      assert.deepEqual(survivors(encoded, out), [], `${name}, ${form}: ${out}`);
    }
  }
});

Deno.test("secretFinder without context finds token formats and known secrets, not examples", () => {
  const find = secretFinder(["swarm-hmac-Zq81xK2v9Lm"], { context: false });
  assert.equal(find("password: example-password-1").length, 0);
  assert.equal(find("const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig_value_x';").length, 0);
  assert.ok(find("GITHUB_TOKEN=ghs_abcdefghijklmnopqrstuvwxyz0123456789").length > 0);
  assert.ok(find(btoa("swarm-hmac-Zq81xK2v9Lm")).length > 0);
});

Deno.test("redaction stays linear on hostile output", () => {
  // Correctness on 65,000-character inputs; no timing asserted.
  const clean = redactor(["ghs_16C7e42F292c6912E7710c838347Ae178B4a"]);
  assert.equal(clean("a=".repeat(32_000)), "a=".repeat(32_000));
  assert.equal(clean(" ".repeat(65_000)), " ".repeat(65_000));
  assert.equal(clean("ghs_".repeat(16_000)), "ghs_".repeat(16_000));
});
