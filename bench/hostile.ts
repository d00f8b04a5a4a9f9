/**
 * What hostile input costs (issue 14, "bounded cost of hostile input"),
 * measured on this machine: the figures docs/SECURITY.md section 7 quotes.
 * Run alone: `deno run --allow-all --v8-flags=--expose-gc bench/hostile.ts`.
 * Not part of `deno task bench` (it is quick, and its figures are about
 * hostile text, not swarm speed).
 *
 * @module
 */
import type { GitHub } from "../src/github/port.ts";
import { createGitHub } from "../src/github/octokit.ts";
import { startEmulator } from "../src/emulator/mod.ts";
import { LogView } from "../src/node/log_view.ts";
import { buildMetrics, renderSummary } from "../src/node/metrics.ts";
import { systemClock } from "../src/node/ports.ts";
import { encodeMessage, splitPlan } from "../src/protocol/codec.ts";
import { fold } from "../src/protocol/fold.ts";
import type { LogComment, PlanTask, ProtocolEvent } from "../src/protocol/types.ts";
import { parseMarkdownPlan } from "../src/planner/markdown.ts";
import { redactor } from "../src/executor/redact.ts";
import { neutralizeMarkdown } from "../src/text/neutralize.ts";
import { stripHidden } from "../src/text/hidden.ts";

const WHERE = { repo: "octo/app", issue: 1 };
const BOT = "github-actions[bot]";
const T0 = Date.UTC(2026, 0, 1);
const gc = (globalThis as { gc?: () => void }).gc;

/** An issue in memory behind the GitHub port's list and get calls. */
class Issue {
  comments: LogComment[] = [];
  #id = 3_000_000_000;
  #nonce = 0;
  post(author: string, body: string): LogComment {
    const at = T0 + this.comments.length * 1000;
    const c: LogComment = {
      id: this.#id += 7,
      body,
      author,
      authorType: author.endsWith("[bot]") ? "Bot" : "User",
      createdAt: at,
      updatedAt: at,
    };
    this.comments.push(c);
    return c;
  }
  message(author: string, node: string, events: ProtocolEvent[]): LogComment {
    return this.post(author, encodeMessage({ node, nonce: `n${++this.#nonce}`, events }, WHERE));
  }
  port(): GitHub {
    return {
      repository: { owner: "octo", repo: "app" },
      listComments: (_issue: number, since?: string) => {
        const from = since ? Date.parse(since) : -Infinity;
        return Promise.resolve({
          comments: this.comments.filter((c) => c.updatedAt >= from).map((c) => ({ ...c })),
          serverTime: Math.max(T0, ...this.comments.map((c) => c.updatedAt)),
          notModified: false,
        });
      },
      permission: () => Promise.resolve("none"),
      getComment: (id: number) => Promise.resolve(this.comments.find((c) => c.id === id) ?? null),
    } as unknown as GitHub;
  }
  view(): LogView {
    return new LogView({
      github: this.port(),
      clock: systemClock,
      issue: 1,
      self: BOT,
      allow: [],
      sinceSlackMs: 0,
    });
  }
}

const tasks = (n: number, title = (i: number) => `Task ${i}`, body?: string): PlanTask[] =>
  Array.from({ length: n }, (_, i) => ({
    id: `T${i + 1}`,
    title: title(i + 1),
    priority: "medium",
    deps: [],
    ...(body ? { body } : {}),
  }));

function planned(issue: Issue, list: PlanTask[]): void {
  const election = issue.message(BOT, "L", [{ type: "election", term: 1, timeoutMs: 60_000 }]);
  for (
    const part of splitPlan({ term: 1, token: election.id, version: 1, tasks: list }, {
      ...WHERE,
      node: "L",
    })
  ) {
    issue.message(BOT, "L", [part]);
  }
}

function heapMiB(): number {
  gc?.();
  return Deno.memoryUsage().heapUsed / 2 ** 20;
}

