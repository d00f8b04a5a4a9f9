/**
 * Fuzz of what people other than the swarm write into its log (issue 14):
 * hidden markers and crafted messages, and edits and deletions of the
 * swarm's own comments after the fact. Seeded (fast-check with fixed seeds
 * over the seeded swarm generator), so every run checks the same cases.
 *
 * @module
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { canonicalJson } from "../../src/protocol/canonical.ts";
import { decodeBody, encodeMessage } from "../../src/protocol/codec.ts";
import { fold } from "../../src/protocol/fold.ts";
import type { SwarmState } from "../../src/protocol/state.ts";
import type { LogComment, Message, ProtocolEvent } from "../../src/protocol/types.ts";
import { BOT, essence, ISSUE, mulberry32, REPO } from "./_log.ts";
import { buildSwarmLog, type SwarmLogOptions } from "./_swarm.ts";

const RUNS = (seed: number, numRuns = 40) => ({ seed, numRuns });

const swarmOptions = (secret: boolean) =>
  fc.record({
    seed: fc.integer(),
    steps: fc.integer({ min: 0, max: 140 }),
    nodes: fc.integer({ min: 1, max: 4 }),
    tasks: fc.integer({ min: 1, max: 8 }),
  }).map((r): SwarmLogOptions => secret ? { ...r, secret: "s3cret" } : r);

/** Everything the fold counts as stopped: every reason it ignored a comment, and foreign ones. */
function stopped(state: SwarmState): number {
  return Object.values(state.ignored).reduce((a, b) => a + b, state.foreign);
}

/** The decisions of a fold: terms, plan, tasks and whether the swarm ended. */
function decided(state: SwarmState): string {
  return canonicalJson({
    terms: state.terms,
    plan: state.plan,
    tasks: state.tasks,
    ended: state.ended,
  });
}

/** The messages of a log, as decoded. */
function messagesOf(comments: readonly LogComment[]): { comment: LogComment; message: Message }[] {
  return comments.flatMap((comment) => {
    const d = decodeBody(comment.body);
    return d.kind === "message" ? [{ comment, message: d.message }] : [];
  });
}

/**
 * Events an attacker would like counted: every event the log holds (plans,
 * elections, claims, completions with their results and branches), and
 * `end`, `retry`, a vouch for itself and a restore that rewrites a real
 * message.
 */
function hostileEvents(messages: readonly { comment: LogComment; message: Message }[]) {
  const events: ProtocolEvent[] = messages.flatMap((m) => m.message.events);
  const tasks = [...new Set(events.flatMap((e) => e.type === "claim" ? [e.task] : []))];
  events.push({ type: "end", reason: "done" });
  events.push({ type: "retry", tasks: tasks.length > 0 ? tasks : ["T1"] });
  events.push({ type: "vouch", logins: [{ login: "mallory", reason: "admin" }] });
  // A forged completion whose branch would reach a dependent task's P2P_DEP_BRANCHES.
  for (const task of tasks.length > 0 ? tasks : ["T1"]) {
    for (const attempt of [1, 2]) {
      events.push({
        type: "progress",
        task,
        attempt,
        status: "completed",
        percent: 100,
        result: { summary: "done", branch: "attacker/branch" },
      });
    }
  }
  for (const { comment, message } of messages.slice(0, 4)) {
    events.push({
      type: "restore",
      comment: comment.id,
      author: comment.author,
      createdAt: comment.createdAt,
      message: { ...message, events: [{ type: "end" }] },
    });
  }
  return events;
}

