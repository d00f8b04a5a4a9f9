/**
 * The Markdown planner (the default): the GitHub task list in the issue body
 * is the plan, so a person can write a plan by hand.
 *
 * ```md
 * ## Backend
 * - [ ] **T1** Add the search endpoint (priority: high, est: 4h)
 *   - Query the `items` table; paginate with cursors.
 * - [ ] T2: Index items nightly — after: T1 | est: 2h
 * - [x] Pick a search library
 *
 * ## Frontend
 * - [ ] Search box [after: T1, Pick a search library] [priority: low]
 * ```
 *
 * Rules:
 * - Task items are GitHub task-list items (`- [ ]`, `- [x]`, also numbered),
 *   parsed with a real Markdown parser (micromark with GFM); items inside
 *   block quotes are not tasks (a quoted plan is not ours). Task lists nested
 *   in plain list items count.
 * - The nearest heading above an item becomes its `group`.
 * - Annotations, removed from the title: `priority: high` (critical, high,
 *   medium, low; also p0–p3, urgent, normal, minor), `after: T1, T2` (also
 *   `depends:`, `depends on:`, `deps:`, `needs:`, `blocked by:`), `est: 4h`
 *   (also `estimate:`; units m, h, d = 8 h, w = 40 h, combined like `1h30m`;
 *   a bare number is hours), `id: T7`. They go in `( )`, `[ ]` or `{ }`, or
 *   after a ` — `, ` – `, ` -- ` or ` | ` separator, or in a nested plain item
 *   of their own (`  - after: T1`). Several keys may share one group:
 *   `(after: T1, T2, priority: high)`.
 * - Ids, stable across edits: an explicit `id:` wins; otherwise a leading
 *   token that holds a digit, written `T1:`, `**T1**`, `**T1:**`, `[T1]` or
 *   `` `T1`: ``; otherwise a slug of the title (`Add the search endpoint` ->
 *   `add-the-search-endpoint`), so reordering or adding other items changes no
 *   id. When slugs collide, the first item in document order keeps the slug
 *   and later ones get `-2`, `-3`, ... (skipping ids already taken).
 * - Dependencies name ids or exact titles (compared without Markdown
 *   emphasis, case and extra spaces); separate them with `,`, `;` or `and`
 *   (titles that contain these must be referred to by id).
 * - Checked items (`- [x]`) were done by a person: they are left out of the
 *   plan, and dependencies on them count as satisfied (they are dropped).
 *   They still take part in id assignment, so checking an item changes no
 *   other item's id.
 * - The item's further lines, paragraphs and nested items (also nested task
 *   items) go into the task's body, after the title.
 *
 * @module
 */
import { fromMarkdown } from "mdast-util-from-markdown";
import { gfmFromMarkdown } from "mdast-util-gfm";
import { gfm } from "micromark-extension-gfm";
import { assertValidGraph, GraphValidationError } from "../protocol/graph.ts";
import type { PlanTask, Priority } from "../protocol/types.ts";
import { type IssueInput, type Planner, PlannerError } from "./planner.ts";

type Root = ReturnType<typeof fromMarkdown>;
type MdNode = Root["children"][number];
type MdList = Extract<MdNode, { type: "list" }>;
type MdListItem = MdList["children"][number];

/** Annotations found on an item. */
interface Annotations {
  id?: string;
  priority?: string;
  estimate?: string;
  deps: string[];
}

/** A task-list item before ids and dependencies are resolved. */
interface RawItem {
  line: number;
  checked: boolean;
  title: string;
  leadId?: string;
  ann: Annotations;
  group?: string;
  details: string;
}

/**
 * The Markdown plan of an issue body, before graph validation.
 *
 * @example
 * ```ts
 * const { tasks, done, problems }: MarkdownPlan = parseMarkdownPlan("- [ ] Add API");
 * ```
 */
