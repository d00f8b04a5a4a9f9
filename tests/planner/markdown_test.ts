import assert from "node:assert/strict";
import { GraphValidationError } from "../../src/protocol/graph.ts";
import {
  hasTaskList,
  markdownPlanner,
  parseEstimate,
  parseMarkdownPlan,
  titleSlug,
} from "../../src/planner/markdown.ts";
import { PlannerError } from "../../src/planner/planner.ts";
import type { PlanTask } from "../../src/protocol/types.ts";
import { readFixture } from "./helpers.ts";

const plan = (body: string) => markdownPlanner().plan({ number: 42, title: "Search", body });

function ids(tasks: PlanTask[]): string[] {
  return tasks.map((t) => t.id);
}

Deno.test("markdown: the hand-written search plan fixture", async () => {
  const tasks = await plan(await readFixture("issue-search.md"));
  assert.deepEqual(tasks, [
    {
      id: "T1",
      title: "Add a search index table",
      priority: "high",
      deps: [],
      body: "Add a search index table\n\n" +
        "- Migration creates `item_search` with a `tsvector` column.\n" +
        "- Backfill existing rows in batches of 1,000.",
      group: "Backend",
      estimateHours: 3,
    },
    {
      id: "T2",
      title: "Search endpoint `GET /api/search`",
      priority: "high",
      deps: ["T1"],
      body: "Search endpoint `GET /api/search`\n\n" +
        "It accepts `q`, `cursor` and `limit` (max 100).\n\n" +
        "Return 400 on an empty `q`; see [the API guide](https://example.com/api) for errors.",
      group: "Backend",
      estimateHours: 8,
    },
    {
      // The dependency on the checked item is dropped: a person did it.
      id: "reindex-an-item-when-it-changes",
      title: "Reindex an item when it changes",
      priority: "medium",
      deps: ["T1"],
      group: "Backend",
      estimateHours: 1.5,
    },
    {
      id: "search-box-in-the-header",
      title: "Search box in the header",
      priority: "medium",
      deps: ["T2"],
      body: "Search box in the header\n\n" +
        "- [ ] debounce input by 250 ms\n- [ ] focus it with the `/` key",
      group: "Frontend",
    },
    {
      // Annotation-only sub-items are annotations, not body text; the
      // dependency names a title.
      id: "results-page-with-pagination",
      title: "Results page with pagination",
      priority: "medium",
      deps: ["search-box-in-the-header"],
      group: "Frontend",
      estimateHours: 1.5,
    },
    {
      id: "document-the-search-api",
      title: "Document the search API",
      priority: "low",
      deps: ["T2"],
      group: "Docs and tests",
    },
    {
      id: "write-end-to-end-tests",
      title: "Write end-to-end tests",
      priority: "high",
      deps: ["T2", "results-page-with-pagination"],
      group: "Docs and tests",
    },
  ]);
  const { done } = parseMarkdownPlan(await readFixture("issue-search.md"));
  assert.deepEqual(done, ["choose-between-postgres-fts-and-meilisearch"]);
});

Deno.test("markdown: ids are stable when items are reordered, added or checked", () => {
  const before = parseMarkdownPlan(
    "- [ ] Add the API\n- [ ] Add the UI (after: Add the API)\n- [ ] T9: Ship it (after: add-the-ui)",
  ).tasks;
  const after = parseMarkdownPlan(
    "- [ ] A brand new first item\n- [ ] T9: Ship it (after: add-the-ui)\n" +
      "- [ ] Add the UI (after: Add the API)\n- [x] Add the API\n- [ ] Another new one",
  ).tasks;
  const byId = (ts: PlanTask[]) => new Map(ts.map((t) => [t.id, t]));
  assert.deepEqual(ids(before), ["add-the-api", "add-the-ui", "T9"]);
  assert.deepEqual(ids(after), ["a-brand-new-first-item", "T9", "add-the-ui", "another-new-one"]);
  assert.deepEqual(byId(before).get("T9")!.deps, ["add-the-ui"]);
  assert.deepEqual(byId(after).get("T9")!.deps, ["add-the-ui"]);
  // The checked dependency is satisfied, so dropped.
  assert.deepEqual(byId(before).get("add-the-ui")!.deps, ["add-the-api"]);
  assert.deepEqual(byId(after).get("add-the-ui")!.deps, []);
});

