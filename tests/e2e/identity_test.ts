/**
 * End to end: who the swarm is, when identities mix or change.
 *
 * - A laptop with a writer's token joins a swarm of Actions jobs sharing
 *   `GITHUB_TOKEN`: with the same `P2P_SECRET` every message counts by its
 *   signature, so the laptop follows the plan in force and works beside the
 *   jobs.
 * - A swarm on a GitHub App: installation tokens minted from the App's key
 *   (and renewed before they expire), the nodes' identity learned though
 *   `GET /user` refuses it, and another bot's messages never taken for its own.
 * - A writer leads, then loses access mid-run: a node that starts afterwards
 *   folds her election and plan as the nodes that vouched for her did.
 *
 * @module
 */
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { join } from "node:path";
import { encodeMessage } from "../../src/protocol/codec.ts";
import { fold } from "../../src/protocol/fold.ts";
import type { SwarmState } from "../../src/protocol/state.ts";
import {
  assertExitCodes,
  BOT,
  EXAMPLE_TASKS,
  type NodeLine,
  OWNER,
  postComment,
  RECORD_PID,
  REPO,
  startSwarm,
  type Swarm,
  WRITER,
} from "./_swarm.ts";

const WORK = `${RECORD_PID}; echo "P2P_PROGRESS 50 halfway"; sleep 0.4; echo "done $P2P_TASK_ID"`;
const ARGS = ["--exec", WORK, "--planner", "markdown"];

function first(swarm: Swarm, type: string): Promise<NodeLine> {
  return swarm.within(
    `a node's ${type}`,
    Promise.race(swarm.nodes.map((n) => n.next((l) => l.type === type))),
  );
}

/** Every task done once: one completion and one attempt each, by one of `authors`. */
function assertDoneOnce(state: SwarmState, authors: string[]): void {
  assert.deepEqual([...state.order].sort(), [...EXAMPLE_TASKS].sort());
  for (const id of state.order) {
    const t = state.tasks[id]!;
    assert.equal(t.status, "done", `${id} is done`);
    assert.equal(t.attempts.length, 1, `${id} ran once: ${JSON.stringify(t.attempts)}`);
    assert.ok(authors.includes(t.attempts[0]!.author), t.attempts[0]!.author);
  }
  assert.equal(state.duplicateResults, 0);
  assert.equal(state.terms.length, 1, "one election term");
}

Deno.test("a laptop with a writer's token joins an Actions swarm that shares P2P_SECRET: it follows the plan in force, never campaigns, and its work counts", async () => {
  await using swarm = await startSwarm();
  const secret = { P2P_SECRET: "shared-e2e-secret" };
  for (const id of ["job-1", "job-2"]) swarm.spawn({ id, args: ARGS, env: secret });
  await first(swarm, "plan_seen");
  const laptop = swarm.spawn({
    id: "laptop",
    args: [...ARGS, "--token-kind", "pat"],
    env: { ...secret, GITHUB_TOKEN: WRITER.token },
  });
  assertExitCodes(swarm, await swarm.waitAll(), { "job-1": 0, "job-2": 0, laptop: 0 });
  assert.equal(laptop.events("campaign").length, 0, "the laptop never campaigned");
  assert.equal(laptop.events("planned").length, 0);
  assert.equal(laptop.events("stop")[0]?.reason, "finished");
  const comments = swarm.comments();
  // Signed messages count whoever posted them: both identities wrote.
  const state = fold(comments, {
    repo: `${OWNER}/${REPO}`,
    issue: swarm.issue,
    allow: new Set(),
    writers: new Set(),
    secret: secret.P2P_SECRET,
  });
  assertDoneOnce(state, [BOT.login, WRITER.login]);
  assert.equal(state.nodes.laptop?.author, WRITER.login);
  assert.equal(state.terms[0]!.author, BOT.login);
  // Each side counted the other's messages: every node folded the same tasks done.
  for (const n of swarm.nodes) {
    const seen = n.events("plan_seen")[0];
    assert.equal(seen?.term, 1, `${n.id} saw the one plan`);
  }
});