export interface MarkdownPlan {
  /** Open (unchecked) items as tasks, in document order. */
  tasks: PlanTask[];
  /** Ids of checked items: done by a person, left out of `tasks`. */
  done: string[];
  /** Problems the parser found (line-numbered); empty when none. */
  problems: string[];
}

const KEY_RE =
  /(?<![\w-])(priority|prio|after|depends[ _-]on|depends|deps|needs|blocked[ _-]by|estimate|est|id)\s*:/gi;

/** Reads `key: value, key: value` text; undefined unless it starts with a known key. */
function parseAnnotationText(text: string): Annotations | undefined {
  const t = text.trim();
  const matches = [...t.matchAll(KEY_RE)];
  if (matches.length === 0 || matches[0]!.index !== 0) return undefined;
  const ann: Annotations = { deps: [] };
  matches.forEach((m, i) => {
    const next = matches[i + 1];
    // Trim separators around the value: spaces , ; | — – and a " --".
    const value = t.slice(m.index + m[0].length, next ? next.index : t.length)
      .replace(/^(?:[\s,;|—–]|--\s)+|(?:[\s,;|—–]|\s--)+$/g, "");
    const key = m[1]!.toLowerCase().replace(/[ _-]+/g, " ");
    if (key === "priority" || key === "prio") ann.priority = value;
    else if (key === "estimate" || key === "est") ann.estimate = value;
    else if (key === "id") ann.id = stripRef(value);
    else ann.deps.push(...splitRefs(value));
  });
  return ann;
}

function splitRefs(value: string): string[] {
  return value.split(/\s*[,;]\s*/).map(stripRef).filter((r) => r !== "");
}

/** Removes wrapping backticks, quotes and emphasis from a reference. */
function stripRef(ref: string): string {
  return ref.trim().replace(/^[`"'*_]+|[`"'*_]+$/g, "").trim();
}

function mergeAnn(into: Annotations, from: Annotations): void {
  if (from.id !== undefined) into.id = from.id;
  if (from.priority !== undefined) into.priority = from.priority;
  if (from.estimate !== undefined) into.estimate = from.estimate;
  into.deps.push(...from.deps);
}

/**
 * Code spans, link destinations, autolinks and bare URLs: text in which
 * brackets and `key:` are not annotations.
 */
const PROTECTED_RE =
  /(`+)(?:(?!\1)[^])*?\1|\]\((?:[^()\s]|\([^()]*\))*\)|<[^<>\s]+>|https?:\/\/[^\s<>]+/g;

/**
 * Takes the annotations out of an item's text (a paragraph, possibly several
 * lines) into `ann` and returns the rest; with `whole`, text that starts with
 * a key is all annotations.
 */
function extractAnnotations(line: string, ann: Annotations, whole = false): string {
  // Hide protected spans behind placeholders, restored afterwards.
  const hidden: string[] = [];
  const masked = line.replace(PROTECTED_RE, (m) => `\uE000${hidden.push(m) - 1}\uE000`);
  const restore = (s: string) => s.replace(/\uE000(\d+)\uE000/g, (_, i) => hidden[Number(i)]!);
  const found: Annotations = { deps: [] };
  const all = whole ? parseAnnotationText(masked) : undefined;
  if (all) mergeAnn(found, all);
  const text = all ? "" : extractMasked(masked, found);
  if (found.id !== undefined) ann.id = stripRef(restore(found.id));
  if (found.priority !== undefined) ann.priority = stripRef(restore(found.priority));
  if (found.estimate !== undefined) ann.estimate = stripRef(restore(found.estimate));
  ann.deps.push(...found.deps.map((d) => stripRef(restore(d))));
  return restore(text);
}

/**
 * Removes annotation groups (which may wrap across lines) and, per line, an
 * annotation tail after a separator. Keeps the line breaks.
 */
function extractMasked(text: string, ann: Annotations): string {
  const rest = text.replace(
    /\(([^()]*)\)|\[([^[\]]*)\](?![([])|\{([^{}]*)\}/g,
    (whole: string, a?: string, b?: string, c?: string) => {
      const parsed = parseAnnotationText(a ?? b ?? c ?? "");
      if (!parsed) return whole;
      mergeAnn(ann, parsed);
      return " ";
    },
  );
  return rest.split("\n").map((line) => {
    for (const m of line.matchAll(/[ \t]*[—–][ \t]*|[ \t]+(?:--|\|)[ \t]+/g)) {
      const parsed = parseAnnotationText(line.slice(m.index + m[0].length));
      if (parsed) {
        mergeAnn(ann, parsed);
        line = line.slice(0, m.index);
        break;
      }
    }
    return line.replace(/[ \t]+/g, " ").trim();
  }).join("\n");
}

const LEAD_RES: RegExp[] = [
  /^\*\*([A-Za-z0-9._-]{1,64}?):?\*\*\s*:?\s*/,
  /^\[([A-Za-z0-9._-]{1,64})\](?![([])\s*:?\s*/,
  /^`([A-Za-z0-9._-]{1,64})`\s*:\s*/,
  /^([A-Za-z0-9._-]{1,64}):\s+/,
];

/** Splits a leading id token (one that holds a digit) off a title. */
function leadingId(title: string): { id?: string; title: string } {
  for (const re of LEAD_RES) {
    const m = re.exec(title);
    if (m && /\d/.test(m[1]!)) return { id: m[1]!, title: title.slice(m[0].length).trim() };
  }
  return { title };
}

/** Plain text of inline Markdown, for slugs and title matching. */
function plainTitle(title: string): string {
  return title
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/[`*_~]/g, "")
    .replace(/\s+/g, " ")
    .trim();
}