Deno.test("markdown: leading id tokens in every written form", () => {
  const { tasks } = parseMarkdownPlan(
    [
      "- [ ] T1: colon form",
      "- [ ] **T2** bold form",
      "- [ ] **T3:** bold colon form",
      "- [ ] [T4] bracket form",
      "- [ ] `T5`: code form",
      "- [ ] Step 1: a title, not an id",
      "- [ ] Backend: no digit, not an id",
      "- [ ] **Important** bold word, not an id",
      "- [ ] T6: explicit id wins (id: custom-6)",
    ].join("\n"),
  );
  assert.deepEqual(ids(tasks), [
    "T1",
    "T2",
    "T3",
    "T4",
    "T5",
    "step-1-a-title-not-an-id",
    "backend-no-digit-not-an-id",
    "important-bold-word-not-an-id",
    "custom-6",
  ]);
  assert.deepEqual(tasks.map((t) => t.title).slice(0, 5), [
    "colon form",
    "bold form",
    "bold colon form",
    "bracket form",
    "code form",
  ]);
  assert.equal(tasks[5]!.title, "Step 1: a title, not an id");
  // The leading token is still taken off the title when an explicit id wins.
  assert.equal(tasks[8]!.title, "explicit id wins");
});

Deno.test("markdown: slug collisions resolve deterministically", () => {
  const body = "## API\n- [ ] Write tests\n## UI\n- [ ] Write tests\n- [ ] Write tests\n" +
    "- [ ] Deploy (id: write-tests-2)";
  const first = parseMarkdownPlan(body).tasks;
  assert.deepEqual(ids(first), ["write-tests", "write-tests-3", "write-tests-4", "write-tests-2"]);
  assert.deepEqual(first.map((t) => t.group), ["API", "UI", "UI", "UI"]);
  assert.deepEqual(ids(parseMarkdownPlan(body).tasks), ids(first));
});

Deno.test("markdown: slugs are ASCII, bounded, and never empty", () => {
  assert.equal(titleSlug("Add the **search** endpoint!"), "add-the-search-endpoint");
  assert.equal(titleSlug("Créer l'index — vite"), "creer-l-index-vite");
  assert.equal(titleSlug("Read [the docs](https://example.com/x) first"), "read-the-docs-first");
  const long = titleSlug("word ".repeat(30));
  assert.ok(long.length <= 48 && !long.endsWith("-"), long);
  assert.match(titleSlug("检索"), /^task-[0-9a-f]{8}$/);
  assert.notEqual(titleSlug("检索"), titleSlug("搜索"));
});

Deno.test("markdown: annotation forms are removed from the title", () => {
  const { tasks } = parseMarkdownPlan(
    [
      "- [ ] T1: First",
      "- [ ] T2: Parens (after: T1, priority: critical, est: 30m)",
      "- [ ] T3: Brackets [depends on: T1] [prio: p3] and a (remark) that stays",
      "- [ ] T4: Dash — depends: T1; T2 | est: 2d",
      "- [ ] T5: Pipe | needs: T1 and T2 | estimate: 1w",
      "- [ ] T6: Double dash -- blocked by: T3 -- priority: urgent",
      "- [ ] T7: Braces {deps: T1 T2} {est: 1.5}",
      "- [ ] T8: A [link](https://example.com/(id:x)) stays, so does a-b - c",
    ].join("\n"),
  );
  const got = tasks.map((t) => [t.id, t.title, t.priority, t.deps, t.estimateHours]);
  assert.deepEqual(got, [
    ["T1", "First", "medium", [], undefined],
    ["T2", "Parens", "critical", ["T1"], 0.5],
    ["T3", "Brackets and a (remark) that stays", "low", ["T1"], undefined],
    ["T4", "Dash", "medium", ["T1", "T2"], 16],
    ["T5", "Pipe", "medium", ["T1", "T2"], 40],
    ["T6", "Double dash", "critical", ["T3"], undefined],
    ["T7", "Braces", "medium", ["T1", "T2"], 1.5],
    ["T8", "A [link](https://example.com/(id:x)) stays, so does a-b - c", "medium", [], undefined],
  ]);
});