Deno.test("a swarm on a GitHub App mints installation tokens from its key, renews them, learns its bot login, and never takes github-actions[bot] for itself", async () => {
  const keys = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
  });
  await using swarm = await startSwarm({
    apps: [{
      id: 31337,
      slug: "e2e-swarm",
      owner: OWNER,
      publicKey: keys.publicKey,
      installations: [{ id: 4040, account: OWNER, repos: [`${OWNER}/${REPO}`] }],
      // Short-lived tokens, so that the run outlives several.
      tokenTtlMs: 8_000,
    }],
  });
  const keyFile = join(swarm.tmp, "app.pem");
  await Deno.writeTextFile(keyFile, keys.privateKey);
  // Another workflow's bot speaks first, as if it were the swarm.
  const forged = encodeMessage({
    node: "job-1",
    nonce: "forged-1",
    events: [{ type: "election", term: 1, timeoutMs: 60_000 }, { type: "end", reason: "forged" }],
  }, { repo: `${OWNER}/${REPO}`, issue: swarm.issue });
  await postComment(swarm, BOT.token, forged);
  const env = { P2P_APP_ID: "31337", P2P_APP_PRIVATE_KEY: keyFile };
  const slow = [
    "--exec",
    `${RECORD_PID}; sleep 1; echo "done $P2P_TASK_ID"`,
    "--planner",
    "markdown",
  ];
  for (const id of ["job-1", "job-2", "job-3"]) swarm.spawn({ id, args: slow, env });
  assertExitCodes(swarm, await swarm.waitAll(), { "job-1": 0, "job-2": 0, "job-3": 0 });
  const app = "e2e-swarm[bot]";
  for (const n of swarm.nodes) {
    assert.equal(n.events("start")[0]?.login, app, `${n.id} knows itself`);
    assert.equal(n.events("stop")[0]?.reason, "finished");
  }
  const comments = swarm.comments();
  const state = fold(comments, {
    repo: `${OWNER}/${REPO}`,
    issue: swarm.issue,
    self: app,
    allow: new Set(),
    writers: new Set(),
  });
  assertDoneOnce(state, [app]);
  assert.equal(state.ended, null, "the other bot's end did not count");
  assert.equal(state.ignored.untrusted_author, 1);
  const own = comments.filter((c) => c.author === app);
  assert.ok(own.length > 0 && own.every((c) => c.authorType === "Bot"));
  const log = swarm.emulator.control.requestLog();
  const minted = log.filter((e) =>
    e.method === "POST" && e.path === "/app/installations/4040/access_tokens" && e.status === 201
  );
  assert.ok(minted.length > 3, `tokens were renewed during the run (${minted.length} minted)`);
  assert.equal(log.filter((e) => e.login === app && e.status === 401).length, 0, "none expired");
  // Named by GraphQL's viewer: no REST request spent on GET /user, which refuses it.
  assert.ok(log.some((e) => e.login === app && e.path === "/graphql" && e.status === 200));
  assert.ok(!log.some((e) => e.login === app && e.path === "/user"));
});

Deno.test("a writer who led loses write access mid-run: a node that starts afterwards folds her election and plan as the nodes that vouched for her, and runs nothing again", async () => {
  await using swarm = await startSwarm();
  // Her node stops after one task, so the jobs work under her plan: alone,
  // on a loaded machine, it could finish all 11 short tasks while they start.
  const laptopArgs = [...ARGS, "--token-kind", "pat", "--allow", BOT.login, "--max-tasks", "1"];
  const laptop = swarm.spawn({
    id: "laptop",
    args: laptopArgs,
    env: { GITHUB_TOKEN: WRITER.token },
  });
  await swarm.waitFor(laptop, "publish the plan", (l) => l.type === "planned");
  for (const id of ["job-1", "job-2"]) swarm.spawn({ id, args: ARGS });
  // Once the jobs work under her plan, the log vouches for her.
  await swarm.within(
    "a job starting a task",
    Promise.race(swarm.nodes.slice(1).map((n) => n.next((l) => l.type === "exec_start"))),
  );
  const repo = swarm.emulator.control.world.repo(OWNER, REPO)!;
  repo.permissions[WRITER.login] = "read";
  const late = swarm.spawn({ id: "job-late", args: ARGS });
  assertExitCodes(swarm, await swarm.waitAll(), {
    laptop: 0,
    "job-1": 0,
    "job-2": 0,
    "job-late": 0,
  });
  assert.equal(late.events("campaign").length, 0, "the late node never campaigned");
  assert.equal(late.events("planned").length, 0);
  assert.equal(late.events("plan_seen")[0]?.term, 1);
  // The late node's own view: the writer's term and plan.
  const comments = swarm.comments();
  const state = fold(comments, {
    repo: `${OWNER}/${REPO}`,
    issue: swarm.issue,
    self: BOT.login,
    allow: new Set(),
    writers: new Set(), // her look-up now answers `read`
  });
  assert.equal(state.terms[0]!.author, WRITER.login);
  assert.equal(state.vouched[WRITER.login]?.reason, "write");
  assertDoneOnce(state, [BOT.login, WRITER.login]);
});
