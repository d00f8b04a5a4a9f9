/**
 * Replays real Claude Code captures (tests/fixtures/claude-code/, CLI 2.1.197
 * and 2.1.332) through the executor's stream reader and judgement: what the
 * attempt's result says for every case the CLI can end in.
 *
 * @module
 */
import assert from "node:assert/strict";
import { claudeOutcome, type ClaudeOutcomeOptions } from "../../src/executor/claude.ts";
import { ClaudeStream } from "../../src/executor/claude_stream.ts";
import type { ExecOutcome } from "../../src/executor/port.ts";

const FIXTURES = new URL("../fixtures/claude-code/", import.meta.url);

/** A wall time no capture reports, to tell it from the CLI's own `duration_ms`. */
const WALL_MS = 4321;

interface Replay {
  outcome: ExecOutcome;
  stream: ClaudeStream;
  progress: [number, string][];
}

/** Feeds a capture to a stream and judges it with the capture's exit code and stderr. */
async function replay(
  file: string,
  opts: ClaudeOutcomeOptions = { maxTurns: 4 },
  exit?: { code: number; stderr: string },
): Promise<Replay> {
  const text = await Deno.readTextFile(new URL(file, FIXTURES));
  let end = exit;
  if (!end) {
    try {
      const meta = JSON.parse(
        await Deno.readTextFile(new URL(file.replace(/\.jsonl?$/, ".meta.json"), FIXTURES)),
      );
      end = { code: meta.exit_code, stderr: meta.stderr };
    } catch {
      end = { code: 0, stderr: "" };
    }
  }
  const stream = new ClaudeStream(opts.maxTurns);
  const progress: [number, string][] = [];
  for (const line of text.split("\n")) {
    const p = stream.push(line);
    if (p) progress.push([p.percent, p.note]);
  }
  const outcome = claudeOutcome(stream, { code: end.code, durationMs: WALL_MS }, end.stderr, opts);
  return { outcome, stream, progress };
}

const firstLine = (o: ExecOutcome) => (o.result.summary ?? "").split("\n")[0]!;

for (const v of ["2.1.197", "2.1.332"]) {
  Deno.test(`replay ${v}: a written file is a completed attempt with the session's turns and cost and the process's wall time`, async () => {
    const { outcome } = await replay(`${v}/exec-write-success-${v}.jsonl`);
    assert.deepEqual(outcome, {
      ok: true,
      result: {
        summary: "Done: wrote out.txt.",
        exitCode: 0,
        turns: 2,
        durationMs: WALL_MS,
        costUsd: v === "2.1.197" ? 0.0125 : 0.01,
      },
    });
  });

  Deno.test(`replay ${v}: a denied check is not a completed attempt although the CLI says success`, async () => {
    const { outcome, stream } = await replay(`${v}/exec-bash-permission-denied-${v}.jsonl`);
    assert.equal(stream.results[0]!.subtype, "success", "the CLI itself reports success");
    assert.equal(outcome.ok, false);
    assert.equal(outcome.result.failure, "permission_denied");
    assert.equal(outcome.local, undefined, "the task's failure: it uses an attempt");
    assert.deepEqual(outcome.result.denied, ["Bash(npm test)"]);
    assert.equal(
      firstLine(outcome),
      "Claude Code was denied 1 tool call the task needed: Bash(npm test). The task failed, " +
        "since its checks or changes did not all happen, and is not retried: every node would " +
        'be denied the same. Allow them with --allowed-tools (e.g. "Bash(npm test:*)"; deny ' +
        "rules of --disallowed-tools and of the repository's .claude/settings.json win) and run " +
        "again with --retry-failed, or pass --accept-denials to count such attempts as completed.",
    );
    assert.equal(outcome.result.retryable, false, "a denial would repeat on every node");
    assert.equal(outcome.result.turns, 2);
    assert.ok(outcome.result.costUsd! > 0, "the denied attempt's cost is still reported");
  });

  Deno.test(`replay ${v}: --accept-denials counts a denied check as completed and still lists it`, async () => {
    const { outcome } = await replay(`${v}/exec-bash-permission-denied-${v}.jsonl`, {
      maxTurns: 4,
      acceptDenials: true,
    });
    assert.equal(outcome.ok, true);
    assert.equal(outcome.result.failure, undefined);
    assert.equal(outcome.result.retryable, undefined);
    assert.deepEqual(outcome.result.denied, ["Bash(npm test)"]);
    assert.match(outcome.result.summary!, /\n\(Denied, accepted: Bash\(npm test\)\.\)$/);
  });

  Deno.test(`replay ${v}: the maximum turns is an error result with its own sentence`, async () => {
    const { outcome, stream } = await replay(`${v}/exec-error-max-turns-${v}.jsonl`);
    assert.equal(stream.results[0]!.isError, true, "the CLI marks it is_error");
    assert.deepEqual(stream.results[0]!.errors, ["Reached maximum number of turns (4)"]);
    assert.equal(outcome.ok, false);
    assert.equal(outcome.result.failure, "max_turns");
    assert.equal(outcome.result.retryable, undefined, "other failures are retried as usual");
    assert.equal(outcome.result.turns, 5);
    assert.equal(outcome.result.exitCode, 1);
    assert.equal(
      firstLine(outcome),
      "Claude Code stopped after 5 turns: the maximum of 4 turns was reached before the task " +
        "was finished. Raise the maximum turns or split the task.",
    );
  });

  Deno.test(`replay ${v}: an API error reported as success with is_error fails with the HTTP status`, async () => {
    const { outcome, stream } = await replay(`${v}/exec-api-error-400-${v}.jsonl`);
    assert.equal(stream.results[0]!.subtype, "success");
    assert.equal(stream.results[0]!.apiErrorStatus, 400);
    assert.equal(stream.turns, 0, "the CLI's synthetic error message is not a turn");
    assert.equal(outcome.ok, false);
    assert.equal(outcome.result.failure, "api_error");
    assert.equal(
      outcome.result.summary,
      "Claude Code stopped on an API error (HTTP 400): API Error: 400 fake-api: scripted " +
        "invalid request.",
    );
  });

  Deno.test(`replay ${v}: a subagent's messages are neither turns nor progress beyond the session's`, async () => {
    const { outcome, stream, progress } = await replay(`${v}/exec-subagent-${v}.jsonl`);
    assert.equal(outcome.ok, true);
    assert.equal(stream.turns, v === "2.1.197" ? 2 : 3, "the session's own turns");
    assert.equal(stream.subagentMessages, v === "2.1.197" ? 1 : 2);
    assert.equal(outcome.result.turns, v === "2.1.197" ? 2 : 3);
    assert.equal(outcome.result.costUsd, 0.025);
    // With --max-turns 4, two turns are 50%, three 75%: never 95% early.
    assert.ok(progress.every(([p]) => p <= (v === "2.1.197" ? 50 : 75)), JSON.stringify(progress));
    const subagent = progress.filter(([, n]) => n.startsWith("subagent"));
    assert.ok(subagent.length >= 2, JSON.stringify(progress));
    assert.ok(subagent.some(([, n]) => n === "subagent: Write out.txt"), JSON.stringify(progress));
  });
}

