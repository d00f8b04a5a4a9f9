import assert from "node:assert/strict";
import { decodeBody, encodeMessage, splitPlan } from "../../src/protocol/codec.ts";
import { fold } from "../../src/protocol/fold.ts";
import type { LogComment, Message, PlanTask, ProtocolEvent } from "../../src/protocol/types.ts";
import { canCampaign } from "../../src/protocol/view.ts";
import { BOT, essence, ev, Log, task, trustPolicy, WHERE } from "./_log.ts";

const TWO = [task("T1"), task("T2", ["T1"])];

function messageOf(c: LogComment): Message {
  const d = decodeBody(c.body);
  if (d.kind !== "message") throw new Error(`not a message: ${c.body}`);
  return d.message;
}

function restoreOf(c: LogComment, withMessage = true): ProtocolEvent {
  const e: ProtocolEvent = {
    type: "restore",
    comment: c.id,
    author: c.author,
    createdAt: c.createdAt,
  };
  if (withMessage) e.message = messageOf(c);
  return e;
}

/** A writer `wendy` leads and plans; the bot's nodes work under her plan. */
function wendyLeads(vouch: boolean): Log {
  const log = new Log();
  const token = log.post("w-laptop", [ev.election(1)], { author: "wendy" }).id;
  log.at(1).post("w-laptop", [ev.plan(token, TWO)], { author: "wendy" });
  const events: ProtocolEvent[] = [ev.announce()];
  if (vouch) events.push({ type: "vouch", logins: [{ login: "wendy", reason: "write" }] });
  log.at(2).post("node-2", [...events, ev.claim("T1", 1)]);
  log.at(20).post("node-2", [ev.done("T1", 1), ev.claim("T2", 1)]);
  return log;
}

Deno.test("vouch: a node that started after a writer's access was revoked folds her election and plan as the nodes that vouched for her did", () => {
  const log = wendyLeads(true);
  // Early nodes looked wendy up while she could write.
  const early = fold(log.comments, trustPolicy({ writers: new Set(["wendy"]) }));
  // A node that starts later finds her permission at `read`: not a root.
  const late = fold(log.comments, trustPolicy({ writers: new Set() }));
  assert.equal(late.terms[0]?.author, "wendy");
  assert.equal(late.plan?.term, 1);
  assert.equal(late.tasks.T1!.status, "done");
  assert.equal(essence(late), essence(early));
  assert.deepEqual(late.vouched.wendy, {
    by: "node-2",
    comment: log.comments[2]!.id,
    reason: "write",
  });
  assert.equal(canCampaign(late, log.now + 3_600_000), false, "nobody campaigns again");
});

Deno.test("vouch: without a vouch in the log the late node would reject the revoked writer's plan (what vouches fix)", () => {
  const log = wendyLeads(false);
  const late = fold(log.comments, trustPolicy({ writers: new Set() }));
  assert.equal(late.plan, null);
  assert.equal(late.ignored.untrusted_author, 2);
});

Deno.test("vouch: vouches chain from the reader's roots; a vouch from an untrusted login counts for nothing", () => {
  const log = new Log();
  log.post("m-1", [{ type: "vouch", logins: [{ login: "carol", reason: "write" }] }], {
    author: "mallory",
  });
  log.post("c-1", [ev.announce()], { author: "carol" });
  const s1 = fold(log.comments, trustPolicy());
  assert.ok(!("carol" in s1.vouched));
  assert.ok(!("c-1" in s1.nodes));
  // bob (a writer root) vouches for dave, dave for carol: both count, for the whole log.
  log.post("d-1", [{ type: "vouch", logins: [{ login: "carol", reason: "allow" }] }], {
    author: "dave",
  });
  log.post("b-1", [{ type: "vouch", logins: [{ login: "dave", reason: "write" }] }], {
    author: "bob",
  });
  const s2 = fold(log.comments, trustPolicy());
  assert.ok("c-1" in s2.nodes, "carol's earlier announcement counts");
  assert.equal(s2.vouched.carol?.by, "d-1");
  assert.equal(s2.ignored.untrusted_author, 1, "only mallory's vouch");
});

