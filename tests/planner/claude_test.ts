import assert from "node:assert/strict";
import { buildPlanPrompt, claudePlanner, extractJsonAnswer } from "../../src/planner/claude.ts";
import { PlannerError } from "../../src/planner/planner.ts";
import { TaskJsonError } from "../../src/planner/json.ts";
import { makeFakeClaude } from "./helpers.ts";

const issue = { number: 7, title: "Add search", body: "Users want to find items by name." };

const expectedPlan = [
  {
    id: "T1",
    title: "Design Add search",
    priority: "high",
    deps: [],
    estimateHours: 2,
  },
  {
    id: "T2",
    title: "Build Add search",
    priority: "medium",
    deps: ["T1"],
    body: "Implement it.",
    group: "Work",
  },
];

Deno.test("claude: a valid fenced answer becomes the plan; flags as documented", async () => {
  const fake = await makeFakeClaude("valid");
  try {
    const planner = claudePlanner({ claudePath: fake.path, model: "sonnet" });
    assert.equal(planner.name, "claude");
    assert.deepEqual(await planner.plan(issue), expectedPlan);
    const calls = await fake.calls();
    assert.equal(calls.length, 1);
    assert.deepEqual(calls[0]!.args, [
      "-p",
      buildPlanPrompt(issue),
      "--output-format",
      "json",
      "--model",
      "sonnet",
    ]);
  } finally {
    await fake.remove();
  }
});

Deno.test("claude: an invalid answer is retried once with the validation error", async () => {
  const fake = await makeFakeClaude("invalid-then-valid");
  try {
    assert.deepEqual(await claudePlanner({ claudePath: fake.path }).plan(issue), expectedPlan);
    const calls = await fake.calls();
    assert.equal(calls.length, 2);
    assert.equal(calls[0]!.args[1], buildPlanPrompt(issue));
    const retry = calls[1]!.args[1]!;
    assert.ok(retry.startsWith(buildPlanPrompt(issue)));
    assert.ok(
      retry.includes(
        "Your previous answer was not a valid plan:\n" +
          "Dependency cycle: T1 -> T2 -> T1: remove one of these dependencies.",
      ),
      retry,
    );
    assert.ok(retry.includes('"id": "T1"'), "the previous answer is shown");
    assert.ok(!calls[1]!.args.includes("--model"));
  } finally {
    await fake.remove();
  }
});

Deno.test("claude: still invalid after the retry is a clear error", async () => {
  const fake = await makeFakeClaude("always-invalid");
  try {
    await assert.rejects(claudePlanner({ claudePath: fake.path }).plan(issue), (e: unknown) => {
      assert.ok(e instanceof PlannerError);
      assert.equal(e.planner, "claude");
      assert.equal(
        e.message,
        "Claude Code's plan was still invalid after 2 attempts: The answer holds no JSON task list; " +
          'it begins: "I would split this into a design task and a build task.".',
      );
      return true;
    });
    assert.equal((await fake.calls()).length, 2);
  } finally {
    await fake.remove();
  }
});

Deno.test("claude: an error result reports the subtype and errors", async () => {
  const fake = await makeFakeClaude("error");
  try {
    await assert.rejects(claudePlanner({ claudePath: fake.path }).plan(issue), {
      name: "PlannerError",
      message:
        "Claude Code exited with code 1 (error_max_turns): Reached maximum number of turns (1)",
    });
    assert.equal((await fake.calls()).length, 1, "errors of the run itself are not retried");
  } finally {
    await fake.remove();
  }
});

Deno.test("claude: output that is not the JSON result is quoted", async () => {
  const fake = await makeFakeClaude("garbage");
  try {
    await assert.rejects(claudePlanner({ claudePath: fake.path }).plan(issue), {
      message: "Claude Code's output is not the JSON result of --output-format json; " +
        'it begins: "Welcome to Claude Code! Please log in.".',
    });
  } finally {
    await fake.remove();
  }
});

Deno.test("claude: a missing executable says what to do", async () => {
  await assert.rejects(
    claudePlanner({ claudePath: "/nonexistent/claude" }).plan(issue),
    {
      message:
        'Claude Code executable "/nonexistent/claude" was not found: install Claude Code or pass its path, or choose another planner.',
    },
  );
});

Deno.test("claude: the timeout and the abort signal stop claude", async () => {
  const fake = await makeFakeClaude("slow");
  try {
    let started = performance.now();
    await assert.rejects(claudePlanner({ claudePath: fake.path, timeoutMs: 700 }).plan(issue), {
      message:
        "Claude Code did not answer within 700 ms and was stopped: raise the planner timeout or choose another planner.",
    });
    assert.ok(performance.now() - started < 10_000);
    const ac = new AbortController();
    const reason = new Error("cancelled");
    setTimeout(() => ac.abort(reason), 700);
    started = performance.now();
    await assert.rejects(
      claudePlanner({ claudePath: fake.path }).plan(issue, ac.signal),
      (e: unknown) => e === reason,
    );
    assert.ok(performance.now() - started < 10_000);
  } finally {
    await fake.remove();
  }
});

Deno.test("claude: a very long prompt goes on stdin instead of argv", async () => {
  const fake = await makeFakeClaude("valid");
  try {
    const big = { ...issue, body: "é".repeat(60_000) };
    const tasks = await claudePlanner({ claudePath: fake.path }).plan(big);
    assert.equal(tasks.length, 2);
    const [call] = await fake.calls();
    assert.deepEqual(call!.args, ["-p", "--output-format", "json"]);
    assert.equal(call!.stdin, buildPlanPrompt(big));
  } finally {
    await fake.remove();
  }
});

Deno.test("extractJsonAnswer: fenced json first, then bare JSON, then the outermost span", () => {
  assert.deepEqual(
    extractJsonAnswer('Notes:\n```\nnot json\n```\n```json\n{"tasks": [1]}\n```'),
    { tasks: [1] },
  );
  assert.deepEqual(extractJsonAnswer('```JSON\n[{"id": "T1"}]\n```'), [{ id: "T1" }]);
  assert.deepEqual(extractJsonAnswer('  {"tasks": []}  '), { tasks: [] });
  assert.deepEqual(extractJsonAnswer('Sure! {"tasks": [{"id": "x"}]} Hope this helps.'), {
    tasks: [{ id: "x" }],
  });
  assert.throws(() => extractJsonAnswer(""), {
    message: "The answer is empty: expected a JSON task list.",
  });
  assert.throws(() => extractJsonAnswer("No plan, sorry."), TaskJsonError);
});

Deno.test("buildPlanPrompt: carries the issue and the exact answer shape", () => {
  const p = buildPlanPrompt({ number: 9, title: "Fix <login>", body: "Steps:\n1. open" });
  assert.ok(
    p.includes('<issue number="9">\n<title>Fix <login></title>\n<body>\nSteps:\n1. open\n</body>'),
  );
  assert.ok(p.includes('"priority" is one of "critical", "high", "medium", "low"'));
  assert.ok(p.includes("```json"));
});
