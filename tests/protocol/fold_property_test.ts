import assert from "node:assert/strict";
import fc from "fast-check";
import { canonicalJson } from "../../src/protocol/canonical.ts";
import {
  decodeBody,
  encodeMessage,
  parseMessage,
  renderMessage,
} from "../../src/protocol/codec.ts";
import { applyComment, fold } from "../../src/protocol/fold.ts";
import { emptyState, type SwarmState } from "../../src/protocol/state.ts";
import type { TrustPolicy } from "../../src/protocol/trust.ts";
import type { LogComment } from "../../src/protocol/types.ts";
import { readyTasks } from "../../src/protocol/schedule.ts";
import { canCampaign, isFinished, phaseCounts } from "../../src/protocol/view.ts";
import { BOT, essence, ISSUE, REPO, shuffled, T0 } from "./_log.ts";
import { buildSwarmLog, type SwarmLog, type SwarmLogOptions } from "./_swarm.ts";

/** Fixed seeds keep the suite deterministic; the swarm seeds still vary per run. */
const RUNS = (seed: number, numRuns = 60) => ({ seed, numRuns });

const swarmOptions = (o: { noise?: number; secret?: boolean } = {}) =>
  fc.record({
    seed: fc.integer(),
    steps: fc.integer({ min: 0, max: 160 }),
    nodes: fc.integer({ min: 1, max: 5 }),
    tasks: fc.integer({ min: 1, max: 10 }),
    noise: fc.constant(o.noise ?? 0),
    secret: o.secret === undefined
      ? fc.constantFrom<string | undefined>(undefined, "s3cret")
      : fc.constant(o.secret ? "s3cret" : undefined),
  }).map((r): SwarmLogOptions => {
    const { secret, ...rest } = r;
    return secret ? { ...rest, secret } : rest;
  });

function incremental(comments: readonly LogComment[], policy: TrustPolicy): SwarmState {
  const state = emptyState();
  for (const c of comments) applyComment(state, c, policy);
  return state;
}

/** Why noise is stopped: trust, and (for an outsider's copy of a signed message) its nonce. */
const TRUST_REASONS = [
  "untrusted_author",
  "edited",
  "missing_signature",
  "bad_signature",
  "duplicate_nonce",
];

Deno.test("fold property: applying comments one at a time equals folding the whole log", () => {
  fc.assert(
    fc.property(swarmOptions({ noise: 0.2 }), (o) => {
      const { comments, policy, state } = buildSwarmLog(o);
      const full = fold(comments, policy);
      assert.equal(canonicalJson(incremental(comments, policy)), canonicalJson(full));
      // The generator's own shadow state was built the same way.
      assert.equal(canonicalJson(state), canonicalJson(full));
    }),
    RUNS(1),
  );
});

Deno.test("fold property: a state saved as JSON after any prefix and resumed equals the full fold", () => {
  fc.assert(
    fc.property(swarmOptions({ noise: 0.1 }), fc.nat(), (o, cut) => {
      const { comments, policy } = buildSwarmLog(o);
      const k = comments.length === 0 ? 0 : cut % (comments.length + 1);
      const saved = JSON.parse(JSON.stringify(fold(comments.slice(0, k), policy)));
      for (const c of comments.slice(k)) applyComment(saved, c, policy);
      assert.equal(canonicalJson(saved), canonicalJson(fold(comments, policy)));
    }),
    RUNS(2),
  );
});

Deno.test("fold property: re-reading comments already folded changes nothing but out_of_order", () => {
  fc.assert(
    fc.property(swarmOptions({ noise: 0.1 }), fc.nat(), (o, cut) => {
      const { comments, policy } = buildSwarmLog(o);
      const k = comments.length === 0 ? 0 : cut % (comments.length + 1);
      const state = fold(comments.slice(0, k), policy);
      const before = canonicalJson({ ...state, ignored: {} });
      // A list read that is not newer ("since" returns old comments again).
      for (const c of comments.slice(0, k)) applyComment(state, c, policy);
      assert.equal(canonicalJson({ ...state, ignored: {} }), before);
      assert.equal(state.ignored.out_of_order ?? 0, k);
    }),
    RUNS(3, 40),
  );
});

