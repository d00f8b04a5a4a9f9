import assert from "node:assert/strict";
import fc from "fast-check";
import {
  decodeBody,
  encodeMessage,
  LEGACY_NONCE,
  MAX_COMMENT_CHARS,
  PROTOCOL_VERSION,
  renderMessage,
  splitPlan,
} from "../../src/protocol/codec.ts";
import { fold } from "../../src/protocol/fold.ts";
import { judgeComment } from "../../src/protocol/trust.ts";
import { verifyMessage } from "../../src/protocol/signature.ts";
import type {
  PlanSettings,
  PlanTask,
  Priority,
  ProtocolEvent,
  TaskResult,
} from "../../src/protocol/types.ts";
import { ev, Log, REPO, shuffled, task, trustPolicy, WHERE } from "./_log.ts";

// --- arbitraries --------------------------------------------------------------

/** Pieces that have broken comment codecs before: HTML comment ends, markers, emoji, newlines. */
const TRICKY = [
  "-->",
  "<",
  ">",
  "<!--",
  "<!-- p2p-dev v1 ",
  "<!-- p2p-dev v2 {} -->",
  " -->",
  "\n",
  "\r\n",
  "🎯",
  "😀",
  "👩‍💻",
  "a",
  " ",
  '"',
  "\\",
  "\u2028",
  "\u0000",
  "{}",
  "|",
  "📦 TASKS_DATA|",
  "🎯 CLAIM|T1|node-1|1",
];

/** Text up to `max` UTF-16 units: arbitrary graphemes or tricky pieces. */
const text = (max: number) =>
  fc.oneof(
    fc.string({ unit: "grapheme", maxLength: 24 }),
    fc.array(fc.constantFrom(...TRICKY), { maxLength: 10 }).map((a) => a.join("")),
  ).filter((s) => s.length <= max);
const nonEmpty = (max: number) => text(max).filter((s) => s.length > 0);
/** Records with ordinary prototypes, as decoded JSON has. */
const PLAIN = { noNullPrototype: true } as const;
const posInt = fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER });
const finite = fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e12, max: 1e12 })
  .filter((x) => !Object.is(x, -0));
const percent = fc.double({ noNaN: true, min: 0, max: 100 });

const planTask: fc.Arbitrary<PlanTask> = fc.record({
  id: nonEmpty(64),
  title: text(200),
  priority: fc.constantFrom<Priority>("critical", "high", "medium", "low"),
  deps: fc.array(text(20), { maxLength: 3 }),
  body: text(500),
  group: text(40),
  estimateHours: finite,
}, { requiredKeys: ["id", "title", "priority", "deps"], noNullPrototype: true });

const settings: fc.Arbitrary<PlanSettings> = fc.record({
  leaseMs: posInt,
  maxAttempts: posInt,
  backoffMs: fc.oneof(fc.nat(), fc.double({ noNaN: true, noDefaultInfinity: true, min: 0 })),
}, PLAIN);

const result: fc.Arbitrary<TaskResult> = fc.record({
  summary: text(4000),
  branch: text(100),
  pr: text(100),
  costUsd: finite,
  turns: fc.nat(),
  durationMs: fc.nat(),
  exitCode: fc.integer(),
}, { requiredKeys: [], noNullPrototype: true });

