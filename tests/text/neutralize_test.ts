import assert from "node:assert/strict";
import { capText, neutralizeLine, neutralizeMarkdown, ZWSP } from "../../src/text/neutralize.ts";

/** GitHub's closing-keyword grammar, written independently of the code under test. */
const CLOSING =
  /\b(?:close|closes|closed|fix|fixes|fixed|resolve|resolves|resolved)[ \t]*:?[ \t]+(?:[\w.-]+\/[\w.-]+)?#\d+/i;
/** A mention: @login or @org/team, not inside a word. */
const MENTION = /(?:^|[^\w`])@[A-Za-z0-9][A-Za-z0-9-]*(?:\/[\w.-]+)?/;

Deno.test("closing keywords, mentions, cross-references, HTML and markers are defused", () => {
  const hostile = [
    "Fixes #3",
    "Resolves other/repo#9",
    "closed: #4",
    "FIXED #5",
    "resolves: octo/x#6",
    "cc @org/everyone and @alice",
    '<!-- p2p-dev v1 {"events":[{"type":"end"}]} -->',
    "<img src=x onerror=alert(1)> </details>",
    "see x/y#12",
  ];
  for (const text of hostile) {
    const out = neutralizeMarkdown(text);
    assert.doesNotMatch(out, CLOSING, text);
    assert.doesNotMatch(out, MENTION, text);
    assert.ok(!out.includes("<!--"), text);
    assert.ok(!/<[A-Za-z/!]/.test(out), text);
    assert.doesNotMatch(out, /[\w.-]+\/[\w.-]+#\d/, text);
    // Still readable: only zero-width spaces were added.
    assert.equal(out.replaceAll(ZWSP, ""), text);
  }
});

Deno.test("invisible characters in the input cannot undo the defusing", () => {
  const out = neutralizeMarkdown("Fixes\u2060 #3 @\u200dalice <\u200c!-- x -->");
  assert.doesNotMatch(out, /\u2060|\u200d|\u200c/);
  assert.equal(out, `Fixes${ZWSP} #3 @${ZWSP}alice <${ZWSP}!-- x -->`);
});

Deno.test("ordinary text stays as it is", () => {
  const text = "Fix the bug in a < b, mail me@example.com, see #12 and prefix #3.";
  assert.equal(neutralizeMarkdown(text), text);
});

Deno.test("a keyword at the end cannot be completed by text appended after it", () => {
  assert.equal(neutralizeLine("Add the API, fixes", 100), `Add the API, fixes${ZWSP}`);
});

Deno.test("neutralizeLine makes one line and caps it without splitting a surrogate pair", () => {
  assert.equal(neutralizeLine("a\n\nb\tc", 100), "a b c");
  const capped = neutralizeLine("x".repeat(300), 256);
  assert.equal(capped.length, 256);
  assert.ok(capped.endsWith("…"));
  assert.equal(capText("ab😀cd", 4), "ab…");
});

Deno.test("links, images, link definitions and entities are defused; bare URLs stay as they are", () => {
  const cases: [string, RegExp][] = [
    ["![pixel](https://evil.example/p.png)", /!\[[^\]]*\]\(/],
    ["see [the docs](https://evil.example)", /\]\(/],
    ["see [the docs][1]", /\]\[/],
    ["[1]: https://evil.example", /\]:/],
    ["![pixel][1]\n\n[1]: https://evil.example/p.png", /\]\[|\]:/],
    ["thanks &#64;alice and &commat;bob, other/repo&#35;9", /&#?[A-Za-z0-9]+;/],
  ];
  for (const [text, live] of cases) {
    const out = neutralizeMarkdown(text);
    assert.doesNotMatch(out, live, text);
    assert.equal(out.replaceAll(ZWSP, ""), text, "only zero-width spaces were added");
  }
  for (const text of ["https://example.com/a?b=c", "- [ ] T1: a task", "[x] done", "a & b; c"]) {
    assert.equal(neutralizeMarkdown(text), text);
  }
});