Deno.test("replay 2.1.332: two results and a second init: turns add up, the cost is the session's total, texts are kept", async () => {
  const { outcome, stream, progress } = await replay("2.1.332/exec-subagent-2.1.332.jsonl");
  assert.deepEqual(stream.results.map((r) => [r.index, r.turns, r.costUsd]), [
    [0, 2, 0.025],
    [1, 1, 0.025],
  ]);
  assert.equal(stream.inits, 2);
  assert.equal(progress.filter(([, n]) => n.startsWith("Claude Code started")).length, 1);
  assert.deepEqual(outcome, {
    ok: true,
    result: {
      summary: "Done: the subagent wrote out.txt.\nNoted: the subagent finished.",
      exitCode: 0,
      turns: 3,
      durationMs: WALL_MS,
      costUsd: 0.025,
    },
  });
});

Deno.test("replay 2.1.332: a shell check the default allows runs and completes", async () => {
  const { outcome, progress } = await replay("2.1.332/exec-bash-allowed-2.1.332.jsonl");
  assert.equal(outcome.ok, true);
  assert.equal(outcome.result.denied, undefined);
  assert.equal(outcome.result.summary, "Done: ran echo checks passed.");
  assert.deepEqual(progress.map(([, n]) => n), [
    "Claude Code started (claude-opus-5-5)",
    "Bash echo checks passed",
    "Done: ran echo checks passed.",
  ]);
});

Deno.test("replay 2.1.332: a deny rule's denial is reported as it happens and fails the attempt", async () => {
  const { outcome, stream, progress } = await replay("2.1.332/exec-bash-disallowed-2.1.332.jsonl");
  assert.ok(progress.some(([, n]) => n === "denied: Bash(git push origin HEAD)"));
  assert.deepEqual(stream.denials, [{
    tool: "Bash",
    rule: "Bash(git push origin HEAD)",
    toolUseId: stream.denials[0]!.toolUseId,
    message: "Permission to use Bash with command git push origin HEAD has been denied.",
  }]);
  assert.equal(outcome.result.failure, "permission_denied");
  assert.deepEqual(outcome.result.denied, ["Bash(git push origin HEAD)"]);
});

Deno.test("replay 2.1.332: --max-budget-usd reached is its own failure with what was spent", async () => {
  const { outcome } = await replay("2.1.332/exec-max-budget-2.1.332.jsonl", {
    maxTurns: 10,
    maxBudgetUsd: 0.012,
  });
  assert.equal(outcome.ok, false);
  assert.equal(outcome.result.failure, "max_budget");
  assert.equal(outcome.result.costUsd, 0.015);
  assert.equal(
    outcome.result.summary,
    "Claude Code stopped after spending $0.015: the task's budget of $0.012 (--max-budget-usd) " +
      "was reached before the task was finished. Raise it or split the task.",
  );
});

