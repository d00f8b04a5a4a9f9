import assert from "node:assert/strict";
import { encodeMessage } from "../../src/protocol/codec.ts";
import type { ProtocolEvent } from "../../src/protocol/types.ts";
import { MAIN, runCli } from "./_run.ts";

/** A REST-shaped comment (as GET /issues/{n}/comments returns it). */
function rest(id: number, login: string, assoc: string, second: number, body: string) {
  const at = new Date(Date.UTC(2026, 10, 25, 12, 0, second)).toISOString().replace(".000", "");
  return {
    id,
    node_id: `IC_${id}`,
    url: `https://api.github.com/repos/o/r/issues/comments/${id}`,
    html_url: `https://github.com/o/r/issues/7#issuecomment-${id}`,
    issue_url: "https://api.github.com/repos/o/r/issues/7",
    body,
    user: { login, id: 1000 + id % 7, type: login.endsWith("[bot]") ? "Bot" : "User" },
    created_at: at,
    updated_at: at,
    author_association: assoc,
  };
}

const msg = (node: string, nonce: string, events: ProtocolEvent[]) =>
  encodeMessage({ node, nonce, events }, { repo: "o/r", issue: 7 });

async function writeLog(): Promise<string> {
  const base = 2_147_483_700;
  const bot = "github-actions[bot]";
  const comments = [
    rest(
      base + 1,
      bot,
      "NONE",
      1,
      msg("n1", "a", [{ type: "election", term: 1, timeoutMs: 60_000 }]),
    ),
    rest(
      base + 2,
      bot,
      "NONE",
      1,
      msg("n2", "b", [{ type: "election", term: 1, timeoutMs: 60_000 }]),
    ),
    rest(
      base + 3,
      bot,
      "NONE",
      3,
      msg("n1", "c", [{
        type: "plan",
        term: 1,
        token: base + 1,
        version: 1,
        part: 1,
        parts: 1,
        planner: "markdown",
        tasks: [
          { id: "T1", title: "Build the API", priority: "high", deps: [] },
          { id: "T2", title: "Write the docs", priority: "low", deps: ["T1"] },
        ],
      }]),
    ),
    rest(base + 4, bot, "NONE", 5, msg("n2", "d", [{ type: "claim", task: "T1", attempt: 1 }])),
    rest(
      base + 5,
      "stranger",
      "NONE",
      6,
      msg("evil", "e", [{ type: "claim", task: "T1", attempt: 1 }]),
    ),
    rest(base + 6, "maintainer", "OWNER", 7, "Looks good, carry on."),
    rest(
      base + 7,
      bot,
      "NONE",
      9,
      msg("n2", "f", [
        { type: "progress", task: "T1", attempt: 1, status: "completed", percent: 100 },
        { type: "claim", task: "T2", attempt: 1 },
      ]),
    ),
  ];
  const path = await Deno.makeTempFile({ suffix: ".json" });
  await Deno.writeTextFile(path, JSON.stringify(comments));
  return path;
}