function normTitle(title: string): string {
  return plainTitle(title).toLowerCase();
}

/** FNV-1a, 32-bit, hex: a short deterministic hash. */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}

/**
 * The id slug of a title: lower-case ASCII letters, digits and `-`, at most
 * 48 characters (cut at a word boundary when possible); `task-<hash>` when
 * the title has no ASCII letters or digits.
 *
 * @example
 * ```ts
 * titleSlug("Add the **search** endpoint!"); // "add-the-search-endpoint"
 * ```
 */
export function titleSlug(title: string): string {
  let s = plainTitle(title).normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
    .replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
  if (s.length > 48) {
    const cut = s.lastIndexOf("-", 48);
    s = s.slice(0, cut >= 24 ? cut : 48).replace(/-+$/, "");
  }
  return s === "" ? `task-${fnv1a(plainTitle(title))}` : s;
}

/**
 * Parses an estimate into hours: `30m`, `4h`, `1.5h`, `2d` (8 h a day), `1w`
 * (40 h), `1h30m`, `90 min`, `3` (hours). Undefined when it is not one.
 *
 * @example
 * ```ts
 * parseEstimate("1h30m"); // 1.5
 * ```
 */
export function parseEstimate(text: string): number | undefined {
  const s = text.trim().toLowerCase().replace(/^~\s*/, "");
  if (/^\d+(?:\.\d+)?$/.test(s)) return Number(s);
  const unit: Record<string, number> = { m: 1 / 60, h: 1, d: 8, w: 40 };
  const re =
    /(\d+(?:\.\d+)?)\s*(minutes?|mins?|m|hours?|hrs?|h|days?|d|weeks?|wks?|w)(?![a-z])\s*,?\s*/gy;
  let hours = 0;
  let at = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    hours += Number(m[1]) * unit[m[2]!.startsWith("mi") || m[2] === "m" ? "m" : m[2]![0]!]!;
    at = re.lastIndex;
  }
  if (at === 0 || at !== s.length) return undefined;
  return Math.round(hours * 100) / 100;
}

const PRIORITY_ALIASES: Record<string, Priority> = {
  critical: "critical",
  crit: "critical",
  urgent: "critical",
  blocker: "critical",
  p0: "critical",
  high: "high",
  hi: "high",
  p1: "high",
  medium: "medium",
  med: "medium",
  normal: "medium",
  p2: "medium",
  low: "low",
  lo: "low",
  minor: "low",
  p3: "low",
};

