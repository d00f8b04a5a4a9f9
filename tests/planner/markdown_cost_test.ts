import assert from "node:assert/strict";

const FIXTURE = new URL("./fixtures/hostile_bodies.ts", import.meta.url).pathname;

/**
 * CPU seconds the child may use for all the hostile bodies. Planning them
 * all takes about 1.5 s of CPU here; quadratic parsing took 16.8 s for one
 * body of `[` and far longer for `*a`, `1. `, `>` or setext underlines. CPU
 * time (not wall time) does not grow when the machine is busy.
 */
const CPU_LIMIT_SECONDS = 60;

Deno.test("the Markdown planner reads 32 hostile 65,000-character bodies (the `[` body among them) within a CPU budget, with the expected tasks", async () => {
  const out = await new Deno.Command("sh", {
    args: [
      "-c",
      `ulimit -t ${CPU_LIMIT_SECONDS}; exec "$0" run --allow-read --no-prompt "$1"`,
      Deno.execPath(),
      FIXTURE,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(
    out.code,
    0,
    `the planner did not finish within ${CPU_LIMIT_SECONDS} CPU seconds (signal ${out.signal}): ${stderr}`,
  );
  const counts = JSON.parse(new TextDecoder().decode(out.stdout));
  assert.deepEqual(counts, {
    "[": 0,
    "task of [": 1,
    "*a": 0,
    "](": 1,
    "backticks": 1,
    "backtick runs": 1,
    "<a": 0,
    "tasks": 8125,
    "- - -": 0,
    ">": 0,
    "> lines": 0,
    "nested tasks": 6500,
    "fences": 0,
    "html blocks": 0,
    "setext": 0,
    "1. ": 0,
    "1. lines": 0,
    "definitions": 0,
    "quoted tasks": 0,
    "spaces": 1,
    "pipes": 1,
    "dashes": 1,
    "keys": 1,
    "parentheses": 1,
    "dependencies": 3421,
    "spaced refs": 2,
    "comment openers": 0,
    "tabs": 0,
    "deep nesting": 1,
    "blank lines under nesting": 0,
    "urls": 1,
    "lazy lines": 0,
  });
});