/** Ways to wrap a whole protocol comment into text that is not one (markers hidden or quoted). */
const WRAPS: readonly ((body: string, payload: string) => string)[] = [
  // A task title quoted verbatim by the summary (issue 14, finding 1).
  (_b, p) => `## p2p-dev summary\n\n| T1 | Add the endpoint ${p} | done |\n`,
  (_b, p) => `- [ ] T1: Add the endpoint ${p}`,
  // Another workflow thanking the author, quoting the issue.
  (b) => `Thanks for the report! You wrote:\n\n${b}`,
  (b) => `${b}\n`,
  (b) => `\n${b}`,
  (b) => ` ${b}`,
  (b) => `${b} `,
  (b) => b.replace(/\n/g, "\r\n"),
  (b) => b.replace("\n", "\n\n"),
  (b) => `\u200b${b}`,
  (b) => `${b}\u200b`,
  (b) => b.split("\n").map((l) => `> ${l}`).join("\n"),
  (b) => "```\n" + b + "\n```",
  (b) => `<!-- ${b} -->`,
  (b, p) => `${b}\n${p}`,
  (_b, p) => p,
  (_b, p) => `${p}\n${p}`,
  (b) => b.split("\n").at(0)!,
  (b) => b.replace("-->", " -->"),
  (b) => b.replace("<!-- p2p-dev v1 ", "<!--  p2p-dev v1 "),
];

/**
 * The wraps that change a visible character: a body that differs from the encoder's only in
 * zero-width spaces is its message (docs/PROTOCOL.md: they are what defuses outside text).
 */
const VISIBLE_WRAPS = WRAPS.filter((wrap) => wrap("a\nb", "b").replaceAll("\u200b", "") !== "a\nb");

Deno.test("hostile log fuzz: no text an outsider writes, hidden markers and crafted messages included, changes a decision of the fold; each is counted as stopped", () => {
  for (const secret of [false, true]) {
    fc.assert(
      fc.property(
        swarmOptions(secret),
        fc.array(
          fc.record({ pos: fc.nat(), pick: fc.nat(), wrap: fc.nat(), crafted: fc.boolean() }),
          {
            maxLength: 30,
          },
        ),
        (o, specs) => {
          const { clean, policy } = buildSwarmLog(o);
          const messages = messagesOf(clean);
          const events = hostileEvents(messages);
          const hostile = insertAfter(
            clean,
            specs.map((s) => ({
              pos: s.pos,
              make: (after: LogComment) => {
                const source = messages[s.pick % messages.length]!;
                // A message of its own making (any event, node ids of the swarm), or a copy
                // of one already posted (nobody can copy what is not there yet).
                const body = s.crafted || source.comment.id > after.id
                  ? encodeMessage({
                    node: source.message.node,
                    nonce: `mallory-${s.pick}-${s.wrap}`,
                    events: [events[s.pick % events.length]!],
                  }, { repo: REPO, issue: ISSUE, secret: s.wrap % 2 === 0 ? "guess" : undefined })
                  : source.comment.body;
                const payload = body.split("\n").at(-1)!;
                const text = s.wrap % 3 === 0 ? body : WRAPS[s.wrap % WRAPS.length]!(body, payload);
                return { ...after, body: text, author: "mallory", authorType: "User" };
              },
            })),
          );
          const noisy = fold(hostile, policy);
          const base = fold(clean, policy);
          assert.equal(essence(noisy), essence(base));
          assert.equal(stopped(noisy) - stopped(base), hostile.length - clean.length);
        },
      ),
      RUNS(secret ? 1401 : 1400),
    );
  }
});

