import assert from "node:assert/strict";
import { choosePlanner, findExecutable, type PlannerKind } from "../../src/planner/select.ts";
import { PlannerError } from "../../src/planner/planner.ts";
import { singleTaskPlanner } from "../../src/planner/single.ts";
import { makeFakeClaude } from "./helpers.ts";

const withList = {
  number: 3,
  title: "Search",
  body: "Plan:\n\n- [ ] T1: Add API\n- [ ] T2: Add UI (after: T1)",
};
const prose = { number: 4, title: "Fix the login page", body: "It crashes on Safari." };

Deno.test("choosePlanner auto: a task list means the Markdown planner", async () => {
  const c = await choosePlanner({ issue: withList, path: "" });
  assert.equal(c.name, "markdown");
  assert.equal(c.planner.name, "markdown");
  assert.equal(c.reason, "Issue #3 has a task list.");
  assert.deepEqual((await c.planner.plan(withList)).map((t) => [t.id, t.deps]), [
    ["T1", []],
    ["T2", ["T1"]],
  ]);
});

Deno.test("choosePlanner auto: no task list and claude on PATH means Claude Code", async () => {
  const fake = await makeFakeClaude("valid");
  try {
    const c = await choosePlanner({ issue: prose, path: `/nonexistent:${fake.dir}` });
    assert.equal(c.name, "claude");
    assert.equal(
      c.reason,
      `Issue #4 has no task list and Claude Code is installed (${fake.path}).`,
    );
    const tasks = await c.planner.plan(prose);
    assert.deepEqual(tasks.map((t) => t.title), [
      "Design Fix the login page",
      "Build Fix the login page",
    ]);
    assert.equal((await fake.calls()).filter((c) => c.args[0] === "-p").length, 1);
  } finally {
    await fake.remove();
  }
});

Deno.test("choosePlanner auto: no task list and no claude means one task", async () => {
  const c = await choosePlanner({ issue: prose, path: "/nonexistent" });
  assert.equal(c.name, "single");
  assert.equal(
    c.reason,
    'Issue #4 has no task list and "claude" was not found: the whole issue is one task.',
  );
  assert.deepEqual(await c.planner.plan(prose), [{
    id: "issue-4",
    title: "Fix the login page",
    body: "Fix the login page\n\nIt crashes on Safari.",
    priority: "medium",
    deps: [],
  }]);
});

Deno.test("choosePlanner auto: --planner-cmd wins over the issue's task list", async () => {
  const c = await choosePlanner({
    issue: withList,
    plannerCmd: `echo '[{"id":"only","title":"From the command"}]'`,
    path: "",
  });
  assert.equal(c.name, "command");
  assert.deepEqual((await c.planner.plan(withList)).map((t) => t.id), ["only"]);
});

Deno.test("choosePlanner: explicit kinds are taken as asked", async () => {
  assert.equal(
    (await choosePlanner({ planner: "markdown", issue: prose, path: "" })).name,
    "markdown",
  );
  const fake = await makeFakeClaude("valid");
  try {
    const c = await choosePlanner({
      planner: "claude",
      issue: withList,
      claudePath: fake.path,
      model: "opus",
      plannerMaxTurns: 7,
    });
    assert.equal(c.name, "claude");
    await c.planner.plan(withList);
    const call = (await fake.calls()).find((c) => c.args[0] === "-p");
    assert.deepEqual(call!.args.slice(4, 6), ["--max-turns", "7"]);
    assert.deepEqual(call!.args.slice(-2), ["--model", "opus"]);
  } finally {
    await fake.remove();
  }
  const cmd = await choosePlanner({ planner: "command", plannerCmd: "true", issue: prose });
  assert.equal(cmd.name, "command");
});

Deno.test("choosePlanner: a command planner without a command, or an unknown kind, is an error", async () => {
  await assert.rejects(choosePlanner({ planner: "command", issue: prose }), {
    name: "PlannerError",
    message: "--planner command needs the command to run: pass --planner-cmd CMD.",
  });
  await assert.rejects(
    choosePlanner({ planner: "gpt" as PlannerKind, issue: prose }),
    (e: unknown) => {
      assert.ok(e instanceof PlannerError);
      assert.equal(
        e.message,
        'Unknown planner "gpt": use one of "auto", "markdown", "command", "claude".',
      );
      return true;
    },
  );
});

Deno.test("findExecutable: only executable files count", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/tool`, "#!/bin/sh\n");
    assert.equal(await findExecutable("tool", dir), undefined, "not executable yet");
    await Deno.chmod(`${dir}/tool`, 0o755);
    assert.equal(await findExecutable("tool", `/nonexistent::${dir}/`), `${dir}/tool`);
    assert.equal(await findExecutable(`${dir}/tool`, ""), `${dir}/tool`);
    await Deno.mkdir(`${dir}/sub`);
    assert.equal(await findExecutable("sub", dir), undefined, "a directory is not a program");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("singleTaskPlanner: a blank title falls back to the issue number", async () => {
  assert.deepEqual(await singleTaskPlanner().plan({ number: 8, title: "  ", body: "" }), [{
    id: "issue-8",
    title: "Issue #8",
    body: "Issue #8",
    priority: "medium",
    deps: [],
  }]);
});
