/**
 * A stand-in for the `claude` executable in headless mode, for tests. It
 * prints one JSON result object shaped like `claude -p ... --output-format
 * json` (type, subtype, is_error, result, session_id, num_turns, duration_ms,
 * total_cost_usd, usage). Behaviour is chosen by FAKE_CLAUDE_MODE:
 *
 * - `valid`: a fenced JSON plan built from the issue title in the prompt;
 * - `invalid-then-valid`: a cyclic plan, unless the prompt says the previous
 *   answer was invalid, then a valid one;
 * - `always-invalid`: prose without JSON;
 * - `error`: an error result (`error_max_turns`), exit code 1;
 * - `garbage`: text that is not JSON;
 * - `slow`: sleeps 60 s;
 * - `structured`: with `--json-schema`, the plan as `structured_output` (and
 *   as JSON text in `result`, as the real CLI does); without it, as `valid`;
 * - `structured-invalid-then-valid`: a cyclic structured plan first;
 * - `fixture`: prints the file FAKE_CLAUDE_FIXTURE (a real CLI's output) and
 *   exits with FAKE_CLAUDE_EXIT (default 0).
 *
 * `claude --help` prints a help text that lists `--json-schema`, unless
 * FAKE_CLAUDE_HELP is `old` (a CLI without structured output).
 *
 * When FAKE_CLAUDE_LOG is set, appends one JSON line per call with its
 * arguments and stdin, for the tests to inspect.
 */
const mode = Deno.env.get("FAKE_CLAUDE_MODE") ?? "valid";
const args = Deno.args;
if (args[0] === "--help") {
  const log = Deno.env.get("FAKE_CLAUDE_LOG");
  if (log) {
    const line = JSON.stringify({ args, stdin: "", cwd: Deno.cwd() }) + "\n";
    await Deno.writeTextFile(log, line, { append: true });
  }
  const schema = Deno.env.get("FAKE_CLAUDE_HELP") === "old"
    ? ""
    : "  --json-schema <schema>                JSON Schema for structured output\n";
  Deno.stdout.writeSync(
    new TextEncoder().encode(
      "Usage: claude [options] [command] [prompt]\n\nOptions:\n" + schema +
        "  --max-turns <n>                       Maximum turns\n",
    ),
  );
  Deno.exit(0);
}
const p = args.indexOf("-p");
const next = args[p + 1];
const stdin = await new Response(Deno.stdin.readable).text();
const prompt = next !== undefined && !next.startsWith("--") ? next : stdin;

const log = Deno.env.get("FAKE_CLAUDE_LOG");
if (log) {
  const line = JSON.stringify({ args, stdin, cwd: Deno.cwd() }) + "\n";
  await Deno.writeTextFile(log, line, { append: true });
}

function print(result: string, extra: Record<string, unknown> = {}): void {
  const envelope = {
    type: "result",
    subtype: "success",
    is_error: false,
    duration_ms: 1234,
    duration_api_ms: 1100,
    num_turns: 1,
    result,
    session_id: "00000000-0000-4000-8000-000000000000",
    total_cost_usd: 0.0123,
    usage: { input_tokens: 100, output_tokens: 50 },
    ...extra,
  };
  Deno.stdout.writeSync(new TextEncoder().encode(JSON.stringify(envelope) + "\n"));
}

const title = /^Title: (.*)$/m.exec(prompt)?.[1] ?? "the issue";
const valid = {
  tasks: [
    { id: "T1", title: `Design ${title}`, priority: "high", deps: [], estimateHours: 2 },
    { id: "T2", title: `Build ${title}`, body: "Implement it.", deps: ["T1"], group: "Work" },
  ],
};
const cyclic = {
  tasks: [
    { id: "T1", title: "Design", deps: ["T2"] },
    { id: "T2", title: "Build", deps: ["T1"] },
  ],
};
const fenced = (v: unknown) =>
  "Here is the plan:\n\n```json\n" + JSON.stringify(v, null, 2) + "\n```\n";

const schemaGiven = args.includes("--json-schema");

switch (mode) {
  case "structured":
  case "structured-invalid-then-valid": {
    const retry = prompt.includes("previous answer was not a valid plan");
    const plan = mode === "structured" || retry ? valid : cyclic;
    if (!schemaGiven) print(fenced(plan));
    else print(JSON.stringify(plan), { structured_output: plan, num_turns: 2 });
    break;
  }
  case "fixture":
    Deno.stdout.writeSync(await Deno.readFile(Deno.env.get("FAKE_CLAUDE_FIXTURE")!));
    Deno.exit(Number(Deno.env.get("FAKE_CLAUDE_EXIT") ?? "0"));
    break;
  case "valid":
    print(fenced(valid));
    break;
  case "invalid-then-valid":
    print(prompt.includes("previous answer was not a valid plan") ? fenced(valid) : fenced(cyclic));
    break;
  case "always-invalid":
    print("I would split this into a design task and a build task.");
    break;
  case "error":
    print("", {
      subtype: "error_max_turns",
      is_error: true,
      result: undefined,
      errors: ["Reached maximum number of turns (1)"],
    });
    Deno.exit(1);
    break;
  case "garbage":
    Deno.stdout.writeSync(new TextEncoder().encode("Welcome to Claude Code! Please log in.\n"));
    break;
  case "slow":
    await new Promise((r) => setTimeout(r, 60_000));
    break;
  default:
    Deno.stderr.writeSync(new TextEncoder().encode(`unknown FAKE_CLAUDE_MODE ${mode}\n`));
    Deno.exit(2);
}
