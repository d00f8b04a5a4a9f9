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
  assert.equal(view.listLagSeen, 40_000);
  assert.deepEqual(view.restoreEvents(), [], "nothing was lost");
  assert.equal(view.state.terms.length, 1);

  // Now it is deleted (it is older than twice the lag seen, 80 s): the next
  // poll reads it by id once, and the view offers its restore.
  issue.comments = issue.comments.filter((c) => c.id !== election.id);
  clock.t = T0 + 125_000;
  await view.refresh();
  clock.t = T0 + 130_000;
  await view.refresh();
  assert.equal(issue.lists, 27);
  assert.deepEqual(issue.byId, [election.id, election.id, election.id, election.id]);
  const [restore] = view.restoreEvents();
  assert.ok(restore?.type === "restore" && restore.comment === election.id);
  assert.equal(view.state.terms.length, 1, "it still counts, as it was posted");
});