const event: fc.Arbitrary<ProtocolEvent> = fc.oneof(
  fc.record({
    type: fc.constant("announce" as const),
    role: text(100),
    version: text(100),
    exec: text(100),
    tokenKind: text(100),
  }, { requiredKeys: ["type"], noNullPrototype: true }),
  fc.record({ type: fc.constant("election" as const), term: posInt, timeoutMs: posInt }, PLAIN),
  fc.integer({ min: 1, max: 1000 }).chain((parts) =>
    fc.record({
      type: fc.constant("plan" as const),
      term: posInt,
      token: posInt,
      version: posInt,
      part: fc.integer({ min: 1, max: parts }),
      parts: fc.constant(parts),
      planner: text(40),
      settings,
      tasks: fc.array(planTask, { maxLength: 4 }),
    }, {
      requiredKeys: ["type", "term", "token", "version", "part", "parts", "tasks"],
      noNullPrototype: true,
    })
  ),
  fc.record({ type: fc.constant("claim" as const), task: nonEmpty(64), attempt: posInt }, PLAIN),
  fc.record({
    type: fc.constant("progress" as const),
    task: nonEmpty(64),
    attempt: posInt,
    status: fc.constantFrom("in_progress" as const, "completed" as const, "failed" as const),
    percent,
    note: text(2000),
    result,
  }, { requiredKeys: ["type", "task", "attempt", "status"], noNullPrototype: true }),
  fc.record({
    type: fc.constant("heartbeat" as const),
    tasks: fc.array(
      fc.record({ task: nonEmpty(64), attempt: posInt, percent }, {
        requiredKeys: ["task", "attempt"],
        noNullPrototype: true,
      }),
      { maxLength: 4 },
    ),
  }, PLAIN),
  fc.record({
    type: fc.constant("release" as const),
    task: nonEmpty(64),
    attempt: posInt,
    reason: text(500),
  }, { requiredKeys: ["type", "task", "attempt"], noNullPrototype: true }),
  fc.record(
    { type: fc.constant("retry" as const), tasks: fc.array(text(64), { maxLength: 4 }) },
    PLAIN,
  ),
  fc.record({ type: fc.constant("end" as const), reason: text(500) }, {
    requiredKeys: ["type"],
    noNullPrototype: true,
  }),
);

const message = fc.record({
  node: nonEmpty(200),
  nonce: nonEmpty(200),
  events: fc.array(event, { minLength: 1, maxLength: 5 }),
}, PLAIN);

// --- round trip ---------------------------------------------------------------

Deno.test("codec property: encodeMessage → decodeBody gives back the node, nonce and events", () => {
  fc.assert(
    fc.property(message, (m) => {
      const body = encodeMessage(m, WHERE);
      const decoded = decodeBody(body);
      assert.equal(decoded.kind, "message");
      if (decoded.kind !== "message") return;
      assert.deepEqual(decoded.message, { v: PROTOCOL_VERSION, ...m });
    }),
    { seed: 101, numRuns: 300 },
  );
});

Deno.test("codec property: a signed message round-trips and passes the trust check", () => {
  fc.assert(
    fc.property(message, nonEmpty(64), (m, secret) => {
      const body = encodeMessage(m, { ...WHERE, secret });
      const decoded = decodeBody(body);
      assert.equal(decoded.kind, "message");
      if (decoded.kind !== "message") return;
      const { sig, ...rest } = decoded.message;
      assert.deepEqual(rest, { v: PROTOCOL_VERSION, ...m });
      assert.match(sig ?? "", /^[0-9a-f]{64}$/);
      const comment = {
        id: 1,
        body,
        author: "bob",
        authorType: "User",
        createdAt: 0,
        updatedAt: 0,
      };
      const verdict = judgeComment(comment, trustPolicy({ secret }));
      assert.equal(verdict.ok, true);
    }),
    { seed: 102, numRuns: 150 },
  );
});

Deno.test("codec property: the payload is the body's last line and holds no < or > that could end it", () => {
  fc.assert(
    fc.property(message, (m) => {
      const body = encodeMessage(m, WHERE);
      const lastLine = body.slice(body.lastIndexOf("\n") + 1);
      assert.ok(lastLine.startsWith("<!-- p2p-dev v1 {"), lastLine.slice(0, 40));
      assert.ok(lastLine.endsWith("} -->"));
      assert.doesNotMatch(lastLine.slice("<!--".length, -"-->".length), /[<>]/);
    }),
    { seed: 103, numRuns: 150 },
  );
});

Deno.test("codec: text quoting a payload marker in a title, note or node id still decodes the real payload", () => {
  const marker = '<!-- p2p-dev v1 {"v":1} -->';
  const m = {
    node: `node ${marker}`,
    nonce: "n1",
    events: [
      ev.plan(5, [task("T1", [], { title: `see ${marker} and <!-- p2p-dev v2 x -->` })]),
      ev.progress("T1", 1, "in_progress", { note: `unclosed <!-- p2p-dev v1 ` }),
    ],
  };
  const decoded = decodeBody(encodeMessage(m, { ...WHERE, secret: "k" }));
  assert.equal(decoded.kind, "message");
  if (decoded.kind === "message") assert.deepEqual(decoded.message.events, m.events);
});

// --- readable lines -------------------------------------------------------------