Deno.test("vouch: with a secret the signature decides and vouches change nothing", () => {
  const log = new Log("k");
  log.post("m-1", [ev.announce()], { author: "mallory", secret: "not-k" });
  log.post("b-1", [{ type: "vouch", logins: [{ login: "mallory", reason: "write" }] }]);
  const s = fold(log.comments, trustPolicy({ secret: "k" }));
  assert.ok(!("m-1" in s.nodes));
  assert.equal(s.ignored.bad_signature, 1);
});

/** A swarm where node-1 planned, node-2 claimed T1 and completed it. */
function swarm(): { log: Log; plan: LogComment; claim: LogComment; done: LogComment } {
  const log = new Log();
  const token = log.post("node-1", [ev.election(1)]).id;
  const plan = log.at(1).post("node-1", [ev.plan(token, TWO)]);
  const claim = log.at(2).post("node-2", [ev.claim("T1", 1)]);
  const done = log.at(30).post("node-2", [ev.done("T1", 1)]);
  return { log, plan, claim, done };
}

Deno.test("restore: a plan a maintainer edits mid-run stays in force for readers that saw it and for readers that join later", () => {
  const { log, plan } = swarm();
  const before = fold(log.comments, trustPolicy());
  log.at(40).post("node-3", [restoreOf(plan)]);
  log.at(41).post("node-2", [ev.claim("T2", 1)]);
  const seenAll = fold(log.comments, trustPolicy());
  // The maintainer's edit: a later reader sees the new body and updated_at.
  const edited = log.comments.map((c) =>
    c.id === plan.id ? { ...c, body: `${c.body}\n(edited)`, updatedAt: c.createdAt + 35_000 } : c
  );
  const late = fold(edited, trustPolicy());
  assert.equal(before.tasks.T1!.status, "done");
  assert.equal(late.plan?.commentIds[0], plan.id);
  assert.equal(late.tasks.T1!.status, "done", "the completion still counts");
  assert.equal(late.tasks.T2!.attempts[0]?.node, "node-2");
  assert.equal(late.ignored.unknown_task, undefined);
  assert.equal(essence(late), essence(seenAll));
  // Without the restore, the edited plan drops out for every reader.
  const unrestored = fold(edited.filter((c) => !c.body.includes("RESTORE")), trustPolicy());
  assert.equal(unrestored.plan, null);
  assert.ok((unrestored.ignored.unknown_task ?? 0) > 0);
});

Deno.test("restore: a deleted claim keeps its attempt for a reader that never saw it, so T1 is not ready to claim again", () => {
  const { log, claim, done } = swarm();
  log.comments.splice(log.comments.indexOf(done), 1); // T1 still running
  log.at(31).post("node-1", [restoreOf(claim)]);
  const deleted = log.comments.filter((c) => c.id !== claim.id);
  const late = fold(deleted, trustPolicy());
  assert.equal(late.tasks.T1!.status, "active");
  assert.equal(late.tasks.T1!.attempts[0]!.claimId, claim.id);
  assert.equal(late.tasks.T1!.attempts[0]!.node, "node-2");
  assert.equal(essence(late), essence(fold(log.comments, trustPolicy())));
  assert.equal(late.restored[String(claim.id)], log.comments.at(-1)!.id);
});

