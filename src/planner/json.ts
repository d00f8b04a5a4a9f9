/**
 * The task-graph JSON that external planners (a command, Claude Code) print,
 * checked field by field so a mistake names its path and expected type.
 *
 * Accepted shapes: `[{...}, ...]` or `{ "tasks": [{...}, ...] }`; each task has
 * `id` (string; an integer is accepted and becomes a string), `title`
 * (string), and optionally `body` (string), `priority` (`critical`, `high`,
 * `medium`, `low`, any case; default `medium`), `deps` or `after` (list of
 * ids; both are merged), `group` (string), `estimateHours` (number of hours,
 * 0 or more). `null` counts as absent for optional fields; unknown fields are
 * ignored.
 *
 * @module
 */
import type { PlanTask, Priority } from "../protocol/types.ts";

/**
 * The JSON does not have the task-list shape. `path` locates the field,
 * like `tasks[2].deps[0]`.
 *
 * @example
 * ```ts
 * try {
 *   tasksFromJson([{ id: "T1" }]);
 * } catch (e) {
 *   if (e instanceof TaskJsonError) console.log(e.path); // "[0].title"
 * }
 * ```
 */
export class TaskJsonError extends Error {
  /** Where the problem is; empty for the top level. */
  readonly path: string;

  /** Builds the error. */
  constructor(path: string, message: string) {
    super(message);
    this.name = "TaskJsonError";
    this.path = path;
  }
}

/**
 * Describes a JSON value's type (and a short excerpt) for an error message.
 *
 * @example
 * ```ts
 * describeJsonValue(5); // "the number 5"
 * ```
 */
export function describeJsonValue(v: unknown): string {
  if (v === null) return "null";
  if (v === undefined) return "nothing";
  if (Array.isArray(v)) return "an array";
  switch (typeof v) {
    case "string":
      return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
    case "number":
      return `the number ${v}`;
    case "boolean":
      return `the boolean ${v}`;
    case "object":
      return "an object";
    default:
      return typeof v;
  }
}

function fail(path: string, expected: string, got: unknown): never {
  throw new TaskJsonError(
    path,
    `Field ${JSON.stringify(path)} must be ${expected}, got ${describeJsonValue(got)}.`,
  );
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function idLike(v: unknown, path: string): string {
  if (typeof v === "string") return v;
  if (typeof v === "number" && Number.isSafeInteger(v)) return String(v);
  return fail(path, "a string", v);
}

function optString(obj: Record<string, unknown>, key: string, path: string): string | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  return typeof v === "string" ? v : fail(`${path}.${key}`, "a string", v);
}

function idList(obj: Record<string, unknown>, key: string, path: string): string[] {
  const v = obj[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) return fail(`${path}.${key}`, "a list of task ids", v);
  return v.map((d, i) => idLike(d, `${path}.${key}[${i}]`));
}

/**
 * Converts a parsed JSON value into tasks, checking every field's type.
 * Graph-level checks (unique ids, known dependencies, cycles, priority
 * values) are left to `assertValidGraph`.
 *
 * @example
 * ```ts
 * tasksFromJson({ tasks: [{ id: "T1", title: "Add API", after: [] }] });
 * // [{ id: "T1", title: "Add API", priority: "medium", deps: [] }]
 * ```
 */
export function tasksFromJson(value: unknown): PlanTask[] {
  let list: unknown[];
  let base: string;
  if (Array.isArray(value)) {
    list = value;
    base = "";
  } else if (isObject(value) && Array.isArray(value.tasks)) {
    list = value.tasks;
    base = "tasks";
  } else if (isObject(value) && "tasks" in value) {
    return fail("tasks", "a list of tasks", value.tasks);
  } else {
    throw new TaskJsonError(
      "",
      `Expected a JSON array of tasks or an object with a "tasks" array, got ${
        describeJsonValue(value)
      }${isObject(value) ? ` with keys ${keyList(value)}` : ""}.`,
    );
  }
  return list.map((raw, i) => {
    const path = `${base}[${i}]`;
    if (!isObject(raw)) return fail(path, "an object", raw);
    const id = idLike(raw.id, `${path}.id`);
    const title = typeof raw.title === "string"
      ? raw.title
      : fail(`${path}.title`, "a string", raw.title);
    const priorityRaw = optString(raw, "priority", path);
    const deps = [...new Set([...idList(raw, "deps", path), ...idList(raw, "after", path)])];
    const task: PlanTask = {
      id,
      title,
      priority: (priorityRaw?.trim().toLowerCase() ?? "medium") as Priority,
      deps,
    };
    const body = optString(raw, "body", path);
    if (body !== undefined) task.body = body;
    const group = optString(raw, "group", path);
    if (group !== undefined) task.group = group;
    const est = raw.estimateHours;
    if (est !== undefined && est !== null) {
      if (typeof est !== "number" || !Number.isFinite(est) || est < 0) {
        fail(`${path}.estimateHours`, "a number of hours (0 or more)", est);
      }
      task.estimateHours = est;
    }
    return task;
  });
}

function keyList(obj: Record<string, unknown>): string {
  const keys = Object.keys(obj);
  if (keys.length === 0) return "none";
  const shown = keys.slice(0, 5).map((k) => JSON.stringify(k)).join(", ");
  return keys.length > 5 ? `${shown}, …` : shown;
}

/**
 * Parses JSON text, throwing a {@linkcode TaskJsonError} that quotes the first
 * 200 characters when it is not JSON.
 *
 * @example
 * ```ts
 * parseJsonText('[{"id":"T1","title":"Add API"}]');
 * ```
 */
export function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const trimmed = text.trim();
    const excerpt = trimmed.length > 200 ? `${trimmed.slice(0, 200)}…` : trimmed;
    throw new TaskJsonError(
      "",
      trimmed === ""
        ? "Expected JSON, got empty output: print the task list as JSON."
        : `Expected JSON (${(e as Error).message}), got: ${JSON.stringify(excerpt)}.`,
    );
  }
}