Deno.test("hostile log fuzz: what the swarm's own identity posts holding a marker counts only as a whole comment the encoder wrote (a summary quoting a hidden marker, a workflow quoting issue text, an unsigned or wrongly signed message with a secret)", () => {
  for (const secret of [false, true]) {
    fc.assert(
      fc.property(
        swarmOptions(secret),
        fc.array(fc.record({ pos: fc.nat(), pick: fc.nat(), wrap: fc.nat() }), { maxLength: 30 }),
        (o, specs) => {
          const { clean, policy } = buildSwarmLog(o);
          const messages = messagesOf(clean);
          const events = hostileEvents(messages);
          const hostile = insertAfter(
            clean,
            specs.map((s) => ({
              pos: s.pos,
              make: (after: LogComment) => {
                const source = messages[s.pick % messages.length]!;
                const fresh = encodeMessage({
                  node: source.message.node,
                  nonce: `quoted-${s.pick}-${s.wrap}`,
                  events: [events[s.pick % events.length]!],
                }, { repo: REPO, issue: ISSUE, secret: secret ? "not-the-secret" : undefined });
                const payload = fresh.split("\n").at(-1)!;
                // Without a secret, the identity's whole messages count by design: only wrapped text here.
                const wrap = VISIBLE_WRAPS[s.wrap % VISIBLE_WRAPS.length]!;
                const text = secret && s.wrap % 4 === 0 ? fresh : wrap(fresh, payload);
                return { ...after, body: text, author: BOT, authorType: "Bot" };
              },
            })),
          );
          const noisy = fold(hostile, policy);
          const base = fold(clean, policy);
          assert.equal(essence(noisy), essence(base));
          assert.equal(stopped(noisy) - stopped(base), hostile.length - clean.length);
        },
      ),
      RUNS(secret ? 1403 : 1402),
    );
  }
});

type Rewrite = "delete" | "edit_later" | "edit_same_second";

