/**
 * The Claude Code planner over real captures (tests/fixtures/claude-code/):
 * a fake `claude` prints the capture, the planner reads it as it would the
 * real CLI's output.
 *
 * @module
 */
import assert from "node:assert/strict";
import { claudePlanner } from "../../src/planner/claude.ts";
import { makeFakeClaude } from "./helpers.ts";

const issue = { number: 1, title: "Add a greeting", body: "SCENARIO:plan" };

function fixture(path: string): string {
  return new URL(`../fixtures/claude-code/${path}`, import.meta.url).pathname;
}

async function planFrom(path: string, exit = 0, help: "old" | "new" = "new") {
  const fake = await makeFakeClaude("fixture", {
    FAKE_CLAUDE_FIXTURE: fixture(path),
    FAKE_CLAUDE_EXIT: String(exit),
    ...(help === "old" ? { FAKE_CLAUDE_HELP: "old" } : {}),
  });
  try {
    return await claudePlanner({ claudePath: fake.path, maxAttempts: 1 }).plan(issue);
  } finally {
    await fake.remove();
  }
}

Deno.test("planner replay 2.1.332: the structured output of --json-schema is the plan", async () => {
  const tasks = await planFrom("2.1.332/planner-json-schema-2.1.332.json");
  assert.deepEqual(tasks.map((t) => [t.id, t.priority, t.deps]), [
    ["T1", "high", []],
    ["T2", "medium", ["T1"]],
  ]);
});

Deno.test("planner replay: a text answer (2.1.197 and 2.1.332) is parsed from its fenced JSON", async () => {
  const old = await planFrom("2.1.197/planner-output-json-2.1.197.json", 0, "old");
  assert.deepEqual(old.map((t) => t.id), ["T1", "T2", "T3", "T4", "T5"]);
  assert.deepEqual(old[1]!.deps, ["T1"]);
  const current = await planFrom("2.1.332/planner-text-2.1.332.json", 0, "old");
  assert.deepEqual(current.map((t) => t.id), ["T1", "T2"]);
});

Deno.test("planner replay 2.1.197: an API error result names the status and the CLI's words", async () => {
  await assert.rejects(planFrom("2.1.197/direct-planjson-apierror-197.json", 1), {
    name: "PlannerError",
    message:
      "Claude Code exited with code 1 (API error 400): API Error: 400 fake-api: scripted invalid request",
  });
});

Deno.test("planner replay 2.1.197: the turn limit reached says which limit to raise", async () => {
  await assert.rejects(planFrom("2.1.197/direct-planjson-maxturns-197.json", 1), {
    name: "PlannerError",
    message: "Claude Code stopped planning after 30 turns without an answer: raise the " +
      "planner's turn limit (--planner-max-turns) or choose another planner.",
  });
});
