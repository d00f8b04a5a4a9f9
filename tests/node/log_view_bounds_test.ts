/**
 * What hostile input costs a node's view of the log, counted: characters
 * held for comment contents, and comments folded again. Never wall-clock.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { GitHub, Permission } from "../../src/github/port.ts";
import { LogView } from "../../src/node/log_view.ts";
import { systemClock } from "../../src/node/ports.ts";
import { canonicalJson } from "../../src/protocol/canonical.ts";
import { encodeMessage } from "../../src/protocol/codec.ts";
import { fold } from "../../src/protocol/fold.ts";
import type { LogComment, PlanTask, ProtocolEvent } from "../../src/protocol/types.ts";

const REPO = { owner: "octo", repo: "app" };
const WHERE = { repo: "octo/app", issue: 1 };
const BOT = "github-actions[bot]";
const T0 = Date.UTC(2026, 0, 1);

/** An in-memory issue behind the port's list call; `hide` keeps comments out of lists. */
class Issue {
  comments: LogComment[] = [];
  hide = new Set<number>();
  #id = 3_000_000_000;
  #nonce = 0;
  permissions: Record<string, Permission> = {};

  post(author: string, body: string, at = this.comments.length): LogComment {
    const c: LogComment = {
      id: this.#id += 7,
      body,
      author,
      authorType: author.endsWith("[bot]") ? "Bot" : "User",
      createdAt: T0 + at * 1000,
      updatedAt: T0 + at * 1000,
    };
    this.comments.push(c);
    return c;
  }

  message(author: string, node: string, events: ProtocolEvent[]): LogComment {
    const nonce = `n${++this.#nonce}`;
    return this.post(author, encodeMessage({ node, nonce, events }, WHERE));
  }

  port(): GitHub {
    return {
      repository: REPO,
      listComments: (_issue: number, since?: string) => {
        const from = since ? Date.parse(since) : -Infinity;
        const comments = this.comments.filter((c) => !this.hide.has(c.id) && c.updatedAt >= from);
        return Promise.resolve({
          comments: comments.map((c) => ({ ...c })),
          serverTime: Math.max(T0, ...this.comments.map((c) => c.updatedAt)),
          notModified: false,
        });
      },
      permission: (user: string) => Promise.resolve(this.permissions[user] ?? "none"),
      getComment: (id: number) => Promise.resolve(this.comments.find((c) => c.id === id) ?? null),
    } as unknown as GitHub;
  }
}

function view(issue: Issue): LogView {
  return new LogView({
    github: issue.port(),
    clock: systemClock,
    issue: 1,
    self: BOT,
    allow: [],
    sinceSlackMs: 0,
  });
}

function tasks(n: number, body = ""): PlanTask[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `T${i + 1}`,
    title: `Task ${i + 1}`,
    priority: "medium",
    deps: [],
    ...(body ? { body } : {}),
  }));
}

/** Election and plan by the swarm's identity. */
function planned(issue: Issue, n: number): void {
  const election = issue.message(BOT, "L", [{ type: "election", term: 1, timeoutMs: 60_000 }]);
  issue.message(BOT, "L", [{
    type: "plan",
    term: 1,
    token: election.id,
    version: 1,
    part: 1,
    parts: 1,
    settings: { leaseMs: 3_600_000, maxAttempts: 3, backoffMs: 0 },
    tasks: tasks(n),
  }]);
}

Deno.test("200 comments of 64 KB from a stranger cost the view a few characters each: bodies that cannot count are not kept", async () => {
  const issue = new Issue();
  planned(issue, 3);
  const big = "x".repeat(60_000);
  let sent = 0;
  for (let i = 0; i < 100; i++) {
    // Well-formed messages, as large as a comment may be, that no reader trusts…
    const m = issue.message("mallory", `evil-${i}`, [{
      type: "plan",
      term: 1,
      token: 1,
      version: 2,
      part: 1,
      parts: 1,
      tasks: tasks(1, big),
    }]);
    // …and ordinary text just as large.
    const f = issue.post("mallory", `${big}${i}`);
    sent += m.body.length + f.body.length;
  }
  const v = view(issue);
  await v.refresh();
  assert.ok(sent > 12_000_000, `${sent} characters posted`);
  assert.ok(v.state.plan, "the swarm's own plan counts");
  assert.equal(v.state.ignored.untrusted_author, 100);
  assert.ok(v.heldChars() < 80_000, `the view holds ${v.heldChars()} characters`);
  // What the view folded is what a fold of the whole log gives.
  assert.equal(
    canonicalJson(v.state),
    canonicalJson(fold(issue.comments, { ...v.policy, writers: new Set() })),
  );
});

Deno.test("a stranger editing an ordinary comment folds nothing again; only the counters move", async () => {
  const issue = new Issue();
  planned(issue, 300);
  const chat = issue.post("mallory", "Nice work!");
  for (let i = 1; i <= 300; i++) {
    issue.message(BOT, "w", [{ type: "claim", task: `T${i}`, attempt: 1 }]);
  }
  const v = view(issue);
  await v.refresh();
  const applied = v.reapplied;
  // Rewritten into a message (an edit never counts), in a later second.
  chat.body = encodeMessage({ node: "x", nonce: "z", events: [{ type: "end" }] }, WHERE);
  chat.updatedAt = issue.comments.at(-1)!.createdAt + 60_000;
  assert.equal(await v.refresh(), true);
  assert.equal(v.reapplied, applied, "no comment was folded again");
  assert.equal(v.state.foreign, 0);
  assert.equal(v.state.ignored.untrusted_author, 1);
  assert.equal(
    canonicalJson(v.state),
    canonicalJson(fold(issue.comments, { ...v.policy, writers: new Set() })),
  );
});

Deno.test("a comment that arrives out of order refolds from the latest checkpoint before it, not from the start", async () => {
  const issue = new Issue();
  planned(issue, 1_000);
  for (let i = 1; i <= 1_000; i++) {
    issue.message(BOT, "w", [{ type: "claim", task: `T${i}`, attempt: 1 }]);
  }
  const late = issue.comments.at(-10)!;
  issue.hide.add(late.id);
  const v = view(issue);
  await v.refresh();
  assert.equal(v.state.tasks[`T${991}`]!.attempts.length, 0, "its claim is not seen yet");
  const before = v.reapplied;
  issue.hide.clear();
  assert.equal(await v.refresh({ full: true }), true);
  const refolded = v.reapplied - before;
  assert.ok(refolded > 0 && refolded <= 2 * 128, `${refolded} comments folded again of ${v.size}`);
  assert.equal(canonicalJson(v.state), canonicalJson(fold(issue.comments, v.policy)));
});
