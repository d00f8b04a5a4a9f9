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
 *   found by a Markdown block parser (`markdown_blocks.ts`); items inside
 *   block quotes, code blocks and HTML blocks are not tasks (a quoted plan
 *   is not ours). Task lists nested in plain list items count.
 * - What GitHub does not show is not read: HTML comments, link reference
 *   definitions used as comments and invisible characters are removed first
 *   (`src/text/hidden.ts`), so a hidden `<!-- ... -->` never becomes part of
 *   a title or a task.
 * - Planning is linear in the length of the issue body (hostile bodies of
 *   65,000 characters take milliseconds): no step looks at the text more
 *   than a bounded number of times.
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
import { assertValidGraph, GraphValidationError } from "../protocol/graph.ts";
import type { PlanTask, Priority } from "../protocol/types.ts";
import { stripHidden } from "../text/hidden.ts";
import { type MdBlock, parseBlocks } from "./markdown_blocks.ts";
import { type IssueInput, type Planner, PlannerError } from "./planner.ts";

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

/** A key at the very start of a text (after white space). */
const KEY_START_RE =
  /^\s*(?:priority|prio|after|depends[ _-]on|depends|deps|needs|blocked[ _-]by|estimate|est|id)\s*:/i;

/** Whether `c` separates an annotation value from what follows: white space , ; | — –. */
const isSeparator = (c: string) => /[\s,;|—–]/.test(c);

/** Trims separators (and a `--`) around an annotation value, in linear time. */
function trimSeparators(value: string): string {
  let start = 0;
  let end = value.length;
  for (;;) {
    if (start < end && isSeparator(value[start]!)) start++;
    else if (value.startsWith("--", start) && /\s/.test(value[start + 2] ?? "")) start += 3;
    else break;
  }
  for (;;) {
    if (end > start && isSeparator(value[end - 1]!)) end--;
    else if (end - start >= 3 && value.startsWith("--", end - 2) && /\s/.test(value[end - 3]!)) {
      end -= 3;
    } else break;
  }
  return value.slice(start, end);
}

/** Reads `key: value, key: value` text; undefined unless it starts with a known key. */
function parseAnnotationText(text: string): Annotations | undefined {
  if (!KEY_START_RE.test(text)) return undefined;
  const t = text.trim();
  const matches = [...t.matchAll(KEY_RE)];
  if (matches.length === 0 || matches[0]!.index !== 0) return undefined;
  const ann: Annotations = { deps: [] };
  matches.forEach((m, i) => {
    const next = matches[i + 1];
    // Trim separators around the value: spaces , ; | — – and a " --".
    const value = trimSeparators(t.slice(m.index + m[0].length, next ? next.index : t.length));
    const key = m[1]!.toLowerCase().replace(/[ _-]+/g, " ");
    if (key === "priority" || key === "prio") ann.priority = value;
    else if (key === "estimate" || key === "est") ann.estimate = value;
    else if (key === "id") ann.id = stripRef(value);
    else ann.deps.push(...splitRefs(value));
  });
  return ann;
}

function splitRefs(value: string): string[] {
  return value.split(/[,;]/).map(stripRef).filter((r) => r !== "");
}

/** Removes wrapping backticks, quotes and emphasis from a reference (linear time). */
function stripRef(ref: string): string {
  const t = ref.trim();
  let start = 0;
  let end = t.length;
  while (start < end && "`\"'*_".includes(t[start]!)) start++;
  while (end > start && "`\"'*_".includes(t[end - 1]!)) end--;
  return t.slice(start, end).trim();
}

function mergeAnn(into: Annotations, from: Annotations): void {
  if (from.id !== undefined) into.id = from.id;
  if (from.priority !== undefined) into.priority = from.priority;
  if (from.estimate !== undefined) into.estimate = from.estimate;
  into.deps.push(...from.deps);
}

/**
 * Link destinations, autolinks and bare URLs: text in which brackets and
 * `key:` are not annotations (code spans are found by {@linkcode codeSpans}).
 */
const PROTECTED_RE = /\]\((?:[^()\s]|\([^()]*\))*\)|<[^<>\s]+>|https?:\/\/[^\s<>]+/g;

/**
 * Code spans, as `[start, end)` ranges: a run of backticks up to the next run
 * of the same length (CommonMark's rule). One pass over the runs, so linear.
 */