Deno.test("restore: a restore from an untrusted login, for a later comment, or naming another author or time changes nothing", () => {
  const { log, claim } = swarm();
  const reference = fold(log.comments, trustPolicy());
  const edited = log.comments.map((c) =>
    c.id === claim.id ? { ...c, updatedAt: c.createdAt + 60_000 } : c
  );
  const noise = new Log();
  const bodies = [
    encodeMessage({ node: "m", nonce: "a", events: [restoreOf(claim)] }, WHERE),
    encodeMessage({
      node: "node-3",
      nonce: "b",
      events: [{ ...restoreOf(claim), author: "someone-else" } as ProtocolEvent],
    }, WHERE),
    encodeMessage({
      node: "node-3",
      nonce: "c",
      events: [{ ...restoreOf(claim), createdAt: claim.createdAt + 1000 } as ProtocolEvent],
    }, WHERE),
  ];
  void noise;
  const authors = ["mallory", BOT, BOT];
  let id = log.comments.at(-1)!.id;
  const extra = bodies.map((body, i) => ({
    id: ++id,
    body,
    author: authors[i]!,
    authorType: "User",
    createdAt: log.now,
    updatedAt: log.now,
  }));
  const s = fold([...edited, ...extra], trustPolicy());
  assert.equal(s.tasks.T1!.attempts.length, 0, "the edited claim stays out");
  assert.notEqual(essence(s), essence(reference));
  assert.equal(s.ignored.untrusted_author, 1);
});

Deno.test("restore: a comment rewritten within its own second into a message counts for no reader once a restore says it carried none", () => {
  const { log } = swarm();
  // A maintainer's comment, rewritten in the same second into a valid claim
  // under a node id of its own: updated_at cannot show the edit.
  const rewritten = log.at(31).post("script", [ev.claim("T2", 1)], { author: "bob" });
  const s1 = fold(log.comments, trustPolicy());
  assert.equal(s1.nodes.script?.author, "bob", "a reader that never saw the first body accepts it");
  log.at(32).post("node-1", [restoreOf(rewritten, false)]);
  const s2 = fold(log.comments, trustPolicy());
  assert.ok(!("script" in s2.nodes));
  assert.equal(s2.ignored.edited, 1);
});

Deno.test("fold: trusted messages about tasks with no plan in force forbid elections (the plan exists out of sight)", () => {
  const { log, plan } = swarm();
  const withoutPlan = log.comments.filter((c) => c.id !== plan.id);
  log.at(3_600).post("node-9", [ev.election(2)]);
  const s = fold(withoutPlan.concat(log.comments.at(-1)!), trustPolicy());
  assert.equal(s.plan, null);
  assert.ok(s.unplanned > 0);
  assert.equal(s.terms.length, 1, "node-9's term 2 does not count");
  assert.equal(s.ignored.stale_election, 1);
  assert.equal(canCampaign(s, log.now + 3_600_000), false);
});

Deno.test("splitPlan: linear in the plan, each task is read a fixed number of times whatever the size of the parts", () => {
  const reads = (count: number, maxChars: number) => {
    let n = 0;
    const tasks: PlanTask[] = Array.from(
      { length: count },
      (_, i) =>
        new Proxy(task(`T${i + 1}`, [], { body: "x".repeat(200) }), {
          ownKeys(target) {
            n++;
            return Reflect.ownKeys(target);
          },
        }) as PlanTask,
    );
    const parts = splitPlan({ term: 1, token: 5, version: 1, tasks }, {
      node: "n",
      ...WHERE,
      maxChars,
    });
    assert.ok(parts.length > 1);
    assert.deepEqual(parts.flatMap((p) => p.tasks.map((t) => t.id)), tasks.map((t) => t.id));
    return n / count;
  };
  const small = reads(1_000, 5_000);
  const large = reads(1_000, 60_000);
  const more = reads(3_000, 60_000);
  // Re-encoding the part being filled for every task added reads each task
  // once per task after it in its part: ~12 times more with parts 12 times larger.
  assert.ok(large <= small * 1.2, `reads per task: ${small} (5,000-char parts), ${large} (60,000)`);
  assert.ok(more <= large * 1.2, `reads per task: ${large} (1,000 tasks), ${more} (3,000)`);
});
