import assert from "node:assert/strict";
import { parseJsonText, TaskJsonError, tasksFromJson } from "../../src/planner/json.ts";

function jsonError(value: unknown): TaskJsonError {
  try {
    tasksFromJson(value);
  } catch (e) {
    assert.ok(e instanceof TaskJsonError);
    return e;
  }
  assert.fail("expected a TaskJsonError");
}

Deno.test("json: both shapes, defaults, merged deps/after, null as absent", () => {
  const tasks = [
    { id: "T1", title: "Schema", priority: "HIGH", estimateHours: 1.5, group: "DB" },
    { id: 2, title: "API", body: "Do it", deps: ["T1"], after: ["T1", 5], priority: null },
    { id: "5", title: "Docs", estimateHours: null, group: null, extra: "ignored" },
  ];
  const expected = [
    { id: "T1", title: "Schema", priority: "high", deps: [], group: "DB", estimateHours: 1.5 },
    { id: "2", title: "API", priority: "medium", deps: ["T1", "5"], body: "Do it" },
    { id: "5", title: "Docs", priority: "medium", deps: [] },
  ];
  assert.deepEqual(tasksFromJson(tasks), expected);
  assert.deepEqual(tasksFromJson({ tasks }), expected);
});

Deno.test("json: schema problems name the path and the expected type", () => {
  assert.equal(
    jsonError({ plan: [] }).message,
    'Expected a JSON array of tasks or an object with a "tasks" array, got an object with keys "plan".',
  );
  assert.equal(
    jsonError("T1").message,
    'Expected a JSON array of tasks or an object with a "tasks" array, got the string "T1".',
  );
  assert.equal(
    jsonError({ tasks: { T1: {} } }).message,
    'Field "tasks" must be a list of tasks, got an object.',
  );
  assert.equal(jsonError([null]).message, 'Field "[0]" must be an object, got null.');
  const e = jsonError({ tasks: [{ id: "T1", title: "A" }, { id: "T2" }] });
  assert.equal(e.message, 'Field "tasks[1].title" must be a string, got nothing.');
  assert.equal(e.path, "tasks[1].title");
  assert.equal(
    jsonError([{ id: 1.5, title: "A" }]).message,
    'Field "[0].id" must be a string, got the number 1.5.',
  );
  assert.equal(
    jsonError([{ id: "T1", title: "A", deps: "T0" }]).message,
    'Field "[0].deps" must be a list of task ids, got the string "T0".',
  );
  assert.equal(
    jsonError([{ id: "T1", title: "A", after: [true] }]).message,
    'Field "[0].after[0]" must be a string, got the boolean true.',
  );
  assert.equal(
    jsonError([{ id: "T1", title: "A", estimateHours: "4h" }]).message,
    'Field "[0].estimateHours" must be a number of hours (0 or more), got the string "4h".',
  );
  assert.equal(
    jsonError([{ id: "T1", title: "A", priority: 1 }]).message,
    'Field "[0].priority" must be a string, got the number 1.',
  );
  assert.equal(
    jsonError([{ id: "T1", title: "A", body: ["x"] }]).message,
    'Field "[0].body" must be a string, got an array.',
  );
});

Deno.test("json: text that is not JSON quotes its first 200 characters", () => {
  assert.throws(() => parseJsonText("  \n"), {
    message: "Expected JSON, got empty output: print the task list as JSON.",
  });
  const long = "Thinking about the plan... " + "x".repeat(400);
  try {
    parseJsonText(long);
    assert.fail("expected an error");
  } catch (e) {
    assert.ok(e instanceof TaskJsonError);
    assert.ok(e.message.startsWith("Expected JSON ("), e.message);
    assert.ok(e.message.endsWith(`got: ${JSON.stringify(long.slice(0, 200) + "…")}.`), e.message);
  }
});
