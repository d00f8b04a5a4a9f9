import assert from "node:assert/strict";
import { terminalLine, terminalSafe } from "../../src/text/terminal.ts";

Deno.test("terminalSafe removes CSI, OSC (title, hyperlink, clipboard) and C1 sequences", () => {
  const hostile = "Add\x1b[2J\x1b[1;1H the\x1b]0;pwned\x07 API\x1b]8;;https://evil\x1b\\link" +
    "\x1b]8;;\x1b\\\x1b]52;c;ZWNobyBoaQ==\x07\x9b31m\x1bc!";
  assert.equal(terminalSafe(hostile), "Add the APIlink!");
});

Deno.test("terminalSafe removes bidirectional overrides and other controls, keeps text", () => {
  assert.equal(terminalSafe("abc\u202edef\u2066\x00\x08\x7f ghi"), "abcdef ghi");
  assert.equal(terminalSafe("naïve 检索 ✅"), "naïve 检索 ✅");
  assert.equal(terminalLine("two\nlines\tand a tab"), "two lines and a tab");
});