function offsetOf(point: { offset?: number | undefined } | undefined): number {
  return point?.offset ?? 0;
}

/** Removes the common leading indentation of the non-blank lines. */
function dedent(text: string): string {
  const lines = text.split("\n");
  const indents = lines.filter((l) => l.trim() !== "").map((l) => /^[ \t]*/.exec(l)![0].length);
  const cut = indents.length > 0 ? Math.min(...indents) : 0;
  return lines.map((l) => l.slice(Math.min(cut, /^[ \t]*/.exec(l)![0].length))).join("\n")
    .replace(/^\n+|\s+$/g, "");
}

/** Text of a heading's inline content. */
function plainText(node: { type: string; value?: string; children?: unknown[] }): string {
  if (typeof node.value === "string") return node.value;
  return (node.children ?? []).map((c) => plainText(c as typeof node)).join("");
}

/** Collects the task-list items of a Markdown document, with their group. */
function collectItems(src: string, root: Root): RawItem[] {
  const items: RawItem[] = [];
  const lineStart = (offset: number) => src.lastIndexOf("\n", offset - 1) + 1;
  type Located = {
    position?:
      | { start: { offset?: number | undefined }; end: { offset?: number | undefined } }
      | undefined;
  };
  const sourceOf = (node: Located) =>
    src.slice(lineStart(offsetOf(node.position?.start)), offsetOf(node.position?.end));

  const taskItem = (item: MdListItem, group: string | undefined) => {
    const ann: Annotations = { deps: [] };
    const [first, ...rest] = item.children;
    const details: string[] = [];
    let titleLine = "";
    if (first?.type === "paragraph") {
      const from = offsetOf(first.position?.start);
      let text = src.slice(from, offsetOf(first.position?.end));
      // The paragraph's position may start at the check box (it does for the
      // first item of a list): drop the box when only the marker precedes it.
      if (/^\s*(?:[-*+]|\d{1,9}[.)])\s*$/.test(src.slice(offsetOf(item.position?.start), from))) {
        text = text.replace(/^\[[ xX]\][ \t]*/, "");
      }
      const [head = "", ...more] = extractAnnotations(text, ann).split("\n");
      titleLine = head;
      const extra = more.filter((l) => l !== "");
      if (extra.length > 0) details.push(extra.join("\n"));
    } else if (first) {
      rest.unshift(first);
    }
    for (const child of rest) {
      if (child.type !== "list") {
        details.push(dedent(sourceOf(child)));
        continue;
      }
      const kept: string[] = [];
      for (const sub of child.children) {
        const only = sub.children.length === 1 && sub.children[0]?.type === "paragraph"
          ? sub.children[0]
          : undefined;
        const text = only
          ? src.slice(offsetOf(only.position?.start), offsetOf(only.position?.end))
          : "";
        // A plain sub-item that is all annotations ("  - after: T1") annotates its parent.
        const own: Annotations = { deps: [] };
        const annotationOnly = sub.checked === null && text !== "" && !text.includes("\n") &&
          extractAnnotations(text, own, true) === "";
        if (annotationOnly) mergeAnn(ann, own);
        else kept.push(sourceOf(sub));
      }
      if (kept.length > 0) details.push(dedent(kept.join("\n")));
    }
    const lead = leadingId(titleLine);
    items.push({
      line: item.position?.start.line ?? 0,
      checked: item.checked === true,
      title: lead.title.replace(/^[\s:—–|-]+|[\s:—–|]+$/g, ""),
      ...(lead.id !== undefined ? { leadId: lead.id } : {}),
      ann,
      ...(group !== undefined ? { group } : {}),
      details: details.filter((d) => d.trim() !== "").join("\n\n"),
    });
  };

  let group: string | undefined;
  const walk = (nodes: readonly MdNode[]) => {
    for (const node of nodes) {
      if (node.type === "heading") {
        const text = plainText(node).replace(/\s+/g, " ").trim();
        group = text === "" ? undefined : text;
      } else if (node.type === "list") {
        for (const item of node.children) {
          if (item.checked === true || item.checked === false) taskItem(item, group);
          else walk(item.children);
        }
      }
    }
  };
  walk(root.children);
  return items;
}

