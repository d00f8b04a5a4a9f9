import assert from "node:assert/strict";
import { commandPlanner } from "../../src/planner/command.ts";
import { PlannerError } from "../../src/planner/planner.ts";
import { GraphValidationError } from "../../src/protocol/graph.ts";

const issue = { number: 12, title: "Add search", body: "Users want to search.\n\n- [ ] maybe" };

/** Runs the command planner on `issue` with `cmd`. */
function run(cmd: string, timeoutMs = 20_000, signal?: AbortSignal) {
  return commandPlanner({ command: cmd, timeoutMs }).plan(issue, signal);
}

/** Asserts the planner rejects with a PlannerError whose message satisfies `check`. */
async function rejectsWith(p: Promise<unknown>, check: (message: string) => void) {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof PlannerError, String(e));
    assert.equal(e.planner, "command");
    check(e.message);
    return true;
  });
}

Deno.test("command: the issue arrives as JSON on stdin; an array of tasks is accepted", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const tasks = await run(
      `cat > '${dir}/stdin.json'; echo "$P2P_DEV_ISSUE_NUMBER" > '${dir}/env.txt'; ` +
        `printf '%s' '[{"id":"T1","title":"Index"},{"id":"T2","title":"API","after":["T1"]}]'`,
    );
    assert.deepEqual(JSON.parse(await Deno.readTextFile(`${dir}/stdin.json`)), issue);
    assert.equal((await Deno.readTextFile(`${dir}/env.txt`)).trim(), "12");
    assert.deepEqual(tasks, [
      { id: "T1", title: "Index", priority: "medium", deps: [] },
      { id: "T2", title: "API", priority: "medium", deps: ["T1"] },
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("command: a realistic planner script reading stdin with a real JSON tool", async () => {
  // A planner in another language: a Deno one-liner that plans from the title.
  const script = `const i = JSON.parse(await new Response(Deno.stdin.readable).text());
console.log(JSON.stringify({ tasks: [
  { id: "design", title: "Design " + i.title, priority: "high", estimateHours: 2, group: "Plan" },
  { id: "build", title: "Build #" + i.number, deps: ["design"], body: i.body },
] }));`;
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/plan.ts`, script);
    const tasks = await run(`'${Deno.execPath()}' run --no-config --quiet '${dir}/plan.ts'`);
    assert.deepEqual(tasks, [
      {
        id: "design",
        title: "Design Add search",
        priority: "high",
        deps: [],
        group: "Plan",
        estimateHours: 2,
      },
      { id: "build", title: "Build #12", priority: "medium", deps: ["design"], body: issue.body },
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("command: output that is not JSON is quoted", async () => {
  await rejectsWith(run("echo 'Planning your issue...'"), (m) => {
    assert.ok(
      m.startsWith(
        `Planner command "echo 'Planning your issue...'" printed an invalid task list: Expected JSON (`,
      ),
      m,
    );
    assert.ok(m.endsWith('got: "Planning your issue...".'), m);
  });
  await rejectsWith(run("true"), (m) =>
    assert.equal(
      m,
      'Planner command "true" printed an invalid task list: Expected JSON, got empty output: print the task list as JSON.',
    ));
});

Deno.test("command: a schema problem names the path and the expected type", async () => {
  await rejectsWith(run(`echo '{"tasks":[{"id":"T1","title":"A","deps":"T0"}]}'`), (m) =>
    assert.ok(
      m.endsWith(
        'printed an invalid task list: Field "tasks[0].deps" must be a list of task ids, got the string "T0".',
      ),
      m,
    ));
});

Deno.test("command: graph problems come from assertValidGraph", async () => {
  const out = '[{"id":"A","title":"a","deps":["B"]},{"id":"B","title":"b","deps":["A"]}]';
  const cmd = `echo '${out}' # a planner that writes a cycle`;
  await assert.rejects(run(cmd), (e: unknown) => {
    assert.ok(e instanceof PlannerError);
    assert.ok(e.cause instanceof GraphValidationError);
    // Long commands are shortened to 80 characters in messages.
    assert.equal(
      e.message,
      `Planner command ${JSON.stringify(cmd.slice(0, 80) + "…")} printed an invalid task graph: ` +
        "Dependency cycle: A -> B -> A: remove one of these dependencies.",
    );
    return true;
  });
});

Deno.test("command: a non-zero exit reports the code and the tail of stderr", async () => {
  await rejectsWith(run("echo 'token missing' >&2; exit 3"), (m) =>
    assert.equal(
      m,
      `Planner command "echo 'token missing' >&2; exit 3" exited with code 3; stderr ends with: token missing`,
    ));
  await rejectsWith(
    run("exit 4"),
    (m) => assert.match(m, /exited with code 4 and printed nothing on stderr$/),
  );
  await rejectsWith(
    run(
      'i=0; while [ $i -lt 300 ]; do echo "noise line $i" >&2; i=$((i+1)); done; echo LAST >&2; exit 1',
    ),
    (m) => {
      assert.ok(m.endsWith("noise line 299\nLAST"), m.slice(-100));
      assert.ok(!m.includes("noise line 0\n"));
      assert.ok(m.length < 700, `message too long: ${m.length}`);
    },
  );
  await rejectsWith(run("kill -9 $$"), (m) => assert.match(m, /was killed by signal SIGKILL/));
});

Deno.test("command: a large issue body does not deadlock a command that ignores stdin", async () => {
  const big = { ...issue, body: "x".repeat(1_000_000) };
  const tasks = await commandPlanner({ command: `echo '[{"id":"T1","title":"A"}]'` }).plan(big);
  assert.deepEqual(tasks.map((t) => t.id), ["T1"]);
});

function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return !/^\d+ \([^)]*\) Z/.test(stat);
  } catch {
    return false;
  }
}

Deno.test("command: the timeout stops the command and what it started", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const started = performance.now();
    await rejectsWith(run(`sleep 30 & echo $! > '${dir}/pid'; wait`, 500), (m) =>
      assert.equal(
        m,
        `Planner command "sleep 30 & echo $! > '${dir}/pid'; wait" did not finish within 500 ms and was stopped: make it faster or raise the planner timeout.`,
      ));
    assert.ok(performance.now() - started < 10_000);
    const pid = Number(await Deno.readTextFile(`${dir}/pid`));
    assert.ok(pid > 0);
    // A signal is delivered asynchronously: give the kernel a moment.
    for (let i = 0; i < 40 && alive(pid); i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(alive(pid), false, "the background sleep survived");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("command: a command that ignores SIGTERM is killed after the grace period", async () => {
  const started = performance.now();
  await rejectsWith(
    run("trap '' TERM; sleep 20", 300),
    (m) => assert.match(m, /did not finish within 300 ms/),
  );
  assert.ok(performance.now() - started < 10_000);
});

Deno.test("command: an abort signal stops the command and rejects with its reason", async () => {
  const ac = new AbortController();
  const reason = new Error("node lost the election");
  setTimeout(() => ac.abort(reason), 200);
  const started = performance.now();
  await assert.rejects(run("sleep 30", 60_000, ac.signal), (e: unknown) => e === reason);
  assert.ok(performance.now() - started < 10_000);
  // Already aborted: nothing runs.
  await assert.rejects(run("echo '[]'", 1000, ac.signal), (e: unknown) => e === reason);
});

Deno.test("command: an empty command is refused", async () => {
  await rejectsWith(
    run("  "),
    (m) => assert.equal(m, "The planner command is empty: pass --planner-cmd CMD."),
  );
});
