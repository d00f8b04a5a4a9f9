import assert from "node:assert/strict";
import { LiveView } from "../../src/cli/live_view.ts";
import { fold } from "../../src/protocol/fold.ts";
import { encodeMessage } from "../../src/protocol/codec.ts";

const T = Date.UTC(2026, 10, 25, 12, 0, 0);

function state() {
  const body = (nonce: string, events: Parameters<typeof encodeMessage>[0]["events"]) =>
    encodeMessage({ node: "n1", nonce, events }, { repo: "o/r", issue: 1 });
  const c = (id: number, b: string) => ({
    id,
    body: b,
    author: "bot",
    authorType: "Bot",
    createdAt: T,
    updatedAt: T,
  });
  return fold([
    c(10, body("a", [{ type: "election", term: 1, timeoutMs: 60_000 }])),
    c(
      11,
      body("b", [{
        type: "plan",
        term: 1,
        token: 10,
        version: 1,
        part: 1,
        parts: 1,
        tasks: [{
          id: "T1",
          title: "A title far longer than any narrow terminal could hold on one line",
          priority: "high",
          deps: [],
        }],
      }]),
    ),
  ], { repo: "o/r", issue: 1, self: "bot", allow: new Set(), writers: new Set() });
}

Deno.test("the live view redraws in place and never writes a line wider than the terminal", () => {
  const frames: string[] = [];
  let clock = 0;
  const view = new LiveView((s) => frames.push(s), "n1", "pat", () => clock, 40, 100);
  view.state(state(), T);
  clock += 150;
  view.event("12:00:00 claiming T1 (attempt 1)");
  view.finish();
  assert.equal(frames.length, 3);
  // deno-lint-ignore no-control-regex -- ANSI escape sequences are what this strips
  const strip = (s: string) => s.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "");
  for (const frame of frames) {
    for (const line of strip(frame).split("\n")) assert.ok([...line].length < 40, line);
  }
  // The second frame moves the cursor up over the first one's lines.
  const firstLines = strip(frames[0]!).split("\n").length;
  assert.ok(frames[1]!.startsWith(`\x1b[${firstLines}A`));
  assert.match(strip(frames[2]!), /n1 · leader and worker/);
  assert.match(strip(frames[2]!), /claiming T1/);
});

Deno.test("the live view draws at most once per interval unless finishing", () => {
  const frames: string[] = [];
  const view = new LiveView((s) => frames.push(s), "n1", "pat", () => 0, 80, 100);
  view.event("one");
  view.event("two");
  view.event("three");
  assert.equal(frames.length, 1);
  view.finish();
  assert.equal(frames.length, 2);
});