Deno.test("codec: each event gets a readable line in the original design's style", () => {
  const cases: [ProtocolEvent, string][] = [
    [
      { type: "announce", role: "worker", exec: "claude" },
      "📡 NODE_ANNOUNCE|node-2|worker|exec claude",
    ],
    [{ type: "announce" }, "📡 NODE_ANNOUNCE|node-2|node"],
    [ev.election(2), "🎯 LEADER_ELECTION|node-2|term 2"],
    [ev.claim("T1", 3), "🎯 CLAIM|T1|node-2|attempt 3"],
    [ev.done("T1", 1), "✅ PROGRESS|T1|node-2|completed|100%"],
    [ev.failed("T1", 1), "❌ PROGRESS|T1|node-2|failed"],
    [
      ev.progress("T1", 1, "in_progress", { percent: 49.6, note: "half\nway" }),
      "📊 PROGRESS|T1|node-2|in_progress|50%|half way",
    ],
    [
      ev.heartbeat({ task: "T1", attempt: 1, percent: 30 }, { task: "T2", attempt: 2 }),
      "💓 HEARTBEAT|node-2|T1 30%, T2",
    ],
    [ev.heartbeat(), "💓 HEARTBEAT|node-2|idle"],
    [
      { type: "release", task: "T1", attempt: 1, reason: "shutdown" },
      "🔓 RELEASE|T1|node-2|attempt 1|shutdown",
    ],
    [ev.retry("T1", "T2"), "🔁 RETRY|node-2|T1, T2"],
    [ev.end("all done"), "🏁 END|node-2|all done"],
    [ev.end(), "🏁 END|node-2"],
  ];
  for (const [e, line] of cases) {
    const body = encodeMessage({ node: "node-2", nonce: "n", events: [e] }, WHERE);
    assert.equal(body.split("\n")[0], line);
  }
  const plan = encodeMessage({
    node: "node-1",
    nonce: "n",
    events: [ev.plan(9, [task("T1", [], { priority: "high" }), task("T2", ["T1"])])],
  }, WHERE);
  assert.deepEqual(plan.split("\n").slice(0, 3), [
    "📦 TASKS_DATA|term 1|v1|part 1/1|2 tasks|planner test",
    "- [ ] T1: Task T1 (high)",
    "- [ ] T2: Task T2 (medium, after T1)",
  ]);
});

Deno.test("codec: several events share one comment, one readable line each", () => {
  const body = encodeMessage({
    node: "node-2",
    nonce: "n",
    events: [ev.done("T1", 1), ev.claim("T2", 1)],
  }, WHERE);
  assert.deepEqual(body.split("\n").slice(0, 2), [
    "✅ PROGRESS|T1|node-2|completed|100%",
    "🎯 CLAIM|T2|node-2|attempt 1",
  ]);
});

// --- foreign and malformed ----------------------------------------------------

Deno.test("codec: ordinary comments are foreign", () => {
  for (
    const body of [
      "",
      "LGTM",
      "/p2p-dev",
      "🎯 nice target",
      "CLAIM|T1|node-1",
      "<!-- p2p-dev looks like a marker -->",
      "Quoting:\n🎯 CLAIM|T1|node-1|1",
    ]
  ) {
    assert.deepEqual(decodeBody(body), { kind: "foreign" }, JSON.stringify(body));
  }
});

