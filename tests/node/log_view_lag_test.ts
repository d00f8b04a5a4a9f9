/**
 * What list lag costs a node's view in by-id reads (`GET
 * /repos/{o}/{r}/issues/comments/{id}`), counted exactly. Full-profile seed
 * 752: a node re-read the same 4–5 lagging comments at every poll, 61
 * requests in a minute.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { GitHub } from "../../src/github/port.ts";
import { LogView } from "../../src/node/log_view.ts";
import type { Clock } from "../../src/node/ports.ts";
import { encodeMessage } from "../../src/protocol/codec.ts";
import type { LogComment } from "../../src/protocol/types.ts";
import { ev, task } from "../protocol/_log.ts";

const REPO = { owner: "octo", repo: "app" };
const BOT = "github-actions[bot]";
const T0 = Date.UTC(2026, 0, 1);

/** Server time and local time in one, moved by hand. */
class HandClock implements Clock {
  t = T0;
  now(): number {
    return this.t;
  }
  sleep(ms: number): Promise<void> {
    this.t += ms;
    return Promise.resolve();
  }
}

/**
 * A node's view as `p2p-dev run` makes it for a short log (read whole at
 * every poll), expecting lists to lag 10 s.
 */
function viewOn(github: GitHub, clock: Clock): LogView {
  return new LogView({
    github,
    clock,
    issue: 1,
    self: BOT,
    allow: [],
    sinceSlackMs: 120_000,
    fullReadMs: () => 0,
    lagMs: 10_000,
  });
}

/** An issue whose lists leave out the comments in `lagging`, counting every request. */
class LaggingIssue {
  comments: LogComment[] = [];
  lagging = new Set<number>();
  lists = 0;
  byId: number[] = [];
  #id = 4_000_000_000;

  constructor(readonly clock: HandClock) {}

  post(events: Parameters<typeof encodeMessage>[0]["events"]): LogComment {
    const c: LogComment = {
      id: this.#id += 7,
      body: encodeMessage({ node: "L", nonce: `n${this.#id}`, events }, {
        repo: "octo/app",
        issue: 1,
      }),
      author: BOT,
      authorType: "Bot",
      createdAt: this.clock.now(),
      updatedAt: this.clock.now(),
    };
    this.comments.push(c);
    return c;
  }

  port(): GitHub {
    return {
      repository: REPO,
      listComments: () => {
        this.lists++;
        return Promise.resolve({
          comments: this.comments.filter((c) => !this.lagging.has(c.id)).map((c) => ({ ...c })),
          serverTime: this.clock.now(),
          notModified: false,
        });
      },
      getComment: (id: number) => {
        this.byId.push(id);
        const c = this.comments.find((x) => x.id === id);
        return Promise.resolve(c ? { ...c } : null);
      },
      permission: () => Promise.resolve("none"),
    } as unknown as GitHub;
  }
}

Deno.test("a comment lists lack for 45 s is read by id 3 times in 24 polls, not at every poll; its deletion is still noticed with one more read", async () => {
  const clock = new HandClock();
  const issue = new LaggingIssue(clock);
  const election = issue.post([{ type: "election", term: 1, timeoutMs: 60_000 }]);
  // A later comment the lists keep: the view asks only about ids below the newest listed.
  issue.post([{ type: "heartbeat", tasks: [] }]);
  await clock.sleep(1_000);
  const view = viewOn(issue.port(), clock);
  await view.refresh();
  assert.equal(view.state.terms.length, 1);

  // The election falls out of the lists (a replica lags) until +45 s, and
  // the view polls every 5 s: it asks at +10 s (older than the 10 s lag to
  // expect; found: lists lag ≥ 10 s), +20 s (twice that; ≥ 20 s), +40 s.
  issue.lagging.add(election.id);
  const askedAt: number[] = [];
  for (let poll = 1; poll <= 24; poll++) {
    clock.t = T0 + poll * 5_000;
    if (clock.t >= T0 + 45_000) issue.lagging.delete(election.id);
    const before = issue.byId.length;
    await view.refresh();
    if (issue.byId.length > before) askedAt.push((clock.t - T0) / 1000);
  }
  assert.equal(issue.lists, 25);
  assert.deepEqual(issue.byId, [election.id, election.id, election.id]);
  assert.deepEqual(askedAt, [10, 20, 40]);
  assert.equal(view.confirms, 3);
  assert.equal(view.extraRequestsLastRead, 0, "the last read lacked nothing");
  assert.equal(view.requestsPerRead(true), 1);
  assert.equal(view.listLagSeen, 40_000);
  assert.deepEqual(view.restoreEvents(), [], "nothing was lost");
  assert.equal(view.state.terms.length, 1);

  // Now it is deleted (it is older than twice the lag seen, 80 s): the next
  // poll reads it by id once, and the view offers its restore.
  issue.comments = issue.comments.filter((c) => c.id !== election.id);
  clock.t = T0 + 125_000;
  await view.refresh();
  assert.equal(view.extraRequestsLastRead, 1);
  assert.equal(view.requestsPerRead(true), 2, "the by-id read counts beside the list's page");
  clock.t = T0 + 130_000;
  await view.refresh();
  assert.equal(issue.lists, 27);
  assert.deepEqual(issue.byId, [election.id, election.id, election.id, election.id]);
  const [restore] = view.restoreEvents();
  assert.ok(restore?.type === "restore" && restore.comment === election.id);
  assert.equal(view.state.terms.length, 1, "it still counts, as it was posted");
});