Deno.test("markdown: estimates", () => {
  assert.equal(parseEstimate("4h"), 4);
  assert.equal(parseEstimate("30m"), 0.5);
  assert.equal(parseEstimate("90 min"), 1.5);
  assert.equal(parseEstimate("2d"), 16);
  assert.equal(parseEstimate("1w"), 40);
  assert.equal(parseEstimate("1h30m"), 1.5);
  assert.equal(parseEstimate("1h 20m"), 1.33);
  assert.equal(parseEstimate("2 hours"), 2);
  assert.equal(parseEstimate("~3"), 3);
  assert.equal(parseEstimate("soon"), undefined);
  assert.equal(parseEstimate("4 parsecs"), undefined);
  assert.equal(parseEstimate("4hx"), undefined);
  assert.equal(parseEstimate(""), undefined);
});

Deno.test("markdown: nested items, extra lines and numbered lists", () => {
  const { tasks } = parseMarkdownPlan(
    "1. [ ] Build the importer\n   Reads CSV from `stdin`.\n   - handles quotes\n     and escapes\n" +
      "   - [x] nested task items stay in the body\n\n" +
      "   ```sh\n   importer < data.csv\n   ```\n2. [ ] Second",
  );
  assert.deepEqual(ids(tasks), ["build-the-importer", "second"]);
  assert.equal(
    tasks[0]!.body,
    "Build the importer\n\nReads CSV from `stdin`.\n\n" +
      "- handles quotes\n  and escapes\n- [x] nested task items stay in the body\n\n" +
      "```sh\nimporter < data.csv\n```",
  );
  assert.equal(tasks[1]!.body, undefined);
});

Deno.test("markdown: task lists nested in plain items count; quoted ones do not", () => {
  const body =
    "- Backend\n  - [ ] T1: Add API\n- Frontend\n  - [ ] T2: Add UI\n\n> - [ ] T3: quoted";
  assert.deepEqual(ids(parseMarkdownPlan(body).tasks), ["T1", "T2"]);
  assert.equal(hasTaskList("> - [ ] only quoted"), false);
  assert.equal(hasTaskList("- [x] done"), true);
  assert.equal(hasTaskList("Just prose.\n\n- a list\n- [not a box]"), false);
  assert.equal(hasTaskList("```\n- [ ] in code\n```"), false);
});

Deno.test("markdown: CRLF bodies (as the GitHub API returns them) parse the same", () => {
  const lf = "## A\n- [ ] T1: One (priority: high)\n  - detail\n- [ ] T2: Two — after: T1\n";
  assert.deepEqual(parseMarkdownPlan(lf.replaceAll("\n", "\r\n")), parseMarkdownPlan(lf));
});

Deno.test("markdown: dependencies by title are matched without emphasis, case or spacing", () => {
  const { tasks } = parseMarkdownPlan(
    "- [ ] Set up the **database**\n- [ ] Seed data (after: set up the  database)",
  );
  assert.deepEqual(tasks[1]!.deps, ["set-up-the-database"]);
});

Deno.test("markdown: no task list is a clear error", async () => {
  await assert.rejects(plan("We should add search.\n\n- maybe later"), (e: unknown) => {
    assert.ok(e instanceof PlannerError);
    assert.equal(e.planner, "markdown");
    assert.equal(
      e.message,
      'Issue #42 has no task list: write the plan as GitHub task-list items such as "- [ ] Add the API (priority: high)".',
    );
    return true;
  });
});

Deno.test("markdown: everything checked is a clear error", async () => {
  await assert.rejects(plan("- [x] One\n- [X] Two"), {
    name: "PlannerError",
    message:
      "Every task-list item of issue #42 is checked (done): nothing is left to plan; uncheck or add an item.",
  });
});