Deno.test("state --comments folds a saved log into a readable table", async () => {
  const path = await writeLog();
  const r = await runCli(["state", "--comments", path, "--self", "github-actions[bot]"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Leader: n1 \(term 1, token 2147483701\)/);
  assert.match(r.stdout, /Plan: term 1 v1 by markdown, 2 tasks/);
  assert.match(r.stdout, /^T1\s+high\s+done\s+1\s+n2\s+100\s+Build the API$/m);
  assert.match(r.stdout, /^T2\s+low\s+running\s+1\s+n2\s+0\s+Write the docs$/m);
  assert.match(r.stdout, /lost_election 1/);
  assert.match(r.stdout, /untrusted_author 1/);
  assert.match(r.stdout, /1 ordinary comments/);
  await Deno.remove(path);
});

Deno.test("state says how many nodes may work at once and why, for the swarm's size and token", async () => {
  const path = await writeLog();
  const small = await runCli([
    "state",
    "--comments",
    path,
    "--self",
    "github-actions[bot]",
    "--token-kind",
    "actions",
  ]);
  assert.equal(small.code, 0, small.stderr);
  assert.match(small.stdout, /^Budget \(actions token, github-actions\[bot\]\): 1000 requests\/h/m);
  assert.match(
    small.stdout,
    // The one task done took 4 s: short tasks mean many claims an hour per worker.
    /^Admission: 1 of 2 node\(s\) may work at once: 850 requests\/h usable .*tasks of ~0\.1 min.*; 1 hold work now\.$/m,
  );
  const sized = (...more: string[]) =>
    runCli([
      "state",
      "--comments",
      path,
      "--self",
      "github-actions[bot]",
      "--swarm-size",
      "100",
      ...more,
    ]);
  const big = await sized("--token-kind", "actions");
  assert.equal(big.code, 0, big.stderr);
  assert.match(
    big.stdout,
    /^Admission: \d+ of 100 node\(s\) may work at once: 850 requests\/h usable \(85% of 1000\).*standby node\(s\) poll every \d+ min/m,
  );
  const app = await sized("--token-kind", "app");
  assert.match(app.stdout, /^Budget \(app token, github-actions\[bot\]\): 5000 requests\/h/m);
  assert.match(
    app.stdout,
    /^Admission: \d+ of 100 node\(s\) may work at once: 4250 requests\/h usable \(85% of 5000\)/m,
  );
  await Deno.remove(path);
});

Deno.test("state --json prints the folded state as JSON", async () => {
  const path = await writeLog();
  const r = await runCli(["state", "--comments", path, "--self", "github-actions[bot]", "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const state = JSON.parse(r.stdout);
  assert.equal(state.tasks.T1.status, "done");
  assert.equal(state.tasks.T1.done.node, "n2");
  assert.equal(state.tasks.T2.attempts[0].node, "n2");
  assert.equal(state.ignored.untrusted_author, 1);
  await Deno.remove(path);
});

Deno.test("state without --self trusts nobody but owners, members and collaborators", async () => {
  const path = await writeLog();
  const r = await runCli(["state", "--comments", path, "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const state = JSON.parse(r.stdout);
  assert.equal(state.plan, null);
  assert.equal(state.ignored.untrusted_author, 6);
  await Deno.remove(path);
});

Deno.test("state refuses a missing or non-JSON comments file with exit code 2", async () => {
  const r1 = await runCli(["state", "--comments", "/nonexistent/file.json"]);
  assert.equal(r1.code, 2);
  assert.match(r1.stderr, /Cannot read comments file "\/nonexistent\/file.json"/);
  const path = await Deno.makeTempFile();
  await Deno.writeTextFile(path, "not json");
  const r2 = await runCli(["state", "--comments", path]);
  assert.equal(r2.code, 2);
  assert.match(r2.stderr, /is not JSON: save the output of GET/);
  const r3 = await runCli(["state"]);
  assert.equal(r3.code, 2);
  assert.match(r3.stderr, /Pass exactly one of --comments FILE or --issue N/);
  await Deno.remove(path);
});

Deno.test("state --comments honours P2P_ALLOW as the nodes do", async () => {
  const path = await writeLog();
  const args = ["state", "--comments", path, "--self", "github-actions[bot]", "--json"];
  const without = JSON.parse((await runCli(args)).stdout);
  assert.equal(without.ignored.untrusted_author, 1, "the stranger's claim is ignored");
  const withAllow = JSON.parse((await runCli(args, { P2P_ALLOW: "someone, stranger" })).stdout);
  assert.equal(withAllow.ignored.untrusted_author, undefined, "P2P_ALLOW trusts the stranger");
  await Deno.remove(path);
});

Deno.test("state | head ends quietly with exit code 0 (no Broken pipe)", async () => {
  // Enough output to fill the pipe after head has gone: 3,000 announced nodes.
  const comments = Array.from({ length: 3_000 }, (_, i) =>
    rest(
      2_147_490_000 + i,
      "github-actions[bot]",
      "NONE",
      i % 60,
      msg(`node-${i}`, `n${i}`, [{ type: "announce", role: "node", exec: "command" }]),
    ));
  const path = await Deno.makeTempFile({ suffix: ".json" });
  await Deno.writeTextFile(path, JSON.stringify(comments));
  try {
    const out = await new Deno.Command("bash", {
      args: [
        "-c",
        `set -o pipefail; "$DENO" run -A --no-prompt "$MAIN" state --comments "$FILE" --self "github-actions[bot]" --json | head -n 2`,
      ],
      env: { DENO: Deno.execPath(), MAIN, FILE: path, NO_COLOR: "1" },
      stdin: "null",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, stderr);
    assert.equal(stderr, "");
    assert.equal(new TextDecoder().decode(out.stdout).split("\n").length, 3);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("state shows each task's cost, the total against the cost cap, and denied tool calls", async () => {
  const base = 2_147_483_800;
  const bot = "github-actions[bot]";
  const comments = [
    rest(
      base + 1,
      bot,
      "NONE",
      1,
      msg("n1", "a", [{ type: "election", term: 1, timeoutMs: 60_000 }]),
    ),
    rest(
      base + 2,
      bot,
      "NONE",
      2,
      msg("n1", "b", [{
        type: "plan",
        term: 1,
        token: base + 1,
        version: 1,
        part: 1,
        parts: 1,
        planner: "claude",
        settings: { leaseMs: 600_000, maxAttempts: 3, backoffMs: 0, maxCostUsd: 0.6 },
        tasks: [
          { id: "T1", title: "Write the file", priority: "high", deps: [] },
          { id: "T2", title: "Run the checks", priority: "medium", deps: [] },
          { id: "T3", title: "Publish", priority: "low", deps: [] },
        ],
      }]),
    ),
    rest(base + 3, bot, "NONE", 3, msg("n1", "c", [{ type: "claim", task: "T1", attempt: 1 }])),
    rest(base + 4, bot, "NONE", 3, msg("n2", "d", [{ type: "claim", task: "T2", attempt: 1 }])),
    rest(
      base + 5,
      bot,
      "NONE",
      5,
      msg("n1", "e", [{
        type: "progress",
        task: "T1",
        attempt: 1,
        status: "completed",
        result: { summary: "wrote it", costUsd: 0.5 },
      }]),
    ),
    rest(
      base + 6,
      bot,
      "NONE",
      6,
      msg("n2", "f", [{
        type: "progress",
        task: "T2",
        attempt: 1,
        status: "failed",
        result: {
          summary: "denied",
          costUsd: 0.4,
          failure: "permission_denied",
          denied: ["Bash(npm test)"],
        },
      }]),
    ),
  ];
  const path = await Deno.makeTempFile({ suffix: ".json" });
  try {
    await Deno.writeTextFile(path, JSON.stringify(comments));
    const r = await runCli(["state", "--comments", path, "--self", bot]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^T1\s+high\s+done\s+1\s+n1\s+100\s+\$0\.5000\s+Write the file$/m);
    assert.match(r.stdout, /^T2\s+medium\s+ready\s+1\s+0\s+\$0\.4000\s+Run the checks$/m);
    assert.match(
      r.stdout,
      /^Cost: \$0\.9000 reported by the agents of a \$0\.6 cap \(--max-cost-usd\): reached, no new task is claimed$/m,
    );
    assert.match(r.stdout, /^Denied in T2 attempt 1 \(permission_denied\): Bash\(npm test\)$/m);
  } finally {
    await Deno.remove(path);
  }
});

/** Escape, bell and a bidirectional override: none may reach the terminal. */
const CONTROL = new RegExp("[\u001b\u0007\u202e]");

Deno.test("state and the live view print no escape sequence from a title, a note or a node id", async () => {
  const { fold } = await import("../../src/protocol/fold.ts");
  const { LiveView } = await import("../../src/cli/live_view.ts");
  const { toLogComment } = await import("../../src/github/rest.ts");
  const base = 2_147_483_800;
  const bot = "github-actions[bot]";
  const evil =
    "Fix\x1b]0;pwned\x07 the\x1b[2J\x1b[H API\x1b]8;;https://evil.example\x1b\\link\u202e";
  const comments = [
    rest(
      base + 1,
      bot,
      "NONE",
      1,
      msg("n1", "a", [{ type: "election", term: 1, timeoutMs: 60_000 }]),
    ),
    rest(
      base + 2,
      bot,
      "NONE",
      2,
      msg("n1", "b", [{
        type: "plan",
        term: 1,
        token: base + 1,
        version: 1,
        part: 1,
        parts: 1,
        planner: "markdown\x1b[31m",
        tasks: [{ id: "T1", title: evil, priority: "high", deps: [] }],
      }]),
    ),
    rest(
      base + 3,
      bot,
      "NONE",
      3,
      msg("n2\x1b[1A", "c", [{ type: "claim", task: "T1", attempt: 1 }]),
    ),
    rest(
      base + 4,
      bot,
      "NONE",
      4,
      msg("n2\x1b[1A", "d", [{
        type: "progress",
        task: "T1",
        attempt: 1,
        status: "in_progress",
        percent: 40,
        note: "note\x1b[2K\x1b]52;c;ZWNobw==\x07",
      }]),
    ),
  ];
  const path = await Deno.makeTempFile({ suffix: ".json" });
  await Deno.writeTextFile(path, JSON.stringify(comments));
  const r = await runCli(["state", "--comments", path, "--self", bot]);
  await Deno.remove(path);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Fix the API/);
  assert.doesNotMatch(r.stdout, CONTROL, JSON.stringify(r.stdout));

  const state = fold(comments.map((c) => toLogComment(c as never)), {
    repo: "o/r",
    issue: 7,
    self: bot,
    allow: new Set(),
    writers: new Set(),
  });
  const frames: string[] = [];
  const view = new LiveView((s) => frames.push(s), "n1", "pat", () => 0);
  view.state(state, state.lastTime);
  view.event("12:00:00 T1: 40% note\x1b[2K\x1b]52;c;ZWNobw==\x07");
  const lines = view.lines();
  assert.ok(lines.some((l) => l.includes("Fix the API")), lines.join("\n"));
  for (const line of lines) assert.doesNotMatch(line, CONTROL, JSON.stringify(line));
});

Deno.test("an --api-url with credentials is refused without echoing them", async () => {
  const token = "ghp_SECRETSECRETSECRETSECRETSECRET1234";
  for (const url of [`http://user:${token}@127.0.0.1:9/`, `http://${token}@127.0.0.1:9/`]) {
    const r = await runCli(["state", "--issue", "1", "--repo", "o/r", "--api-url", url], {
      GITHUB_TOKEN: "x",
    });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /holds credentials: pass the URL without them/);
    assert.ok(!(r.stdout + r.stderr).includes("SECRETSECRET"), r.stderr);
  }
  const bad = await runCli(["state", "--issue", "1", "--repo", "o/r"], {
    GITHUB_TOKEN: "x",
    GITHUB_API_URL: `http://u:${token}@[bad`,
  });
  assert.equal(bad.code, 2);
  assert.ok(!(bad.stdout + bad.stderr).includes("SECRETSECRET"), bad.stderr);
});