for (const file of ["2.1.197/direct-flaky-197.jsonl", "2.1.332/exec-flaky-529-2.1.332.jsonl"]) {
  Deno.test(`replay ${file.split("/")[0]}: API retries are progress notes, and the run completes`, async () => {
    const { outcome, stream, progress } = await replay(file);
    assert.equal(outcome.ok, true);
    assert.equal(stream.apiRetries, 2);
    assert.deepEqual(progress.slice(1, 3), [[0, "API retry 1 (HTTP 529)"], [
      0,
      "API retry 2 (HTTP 529)",
    ]]);
  });
}

for (
  const [file, exit] of [
    ["2.1.197/direct-nokey-197.jsonl", { code: 1, stderr: "" }],
    ["2.1.332/exec-no-key-2.1.332.jsonl", undefined],
  ] as const
) {
  Deno.test(`replay ${file.split("/")[0]}: a missing API key says which variable to set`, async () => {
    const { outcome } = await replay(file, { maxTurns: 4 }, exit);
    assert.equal(outcome.ok, false);
    assert.equal(outcome.result.failure, "not_logged_in");
    assert.equal(outcome.local, true, "this node's failure: the task goes to another node");
    assert.equal(
      outcome.result.summary,
      'Claude Code could not authenticate ("Not logged in · Please run /login"): set ' +
        "ANTHROPIC_API_KEY (or CLAUDE_CODE_OAUTH_TOKEN) in the environment p2p-dev runs in.",
    );
    assert.equal(outcome.result.durationMs, WALL_MS, "a real duration, not 0");
  });
}

Deno.test("replay 2.1.332: bypassPermissions as root reports Claude Code's refusal and what to do", async () => {
  const { outcome } = await replay("2.1.332/exec-root-bypass-2.1.332.jsonl");
  assert.equal(outcome.ok, false);
  assert.equal(outcome.result.failure, "startup");
  assert.equal(outcome.local, true, "this node's failure: the task goes to another node");
  assert.equal(outcome.result.durationMs, WALL_MS);
  assert.equal(
    outcome.result.summary,
    "Claude Code refused to start: it does not allow --permission-mode bypassPermissions " +
      "(--dangerously-skip-permissions) as root. Run p2p-dev as a normal user, keep the default " +
      "--permission-mode acceptEdits, or set IS_SANDBOX=1 in a disposable container.\n" +
      "--dangerously-skip-permissions cannot be used with root/sudo privileges for security reasons",
  );
  assert.doesNotMatch(outcome.result.summary!, /without a final result message/);
});

Deno.test("replay 2.1.197: a write denied in the default mode names the file relative to the task directory", async () => {
  const { outcome } = await replay(
    "2.1.197/real-stream-2.1.197-default-permission-mode-write-denied.jsonl",
  );
  assert.equal(outcome.result.failure, "permission_denied");
  assert.deepEqual(outcome.result.denied, ["Write(out.txt)"]);
});

Deno.test("a CLI that exits before its first message reports its exit code and first error line", () => {
  const stream = new ClaudeStream();
  const outcome = claudeOutcome(
    stream,
    { code: 1, durationMs: 812 },
    "error: unknown option '--no-such-flag'\n(Did you mean --no-chrome?)\n",
    {},
  );
  assert.equal(outcome.ok, false);
  assert.equal(outcome.result.failure, "startup");
  assert.equal(outcome.result.durationMs, 812);
  assert.equal(
    firstLine(outcome),
    "Claude Code exited with code 1 before it started a session: error: unknown option " +
      "'--no-such-flag'. Check the Claude Code version and the arguments p2p-dev passes " +
      "(--claude-args).",
  );
});

Deno.test("a result that is not the last word: an error in a later result fails the attempt", async () => {
  const text = await Deno.readTextFile(new URL("2.1.332/exec-subagent-2.1.332.jsonl", FIXTURES));
  const lines = text.trim().split("\n");
  const last = JSON.parse(lines.pop()!);
  lines.push(JSON.stringify({
    ...last,
    subtype: "success",
    is_error: true,
    api_error_status: 529,
    result: "API Error: 529 Overloaded",
    terminal_reason: "api_error",
  }));
  const stream = new ClaudeStream(4);
  for (const l of lines) stream.push(l);
  const outcome = claudeOutcome(stream, { code: 1, durationMs: 1 }, "", { maxTurns: 4 });
  assert.equal(outcome.ok, false);
  assert.equal(outcome.result.failure, "api_error");
  assert.equal(outcome.result.turns, 3);
});

Deno.test("replay 2.1.197: an API error result without is_error is still an error (no tokens, stop_sequence, the CLI's own message)", async () => {
  const text = await Deno.readTextFile(
    new URL("2.1.197/exec-api-error-400-2.1.197.jsonl", FIXTURES),
  );
  const lines = text.trim().split("\n").map((l) => {
    const m = JSON.parse(l);
    if (m.type === "result") delete m.is_error;
    return JSON.stringify(m);
  });
  const stream = new ClaudeStream(4);
  for (const l of lines) stream.push(l);
  assert.equal(stream.results[0]!.outputTokens, 0);
  const outcome = claudeOutcome(stream, { code: 0, durationMs: 1 }, "", { maxTurns: 4 });
  assert.equal(outcome.ok, false);
  assert.equal(outcome.result.failure, "api_error");
});
