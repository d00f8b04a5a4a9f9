/**
 * The trigger gate as pure functions: event payload + permission -> run
 * (issue, matrix) or refuse (reason, reaction) or ignore.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import type { Permission } from "../../src/github/port.ts";
import {
  decideTrigger,
  readEvent,
  type TriggerAsk,
  type TriggerSettings,
  validateTriggerSettings,
} from "../../src/workflow/trigger.ts";

const SETTINGS: TriggerSettings = {
  label: "p2p-dev",
  command: "/p2p-dev",
  defaultInstances: 5,
  minInstances: 1,
  maxInstances: 20,
};

const person = { login: "octo", type: "User" };
const openIssue = { number: 7, state: "open" };

function comment(body: string, extra: Record<string, unknown> = {}) {
  return {
    action: "created",
    issue: openIssue,
    comment: { id: 900, body, user: person },
    sender: person,
    ...extra,
  };
}

function ask(eventName: string, payload: unknown, settings = SETTINGS): TriggerAsk {
  const r = readEvent(eventName, payload, settings);
  assert.equal(r.kind, "ask", JSON.stringify(r));
  return (r as { ask: TriggerAsk }).ask;
}

function ignored(eventName: string, payload: unknown): string {
  const r = readEvent(eventName, payload, SETTINGS);
  assert.equal(r.kind, "ignore", JSON.stringify(r));
  return (r as { reason: string }).reason;
}

Deno.test("a label by a writer runs the default 5 nodes on the issue, with a reaction on the issue", () => {
  const a = ask("issues", {
    action: "labeled",
    label: { name: "P2P-Dev" },
    issue: openIssue,
    sender: person,
  });
  const d = decideTrigger(a, { permission: "write" }, SETTINGS);
  assert.deepEqual(d, {
    run: true,
    issue: 7,
    instances: 5,
    matrix: { node: [1, 2, 3, 4, 5] },
    react: { kind: "issue", issue: 7 },
    summary: 'Starting 5 nodes on #7: label "p2p-dev" by @octo.',
  });
});

Deno.test("/p2p-dev N sets the count; maintain and admin may start a swarm too", () => {
  for (const permission of ["write", "maintain", "admin"] as Permission[]) {
    const d = decideTrigger(ask("issue_comment", comment("/p2p-dev 3")), { permission }, SETTINGS);
    assert.equal(d.run, true);
    assert.deepEqual(d.run && d.matrix, { node: [1, 2, 3] });
    assert.deepEqual(d.react, { kind: "comment", comment: 900 });
  }
  const padded = ask("issue_comment", comment("\n  /P2P-DEV   2  \nthanks"));
  assert.equal(
    padded.instances,
    "2",
    "the command is the first word; case and spaces do not matter",
  );
});

Deno.test("strangers, readers and triagers are refused with a reaction, before anything else", () => {
  for (const permission of ["none", "read", "triage"] as Permission[]) {
    const d = decideTrigger(
      ask("issue_comment", comment("/p2p-dev 500")),
      { permission },
      SETTINGS,
    );
    assert.equal(d.run, false);
    assert.equal(!d.run && d.outcome, "refused");
    assert.deepEqual(d.react, { kind: "comment", comment: 900 });
    assert.equal(
      d.summary,
      `Refused /p2p-dev 500 by @octo on #7: @octo has "${permission}" permission on this ` +
        "repository; starting a swarm needs write, maintain or admin.",
    );
  }
});

Deno.test("counts outside 1..MAX_INSTANCES, words after the count and non-numbers are refused", () => {
  const refuse = (body: string, settings = SETTINGS) => {
    const d = decideTrigger(
      ask("issue_comment", comment(body), settings),
      { permission: "admin" },
      settings,
    );
    assert.equal(d.run, false, body);
    return !d.run ? d.reason : "";
  };
  assert.match(refuse("/p2p-dev 500"), /^500 instances is over MAX_INSTANCES \(20\)/);
  assert.match(refuse("/p2p-dev 21"), /over MAX_INSTANCES \(20\)/);
  assert.match(refuse("/p2p-dev 3", { ...SETTINGS, maxInstances: 2 }), /over MAX_INSTANCES \(2\)/);
  assert.match(refuse("/p2p-dev 0"), /at least 1/);
  assert.match(refuse("/p2p-dev -1"), /"-1" is not a whole number/);
  assert.match(refuse("/p2p-dev lots"), /"lots" is not a whole number/);
  assert.match(refuse("/p2p-dev `rm`<b>"), /^the instance count "…" is not a whole number/);
  assert.match(refuse("/p2p-dev 3 please"), /nothing else after the count/);
  const d = decideTrigger(
    ask("issue_comment", comment("/p2p-dev 20")),
    { permission: "write" },
    SETTINGS,
  );
  assert.equal(d.run && d.instances, 20, "MAX_INSTANCES itself is allowed");
});

Deno.test("instances.min refuses smaller counts; the default is kept within min and max", () => {
  const settings = { ...SETTINGS, minInstances: 2, maxInstances: 4 };
  const refused = decideTrigger(
    ask("issue_comment", comment("/p2p-dev 1"), settings),
    { permission: "write" },
    settings,
  );
  assert.equal(refused.run, false);
  assert.match(refused.summary, /1 is below instances\.min \(2\); ask for 2 to 4\./);
  const low = { ...settings, defaultInstances: 1 };
  const d = decideTrigger(
    ask("issue_comment", comment("/p2p-dev"), low),
    { permission: "write" },
    low,
  );
  assert.equal(d.run && d.instances, 2);
  assert.throws(
    () => validateTriggerSettings({ ...SETTINGS, minInstances: 5, maxInstances: 4 }),
    /instances\.min 5: it is above the largest count 4/,
  );
});

Deno.test("steering commands for a running swarm are ignored, never refused", () => {
  for (
    const body of ["/p2p-dev stop", "/p2p-dev cancel T3", "/P2P-DEV Retry T3", "/p2p-dev status"]
  ) {
    assert.match(ignored("issue_comment", comment(body)), /steers a running swarm; it starts none/);
  }
});

Deno.test("the default count is capped at MAX_INSTANCES", () => {
  const settings = { ...SETTINGS, maxInstances: 3 };
  const d = decideTrigger(ask("issue_comment", comment("/p2p-dev"), settings), {
    permission: "write",
  }, settings);
  assert.equal(d.run && d.instances, 3);
  assert.match(d.summary, /the default 5, kept within 1\.\.3/);
});

Deno.test("a pull request, a closed issue or a missing issue is refused", () => {
  const onPr = ask(
    "issue_comment",
    comment("/p2p-dev", {
      issue: { number: 8, state: "open", pull_request: { url: "x" } },
    }),
  );
  assert.match(
    decideTrigger(onPr, { permission: "write" }, SETTINGS).summary,
    /#8 is a pull request/,
  );
  const closed = ask(
    "issue_comment",
    comment("/p2p-dev", { issue: { number: 9, state: "closed" } }),
  );
  assert.match(decideTrigger(closed, { permission: "write" }, SETTINGS).summary, /#9 is closed/);
  const dispatch = ask("workflow_dispatch", { inputs: { issue: "12" }, sender: person });
  assert.equal(dispatch.issueFacts, null, "a dispatch's issue is looked up");
  assert.match(
    decideTrigger(dispatch, { permission: "write", issue: "missing" }, SETTINGS).summary,
    /#12 does not exist/,
  );
  assert.throws(
    () => decideTrigger(dispatch, { permission: "write" }, SETTINGS),
    /needs the facts of issue #12/,
  );
});

Deno.test("a dispatch takes issue and instances from its inputs", () => {
  const a = ask("workflow_dispatch", { inputs: { issue: " 12 ", instances: "2" }, sender: person });
  const d = decideTrigger(
    a,
    { permission: "write", issue: { open: true, pullRequest: false } },
    SETTINGS,
  );
  assert.deepEqual(d.run && d.matrix, { node: [1, 2] });
  assert.deepEqual(d.react, { kind: "issue", issue: 12 });
  const noCount = ask("workflow_dispatch", {
    inputs: { issue: "12", instances: "" },
    sender: person,
  });
  assert.equal(noCount.instances, undefined, "an empty count is the default");
  const bad = ask("workflow_dispatch", { inputs: { issue: "twelve" }, sender: person });
  const refused = decideTrigger(bad, { permission: "write" }, SETTINGS);
  assert.equal(refused.run, false);
  assert.match(refused.summary, /"issue" input is not an issue number/);
  assert.equal(refused.react, null, "no issue to react on");
});

Deno.test("bots, other labels, other actions, other events and plain comments are ignored", () => {
  const bot = { login: "github-actions[bot]", type: "Bot" };
  assert.match(
    ignored(
      "issue_comment",
      comment("/p2p-dev", { comment: { id: 1, body: "/p2p-dev", user: bot }, sender: bot }),
    ),
    /is a bot/,
  );
  // A bot is its type, never its name: a person whose login ends in [bot]-like text is judged.
  assert.equal(
    readEvent(
      "issue_comment",
      comment("/p2p-dev", {
        comment: { id: 1, body: "/p2p-dev", user: { login: "robot", type: "User" } },
      }),
      SETTINGS,
    ).kind,
    "ask",
  );
  assert.match(
    ignored("issues", {
      action: "labeled",
      label: { name: "p2p-dev" },
      issue: openIssue,
      sender: bot,
    }),
    /bot/,
  );
  assert.match(ignored("workflow_dispatch", { inputs: { issue: "1" }, sender: bot }), /bot/);
  assert.match(
    ignored("issues", {
      action: "labeled",
      label: { name: "bug" },
      issue: openIssue,
      sender: person,
    }),
    /"bug" is not "p2p-dev"/,
  );
  assert.match(
    ignored("issues", { action: "opened", issue: openIssue, sender: person }),
    /not a label/,
  );
  assert.match(
    ignored("issue_comment", { ...comment("/p2p-dev"), action: "edited" }),
    /not a new comment/,
  );
  assert.match(
    ignored("issue_comment", comment("please /p2p-dev")),
    /does not start with \/p2p-dev/,
  );
  assert.match(ignored("issue_comment", comment("/p2p-devx 3")), /does not start/);
  assert.match(ignored("push", {}), /"push" does not start a swarm/);
});

Deno.test("no payload, however malformed, throws or starts a swarm without a writer", () => {
  const events = ["issues", "issue_comment", "workflow_dispatch", "push"];
  fc.assert(
    fc.property(
      fc.constantFrom(...events),
      fc.anything(),
      fc.string(),
      (event, payload, body) => {
        for (
          const p of [payload, comment(body), {
            action: "labeled",
            label: payload,
            issue: payload,
            sender: payload,
          }]
        ) {
          const r = readEvent(event, p, SETTINGS);
          if (r.kind === "ask") {
            const d = decideTrigger(r.ask, {
              permission: "read",
              issue: { open: true, pullRequest: false },
            }, SETTINGS);
            assert.equal(d.run, false);
            assert.ok(!/[\r\n]/.test(d.summary), "one line");
          }
        }
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("settings outside GitHub's matrix limit or with an empty label are rejected with a reason", () => {
  assert.throws(
    () => validateTriggerSettings({ ...SETTINGS, maxInstances: 257 }),
    /MAX_INSTANCES 257: use a whole number from 1 to 256/,
  );
  assert.throws(() => validateTriggerSettings({ ...SETTINGS, maxInstances: 0 }), /from 1 to 256/);
  assert.throws(
    () => validateTriggerSettings({ ...SETTINGS, defaultInstances: 1.5 }),
    /instance default/,
  );
  assert.throws(() => validateTriggerSettings({ ...SETTINGS, label: " " }), /Invalid label/);
  validateTriggerSettings(SETTINGS);
});
