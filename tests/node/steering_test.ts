/**
 * `/p2p-dev status` is answered by one comment edited in place, also when
 * nodes whose views of the log differed (list lag) both believed they were
 * the one to answer.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { RunningEmulator } from "../../src/emulator/mod.ts";
import { STATUS_MARKER, statusBody } from "../../src/node/steering.ts";
import {
  BOT,
  BOT_TOKENS,
  client,
  fixedPlanner,
  issueComments,
  type NodeHandle,
  OWNER,
  OWNER_TOKEN,
  postMessage,
  recordingExecutor,
  startNode,
  startWorld,
  stopAll,
  waitFor,
  WRITER_TOKEN,
} from "./_harness.ts";

const statusOf = (emulator: RunningEmulator, login: string) =>
  issueComments(emulator).filter((c) => c.author === login && c.body.startsWith(STATUS_MARKER));

const answers = (body: string) => Number(/^<!-- p2p-dev:status (\d+)/.exec(body)?.[1]);

/** A status comment as a node of `token`'s login writes it. */
async function answerAs(emulator: RunningEmulator, token: string, request: number, who: string) {
  const nonce = `answer${request}${who}`;
  const body = `${statusBody(`${who}'s view`, request, "wendy")}<!-- p2p-dev:nonce ${nonce} -->\n`;
  return await client(emulator, token).github.createComment(1, body, nonce);
}

/**
 * An emulator with the bot's node `n1` working on a task held until the test
 * ends, and the writer's `/p2p-dev status` (returning the request's id).
 */
async function steeredSwarm(
  t: (world: {
    emulator: RunningEmulator;
    startNode: () => Promise<NodeHandle>;
    ask: () => Promise<number>;
  }) => Promise<void>,
): Promise<void> {
  const emulator = await startWorld();
  let open: () => void = () => {};
  const executor = recordingExecutor({
    hold: () => new Promise<void>((resolve) => open = resolve),
  });
  const nodes: NodeHandle[] = [];
  const writer = client(emulator, WRITER_TOKEN).github;
  let asked = 0;
  try {
    await t({
      emulator,
      startNode: async () => {
        const node = startNode(emulator, {
          node: "n1",
          token: BOT_TOKENS[0]!,
          executor,
          planner: fixedPlanner([{ id: "T1", title: "Hold", priority: "high", deps: [] }]),
        });
        nodes.push(node);
        await waitFor("T1 running", () => executor.runs.length === 1);
        return node;
      },
      ask: async () => {
        const nonce = `ask${++asked}`;
        return (await writer.createComment(1, `/p2p-dev status\n<!-- ${nonce} -->`, nonce)).id;
      },
    });
    open();
    for (const n of nodes) assert.equal((await n.done).reason, "finished");
  } finally {
    open();
    await stopAll(nodes);
    await emulator.close();
  }
}

Deno.test({
  name:
    "two status comments of the same login converge on the oldest: the newer one is deleted, and later requests edit the oldest",
  sanitizeResources: false,
  async fn() {
    await steeredSwarm(async ({ emulator, startNode, ask }) => {
      const n1 = await startNode();
      const first = await ask();
      await waitFor("the first answer", () => statusOf(emulator, BOT).length === 1);
      const oldest = statusOf(emulator, BOT)[0]!;
      assert.equal(answers(oldest.body), first);

      // A second request, and a twin of the same login (lagging, so it saw no
      // answer and believed it was the responder) answers it in a comment of its own.
      const second = await ask();
      const dup = await answerAs(emulator, BOT_TOKENS[1]!, second, "twin");
      await waitFor("one status comment, the oldest, answering the second request", () => {
        const all = statusOf(emulator, BOT);
        return all.length === 1 && all[0]!.id === oldest.id && answers(all[0]!.body) === second;
      });

      // Later requests keep editing the oldest.
      const third = await ask();
      await waitFor("the third answer", () => answers(statusOf(emulator, BOT)[0]!.body) === third);
      assert.deepEqual(statusOf(emulator, BOT).map((c) => c.id), [oldest.id]);
      const deleted = n1.events.flatMap((e) => e.type === "status_deduplicated" ? [e.comment] : []);
      assert.deepEqual(deleted, [dup.id]);
    });
  },
});

Deno.test({
  name:
    "a request a node of another login answered is not answered again by the next responder; a newer one is",
  sanitizeResources: false,
  async fn() {
    await steeredSwarm(async ({ emulator, startNode, ask }) => {
      // A node of the owner's login joined and answered a status request.
      await postMessage(client(emulator, OWNER_TOKEN).github, "laptop", [{
        type: "announce",
        role: "node",
      }]);
      const first = await ask();
      await answerAs(emulator, OWNER_TOKEN, first, "laptop");

      // The bot's node is the responder now: the first request is answered already.
      const n1 = await startNode();
      const polls = () => n1.events.filter((e) => e.type === "poll").length;
      const seen = polls();
      await waitFor("two more polls", () => polls() >= seen + 2);
      assert.deepEqual(statusOf(emulator, BOT), [], "the bot did not answer the first request");

      const second = await ask();
      await waitFor("the bot answers the second", () => statusOf(emulator, BOT).length === 1);
      assert.equal(answers(statusOf(emulator, BOT)[0]!.body), second);
      assert.equal(statusOf(emulator, OWNER).length, 1);
    });
  },
});
