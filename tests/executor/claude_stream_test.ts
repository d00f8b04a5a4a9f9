import assert from "node:assert/strict";
import { ClaudeStream, permissionRule, turnPercent } from "../../src/executor/claude_stream.ts";

Deno.test("ClaudeStream counts one turn per assistant message id and keeps odd lines", () => {
  const stream = new ClaudeStream();
  assert.equal(stream.push("not json at all"), undefined);
  assert.equal(stream.push('{"no":"type"}'), undefined);
  assert.equal(stream.push(""), undefined);
  assert.deepEqual(
    stream.push(
      '{"type":"assistant","message":{"id":"a","content":[{"type":"tool_use","name":"Bash","input":{"command":"npm   test\\n--watch=false"}}]}}',
    ),
    { percent: 8, note: "Bash npm test --watch=false" },
  );
  assert.deepEqual(
    stream.push(
      '{"type":"assistant","message":{"id":"a","content":[{"type":"text","text":"ok"}]}}',
    ),
    { percent: 8, note: "ok" },
  );
  assert.deepEqual(stream.push('{"type":"assistant","message":{"content":[]}}'), {
    percent: 15,
    note: "turn 2",
  });
  assert.equal(stream.turns, 2);
  assert.equal(stream.push('{"type":"user","message":{"content":[]}}'), undefined);
  assert.equal(stream.push('{"type":"result","subtype":"success","is_error":false}'), undefined);
  assert.deepEqual(stream.results, [{ index: 0, subtype: "success", isError: false, errors: [] }]);
  assert.equal(stream.reportedTurns, 2, "without num_turns, the turns counted");
  assert.match(stream.transcript.text([], 1000), /not json at all\n\{"no":"type"\}\nok/);
});

Deno.test("ClaudeStream: a second init neither restarts progress nor resets what was read", () => {
  const stream = new ClaudeStream(4);
  const init = (model: string) =>
    JSON.stringify({
      type: "system",
      subtype: "init",
      model,
      cwd: "/w",
      claude_code_version: "2.1.332",
      permissionMode: "acceptEdits",
    });
  assert.deepEqual(stream.push(init("opus")), { percent: 0, note: "Claude Code started (opus)" });
  stream.push('{"type":"assistant","message":{"id":"m1","content":[{"type":"text","text":"hi"}]}}');
  assert.equal(stream.push(init("other")), undefined);
  assert.equal(stream.inits, 2);
  assert.equal(stream.model, "opus");
  assert.equal(stream.version, "2.1.332");
  assert.equal(stream.permissionMode, "acceptEdits");
  assert.equal(stream.turns, 1);
});

Deno.test("ClaudeStream: a synthetic error message is no turn; its error kind is kept", () => {
  const stream = new ClaudeStream();
  assert.equal(
    stream.push(JSON.stringify({
      type: "assistant",
      message: {
        id: "x",
        model: "<synthetic>",
        content: [{ type: "text", text: "Not logged in" }],
      },
      error: "authentication_failed",
    })),
    undefined,
  );
  assert.equal(stream.turns, 0);
  assert.equal(stream.assistantError, "authentication_failed");
  assert.match(stream.transcript.text([], 100), /Not logged in/);
});

Deno.test("ClaudeStream: denials from the live message and from the result count once", () => {
  const stream = new ClaudeStream();
  stream.push(JSON.stringify({ type: "system", subtype: "init", cwd: "/w/task" }));
  stream.push(JSON.stringify({
    type: "assistant",
    message: {
      id: "m1",
      content: [{
        type: "tool_use",
        id: "t1",
        name: "Write",
        input: { file_path: "/w/task/a.ts" },
      }],
    },
  }));
  assert.deepEqual(
    stream.push(JSON.stringify({
      type: "system",
      subtype: "permission_denied",
      tool_name: "Write",
      tool_use_id: "t1",
      message: "not granted",
    })),
    { percent: 8, note: "denied: Write(a.ts)" },
  );
  stream.push(JSON.stringify({
    type: "result",
    subtype: "success",
    is_error: false,
    permission_denials: [
      { tool_name: "Write", tool_use_id: "t1", tool_input: { file_path: "/w/task/a.ts" } },
      { tool_name: "WebFetch", tool_use_id: "t2", tool_input: { url: "https://example.com/x" } },
    ],
  }));
  assert.deepEqual(stream.denials, [
    { tool: "Write", rule: "Write(a.ts)", toolUseId: "t1", message: "not granted" },
    { tool: "WebFetch", rule: "WebFetch(domain:example.com)", toolUseId: "t2" },
  ]);
});

Deno.test("ClaudeStream: a subagent's denied call is marked as the subagent's", () => {
  const stream = new ClaudeStream();
  stream.push(JSON.stringify({
    type: "assistant",
    parent_tool_use_id: "agent-1",
    message: {
      id: "s1",
      content: [{ type: "tool_use", id: "t9", name: "Bash", input: { command: "make" } }],
    },
  }));
  stream.push(
    JSON.stringify({
      type: "system",
      subtype: "permission_denied",
      tool_name: "Bash",
      tool_use_id: "t9",
    }),
  );
  assert.deepEqual(stream.denials, [{
    tool: "Bash",
    rule: "Bash(make)",
    toolUseId: "t9",
    subagent: true,
  }]);
  assert.equal(stream.turns, 0);
});

Deno.test("permissionRule writes calls the way --allowedTools takes them", () => {
  assert.equal(permissionRule("Bash", { command: "npm  test\n" }), "Bash(npm test)");
  assert.equal(permissionRule("Edit", { file_path: "/w/src/a.ts" }, "/w/"), "Edit(src/a.ts)");
  assert.equal(permissionRule("Edit", { file_path: "/etc/hosts" }, "/w"), "Edit(/etc/hosts)");
  assert.equal(
    permissionRule("NotebookEdit", { notebook_path: "/w/n.ipynb" }, "/w"),
    "NotebookEdit(n.ipynb)",
  );
  assert.equal(permissionRule("WebFetch", { url: "not a url" }), "WebFetch");
  assert.equal(
    permissionRule("mcp__github__create_issue", { title: "x" }),
    "mcp__github__create_issue",
  );
  assert.equal(permissionRule("Bash", { command: "x".repeat(300) }).length, "Bash()".length + 200);
});

Deno.test("turnPercent grows with turns and stays below completion", () => {
  assert.equal(turnPercent(0, 10), 0);
  assert.equal(turnPercent(5, 10), 50);
  assert.equal(turnPercent(30, 10), 95);
  assert.equal(turnPercent(1), 8);
  assert.equal(turnPercent(10), 45);
  assert.ok(turnPercent(10_000) < 90);
});
