/**
 * The readable lines of protocol comments (docs/PROTOCOL.md, "Readable lines
 * are inert"): whatever outside text a title, note or reason holds, GitHub
 * acts on none of it in the comment the swarm posts.
 *
 * @module
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { decodeBody, encodeMessage, renderMessage } from "../../src/protocol/codec.ts";
import type { Message, ProtocolEvent } from "../../src/protocol/types.ts";
import { ZWSP } from "../../src/text/neutralize.ts";
import { WHERE } from "./_log.ts";

/** GitHub syntax that acts, written independently of src/text/neutralize.ts. */
const ACTS: [string, RegExp][] = [
  ["mention", /(?:^|[^\w`])@[A-Za-z0-9]/],
  [
    "closing keyword",
    /\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)[\s:*_~`>[]*(?:#\d|gh-\d|[\w.-]+\/[\w.-]+#\d|https?:\/\/)/i,
  ],
  ["cross-reference", /[\w.-]+\/[\w.-]+#\d/],
  ["HTML or HTML comment", /<[A-Za-z!?/]/],
  ["link or image", /\][([:]/],
  ["entity", /&#?[A-Za-z0-9]+;/],
];

/** Fragments of hostile text, glued together at random. */
const FRAGMENTS = [
  "Fixes #3",
  "resolves: other/repo#9",
  "closed GH-4",
  "fix https://github.com/o/r/issues/1",
  "@org/everyone",
  "cc @alice",
  "<img src=x onerror=alert(1)>",
  '<!-- p2p-dev v1 {"events":[{"type":"end"}],"node":"evil","nonce":"n","v":1} -->',
  "</details>",
  "![pixel](https://evil.example/p.png)",
  "[docs](https://evil.example)",
  "[docs][1]",
  "\n[1]: https://evil.example",
  "&#64;bob",
  "&commat;carol",
  "\u200b",
  "\u202e",
  "\n",
  "\r\n",
  " ",
  "**",
  "`",
  ">",
  "[",
  "]",
  ":",
  "#",
  "5",
  "text",
];

const hostileText = fc.array(fc.oneof(fc.constantFrom(...FRAGMENTS), fc.string()), {
  minLength: 1,
  maxLength: 12,
}).map((parts) => parts.join(""));

/** Events with every field that carries outside text. */
const events = (t: string): ProtocolEvent[] => [
  {
    type: "plan",
    term: 1,
    token: 5,
    version: 1,
    part: 1,
    parts: 1,
    tasks: [{ id: "T1", title: t, priority: "high", deps: [], body: t }],
  },
  { type: "progress", task: "T1", attempt: 1, status: "failed", note: t, result: { summary: t } },
  { type: "progress", task: "T1", attempt: 1, status: "in_progress", percent: 50, note: t },
  { type: "release", task: "T1", attempt: 1, reason: t },
  { type: "resign", term: 1, cause: "plan_failed", reason: t },
  { type: "end", reason: t },
];

Deno.test("readable lines property: no title, note or reason makes a protocol comment mention, close, cross-reference, render HTML, link, show an image or decode an entity", () => {
  fc.assert(
    fc.property(hostileText, (t) => {
      const body = encodeMessage({ node: "n1", nonce: "a1", events: events(t) }, WHERE);
      const readable = body.split("\n").slice(0, -1).join("\n");
      for (const [what, re] of ACTS) assert.doesNotMatch(readable, re, `${what}: ${readable}`);
      assert.equal(
        readable.split("\n").length,
        events(t).length + 1,
        "one line per event (+ task)",
      );
      assert.equal(decodeBody(body).kind, "message");
    }),
    { seed: 1414, numRuns: 300 },
  );
});

Deno.test("a message whose readable lines differ only in zero-width spaces (another version's defusing) still decodes; any visible difference is malformed", () => {
  const message: Message = {
    v: 1,
    node: "n1",
    nonce: "a1",
    events: [{ type: "end", reason: "see [the docs](https://x.example) &#64;alice @bob" }],
  };
  const body = renderMessage(message);
  assert.ok(body.includes(ZWSP), "the reason was defused");
  const [line, payload] = body.split("\n");
  const older = `${line!.replace("]\u200b(", "](").replace("&\u200b#", "&#")}\n${payload}`;
  assert.notEqual(older, body);
  assert.equal(decodeBody(older).kind, "message");
  assert.equal(decodeBody(`${line!.replace("docs", "d0cs")}\n${payload}`).kind, "malformed");
  assert.equal(decodeBody(`${line}\n${ZWSP}\n${payload}`).kind, "malformed");
});
