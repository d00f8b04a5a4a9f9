import assert from "node:assert/strict";
import {
  buildPlanPrompt,
  claudePlanner,
  DEFAULT_PLANNER_MAX_TURNS,
  extractJsonAnswer,
  PLAN_SCHEMA,
} from "../../src/planner/claude.ts";
import { PlannerError } from "../../src/planner/planner.ts";
import { TaskJsonError } from "../../src/planner/json.ts";
import { makeFakeClaude } from "./helpers.ts";

/** A prompt with its random fence nonces replaced, for comparing two prompts. */
const withoutNonce = (s: string | undefined) =>
  s?.replace(/untrusted-([a-z-]+?)-[0-9a-f]{16}/g, "untrusted-$1-NONCE");

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

const SCHEMA = JSON.stringify(PLAN_SCHEMA);

/** The `claude -p` calls of a fake, without its `--help` probes. */
async function runs(fake: { calls(): Promise<{ args: string[]; stdin: string; cwd: string }[]> }) {
  return (await fake.calls()).filter((c) => c.args[0] !== "--help");
}

Deno.test("claude: with --json-schema offered, the plan is the structured output; flags as documented", async () => {
  const fake = await makeFakeClaude("structured");
  const repo = await Deno.realPath(await Deno.makeTempDir({ prefix: "planner-repo-" }));
  try {
    const planner = claudePlanner({ claudePath: fake.path, model: "sonnet", cwd: repo });
    assert.equal(planner.name, "claude");
    assert.deepEqual(await planner.plan(issue), expectedPlan);
    const calls = await fake.calls();
    assert.deepEqual(calls.map((c) => c.args[0]), ["--help", "-p"], "one probe, one run");
    assert.deepEqual(calls[1]!.args.map(withoutNonce), [
      "-p",
      withoutNonce(buildPlanPrompt(issue)),
      "--output-format",
      "json",
      "--max-turns",
      String(DEFAULT_PLANNER_MAX_TURNS),
      "--json-schema",
      SCHEMA,
      "--model",
      "sonnet",
    ]);
    for (const c of calls) assert.equal(c.cwd, repo, "claude runs in the repository checkout");
  } finally {
    await fake.remove();
    await Deno.remove(repo, { recursive: true });
  }
});

Deno.test("claude: a CLI without --json-schema gets no schema and its text answer is parsed", async () => {
  const fake = await makeFakeClaude("valid", { FAKE_CLAUDE_HELP: "old" });
  try {
    const planner = claudePlanner({ claudePath: fake.path, maxTurns: 5 });
    assert.deepEqual(await planner.plan(issue), expectedPlan);
    assert.deepEqual(await planner.plan(issue), expectedPlan);
    const calls = await fake.calls();
    assert.equal(calls.filter((c) => c.args[0] === "--help").length, 1, "the help is read once");
    const [run] = await runs(fake);
    assert.deepEqual(run!.args.slice(2), ["--output-format", "json", "--max-turns", "5"]);
  } finally {
    await fake.remove();
  }
});

Deno.test("claude: when the structured output is missing, the text answer is parsed", async () => {
  const fake = await makeFakeClaude("valid");
  try {
    assert.deepEqual(await claudePlanner({ claudePath: fake.path }).plan(issue), expectedPlan);
    const [run] = await runs(fake);
    assert.ok(run!.args.includes("--json-schema"));
  } finally {
    await fake.remove();
  }
});

Deno.test("claude: jsonSchema false never probes nor passes a schema", async () => {
  const fake = await makeFakeClaude("valid");
  try {
    await claudePlanner({ claudePath: fake.path, jsonSchema: false }).plan(issue);
    const calls = await fake.calls();
    assert.equal(calls.length, 1);
    assert.ok(!calls[0]!.args.includes("--json-schema"));
  } finally {
    await fake.remove();
  }
});

Deno.test("claude: an invalid structured answer is retried once with the validation error", async () => {
  const fake = await makeFakeClaude("structured-invalid-then-valid");
  try {
    assert.deepEqual(await claudePlanner({ claudePath: fake.path }).plan(issue), expectedPlan);
    const calls = await runs(fake);
    assert.equal(calls.length, 2);
    assert.ok(calls[1]!.args[1]!.includes("Dependency cycle: T1 -> T2 -> T1"), calls[1]!.args[1]);
    assert.ok(calls[1]!.args[1]!.includes('"id": "T1"'), "the previous answer is shown");
  } finally {
    await fake.remove();
  }
});

Deno.test("claude: an invalid answer is retried once with the validation error", async () => {
  const fake = await makeFakeClaude("invalid-then-valid");
  try {
    assert.deepEqual(await claudePlanner({ claudePath: fake.path }).plan(issue), expectedPlan);
    const calls = await runs(fake);
    assert.equal(calls.length, 2);
    assert.equal(withoutNonce(calls[0]!.args[1]), withoutNonce(buildPlanPrompt(issue)));
    const retry = calls[1]!.args[1]!;
    assert.ok(withoutNonce(retry)!.startsWith(withoutNonce(buildPlanPrompt(issue))!));
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
    assert.equal((await runs(fake)).length, 2);
  } finally {
    await fake.remove();
  }
});

Deno.test("claude: an error result reports the subtype and errors", async () => {
  const fake = await makeFakeClaude("error");
  try {
    await assert.rejects(claudePlanner({ claudePath: fake.path, maxTurns: 1 }).plan(issue), {
      name: "PlannerError",
      message: "Claude Code stopped planning after 1 turns without an answer: raise the " +
        "planner's turn limit (--planner-max-turns) or choose another planner.",
    });
    assert.equal((await runs(fake)).length, 1, "errors of the run itself are not retried");
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
    const [call] = await runs(fake);
    assert.deepEqual(call!.args, [
      "-p",
      "--output-format",
      "json",
      "--max-turns",
      String(DEFAULT_PLANNER_MAX_TURNS),
      "--json-schema",
      SCHEMA,
    ]);
    assert.equal(withoutNonce(call!.stdin), withoutNonce(buildPlanPrompt(big)));
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
  const p = buildPlanPrompt({ number: 9, title: "Fix <login>", body: "Steps:\n1. open" }, "00ff");
  assert.ok(
    p.endsWith(
      "<untrusted-issue-00ff>\nTitle: Fix <login>\n\nSteps:\n1. open\n</untrusted-issue-00ff>",
    ),
    p,
  );
  assert.ok(p.includes('"priority" is one of "critical", "high", "medium", "low"'));
  assert.ok(p.includes("```json"));
});
