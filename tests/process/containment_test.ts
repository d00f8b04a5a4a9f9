import assert from "node:assert/strict";
import { join } from "node:path";
import { commandExecutor } from "../../src/executor/command.ts";
import { runProcessGroup } from "../../src/executor/process.ts";
import { commandPlanner } from "../../src/planner/command.ts";
import { Containment, defaultStateDir, TASK_TAG_VAR } from "../../src/process/containment.ts";
import { procTable } from "../../src/process/proc_table.ts";
import {
  makeContext,
  makeTask,
  processGone,
  readPid,
  tempDir,
  waitGone,
} from "../executor/helpers.ts";

const PATH_ENV = { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin" };

/** A shell line that starts a daemon in a session of its own, which writes its pid to `file`. */
const daemon = (file: string) => `setsid sh -c 'echo $$ > "${file}"; exec sleep 123' &`;

Deno.test("a daemonising task (setsid sleep &) ends with the task: command executor", async () => {
  await using root = await tempDir();
  const pidFile = join(root.path, "daemon.pid");
  const exec = commandExecutor({
    command: `${daemon(pidFile)} while [ ! -s "${pidFile}" ]; do sleep 0.05; done; echo done`,
    workRoot: root.path,
    env: PATH_ENV,
    killGraceMs: 500,
  });
  const outcome = await exec.run(makeTask(), makeContext().ctx);
  assert.equal(outcome.ok, true, outcome.result.summary);
  const pid = await readPid(pidFile);
  assert.ok(await waitGone(pid), `the daemon ${pid} outlived its task`);
});

Deno.test("a double-forked daemon of a planner command ends with the planner", async () => {
  await using root = await tempDir();
  const pidFile = join(root.path, "daemon.pid");
  const planner = commandPlanner({
    command: `(${daemon(pidFile)}) ; while [ ! -s "${pidFile}" ]; do sleep 0.05; done; ` +
      `echo '[{"id":"T1","title":"One"}]'`,
    env: PATH_ENV,
  });
  const tasks = await planner.plan({ number: 1, title: "x", body: "" });
  assert.equal(tasks.length, 1);
  const pid = await readPid(pidFile);
  assert.ok(await waitGone(pid), `the daemon ${pid} outlived its planner`);
});

Deno.test("a run is recorded in the state folder while it lasts, with its owner and group", async () => {
  await using root = await tempDir();
  const containment = new Containment({ stateDir: root.path, ownerPid: Deno.pid });
  const records = () => Array.from(Deno.readDirSync(join(root.path, "processes")));
  let seen: Record<string, unknown> | undefined;
  await runProcessGroup({
    command: "sh",
    args: ["-c", `echo "$${TASK_TAG_VAR}"; sleep 0.2`],
    cwd: root.path,
    env: PATH_ENV,
    signal: new AbortController().signal,
    containment,
    label: "task T1 attempt 1 of issue #7",
    onStdoutLine: (tag) => {
      seen = JSON.parse(Deno.readTextFileSync(join(root.path, "processes", `${tag}.json`)));
    },
  });
  assert.ok(seen, "the record existed while the command ran");
  assert.equal(seen.label, "task T1 attempt 1 of issue #7");
  assert.equal((seen.owner as { pid: number }).pid, Deno.pid);
  assert.equal(typeof (seen.group as { pid: number }).pid, "number");
  assert.deepEqual(records(), [], "the record is removed once the run's processes are gone");
});

Deno.test("a node killed with SIGKILL leaves its task running; the next run's reap ends it", async () => {
  await using root = await tempDir();
  const pidFile = join(root.path, "daemon.pid");
  const owner = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      "--no-prompt",
      new URL("./fixtures/contained_owner.ts", import.meta.url).pathname,
      root.path,
      pidFile,
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = owner.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  while (!out.includes("started")) {
    const { value, done } = await reader.read();
    if (done) break;
    out += value;
  }
  reader.releaseLock();
  const daemonPid = await readPid(pidFile);
  owner.kill("SIGKILL");
  await owner.status;
  await owner.stdout.cancel().catch(() => {});
  // What main does too: nothing ends the task when its node is killed.
  assert.equal(await processGone(daemonPid), false, "the daemon runs on after its node died");

  // A live node's runs are not touched.
  const mine = new Containment({ stateDir: root.path, ownerPid: Deno.pid });
  const live = await mine.begin("a run of a live node");
  const report = await new Containment({ stateDir: root.path, ownerPid: Deno.pid })
    .reapOrphans(500);
  assert.equal(report.records, 1);
  assert.deepEqual(report.labels, ["task T1 attempt 1 of issue #7"]);
  assert.ok(report.processes >= 2, `the task's shell and its daemon: ${report.processes}`);
  assert.ok(await waitGone(daemonPid), `the daemon ${daemonPid} survived the reap`);
  const left = Array.from(Deno.readDirSync(join(root.path, "processes"))).map((e) => e.name);
  assert.deepEqual(left, [`${live.tag}.json`]);
  await live.end(0);
});

Deno.test("the ps fallback tells a process's identity and cannot search environments", async () => {
  const ps = await procTable("ps");
  const proc = await procTable("proc");
  const start = await ps.startOf(Deno.pid);
  assert.ok(start, "ps reports this process's start time");
  assert.ok(await ps.isAlive({ pid: Deno.pid, start }));
  assert.equal(await ps.isAlive({ pid: Deno.pid, start: "Thu Jan  1 00:00:00 1970" }), false);
  assert.equal(await ps.withEnv(TASK_TAG_VAR, "x"), undefined);
  assert.ok(await proc.isAlive({ pid: Deno.pid, start: (await proc.startOf(Deno.pid))! }));
});

Deno.test("the default state folder follows P2P_STATE_DIR, XDG_STATE_HOME, then HOME", () => {
  assert.equal(defaultStateDir({ P2P_STATE_DIR: "/s", HOME: "/h" }), "/s");
  assert.equal(defaultStateDir({ XDG_STATE_HOME: "/x", HOME: "/h" }), "/x/p2p-dev");
  assert.equal(defaultStateDir({ HOME: "/h" }), "/h/.local/state/p2p-dev");
  assert.equal(defaultStateDir({}), undefined);
});

Deno.test("a state folder that cannot be written costs the record, never the task", async () => {
  await using root = await tempDir();
  const blocked = join(root.path, "not-a-folder");
  await Deno.writeTextFile(blocked, "a file where the state folder should be\n");
  const containment = new Containment({ stateDir: blocked, ownerPid: Deno.pid });
  const exec = commandExecutor({
    command: "echo ran",
    workRoot: root.path,
    env: PATH_ENV,
    containment,
  });
  const outcome = await exec.run(makeTask(), makeContext().ctx);
  assert.equal(outcome.ok, true, outcome.result.summary);
  assert.equal(outcome.result.summary, "ran");
  assert.deepEqual(await containment.reapOrphans(), { records: 0, processes: 0, labels: [] });
});