function parseTree(body: string): { src: string; root: Root } {
  const src = body.replace(/\r\n?/g, "\n");
  return {
    src,
    root: fromMarkdown(src, { extensions: [gfm()], mdastExtensions: [gfmFromMarkdown()] }),
  };
}

/**
 * Whether a Markdown text holds at least one GitHub task-list item (checked or
 * not) outside block quotes.
 *
 * @example
 * ```ts
 * hasTaskList("- [ ] Add API"); // true
 * hasTaskList("- Add API"); // false
 * ```
 */
export function hasTaskList(body: string): boolean {
  const { src, root } = parseTree(body);
  return collectItems(src, root).length > 0;
}

/**
 * Turns an issue body's task list into tasks (see the module documentation
 * for the rules). Pure; does not validate the graph: the caller runs
 * `assertValidGraph` on `tasks`.
 *
 * @example
 * ```ts
 * const { tasks, done } = parseMarkdownPlan(
 *   "- [x] T1: Pick a library\n- [ ] T2: Add search (after: T1, priority: high)",
 * );
 * // tasks: [{ id: "T2", title: "Add search", priority: "high", deps: [] }], done: ["T1"]
 * ```
 */
export function parseMarkdownPlan(body: string): MarkdownPlan {
  const { src, root } = parseTree(body);
  const items = collectItems(src, root);
  const problems: string[] = [];

  // Ids: explicit and leading ids first, then slugs in document order.
  const ids: string[] = new Array(items.length);
  const taken = new Set<string>();
  items.forEach((it, i) => {
    const given = it.ann.id ?? it.leadId;
    if (given !== undefined) {
      ids[i] = given;
      taken.add(given);
    }
  });
  items.forEach((it, i) => {
    if (ids[i] !== undefined) return;
    const base = titleSlug(it.title);
    let id = base;
    for (let n = 2; taken.has(id); n++) id = `${base}-${n}`;
    ids[i] = id;
    taken.add(id);
  });

  const byId = new Map<string, number>();
  items.forEach((_, i) => {
    if (!byId.has(ids[i]!)) byId.set(ids[i]!, i);
  });
  const byTitle = new Map<string, number[]>();
  items.forEach((it, i) => {
    const key = normTitle(it.title);
    if (key === "") return;
    byTitle.set(key, [...(byTitle.get(key) ?? []), i]);
  });

  /** One id or unique title to an item index. */
  const resolveOne = (ref: string): number | undefined => {
    const exact = byId.get(ref) ?? byId.get(ref.replace(/^#/, ""));
    if (exact !== undefined) return exact;
    const titled = byTitle.get(normTitle(ref));
    return titled && titled.length === 1 ? titled[0] : undefined;
  };

  /**
   * Resolves one reference to item indexes; undefined when unknown (kept as
   * written, for assertValidGraph to name), [] when ambiguous (a problem).
   */
  const resolve = (ref: string, it: RawItem, id: string): number[] | undefined => {
    const one = resolveOne(ref);
    if (one !== undefined) return [one];
    const titled = byTitle.get(normTitle(ref));
    if (titled && titled.length > 1) {
      problems.push(
        `Line ${it.line}: dependency ${JSON.stringify(ref)} of task ${
          JSON.stringify(id)
        } matches ${titled.length} tasks by title (${
          titled.map((j) => JSON.stringify(ids[j])).join(", ")
        }): refer to one of them by id.`,
      );
      return [];
    }
    // "after: T1 and the search box", "after: T1 T2": only when every part resolves.
    const splits: [RegExp, (part: string) => number | undefined][] = [
      [/\s+and\s+/i, resolveOne],
      [/\s+/, (part) => byId.get(part)],
    ];
    for (const [sep, lookup] of splits) {
      const parts = ref.split(sep).map(stripRef).filter((p) => p !== "");
      if (parts.length < 2) continue;
      const found = parts.map(lookup);
      if (found.every((f) => f !== undefined)) return found as number[];
    }
    return undefined;
  };

  const tasks: PlanTask[] = [];
  const done: string[] = [];
  items.forEach((it, i) => {
    const id = ids[i]!;
    if (it.checked) {
      done.push(id);
      return;
    }
    const deps: string[] = [];
    for (const ref of it.ann.deps) {
      const found = resolve(ref, it, id);
      if (found === undefined) {
        deps.push(ref); // Unknown: assertValidGraph names it.
        continue;
      }
      // Checked items are done: a dependency on one is satisfied, so dropped.
      for (const j of found) if (!items[j]!.checked) deps.push(ids[j]!);
    }
    let priority: Priority = "medium";
    if (it.ann.priority !== undefined) {
      const p = PRIORITY_ALIASES[it.ann.priority.trim().toLowerCase()];
      if (p) priority = p;
      else {
        problems.push(
          `Line ${it.line}: task ${JSON.stringify(id)} has unknown priority ${
            JSON.stringify(it.ann.priority)
          }: use critical, high, medium or low.`,
        );
      }
    }
    const task: PlanTask = { id, title: it.title, priority, deps: [...new Set(deps)] };
    if (it.details !== "") task.body = `${it.title}\n\n${it.details}`;
    if (it.group !== undefined) task.group = it.group;
    if (it.ann.estimate !== undefined) {
      const hours = parseEstimate(it.ann.estimate);
      if (hours === undefined) {
        problems.push(
          `Line ${it.line}: task ${JSON.stringify(id)} has estimate ${
            JSON.stringify(it.ann.estimate)
          } that is not a duration: write it like 30m, 4h, 2d or 1w.`,
        );
      } else task.estimateHours = hours;
    }
    tasks.push(task);
  });
  return { tasks, done, problems };
}

/**
 * The Markdown planner: plans from the issue body's task list.
 *
 * @example
 * ```ts
 * const tasks = await markdownPlanner().plan({
 *   number: 3,
 *   title: "Search",
 *   body: "- [ ] T1: Add API\n- [ ] T2: Add UI (after: T1)",
 * });
 * ```
 */
export function markdownPlanner(): Planner {
  return {
    name: "markdown",
    plan(issue: IssueInput, signal?: AbortSignal): Promise<PlanTask[]> {
      return new Promise((resolve) => {
        signal?.throwIfAborted();
        const { tasks, done, problems } = parseMarkdownPlan(issue.body);
        if (tasks.length === 0 && done.length === 0) {
          throw new PlannerError(
            "markdown",
            `Issue #${issue.number} has no task list: write the plan as GitHub task-list items such as "- [ ] Add the API (priority: high)".`,
          );
        }
        if (tasks.length === 0) {
          throw new PlannerError(
            "markdown",
            `Every task-list item of issue #${issue.number} is checked (done): nothing is left to plan; uncheck or add an item.`,
          );
        }
        if (problems.length > 0) {
          throw new PlannerError(
            "markdown",
            problems.length === 1
              ? `The task list of issue #${issue.number} has a problem: ${problems[0]}`
              : `The task list of issue #${issue.number} has ${problems.length} problems:\n${
                problems.map((p) => `- ${p}`).join("\n")
              }`,
          );
        }
        try {
          assertValidGraph(tasks);
        } catch (e) {
          if (!(e instanceof GraphValidationError)) throw e;
          throw new PlannerError(
            "markdown",
            `The task list of issue #${issue.number} is not a valid plan: ${e.message}`,
            { cause: e },
          );
        }
        resolve(tasks);
      });
    },
  };
}