function time<T>(f: () => T): [T, number] {
  const t = performance.now();
  const out = f();
  return [out, performance.now() - t];
}

const rows: [string, string][] = [];
const row = (what: string, figure: string) => rows.push([what, figure]);

// 1. A stranger's flood: 1,000 comments of 64 KB (half well-formed messages, half text).
{
  const before = heapMiB();
  const issue = new Issue();
  planned(issue, tasks(3));
  const big = "x".repeat(64_000);
  let posted = 0;
  for (let i = 0; i < 500; i++) {
    posted += issue.message("mallory", `evil-${i}`, [{
      type: "plan",
      term: 1,
      token: 1,
      version: 2,
      part: 1,
      parts: 1,
      tasks: tasks(1, () => "x", big.slice(0, 63_000)),
    }]).body.length;
    posted += issue.post("mallory", `${big}${i}`).body.length;
  }
  const view = issue.view();
  await view.refresh();
  issue.comments = []; // what the reads returned is garbage now; the view keeps its own
  await new Promise((resolve) => setTimeout(resolve, 0));
  const held = heapMiB() - before;
  row(
    "stranger's flood: 1,000 comments of 64 KB",
    `${
      (posted / 2 ** 20).toFixed(1)
    } MiB posted; view holds ${view.heldChars().toLocaleString()} characters, heap +${
      held.toFixed(1)
    } MiB${gc ? "" : " (no --expose-gc: heap figure unreliable)"}`,
  );
}

// 1b. The same flood over real HTTP: the emulator, the REST client with its page cache, the view.
{
  const big = "x".repeat(64_000);
  const comments = Array.from({ length: 1_000 }, (_, i) => ({
    author: "mallory",
    body: `${big}${i}`,
  }));
  const emu = await startEmulator({
    port: 0,
    tokens: [{
      token: "ghs_bench",
      login: BOT,
      kind: "actions",
      repos: ["o/r"],
      limit: 1_000_000,
    }],
    users: [{ login: "o", token: "ghp_o" }, { login: "mallory", token: "ghp_m" }],
    repos: [{ owner: "o", name: "r", issues: [{ title: "flood", author: "o", comments }] }],
  });
  try {
    comments.length = 0;
    // The emulator runs in this process: what the client and the view hold is what goes when
    // they are dropped.
    let github: GitHub | undefined = createGitHub({
      token: "ghs_bench",
      baseUrl: emu.url,
      owner: "o",
      repo: "r",
    });
    let view: LogView | undefined = new LogView({
      github,
      clock: systemClock,
      issue: 1,
      self: BOT,
      allow: [],
      sinceSlackMs: 0,
    });
    await view.refresh({ full: true });
    await view.refresh({ full: true });
    const size = view.size;
    await new Promise((resolve) => setTimeout(resolve, 0));
    const withClient = heapMiB();
    github = undefined;
    view = undefined;
    await new Promise((resolve) => setTimeout(resolve, 0));
    row(
      "the same flood over HTTP (REST client + page cache + view)",
      `client and view hold ${
        (withClient - heapMiB()).toFixed(1)
      } MiB after two full reads of ${size} comments`,
    );
  } finally {
    await emu.close();
  }
}

// 2. A stranger edits an ordinary comment in a log of 4,000 tasks and 4,000 claims.
{
  const issue = new Issue();
  planned(issue, tasks(4_000));
  const chat = issue.post("mallory", "Nice work!");
  for (let i = 1; i <= 4_000; i++) {
    issue.message(BOT, "w", [{ type: "claim", task: `T${i}`, attempt: 1 }]);
  }
  const view = issue.view();
  const [, first] = await timeAsync(() => view.refresh());
  const applied = view.reapplied;
  chat.body = "Nice work! (edited)";
  chat.updatedAt = issue.comments.at(-1)!.createdAt + 60_000;
  const [, again] = await timeAsync(() => view.refresh());
  row(
    "stranger edits a comment: 4,000 tasks, 4,000 claims",
    `first read ${first.toFixed(0)} ms; after the edit ${again.toFixed(1)} ms, ${
      view.reapplied - applied
    } comments folded again`,
  );
  const [, whole] = time(() => fold(issue.comments, view.policy));
  row("  a whole fold of that log, for comparison", `${whole.toFixed(0)} ms`);
}

