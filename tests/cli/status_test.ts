/**
 * `p2p-dev status` (issue 15): leader, tasks with claimant and lease, nodes,
 * budget, costs, ignored messages and what to do next; `--watch` until the
 * swarm is finished; exit codes as `aggregate`'s.
 */
import assert from "node:assert/strict";
import { MAIN, runCli } from "./_run.ts";
import { runInProcess } from "./_ctx.ts";
import { assertParses, p2pArgs } from "./_commands.ts";
import { FAST, startWorld } from "./_world.ts";
import { buildStatus, renderStatus } from "../../src/cli/status.ts";
import { ev, Log, SETTINGS, task } from "../protocol/_log.ts";

Deno.test({
  name: "status of an issue nobody works on yet: no leader, exit 3, and the command to start one",
  sanitizeResources: false,
  async fn() {
    await using world = await startWorld(["- [ ] T1: one"]);
    const r = await runInProcess(["status", "--issue", "1"], world.env);
    assert.equal(r.code, 3, r.err.join("\n"));
    const text = r.out.join("\n");
    assert.match(text, /^Leader: none elected$/m);
    assert.match(text, /^Plan: none in force$/m);
    assert.match(text, /^ {2}No leader yet: start a node with p2p-dev run --issue 1$/m);
    assert.match(text, /^Budget: pat token, 1 node: 5000 requests\/h shared/m);
  },
});

Deno.test({
  name:
    "status --watch follows a running swarm: claimant and lease while running, every task done at the end, exit 0",
  sanitizeResources: false,
  async fn() {
    await using world = await startWorld(["- [ ] T1: one\n- [ ] T2: two (after: T1)"]);
    const node = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        MAIN,
        "run",
        "--issue",
        "1",
        "--node-id",
        "worker-1",
        "--exec",
        "sleep 2; echo done",
        ...FAST,
      ],
      env: world.env,
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const watch = await runInProcess(
      ["status", "--issue", "1", "--watch", "--json", "--interval", "150"],
      world.env,
    );
    const { code, stderr } = await node.output();
    assert.equal(code, 0, new TextDecoder().decode(stderr));
    assert.equal(watch.code, 0, watch.err.join("\n"));
    const frames = watch.out.map((l) => JSON.parse(l));
    const running = frames.find((f) =>
      f.tasks?.some((t: { phase: string }) => t.phase === "running")
    );
    assert.ok(running, "a frame shows a running task");
    const task = running.tasks.find((t: { phase: string }) => t.phase === "running");
    assert.equal(task.claimant, "worker-1");
    assert.ok(task.leaseLeftMs > 0 && task.leaseLeftMs <= 5000, `lease left ${task.leaseLeftMs}`);
    assert.ok(Date.parse(task.leaseUntil) > Date.parse(running.asOf));
    const last = frames.at(-1);
    assert.equal(last.status, "finished");
    assert.deepEqual(last.tasks.map((t: { phase: string }) => t.phase), ["done", "done"]);
    assert.equal(last.leader.node, "worker-1");
    assert.equal(last.nodes[0].node, "worker-1");
    assert.match(last.next[0], /Every task is done: write the summary with p2p-dev aggregate/);
  },
});

Deno.test({
  name: "status after a failure says why, exits 1, and its next command parses",
  sanitizeResources: false,
  async fn() {
    await using world = await startWorld(["- [ ] T1: one"]);
    const run = await runCli(
      ["run", "--issue", "1", "--exec", "echo cannot; exit 2", "--max-attempts", "1", ...FAST],
      world.env,
    );
    assert.equal(run.code, 1);
    const r = await runInProcess(["status", "--issue", "1"], world.env);
    assert.equal(r.code, 1);
    const text = r.out.join("\n");
    assert.match(text, /^T1\s+failed\s+1\s+-\s+-/m);
    assert.match(text, /^ {2}T1 failed: cannot$/m);
    const next = text.split("\n").find((l) => l.includes("--retry-failed"))!;
    assert.match(next, /retry with p2p-dev run --issue 1 --retry-failed$/);
    assertParses(p2pArgs(next.slice(next.indexOf("p2p-dev")))!);
  },
});

Deno.test("status of a swarm the cost cap stopped: budget_reached, the cost against the cap, and how to go on", () => {
  const log = new Log();
  const token = log.post("n1", [ev.election(1)]).id;
  log.at(1).post("n1", [
    ev.plan(token, [task("T1"), task("T2")], { settings: { ...SETTINGS, maxCostUsd: 0.5 } }),
  ]);
  log.at(2).post("n1", [ev.claim("T1", 1)]);
  log.at(3).post("n1", [
    ev.progress("T1", 1, "completed", { result: { summary: "ok", costUsd: 0.6 } }),
  ]);
  const { status } = buildStatus(log.fold(), log.comments, log.now, {
    repo: "o/r",
    issue: 7,
    tokenKind: "pat",
  });
  assert.equal(status.status, "budget_reached");
  assert.deepEqual(status.cost, { spentUsd: 0.6, maxCostUsd: 0.5, reached: true });
  assert.deepEqual(status.next, [
    "The costs reported, $0.6, reached the swarm's cap of $0.5 (--max-cost-usd): nodes claim " +
    "nothing new. To go on, start nodes with a higher cap: p2p-dev run --issue 7 --max-cost-usd 1",
  ]);
});

Deno.test("status counts what it ignored by reason and shows nodes, the budget and the ignored", () => {
  const log = new Log();
  const token = log.post("n1", [ev.election(1)]).id;
  log.at(1).post("n1", [ev.plan(token, [task("T1")])]);
  log.at(2).post("n9", [ev.claim("T1", 1)], { author: "mallory" });
  log.raw("/p2p-dev stop", { author: "mallory" });
  log.raw("Looks good to me.", { author: "mallory" });
  const { status } = buildStatus(log.fold(), log.comments, log.now, {
    repo: "o/r",
    issue: 7,
    tokenKind: "actions",
  });
  assert.deepEqual(
    Object.entries(status.ignored).filter(([, n]) => n > 0),
    [["untrusted_author", 1], ["untrusted_command", 1]],
  );
  assert.deepEqual(status.nodes.map((n) => n.node), ["n1"], "the stranger's node is no node");
  const text = renderStatus(status).join("\n");
  assert.match(text, /^ {2}n1\s+/m);
  assert.match(text, /^Budget: actions token, 1 node: 1000 requests\/h shared/m);
  assert.match(text, /^Ignored: untrusted_author 1, untrusted_command 1; 1 ordinary comment$/m);
});