Deno.test("markdown: unknown priority and bad estimate name the line", async () => {
  await assert.rejects(plan("- [ ] T1: One\n- [ ] T2: Two (priority: hgh, est: a while)"), {
    name: "PlannerError",
    message: "The task list of issue #42 has 2 problems:\n" +
      '- Line 2: task "T2" has unknown priority "hgh": use critical, high, medium or low.\n' +
      '- Line 2: task "T2" has estimate "a while" that is not a duration: write it like 30m, 4h, 2d or 1w.',
  });
});

Deno.test("markdown: an ambiguous title reference asks for an id", async () => {
  await assert.rejects(plan("## A\n- [ ] Tests\n## B\n- [ ] Tests\n- [ ] Ship (after: Tests)"), {
    message: "The task list of issue #42 has a problem: Line 5: dependency " +
      '"Tests" of task "ship" matches 2 tasks by title ("tests", "tests-2"): refer to one of them by id.',
  });
});

Deno.test("markdown: graph problems come from assertValidGraph", async () => {
  await assert.rejects(
    plan("- [ ] T1: One (after: T3)\n- [ ] T2: Two (after: T1)\n- [ ] T3: Three (after: T2)"),
    (e: unknown) => {
      assert.ok(e instanceof PlannerError);
      assert.ok(e.cause instanceof GraphValidationError);
      assert.equal(
        e.message,
        "The task list of issue #42 is not a valid plan: " +
          "Dependency cycle: T1 -> T3 -> T2 -> T1: remove one of these dependencies.",
      );
      return true;
    },
  );
  await assert.rejects(plan("- [ ] T1: One (after: Two)"), {
    message: "The task list of issue #42 is not a valid plan: " +
      'Task "T1" depends on unknown task "Two": add a task with id "Two" or remove the dependency.',
  });
  await assert.rejects(plan("- [ ] T1: One\n- [ ] T1: Again"), {
    message: "The task list of issue #42 is not a valid plan: " +
      'Duplicate task id "T1" (tasks 1 and 2): give each task its own id.',
  });
  await assert.rejects(plan("- [ ] T1: One (id: has space)"), {
    message: "The task list of issue #42 is not a valid plan: " +
      'Invalid task id "has space" (task 1): use 1 to 64 letters, digits, "-", "_" or ".".',
  });
});

Deno.test("markdown: an aborted signal stops planning", async () => {
  const ac = new AbortController();
  ac.abort(new Error("stop"));
  await assert.rejects(
    markdownPlanner().plan({ number: 1, title: "x", body: "- [ ] a" }, ac.signal),
    {
      message: "stop",
    },
  );
});

Deno.test("markdown: text that looks like a check box after the real one stays", () => {
  const { tasks } = parseMarkdownPlan(
    "- [ ] [x] marks the spot\n- [ ] [ ] empty box art\n* [x] done",
  );
  assert.deepEqual(tasks.map((t) => t.title), ["[x] marks the spot", "[ ] empty box art"]);
});

Deno.test("markdown: annotation values may be code spans", () => {
  const { tasks } = parseMarkdownPlan(
    "- [ ] `T1`: One (id: `api-1`)\n- [ ] Two (after: `api-1`) — est: `2h`",
  );
  assert.deepEqual(tasks.map((t) => [t.id, t.title, t.deps, t.estimateHours]), [
    ["api-1", "One", [], undefined],
    ["two", "Two", ["api-1"], 2],
  ]);
});

Deno.test("markdown: annotation-only sub-items accept the same value forms", () => {
  const { tasks } = parseMarkdownPlan(
    "- [ ] T1: One\n- [ ] T2: Two\n  - after: `T1`\n  - est: `45m`\n  - priority: **high**\n  - note: this stays",
  );
  assert.deepEqual(tasks[1], {
    id: "T2",
    title: "Two",
    priority: "high",
    deps: ["T1"],
    estimateHours: 0.75,
    body: "Two\n\n- note: this stays",
  });
});