// 3. The Markdown planner on 65,000 characters of "[", and hidden-text removal on them.
{
  const body = "[".repeat(65_000);
  const [, ms] = time(() => parseMarkdownPlan(body));
  row("Markdown planner: 65,000 × '['", `${ms.toFixed(1)} ms`);
  const comments = "<!--".repeat(16_250);
  const [, hidden] = time(() => stripHidden(comments));
  row("hidden-text removal: 65,000 characters of '<!--'", `${hidden.toFixed(1)} ms`);
}

// 4. splitPlan at 4,000 tasks (titles of 300 hostile characters), and the summary of that plan.
{
  const hostile = (i: number) =>
    `Fixes #${i} @org/everyone <img src=x> ![p](https://e.example/p.png) `.padEnd(300, "x");
  const list = tasks(4_000, hostile);
  const [parts, ms] = time(() =>
    splitPlan({ term: 1, token: 3_000_000_007, version: 1, tasks: list }, {
      ...WHERE,
      node: "L",
      secret: "s",
    })
  );
  const largest = Math.max(
    ...parts.map((p) =>
      encodeMessage({ node: "L", nonce: "n".repeat(40), events: [p] }, { ...WHERE, secret: "s" })
        .length
    ),
  );
  row(
    "splitPlan: 4,000 tasks, 300-character hostile titles",
    `${
      ms.toFixed(0)
    } ms, ${parts.length} comments, largest ${largest.toLocaleString()} characters (GitHub's limit 65,536)`,
  );
  const issue = new Issue();
  planned(issue, list);
  const state = fold(issue.comments, {
    ...WHERE,
    self: BOT,
    allow: new Set(),
    writers: new Set(),
  });
  const summary = renderSummary(
    buildMetrics(state, issue.comments, { ...WHERE, tokenKind: "actions" }),
  );
  row(
    "summary comment of that plan",
    `${summary.length.toLocaleString()} characters (GitHub's limit 65,536)`,
  );
}

// 5. Redaction and neutralisation of a megabyte of hostile output.
{
  const secret = "ghs_16C7e42F292c6912E7710c838347Ae178B4a";
  const chunk =
    `MY_TOKEN_ghp_${"A".repeat(36)} "authorization":"Bearer abc.def.ghi" ${btoa(secret)} ` +
    `${[...secret].reverse().join("")} sk-ant-api03-xyz npm_${
      "b".repeat(36)
    } x@y <a> @z Fixes #1\n`;
  const text = chunk.repeat(Math.ceil(2 ** 20 / chunk.length));
  const redact = redactor([secret, "swarm-hmac-Zq81xK2v9Lm"]);
  const [, r] = time(() => redact(text));
  row("redaction: 1 MiB of token-shaped output, 2 secrets", `${r.toFixed(0)} ms`);
  const [, n] = time(() => neutralizeMarkdown(text, Infinity));
  row("neutralisation: the same 1 MiB", `${n.toFixed(0)} ms`);
}

async function timeAsync<T>(f: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const out = await f();
  return [out, performance.now() - t];
}

const width = Math.max(...rows.map(([w]) => w.length));
// deno-lint-ignore no-console
console.log(
  `p2p-dev hostile input, ${
    new Date().toISOString().slice(0, 10)
  }, deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} cores`,
);
// deno-lint-ignore no-console
for (const [what, figure] of rows) console.log(`${what.padEnd(width)}  ${figure}`);