Deno.test("fold property: the fold is deterministic and independent of input array order", () => {
  fc.assert(
    fc.property(swarmOptions({ noise: 0.2 }), fc.integer(), (o, shuffleSeed) => {
      const { comments, policy } = buildSwarmLog(o);
      const expected = canonicalJson(fold(comments, policy));
      assert.equal(canonicalJson(fold(comments, policy)), expected);
      assert.equal(canonicalJson(fold(shuffled(comments, shuffleSeed), policy)), expected);
      assert.equal(canonicalJson(fold([...comments].reverse(), policy)), expected);
    }),
    RUNS(4),
  );
});

Deno.test("fold property: untrusted, edited, unsigned, badly signed and foreign comments change nothing", () => {
  fc.assert(
    fc.property(swarmOptions({ noise: 0.35 }), (o) => {
      const { comments, clean, noise, policy } = buildSwarmLog(o);
      const noisy = fold(comments, policy);
      assert.equal(essence(noisy), essence(fold(clean, policy)));
      // Every noise comment was stopped at the door, and nothing else was.
      const stopped = [...TRUST_REASONS, "malformed"]
        .reduce((sum, r) => sum + (noisy.ignored[r] ?? 0), noisy.foreign);
      assert.equal(stopped, noise.length);
    }),
    RUNS(5),
  );
});

type InsertKind =
  | "untrusted"
  | "edited"
  | "wrong_secret"
  | "unsigned"
  | "replayed"
  | "replayed_repo"
  | "tampered"
  | "foreign"
  | "malformed"
  | "hidden_marker"
  | "quoted";

/**
 * Inserts noise derived from the log's own messages after chosen comments.
 * Inserted comments take the next free ids and the created_at of the comment
 * before them (the generator leaves gaps of at least 16 ids).
 */
function insertNoise(
  clean: readonly LogComment[],
  secret: string,
  specs: readonly { pos: number; src: number; kind: InsertKind }[],
): { comments: LogComment[]; noise: LogComment[] } {
  const noise: LogComment[] = [];
  const used = new Map<number, number>();
  for (const spec of specs) {
    const after = clean[spec.pos % clean.length]!;
    const source = clean[spec.src % clean.length]!;
    const decoded = decodeBody(source.body);
    if (decoded.kind !== "message") continue;
    const m = decoded.message;
    const fresh = { node: m.node, nonce: `${m.nonce}-again`, events: m.events };
    const offset = (used.get(after.id) ?? 0) + 1;
    if (offset > 15) continue;
    used.set(after.id, offset);
    const base = {
      id: after.id + offset,
      author: source.author,
      authorType: source.authorType,
      createdAt: after.createdAt,
      updatedAt: after.createdAt,
    };
    const sign = (s: string | undefined, issue = ISSUE, repo = REPO) =>
      encodeMessage(fresh, { repo, issue, secret: s });
    const bodies: Record<InsertKind, () => LogComment | undefined> = {
      // An outsider cannot sign: it can only copy a message already posted.
      untrusted: () =>
        source.id < base.id
          ? { ...base, body: source.body, author: "mallory", authorType: "User" }
          : undefined,
      edited: () => ({ ...base, body: sign(secret), updatedAt: base.createdAt + 60_000 }),
      wrong_secret: () => ({ ...base, body: sign(`${secret}!`) }),
      unsigned: () => ({ ...base, body: sign(undefined) }),
      replayed: () => ({ ...base, body: sign(secret, ISSUE + 1) }),
      // The same issue number of another repository sharing the secret.
      replayed_repo: () => ({ ...base, body: sign(secret, ISSUE, "octo-org/other") }),
      // A real message hidden in a comment of the swarm's own identity
      // (a summary quoting a task title): never a whole protocol comment.
      hidden_marker: () => ({
        ...base,
        body: `## Summary\n- T1: Add the endpoint ${source.body.split("\n").at(-1)}\n`,
      }),
      // A person quoting a protocol comment in a reply.
      quoted: () => ({
        ...base,
        body: `${source.body.split("\n").map((l) => `> ${l}`).join("\n")}\n\nWhy this?`,
      }),
      tampered: () => {
        const signed = decodeBody(sign(secret));
        if (signed.kind !== "message") throw new Error("unreachable");
        // Same signature, one event dropped or duplicated.
        const events = m.events.length > 1 ? m.events.slice(1) : [...m.events, ...m.events];
        const json = canonicalJson({ ...signed.message, events }).replace(/</g, "\\u003c")
          .replace(/>/g, "\\u003e");
        return { ...base, body: `<!-- p2p-dev v1 ${json} -->` };
      },
      foreign: () => ({ ...base, body: `> ${source.body.split("\n")[0]}\nagreed!` }),
      malformed: () => ({ ...base, body: source.body.replace(/"v":1/, '"v":"1"') }),
    };
    const c = bodies[spec.kind]();
    if (c) noise.push(c);
  }
  const comments = [...clean, ...noise].sort((a, b) => a.id - b.id);
  return { comments, noise };
}