Deno.test("codec: broken payloads are malformed with a reason", () => {
  const payload = (o: unknown) => `<!-- p2p-dev v1 ${JSON.stringify(o)} -->`;
  const ok = { v: 1, node: "n", nonce: "x", events: [{ type: "end" }] };
  const cases: [string, RegExp][] = [
    ["<!-- p2p-dev v2 {} -->", /unsupported payload version 2/],
    ["<!-- p2p-dev v1 {oops} -->", /not JSON/],
    ["<!-- p2p-dev v1 [1] -->", /not an object/],
    [payload({ ...ok, v: 2 }), /version mismatch/],
    [payload({ ...ok, node: "" }), /missing node/],
    [payload({ ...ok, node: "n".repeat(201) }), /missing node/],
    [payload({ ...ok, nonce: 7 }), /missing nonce/],
    [payload({ ...ok, events: [] }), /non-empty list/],
    [payload({ ...ok, events: Array(51).fill({ type: "end" }) }), /non-empty list/],
    [payload({ ...ok, events: [1] }), /not an object/],
    [payload({ ...ok, events: [{ type: "warp" }] }), /unknown event type "warp"/],
    [payload({ ...ok, events: [{ type: "election", term: 0, timeoutMs: 1 }] }), /positive term/],
    [payload({ ...ok, events: [{ type: "election", term: 1 }] }), /positive timeoutMs/],
    [
      payload({ ...ok, events: [{ type: "claim", task: "T1", attempt: 1, leaseMs: -5 }] }),
      /claim leaseMs must be a positive whole number/,
    ],
    [
      payload({ ...ok, events: [{ type: "claim", task: "T1", attempt: 1, leaseMs: "20m" }] }),
      /claim leaseMs must be a positive whole number/,
    ],
    [
      payload({
        ...ok,
        events: [{ type: "plan", term: 1, token: 1, version: 1, part: 2, parts: 1, tasks: [] }],
      }),
      /part i\/n/,
    ],
    [
      payload({
        ...ok,
        events: [{ type: "plan", term: 1, token: 1, version: 1, part: 1, parts: 1, tasks: [{}] }],
      }),
      /task needs id and title/,
    ],
    [
      payload({
        ...ok,
        events: [{
          type: "plan",
          term: 1,
          token: 1,
          version: 1,
          part: 1,
          parts: 1,
          tasks: [{ id: "T1", title: "x", priority: "urgent" }],
        }],
      }),
      /unknown priority/,
    ],
    [payload({ ...ok, events: [{ type: "claim", task: "T1", attempt: 1.5 }] }), /claim needs/],
    [
      payload({ ...ok, events: [{ type: "progress", task: "T1", attempt: 1, status: "done" }] }),
      /status must be/,
    ],
    [
      payload({ ...ok, events: [{ type: "heartbeat", tasks: [{ task: "T1" }] }] }),
      /heartbeat task/,
    ],
    [payload({ ...ok, events: [{ type: "retry", tasks: [1] }] }), /retry needs/],
    [payload({ ...ok, sig: 5 }), /sig is not a string/],
  ];
  for (const [body, error] of cases) {
    const d = decodeBody(body);
    assert.equal(d.kind, "malformed", body);
    if (d.kind === "malformed") assert.match(d.error, error);
  }
});

Deno.test("codec: a payload the encoder would not write (unclamped numbers, unknown keys, other order or spacing, missing lines) is malformed", () => {
  const good = encodeMessage({
    node: "n",
    nonce: "x",
    events: [ev.progress("T1", 1, "in_progress", { percent: 50 })],
  }, WHERE);
  assert.equal(decodeBody(good).kind, "message");
  const [line, payload] = good.split("\n") as [string, string];
  const variants = [
    good.replace('"percent":50', '"percent":150'),
    good.replace('"percent":50', '"percent":50.0'),
    good.replace('"nonce":"x"', '"nonce":"x","extra":true'),
    good.replace('{"events"', '{ "events"'),
    good.replace('"node":"n","nonce":"x"', '"nonce":"x","node":"n"'),
    good.replace('"task":"T1"', '"task":"\\u0054\\u0031"'),
    payload,
    `${line}\n${line}\n${payload}`,
    good.replace("in_progress|50%", "in_progress|51%"),
    `${good}\n`,
    `${good} `,
    good.replace("\n", "\r\n"),
  ];
  for (const body of variants) {
    assert.notEqual(body, good);
    const d = decodeBody(body);
    assert.equal(d.kind, "malformed", JSON.stringify(body));
  }
});

Deno.test("codec property: decodeBody never throws on arbitrary text", () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string({ unit: "binary", maxLength: 200 }),
        fc.array(fc.constantFrom(...TRICKY, "<!-- p2p-dev v1 ", '{"v":1', "}", "]"), {
          maxLength: 20,
        }).map((a) => a.join("")),
        fc.jsonValue().map((j) => `<!-- p2p-dev v1 ${JSON.stringify(j)} -->`),
      ),
      (body) => {
        const d = decodeBody(body);
        assert.ok(["message", "foreign", "malformed"].includes(d.kind));
      },
    ),
    { seed: 104, numRuns: 500 },
  );
});