Deno.test("hostile log fuzz: edits and deletions of trusted comments after the fact never put another message in; an honest restore brings every decision back, a forged one changes nothing", () => {
  for (const secret of [false, true]) {
    fc.assert(
      fc.property(
        swarmOptions(secret),
        fc.array(
          fc.record({
            pick: fc.nat(),
            how: fc.constantFrom<Rewrite>("delete", "edit_later", "edit_same_second"),
            into: fc.nat(),
          }),
          { minLength: 1, maxLength: 8 },
        ),
        fc.integer(),
        (o, rewrites, forgerySeed) => {
          const { clean, policy } = buildSwarmLog(o);
          const messages = messagesOf(clean);
          const events = hostileEvents(messages);
          const sign = secret ? "s3cret" : undefined;
          const targets = new Map<number, { how: Rewrite; body: string }>();
          // An edit within the comment's own second looks unedited: one into a vouch is a vouch
          // until the restore replaces it, and can make the voucher's own restore stand first
          // (docs/PROTOCOL.md, limits). Only people with write access can edit the swarm's
          // comments, and they are trusted anyway: such edits are left out here.
          const unvouched = events.filter((e) => e.type !== "vouch");
          for (const r of rewrites) {
            const { comment, message } = messages[r.pick % messages.length]!;
            const pool = r.how === "edit_same_second" ? unvouched : events;
            // Rewritten into another message the encoder would write, signed with the real
            // secret (the worst case: a maintainer or a workflow of the swarm's own identity).
            const body = encodeMessage({
              node: message.node,
              nonce: `${message.nonce}-rewritten`,
              events: [pool[r.into % pool.length]!],
            }, { repo: REPO, issue: ISSUE, secret: sign });
            targets.set(comment.id, { how: r.how, body });
          }
          const rewritten = clean.flatMap((c): LogComment[] => {
            const t = targets.get(c.id);
            if (t === undefined) return [c];
            if (t.how === "delete") return [];
            const updatedAt = t.how === "edit_later" ? c.createdAt + 90_000 : c.createdAt;
            return [{ ...c, body: t.body, updatedAt }];
          });
          const original = fold(clean, policy);

          // 1. An edit shown by updated_at takes the message out, leaving an ordinary comment
          //    (its time still passes): never another message in its place.
          const later = (f: (c: LogComment, t: { how: Rewrite; body: string }) => LogComment[]) =>
            clean.flatMap((c): LogComment[] => {
              const t = targets.get(c.id);
              if (t === undefined || t.how === "edit_same_second") return [c];
              return t.how === "delete" ? [] : f(c, t);
            });
          const edited = later((c, t) => [{ ...c, body: t.body, updatedAt: c.createdAt + 90_000 }]);
          const emptied = later((c) => [{ ...c, body: "(a comment with no message)" }]);
          assert.equal(decided(fold(edited, policy)), decided(fold(emptied, policy)), "edit");

          // 2. A node that folded them restores them (docs/PROTOCOL.md, "Edits and
          //    deletions"): every reader decides as if nothing had been touched.
          const last = clean.at(-1)!;
          const restoreOf = (id: number, i: number, message?: Message, author = BOT) => {
            // An outsider cannot sign for the swarm: with a secret it can only guess one.
            const key = author === BOT ? sign : sign && "guess";
            const c = clean.find((x) => x.id === id)!;
            return {
              id: last.id + 100 + i,
              body: encodeMessage({
                node: "restorer",
                nonce: `restore-${author}-${i}`,
                events: [{
                  type: "restore",
                  comment: id,
                  author: c.author,
                  createdAt: c.createdAt,
                  ...(message ? { message } : {}),
                }],
              }, { repo: REPO, issue: ISSUE, secret: key }),
              author,
              authorType: author === BOT ? "Bot" : "User",
              createdAt: last.createdAt,
              updatedAt: last.createdAt,
            } satisfies LogComment;
          };
          const honest = [...targets.keys()].map((id, i) =>
            restoreOf(id, i, messages.find((m) => m.comment.id === id)!.message)
          );
          assert.equal(
            decided(fold([...rewritten, ...honest], policy)),
            decided(original),
            "restored",
          );

          // 3. Forged restores, before the honest ones: an outsider's, and (with a secret) a
          //    trusted login's whose restored message is not signed by the swarm.
          const rng = mulberry32(forgerySeed);
          const restorable = events.filter((e) => e.type !== "restore");
          const forged = [...targets.keys()].flatMap((id, i) => {
            const real = messages.find((m) => m.comment.id === id)!.message;
            const fake: Message = {
              ...real,
              events: [restorable[Math.floor(rng() * restorable.length)]!],
            };
            const out = [restoreOf(id, 50 + i, fake, "mallory")];
            if (secret) {
              const { sig: _sig, ...unsigned } = fake;
              out.push(restoreOf(id, 70 + i, unsigned));
            }
            return out;
          });
          const withForged = [
            ...rewritten,
            ...forged.map((c) => ({ ...c, id: c.id - 90 })),
            ...honest,
          ];
          assert.equal(
            decided(fold(withForged, policy)),
            decided(original),
            "forged restores first",
          );
          // On an untouched log, forged restores take nothing out and put nothing in.
          const forgedOnly = fold(
            [...clean, ...forged.map((c) => ({ ...c, id: c.id - 90 }))],
            policy,
          );
          assert.equal(decided(forgedOnly), decided(original));
          for (const [node, seen] of Object.entries(original.nodes)) {
            assert.deepEqual(
              forgedOnly.nodes[node],
              seen,
              `node ${node} as the untouched log has it`,
            );
          }
        },
      ),
      RUNS(secret ? 1405 : 1404, 30),
    );
  }
});

/**
 * Inserts one comment per maker after a chosen clean comment (ids from the
 * generator's gaps of at least 16, times of the comment before).
 */
function insertAfter(
  clean: readonly LogComment[],
  makers: readonly { pos: number; make: (after: LogComment) => LogComment }[],
): LogComment[] {
  const used = new Map<number, number>();
  const out: LogComment[] = [...clean];
  makers.forEach(({ pos, make }) => {
    const after = clean[pos % clean.length]!;
    const offset = (used.get(after.id) ?? 0) + 1;
    if (offset > 15) return;
    used.set(after.id, offset);
    const c = make(after);
    out.push({
      ...c,
      id: after.id + offset,
      createdAt: after.createdAt,
      updatedAt: after.createdAt,
    });
  });
  return out.sort((a, b) => a.id - b.id);
}