Deno.test("fold property: copies of real messages from outsiders, edited, replayed from another issue or repository, hidden in or quoted by other comments, or badly signed change nothing", () => {
  const kinds: InsertKind[] = [
    "untrusted",
    "edited",
    "wrong_secret",
    "unsigned",
    "replayed",
    "replayed_repo",
    "tampered",
    "foreign",
    "malformed",
    "hidden_marker",
    "quoted",
  ];
  const spec = fc.record({ pos: fc.nat(), src: fc.nat(), kind: fc.constantFrom(...kinds) });
  fc.assert(
    fc.property(swarmOptions({ secret: true }), fc.array(spec, { maxLength: 40 }), (o, specs) => {
      const { clean, policy } = buildSwarmLog(o);
      const { comments, noise } = insertNoise(clean, o.secret!, specs);
      const noisy = fold(comments, policy);
      assert.equal(essence(noisy), essence(fold(clean, policy)));
      const stopped = [...TRUST_REASONS, "malformed"]
        .reduce((sum, r) => sum + (noisy.ignored[r] ?? 0), noisy.foreign);
      assert.equal(stopped, noise.length);
    }),
    RUNS(6),
  );
});

Deno.test("fold property: a repeated nonce counts once (re-posted messages change nothing)", () => {
  fc.assert(
    fc.property(
      swarmOptions(),
      fc.array(fc.record({ pos: fc.nat(), src: fc.nat() }), { maxLength: 30 }),
      (o, specs) => {
        const { clean, policy } = buildSwarmLog(o);
        const copies = new Map<number, LogComment>();
        for (const { pos, src } of specs) {
          const after = clean[pos % clean.length]!;
          const source = clean[src % clean.length]!;
          if (source.id > after.id || copies.has(after.id)) continue; // a copy follows its original
          copies.set(after.id, {
            ...source,
            id: after.id + 1,
            createdAt: after.createdAt,
            updatedAt: after.createdAt,
          });
        }
        const comments = [...clean, ...copies.values()];
        const state = fold(comments, policy);
        assert.equal(essence(state), essence(fold(clean, policy)));
        assert.equal(state.ignored.duplicate_nonce ?? 0, copies.size);
      },
    ),
    RUNS(7),
  );
});

Deno.test("fold property: comments in the same second fold in id order, whatever their array order", () => {
  fc.assert(
    fc.property(swarmOptions({ noise: 0.1 }), fc.integer(), (o, permSeed) => {
      const { comments, policy } = buildSwarmLog(o);
      // Within every group of equal created_at, deal the group's ids out anew.
      const groups = new Map<number, LogComment[]>();
      for (const c of comments) groups.set(c.createdAt, [...(groups.get(c.createdAt) ?? []), c]);
      const permuted = [...groups.values()].flatMap((group, g) => {
        const ids = shuffled(group.map((c) => c.id), permSeed + g);
        return group.map((c, i) => ({ ...c, id: ids[i]! }));
      });
      const byId = [...permuted].sort((a, b) => a.id - b.id);
      // A reader that sorts by created_at (ties in array order) must not matter.
      const byTime = [...permuted].sort((a, b) => a.createdAt - b.createdAt || b.id - a.id);
      const expected = canonicalJson(incremental(byId, policy));
      assert.equal(canonicalJson(fold(permuted, policy)), expected);
      assert.equal(canonicalJson(fold(byTime, policy)), expected);
    }),
    RUNS(8),
  );
});