Deno.test("codec property: a damaged signed body never throws and never passes the trust check with other content", () => {
  const edit = fc.record({
    at: fc.nat(),
    cut: fc.nat({ max: 20 }),
    insert: fc.constantFrom("", "<", "-->", '"', "}", "🎯", "\n", "x"),
  });
  fc.assert(
    fc.property(message, fc.array(edit, { minLength: 1, maxLength: 4 }), (m, edits) => {
      let body = encodeMessage(m, { ...WHERE, secret: "k" });
      for (const e of edits) {
        const i = e.at % (body.length + 1);
        body = body.slice(0, i) + e.insert + body.slice(i + e.cut);
      }
      const comment = {
        id: 1,
        body,
        author: "bob",
        authorType: "User",
        createdAt: 0,
        updatedAt: 0,
      };
      const verdict = judgeComment(comment, trustPolicy({ secret: "k" }));
      if (verdict.ok) {
        // Only an edit that left the signed content as it was may pass.
        assert.deepEqual(verdict.message.events, m.events);
        assert.equal(verdict.message.node, m.node);
        assert.equal(verdict.message.nonce, m.nonce);
      }
    }),
    { seed: 105, numRuns: 300 },
  );
});

// --- the original design's plain lines ----------------------------------------

Deno.test("codec: the original design's plain lines decode as version-0 messages", () => {
  const legacy = (node: string, event: ProtocolEvent) => ({
    kind: "message",
    message: { v: 0, node, nonce: LEGACY_NONCE, events: [event] },
  });
  assert.deepEqual(
    decodeBody("🎯 LEADER_ELECTION|node-1|1730000000.123"),
    legacy("node-1", { type: "election", term: 1, timeoutMs: 600_000 }),
  );
  assert.deepEqual(
    decodeBody("🎯 CLAIM|task-1|node-2|1730000005"),
    legacy("node-2", { type: "claim", task: "task-1", attempt: 0 }),
  );
  assert.deepEqual(
    decodeBody('📡 NODE_ANNOUNCE|{"node_id":"node-3","role":"worker","capabilities":[]}'),
    legacy("node-3", { type: "announce", role: "worker" }),
  );
  assert.deepEqual(
    decodeBody(
      '📊 PROGRESS|{"task_id":"task-1","node_id":"node-2","status":"completed","progress":100}',
    ),
    legacy("node-2", {
      type: "progress",
      task: "task-1",
      attempt: 0,
      status: "completed",
      percent: 100,
    }),
  );
  assert.deepEqual(
    decodeBody('📊 PROGRESS|{"task":"t","node":"n","status":"running","percent":250}'),
    legacy("n", { type: "progress", task: "t", attempt: 0, status: "in_progress", percent: 100 }),
  );
  assert.deepEqual(
    decodeBody('💓 HEARTBEAT|{"node_id":"node-2","task_id":"task-1","timestamp":1}'),
    legacy("node-2", { type: "heartbeat", tasks: [{ task: "task-1", attempt: 0 }] }),
  );
  assert.deepEqual(
    decodeBody('💓 HEARTBEAT|{"node_id":"node-2"}'),
    legacy("node-2", { type: "heartbeat", tasks: [] }),
  );
});

Deno.test("codec: a legacy message is a whole comment of exactly one such line; anything around it makes it malformed", () => {
  const line = "🎯 LEADER_ELECTION|node-1|1730000000";
  assert.equal(decodeBody(line).kind, "message");
  for (
    const body of [
      `${line}\n`,
      `${line}\n🎯 CLAIM|task-1|node-1|1730000001`,
      `${line} and more`,
      "🎯LEADER_ELECTION|node-1|1730000000",
      "📦 LEADER_ELECTION|node-1|1730000000",
      `🎯 CLAIM|T1|node-1|1730000000\n<!-- a hidden note -->`,
    ]
  ) {
    assert.equal(decodeBody(body).kind, "malformed", JSON.stringify(body));
  }
  // Text that merely mentions one is a person talking.
  for (const body of [` ${line}`, `Quoting: ${line}`, `> ${line}`]) {
    assert.equal(decodeBody(body).kind, "foreign", JSON.stringify(body));
  }
});