/**
 * An issue listed by offset, 100 a page, each page from one of two replicas:
 * one where `deleted` are gone already, one where they are not yet.
 */
class PagedIssue {
  comments: LogComment[] = [];
  deleted = new Set<number>();
  /** Pages (1-based) served by the replica that has not seen the deletions yet. */
  behind = new Set<number>();
  lists: (string | undefined)[] = [];
  pages = 0;
  #id = 5_000_000_000;

  post(author: string, body: string, at: number): LogComment {
    const c: LogComment = {
      id: this.#id += 7,
      body,
      author,
      authorType: author.endsWith("[bot]") ? "Bot" : "User",
      createdAt: T0 + at,
      updatedAt: T0 + at,
    };
    this.comments.push(c);
    return c;
  }

  port(): GitHub {
    return {
      repository: REPO,
      listComments: (_issue: number, since?: string) => {
        this.lists.push(since);
        const from = since === undefined ? -Infinity : Date.parse(since);
        const out = new Map<number, LogComment>();
        for (let page = 1;; page++) {
          this.pages++;
          const all = this.comments.filter((c) =>
            c.updatedAt >= from && (this.behind.has(page) || !this.deleted.has(c.id))
          );
          for (const c of all.slice((page - 1) * 100, page * 100)) out.set(c.id, { ...c });
          if (all.length <= page * 100) break;
        }
        return Promise.resolve({
          comments: [...out.values()].sort((a, b) => a.id - b.id),
          serverTime: Math.max(...this.comments.map((c) => c.updatedAt)),
          notModified: false,
        });
      },
      getComment: () => Promise.reject(new Error("no comment is read by id here")),
      permission: () => Promise.resolve("none"),
    } as unknown as GitHub;
  }
}

Deno.test("a full read that loses a comment between two pages to a deletion reads once more from the deleted comment on, and finds it", async () => {
  const clock = new HandClock();
  const issue = new PagedIssue();
  const where = { repo: "octo/app", issue: 1 };
  // 200 comments people wrote, one a second: two full pages.
  const people = Array.from({ length: 200 }, (_, i) => issue.post("alice", `note ${i}`, i * 1000));
  clock.t = T0 + 300_000;
  const view = viewOn(issue.port(), clock);
  await view.refresh();
  assert.equal(view.size, 200);

  // A claim lands on position 200, the first of page 3, and one more after it.
  const claim = issue.post(
    BOT,
    encodeMessage(
      { node: "A", nonce: "c1", events: [{ type: "claim", task: "T1", attempt: 1 }] },
      where,
    ),
    400_000,
  );
  issue.post("alice", "thanks", 401_000);
  // A person deletes note 10. The replica that serves page 2 has not seen it
  // yet: there the claim is still 201st, so page 2 ends before it; on page 3
  // (the other replica) it is 200th, so page 3 starts after it.
  issue.deleted.add(people[10]!.id);
  issue.behind.add(2);
  clock.t = T0 + 405_000;
  await view.refresh();
  assert.equal(issue.lists.length, 3, "the full read, and one read since the deleted comment");
  assert.equal(issue.lists[1], undefined);
  assert.equal(issue.lists[2], new Date(T0 + 10_000).toISOString());
  assert.equal(view.extraRequestsLastRead, 1);
  assert.ok(view.entries().some((e) => e.id === claim.id), "the claim is in the view");
  assert.equal(view.state.tasks.T1, undefined, "no plan: the claim is only kept");
  assert.equal(view.size, 202);

  // The deleted comment stays absent from every later read: looked at once.
  issue.behind.clear();
  clock.t = T0 + 410_000;
  await view.refresh();
  assert.equal(issue.lists.length, 4);
  assert.equal(view.extraRequestsLastRead, 0);
});

Deno.test("a plan whose term's election comment the lists lack reads that comment by id once (the plan names it: its fencing token), so the plan is in force at once instead of after the lag", async () => {
  const clock = new HandClock();
  const issue = new LaggingIssue(clock);
  const election = issue.post([{ type: "election", term: 1, timeoutMs: 60_000 }]);
  issue.post([ev.plan(election.id, [task("T1")])]);
  issue.lagging.add(election.id);
  await clock.sleep(1_000);
  const view = viewOn(issue.port(), clock);
  await view.refresh();
  assert.deepEqual(issue.byId, [election.id]);
  assert.equal(view.extraRequestsLastRead, 1);
  assert.equal(view.state.terms.length, 1);
  assert.equal(view.state.plan?.term, 1);
  // Once only: later reads (the election still lagging) do not ask again.
  await clock.sleep(5_000);
  await view.refresh();
  assert.deepEqual(issue.byId, [election.id]);
  assert.equal(view.extraRequestsLastRead, 0);
});