Deno.test("fold property: generated swarms keep the fold's invariants", () => {
  fc.assert(
    fc.property(swarmOptions({ noise: 0.1 }), (o) => {
      const { comments, policy } = buildSwarmLog(o);
      const s = fold(comments, policy);
      const { maxAttempts } = s.settings;
      s.terms.forEach((t, i) => {
        assert.equal(t.term, i + 1);
        if (i > 0) assert.ok(t.token > s.terms[i - 1]!.token, "tokens increase with terms");
      });
      for (const id of s.order) {
        const t = s.tasks[id]!;
        assert.deepEqual(t.attempts.map((a) => a.n), t.attempts.map((_, i) => i + 1));
        const live = t.attempts.filter((a) => !a.end);
        assert.ok(live.length <= 1, "at most one live attempt");
        assert.equal(live.length === 1, t.status === "active");
        assert.ok(t.failures <= maxAttempts);
        if (t.status === "failed") assert.equal(t.failures, maxAttempts);
        if (t.done) {
          assert.equal(t.status, "done");
          const a = t.attempts[t.done.attempt - 1];
          assert.equal(a?.node, t.done.node, "a result comes from an attempt's owner");
        }
        for (const a of t.attempts) {
          assert.ok(a.claimedAt >= s.plan!.at);
          for (const d of t.def.deps) {
            const dep = s.tasks[d]!;
            assert.ok(dep.done && dep.done.at <= a.claimedAt, `${id} started before ${d} was done`);
          }
        }
      }
      // Views never throw and agree with the stored state.
      const now = s.lastTime;
      const counts = phaseCounts(s, now);
      assert.equal(Object.values(counts).reduce((a, b) => a + b, 0), s.order.length);
      assert.equal(
        isFinished(s, now),
        s.plan !== null && counts.done + counts.failed + counts.skipped === s.order.length,
      );
      readyTasks(s, "node-1", now);
      canCampaign(s, now);
    }),
    RUNS(9),
  );
});

Deno.test("swarm generator: its logs exercise elections, plans, races, lapses, failures, releases and late results", () => {
  const seen: Record<string, number> = {};
  const note = (k: string) => (seen[k] = (seen[k] ?? 0) + 1);
  for (let seed = 0; seed < 40; seed++) {
    const log: SwarmLog = buildSwarmLog({ seed, steps: 150, noise: 0.1 });
    const s = fold(log.comments, log.policy);
    if (s.terms.length > 1) note("term 2");
    if (s.plan && s.plan.commentIds.length > 1) note("multi-part plan");
    if (s.ended) note("end");
    for (const r of Object.keys(s.ignored)) note(r);
    for (const id of s.order) {
      const t = s.tasks[id]!;
      note(`task ${t.status}`);
      for (const a of t.attempts) note(`attempt ${a.end?.kind ?? "live"}`);
      if (t.done && t.attempts[t.done.attempt - 1]?.end?.kind === "lapsed") note("late result");
    }
  }
  for (
    const k of [
      "term 2",
      "multi-part plan",
      "end",
      "task done",
      "task failed",
      "attempt lapsed",
      "attempt failed",
      "attempt released",
      "attempt superseded",
      "late result",
      "lost_election",
      "lost_claim",
      "invalid_claim",
      "not_owner",
      "duplicate_result",
      "untrusted_author",
      "edited",
      "malformed",
    ]
  ) {
    assert.ok((seen[k] ?? 0) > 0, `no generated swarm shows "${k}"`);
  }
});

// --- arbitrary input --------------------------------------------------------

const ODD_IDS = ["T1", "T2", "T3", "", "constructor", "__proto__", "toString", "a b", "T1\n"];
const ODD_NUMBERS = [0, 1, 2, 3, -1, 1.5, Number.MAX_SAFE_INTEGER, 2 ** 53, 1e308];