Deno.test("codec: a legacy TASKS_DATA line maps the original task fields", () => {
  const d = decodeBody(`📦 TASKS_DATA|${
    JSON.stringify({
      leader: "node-1",
      tasks: [
        { id: "task-1", title: "API", description: "Build the API", priority: "high", estimate: 2 },
        { task_id: "task-2", description: "UI", dependencies: ["task-1", 7], priority: "urgent" },
        { name: "Docs" },
      ],
    })
  }`);
  assert.equal(d.kind, "message");
  if (d.kind !== "message") return;
  assert.equal(d.message.node, "node-1");
  assert.deepEqual(d.message.events, [{
    type: "plan",
    term: 1,
    token: 0,
    version: 1,
    part: 1,
    parts: 1,
    planner: "legacy",
    tasks: [
      {
        id: "task-1",
        title: "API",
        body: "Build the API",
        priority: "high",
        deps: [],
        estimateHours: 2,
      },
      { id: "task-2", title: "UI", priority: "medium", deps: ["task-1"] },
      { id: "task-3", title: "Docs", priority: "medium", deps: [] },
    ],
  }]);
});

Deno.test("codec: broken legacy lines are malformed", () => {
  const cases: [string, RegExp][] = [
    ["🎯 LEADER_ELECTION|", /is not node\|timestamp/],
    ["🎯 LEADER_ELECTION||1730000000", /without a node id/],
    ["🎯 LEADER_ELECTION|node-1|soon", /is not node\|timestamp/],
    ["🎯 CLAIM||node-2|1", /is not task\|node\|timestamp/],
    ["🎯 CLAIM|task-1", /is not task\|node\|timestamp/],
    ["🎯 CLAIM|task 1|node-2|1", /is not task\|node\|timestamp/],
    ["📦 TASKS_DATA|{oops", /not JSON/],
    ["📦 TASKS_DATA|[1]", /task is not an object/],
    ['📦 TASKS_DATA|{"node_id":"n"}', /without tasks/],
    ["📊 PROGRESS|[1]", /not an object/],
    ['📊 PROGRESS|{"node_id":"n"}', /without task_id/],
    ['💓 HEARTBEAT|{"task_id":"t"}', /without a node id/],
  ];
  for (const [body, error] of cases) {
    const d = decodeBody(body);
    assert.equal(d.kind, "malformed", body);
    if (d.kind === "malformed") assert.match(d.error, error, body);
  }
});

// --- splitting a plan ---------------------------------------------------------

const BIG_SETTINGS: PlanSettings = { leaseMs: 600_000, maxAttempts: 3, backoffMs: 30_000 };

function bigPlan(count: number, bodyChars: number): PlanTask[] {
  return Array.from({ length: count }, (_, i) =>
    task(`T${i + 1}`, i > 0 ? [`T${i}`] : [], {
      title: `Task ${i + 1} <with> "quotes" --> 🎯`,
      body: `Step ${i}: ${"do the thing <carefully> --> ".repeat(bodyChars / 30)}`,
    }));
}

Deno.test("splitPlan: a large plan splits into parts that each fit in one comment and reassemble", () => {
  const tasks = bigPlan(400, 600);
  const plan = {
    term: 1,
    token: 2_200_000_003,
    version: 1,
    planner: "claude",
    settings: BIG_SETTINGS,
  };
  const events = splitPlan({ ...plan, tasks }, { node: "node-1", ...WHERE, secret: "k" });
  assert.ok(events.length > 3, `only ${events.length} parts`);
  events.forEach((e, i) => {
    assert.equal(e.part, i + 1);
    assert.equal(e.parts, events.length);
    assert.equal(e.planner, "claude");
    assert.deepEqual(e.settings, i === 0 ? BIG_SETTINGS : undefined);
    const body = encodeMessage({
      node: "node-1",
      nonce: crypto.randomUUID(),
      events: [e],
    }, { ...WHERE, secret: "k" });
    assert.ok(body.length <= MAX_COMMENT_CHARS, `part ${i + 1} has ${body.length} chars`);
  });
  assert.deepEqual(events.flatMap((e) => e.tasks), tasks);

  // Posted in any order by the term's winner, the parts bring the whole plan into force.
  const log = new Log("k");
  const token = log.post("node-1", [ev.election(1)]).id;
  for (const e of shuffled(events, 3)) log.wait(1).post("node-1", [{ ...e, token }]);
  const s = fold(log.comments, trustPolicy({ secret: "k" }));
  assert.equal(s.plan?.commentIds.length, events.length);
  assert.deepEqual(s.order, tasks.map((t) => t.id));
  assert.deepEqual(s.settings, BIG_SETTINGS);
});