function codeSpans(text: string): [number, number][] {
  const runs: { at: number; length: number }[] = [];
  for (const m of text.matchAll(/`+/g)) runs.push({ at: m.index, length: m[0].length });
  const next = new Array<number>(runs.length).fill(-1);
  const seen = new Map<number, number>();
  for (let i = runs.length - 1; i >= 0; i--) {
    next[i] = seen.get(runs[i]!.length) ?? -1;
    seen.set(runs[i]!.length, i);
  }
  const spans: [number, number][] = [];
  for (let i = 0; i < runs.length; i++) {
    const j = next[i]!;
    if (j < 0) continue;
    spans.push([runs[i]!.at, runs[j]!.at + runs[j]!.length]);
    i = j;
  }
  return spans;
}

/** Replaces code spans, then the other protected spans, by numbered placeholders. */
function maskProtected(line: string, hidden: string[]): string {
  let out = "";
  let from = 0;
  for (const [start, end] of codeSpans(line)) {
    out += line.slice(from, start) + `\uE000${hidden.push(line.slice(start, end)) - 1}\uE000`;
    from = end;
  }
  out += line.slice(from);
  return out.replace(PROTECTED_RE, (m) => `\uE000${hidden.push(m) - 1}\uE000`);
}

/**
 * Takes the annotations out of an item's text (a paragraph, possibly several
 * lines) into `ann` and returns the rest; with `whole`, text that starts with
 * a key is all annotations.
 */
function extractAnnotations(line: string, ann: Annotations, whole = false): string {
  // Hide protected spans behind placeholders, restored afterwards.
  const hidden: string[] = [];
  const masked = maskProtected(line, hidden);
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
    // Separators: — or – (spaces optional), -- or | (with spaces around).
    for (const m of line.matchAll(/[—–]|--|\|/g)) {
      let start = m.index;
      while (start > 0 && (line[start - 1] === " " || line[start - 1] === "\t")) start--;
      let end = m.index + m[0].length;
      const before = m.index - start;
      while (end < line.length && (line[end] === " " || line[end] === "\t")) end++;
      const after = end - (m.index + m[0].length);
      if (m[0] !== "—" && m[0] !== "–" && (before === 0 || after === 0)) continue;
      // Only text that starts with a key is parsed, so each line is read once.
      if (!KEY_START_RE.test(line.slice(end, end + 40))) continue;
      const parsed = parseAnnotationText(line.slice(end));
      if (parsed) {
        mergeAnn(ann, parsed);
        line = line.slice(0, start);
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
    .replace(/!?\[([^\][]*)\]\([^()]*\)/g, "$1")
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

/** Removes the common leading indentation of the non-blank lines. */
function dedent(text: string): string {
  const lines = text.split("\n");
  const indents = lines.filter((l) => l.trim() !== "").map((l) => /^[ \t]*/.exec(l)![0].length);
  const cut = indents.length > 0 ? Math.min(...indents) : 0;
  return lines.map((l) => l.slice(Math.min(cut, /^[ \t]*/.exec(l)![0].length))).join("\n")
    .replace(/^\n+/, "").trimEnd();
}

/** Text of a heading: its inline Markdown without markup. */
function headingText(b: MdBlock): string {
  return plainTitle(b.lines.join(" "));
}

/** Collects the task-list items of a Markdown document, with their group. */
function collectItems(lines: readonly string[], root: MdBlock): RawItem[] {
  const items: RawItem[] = [];
  const sourceOf = (b: MdBlock) => lines.slice(b.start, b.end + 1).join("\n");

  const taskItem = (item: MdBlock, group: string | undefined) => {
    const ann: Annotations = { deps: [] };
    const [first, ...rest] = item.children;
    const details: string[] = [];
    let titleLine = "";
    if (first?.kind === "paragraph" && first.start === item.start) {
      const text = first.lines.join("\n").replace(/^\[[ xX]\][ \t]*/, "");
      const [head = "", ...more] = extractAnnotations(text, ann).split("\n");
      titleLine = head;
      const extra = more.filter((l) => l !== "");
      if (extra.length > 0) details.push(extra.join("\n"));
    } else if (first) {
      rest.unshift(first);
    }
    for (const child of rest) {
      if (child.kind !== "list") {
        details.push(dedent(sourceOf(child)));
        continue;
      }
      const kept: string[] = [];
      for (const sub of child.children) {
        const only = sub.children.length === 1 && sub.children[0]?.kind === "paragraph"
          ? sub.children[0]
          : undefined;
        const text = only ? only.lines.join("\n") : "";
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
      line: item.start + 1,
      checked: item.checked === true,
      title: trimTitle(lead.title),
      ...(lead.id !== undefined ? { leadId: lead.id } : {}),
      ann,
      ...(group !== undefined ? { group } : {}),
      details: details.filter((d) => d.trim() !== "").join("\n\n"),
    });
  };

  let group: string | undefined;
  const walk = (blocks: readonly MdBlock[]) => {
    for (const b of blocks) {
      if (b.kind === "heading") {
        const text = headingText(b).replace(/\s+/g, " ").trim();
        group = text === "" ? undefined : text;
      } else if (b.kind === "list") {
        for (const item of b.children) {
          if (item.checked !== null) taskItem(item, group);
          else walk(item.children);
        }
      }
    }
  };
  walk(root.children);
  return items;
}

/** Removes separators and colons around a title, in linear time. */
function trimTitle(title: string): string {
  let start = 0;
  let end = title.length;
  while (start < end && /[\s:—–|-]/.test(title[start]!)) start++;
  while (end > start && /[\s:—–|]/.test(title[end - 1]!)) end--;
  return title.slice(start, end);
}

function parseTree(body: string): { lines: string[]; root: MdBlock } {
  // What GitHub does not show is not part of the plan; line numbers stay.
  const src = stripHidden(body.replace(/\r\n?/g, "\n"), true);
  return { lines: src.split("\n"), root: parseBlocks(src) };
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
  const { lines, root } = parseTree(body);
  return collectItems(lines, root).length > 0;
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
  const { lines, root } = parseTree(body);
  const items = collectItems(lines, root);
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
  // The next suffix to try per slug: numbers below it are taken already.
  const nextSuffix = new Map<string, number>();
  items.forEach((it, i) => {
    if (ids[i] !== undefined) return;
    const base = titleSlug(it.title);
    let id = base;
    let n = nextSuffix.get(base) ?? 2;
    while (taken.has(id)) id = `${base}-${n++}`;
    nextSuffix.set(base, n);
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
    const list = byTitle.get(key);
    if (list) list.push(i);
    else byTitle.set(key, [i]);
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
      [/ and /i, resolveOne],
      [/ /, (part) => byId.get(part)],
    ];
    const spaced = ref.replace(/\s+/g, " ");
    for (const [sep, lookup] of splits) {
      const parts = spaced.split(sep).map(stripRef).filter((p) => p !== "");
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