const oddValue = fc.oneof(
  fc.constantFrom<unknown>(...ODD_IDS, ...ODD_NUMBERS, null, true, [], {}),
  fc.jsonValue({ maxDepth: 2 }),
);
const oddId = fc.oneof({ arbitrary: fc.constantFrom(...ODD_IDS), weight: 5 }, oddValue);
const attempt = fc.oneof(
  { arbitrary: fc.constantFrom<unknown>(1, 2, 3), weight: 5 },
  fc.constantFrom<unknown>(...ODD_NUMBERS),
);
const oddTask = fc.record({
  id: oddId,
  title: fc.oneof({ arbitrary: fc.string(), weight: 5 }, oddValue),
  priority: fc.constantFrom<unknown>("high", "low", "urgent", undefined, 3),
  deps: fc.oneof(
    { arbitrary: fc.array(fc.constantFrom(...ODD_IDS), { maxLength: 3 }), weight: 5 },
    oddValue,
  ),
}, { requiredKeys: ["id", "title"] });

/** Events of the right shapes with odd values (mostly decodable), and shapeless ones. */
const oddEvent = (token: number) =>
  fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record({
        type: fc.constantFrom("claim", "progress", "release"),
        task: oddId,
        attempt,
        status: fc.constantFrom<unknown>("in_progress", "completed", "failed", "completed", "done"),
        percent: fc.oneof(fc.constant(undefined), oddValue),
      }, { requiredKeys: ["type", "task", "attempt", "status"] }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        type: fc.constant("plan"),
        term: fc.constantFrom<unknown>(1, 1, 2, 0),
        token: fc.constantFrom<unknown>(token, token, token + 1, 0),
        version: fc.constantFrom<unknown>(1, 2, 3),
        part: fc.constantFrom<unknown>(1, 1, 2, 3),
        parts: fc.constantFrom<unknown>(1, 1, 2, 3),
        settings: fc.oneof(
          fc.constant(undefined),
          fc.record({ leaseMs: oddValue, maxAttempts: oddValue, backoffMs: oddValue }),
        ),
        tasks: fc.oneof({ arbitrary: fc.array(oddTask, { maxLength: 4 }), weight: 5 }, oddValue),
      }, { requiredKeys: ["type", "term", "token", "version", "part", "parts", "tasks"] }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        type: fc.constantFrom("heartbeat", "retry"),
        tasks: fc.oneof(
          fc.array(
            fc.record({ task: oddId, attempt, percent: oddValue }, {
              requiredKeys: ["task", "attempt"],
            }),
          ),
          fc.array(fc.constantFrom(...ODD_IDS)),
          oddValue,
        ),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        type: fc.constantFrom("election", "end", "announce", "nope"),
        term: fc.oneof(attempt, oddValue),
        timeoutMs: fc.oneof(fc.constant(1_000), oddValue),
        reason: oddValue,
        role: oddValue,
      }, { requiredKeys: ["type"] }),
    },
    fc.jsonValue({ maxDepth: 3 }),
  );

const oddBody = (token: number, nodes: readonly string[]) =>
  fc.oneof(
    fc.string({ unit: "grapheme", maxLength: 80 }),
    {
      weight: 6,
      arbitrary: fc.record({
        node: fc.oneof(
          { arbitrary: fc.constantFrom(...nodes, "__proto__", "constructor"), weight: 5 },
          oddValue,
        ),
        nonce: fc.oneof(
          { arbitrary: fc.string({ minLength: 1, maxLength: 4 }), weight: 5 },
          oddValue,
        ),
        events: fc.oneof(
          { arbitrary: fc.array(oddEvent(token), { minLength: 1, maxLength: 3 }), weight: 5 },
          oddValue,
        ),
        v: fc.constantFrom<unknown>(1, 1, 1, 0, "1"),
        sig: fc.constantFrom<unknown>(undefined, undefined, "00", 5),
      }, { requiredKeys: ["node", "nonce", "events", "v"] })
        // A whole comment when the payload parses (so odd events reach the
        // fold), else the raw marker (malformed).
        .map((p) => {
          const m = parseMessage(p, false);
          return typeof m === "string"
            ? `x\n<!-- p2p-dev v1 ${JSON.stringify(p)} -->`
            : renderMessage(m);
        }),
    },
    fc.tuple(
      fc.constantFrom(
        "🎯 LEADER_ELECTION|",
        "🎯 CLAIM|",
        "📦 TASKS_DATA|",
        "📊 PROGRESS|",
        "💓 HEARTBEAT|",
      ),
      fc.oneof(
        fc.string({ maxLength: 30 }),
        fc.jsonValue({ maxDepth: 3 }).map((j) => JSON.stringify(j)),
      ),
    ).map(([head, tail]) => head + tail),
  );