Deno.test("splitPlan: parts respect a smaller limit; a small plan is one part", () => {
  const tasks = bigPlan(30, 300);
  const events = splitPlan({ term: 1, token: 5, version: 2, tasks }, {
    node: "n",
    ...WHERE,
    maxChars: 3_000,
  });
  assert.ok(events.length > 1);
  for (const e of events) {
    const size = encodeMessage({ node: "n", nonce: "x".repeat(40), events: [e] }, {
      ...WHERE,
      secret: "x",
    }).length;
    assert.ok(size <= 3_000, `${size}`);
  }
  const one = splitPlan({ term: 1, token: 5, version: 1, tasks: [task("T1")] }, {
    node: "n",
    ...WHERE,
  });
  assert.equal(one.length, 1);
  assert.equal(one[0]!.parts, 1);
  assert.equal(one[0]!.planner, undefined);
});

Deno.test("splitPlan: a single task too large for any comment is an error naming it", () => {
  assert.throws(
    () =>
      splitPlan({
        term: 1,
        token: 5,
        version: 1,
        tasks: [task("HUGE", [], { body: "x".repeat(70_000) })],
      }, {
        node: "n",
        ...WHERE,
      }),
    /Task "HUGE" alone does not fit in one comment/,
  );
});

Deno.test("encoding normalises events as decoding does, so signed messages verify after a round trip", () => {
  const events: ProtocolEvent[] = [
    {
      type: "progress",
      task: "T1",
      attempt: 1,
      status: "in_progress",
      percent: 250,
      note: "x".repeat(5000),
    },
  ];
  const body = encodeMessage({ node: "n1", nonce: "nn", events }, { ...WHERE, secret: "k3y" });
  const decoded = decodeBody(body);
  assert.equal(decoded.kind, "message");
  if (decoded.kind !== "message") return;
  const e = decoded.message.events[0]!;
  assert.equal(e.type === "progress" && e.percent, 100);
  assert.equal(e.type === "progress" && e.note?.length, 2000);
  assert.ok(verifyMessage(decoded.message, WHERE, "k3y"));
});

Deno.test("encoding refuses an event the decoder would reject, naming the problem", () => {
  assert.throws(
    () =>
      encodeMessage({ node: "n1", nonce: "x", events: [{ type: "claim", task: "", attempt: 1 }] }, {
        repo: REPO,
        issue: 1,
      }),
    /Cannot encode a claim event: claim needs task and attempt\./,
  );
});

Deno.test("codec property: a body decodes as a message only if it is exactly the encoder's rendering of that message; text added anywhere makes it malformed", () => {
  fc.assert(
    fc.property(
      message,
      fc.array(fc.record({ at: fc.nat(), insert: nonEmpty(40) }), { minLength: 1, maxLength: 3 }),
      (m, inserts) => {
        const body = encodeMessage(m, WHERE);
        let changed = body;
        for (const e of inserts) {
          const i = e.at % (changed.length + 1);
          changed = changed.slice(0, i) + e.insert + changed.slice(i);
        }
        const d = decodeBody(changed);
        if (d.kind === "message") assert.equal(renderMessage(d.message), changed);
        // Text around a whole comment never leaves it a message.
        assert.notEqual(decodeBody(`${inserts[0]!.insert}${body}`).kind, "message");
        assert.equal(decodeBody(`${body}${inserts[0]!.insert}`).kind, "malformed");
      },
    ),
    { seed: 106, numRuns: 300 },
  );
});

Deno.test("codec: a claim that asks for a lease of its own round-trips and says it in its readable line", () => {
  const body = encodeMessage(
    {
      node: "n1",
      nonce: "x1",
      events: [{ type: "claim", task: "T1", attempt: 2, leaseMs: 1_344_000 }],
    },
    { repo: "o/r", issue: 7 },
  );
  assert.match(body, /^🎯 CLAIM\|T1\|n1\|attempt 2\|lease 1344 s$/m);
  const d = decodeBody(body);
  assert.equal(d.kind, "message");
  if (d.kind === "message") {
    assert.deepEqual(d.message.events, [{
      type: "claim",
      task: "T1",
      attempt: 2,
      leaseMs: 1_344_000,
    }]);
  }
});