Deno.test("fold property: arbitrary and malformed comments never make the fold or the views throw", () => {
  // A swarm in progress, so odd events meet a plan in force.
  const { clean, policy } = buildSwarmLog({ seed: 11, steps: 20 });
  const token = fold(clean, policy).terms[0]!.token;
  const last = clean.at(-1)!;
  const comment = fc.record({
    id: fc.oneof(fc.integer({ min: last.id + 1, max: last.id + 10_000 }), fc.integer()),
    body: oddBody(token, Object.keys(fold(clean, policy).nodes)),
    author: fc.constantFrom(...policy.allow, BOT, BOT, BOT, "mallory"),
    authorType: fc.constant("Bot"),
    createdAt: fc.integer({ min: last.createdAt, max: last.createdAt + 3_600_000 }),
    edit: fc.constantFrom(0, 0, 0, 1000),
  }).map(({ edit, ...c }): LogComment => ({ ...c, updatedAt: c.createdAt + edit }));
  fc.assert(
    fc.property(fc.array(comment, { maxLength: 30 }), (extra) => {
      const s = fold([...clean, ...extra], policy);
      canonicalJson(s);
      const now = Math.max(s.lastTime, T0);
      phaseCounts(s, now);
      isFinished(s, now);
      readyTasks(s, "node-2", now);
      canCampaign(s, now);
      assert.equal(fold(extra, policy).lastId, Math.max(0, ...extra.map((c) => c.id)));
    }),
    RUNS(10, 300),
  );
});

// --- people rewriting the log -------------------------------------------------

Deno.test("fold property: trusted messages people edit or delete, once restored, fold alike for a reader that saw them and one that joined later, and as if untouched", () => {
  fc.assert(
    fc.property(
      swarmOptions({ noise: 0.1 }),
      fc.array(fc.record({ pick: fc.nat(), del: fc.boolean() }), { minLength: 1, maxLength: 6 }),
      (o, rewrites) => {
        const { comments, clean, policy } = buildSwarmLog(o);
        const original = fold(comments, policy);
        const targets = new Map<number, boolean>();
        for (const r of rewrites) targets.set(clean[r.pick % clean.length]!.id, r.del);
        // A node that folded them posts one restore each, after the log.
        const last = comments.at(-1)!;
        const restores: LogComment[] = [...targets.keys()].map((id, i) => {
          const c = comments.find((x) => x.id === id)!;
          const d = decodeBody(c.body);
          if (d.kind !== "message") throw new Error("a clean comment is a message");
          const body = encodeMessage({
            node: "restorer",
            nonce: `restore-${i}`,
            events: [{
              type: "restore",
              comment: id,
              author: c.author,
              createdAt: c.createdAt,
              message: d.message,
            }],
          }, { repo: REPO, issue: ISSUE, secret: o.secret });
          return {
            id: last.id + 100 + i,
            body,
            author: BOT,
            authorType: "Bot",
            createdAt: last.createdAt,
            updatedAt: last.createdAt,
          };
        });
        // The reader that saw everything, and the one that reads the log as people left it.
        const early = fold([...comments, ...restores], policy);
        const rewritten = comments.flatMap((c) => {
          const del = targets.get(c.id);
          if (del === undefined) return [c];
          if (del) return [];
          return [{ ...c, body: `${c.body}\n(edited)`, updatedAt: c.createdAt + 90_000 }];
        });
        const late = fold([...rewritten, ...restores], policy);
        assert.equal(canonicalJson(late), canonicalJson(early));
        const decided = (s: typeof original) =>
          canonicalJson({ terms: s.terms, plan: s.plan, tasks: s.tasks, ended: s.ended });
        assert.equal(decided(early), decided(original));
      },
    ),
    RUNS(11, 60),
  );
});
