/**
 * The block structure of a Markdown document, as much of it as the Markdown
 * planner needs: lists and their items (with GitHub's task-list check box),
 * block quotes, headings, code blocks, HTML blocks and paragraphs, with the
 * lines each spans. It follows CommonMark's block parsing strategy
 * (https://spec.commonmark.org/0.31.2/#appendix-a-parsing-strategy) and
 * GitHub's task-list items (https://github.github.com/gfm/#task-list-items-extension-).
 * Inline content (emphasis, links, code spans) is not parsed: the planner
 * reads the text of a paragraph itself.
 *
 * Linear in the length of the document, by construction, because issue
 * bodies are written by strangers: each line is looked at a bounded number
 * of times (every step consumes characters, or checks one of at most
 * {@linkcode MAX_DEPTH} open containers), and every regular expression is
 * anchored and free of nested quantifiers, or applied only to a bounded
 * piece of a line. Containers nested deeper than `MAX_DEPTH` are read as
 * text. A general Markdown parser (micromark) took seconds to minutes on
 * 65,000 characters of `*a`, `1. `, `>` or `a\n=\n`.
 *
 * @module
 */

/**
 * Deepest nesting of block quotes, lists and list items that is parsed as
 * such; deeper markers are text. GitHub renders far less deep nesting than
 * this legibly.
 *
 * @example
 * ```ts
 * parseBlocks("> ".repeat(MAX_DEPTH + 10) + "x"); // quotes MAX_DEPTH deep, then text
 * ```
 */
export const MAX_DEPTH = 64;

/** Longest line tested for an HTML tag of its own (CommonMark's HTML block of kind 7). */
const MAX_TAG_LINE = 1_000;

/**
 * A block of the document.
 *
 * @example
 * ```ts
 * const item: MdBlock = parseBlocks("- [ ] Add API").children[0]!.children[0]!;
 * item.kind; // "item"
 * item.checked; // false
 * ```
 */
export interface MdBlock {
  kind:
    | "document"
    | "quote"
    | "list"
    | "item"
    | "paragraph"
    | "heading"
    | "fence"
    | "indented"
    | "html"
    | "thematic";
  children: MdBlock[];
  /** First and last line (0-based) of the block; `end` is its last non-blank line. */
  start: number;
  end: number;
  /** For an item: the check box, `true`/`false`, or `null` for a plain item. */
  checked: boolean | null;
  /** For a paragraph: its lines, without the container prefixes; for a heading: its text. */
  lines: string[];
  /** For an item: the column its content starts at. */
  contentCol: number;
  /** For a list: its kind (`-`, `+`, `*`, or `.` / `)` for an ordered list). */
  marker: string;
  open: boolean;
  parent: MdBlock | undefined;
  /** For a fence: the fence's character, length and indentation. */
  fence?: { char: string; length: number; indent: number };
  /** For an HTML block: which of CommonMark's seven kinds, and a blank line ends kinds 6 and 7. */
  htmlKind?: number;
  /** For an item: whether it began with a blank line (an empty first line). */
  emptyStart?: boolean;
}

function block(kind: MdBlock["kind"], line: number, parent?: MdBlock): MdBlock {
  return {
    kind,
    children: [],
    start: line,
    end: line,
    checked: null,
    lines: [],
    contentCol: 0,
    marker: "",
    open: true,
    parent,
  };
}

/** A line with tabs expanded to spaces (tab stops every 4 columns). */
function expandTabs(line: string): string {
  if (!line.includes("\t")) return line;
  let out = "";
  for (const ch of line) {
    if (ch === "\t") out += " ".repeat(4 - (out.length % 4));
    else out += ch;
  }
  return out;
}

const isBlank = (s: string) => /^[ ]*$/.test(s);

/** Spaces at `at` (tabs were expanded). */
function indentAt(line: string, at: number): number {
  let n = 0;
  while (line.charCodeAt(at + n) === 32) n++;
  return n;
}

/** The HTML block kinds 1–7 that a line starts, if any (`canInterrupt`: kind 7 cannot). */
function htmlStart(rest: string, canInterruptParagraph: boolean): number {
  if (!rest.startsWith("<")) return 0;
  if (/^<(?:script|pre|style|textarea)(?:[\s>]|$)/i.test(rest)) return 1;
  if (rest.startsWith("<!--")) return 2;
  if (rest.startsWith("<?")) return 3;
  if (/^<![A-Za-z]/.test(rest)) return 4;
  if (rest.startsWith("<![CDATA[")) return 5;
  if (
    /^<\/?(?:address|article|aside|base|basefont|blockquote|body|caption|center|col|colgroup|dd|details|dialog|dir|div|dl|dt|fieldset|figcaption|figure|footer|form|frame|frameset|h[1-6]|head|header|hr|html|iframe|legend|li|link|main|menu|menuitem|nav|noframes|ol|optgroup|option|p|param|search|section|summary|table|tbody|td|tfoot|th|thead|title|tr|track|ul)(?:[\s>]|\/>|$)/i
      .test(rest)
  ) return 6;
  if (
    !canInterruptParagraph && rest.length <= MAX_TAG_LINE &&
    /^(?:<[A-Za-z][A-Za-z0-9-]*(?:\s+[A-Za-z_:][\w.:-]*(?:\s*=\s*(?:[^\s"'=<>`]+|'[^']*'|"[^"]*"))?)*\s*\/?>|<\/[A-Za-z][A-Za-z0-9-]*\s*>)\s*$/
      .test(rest)
  ) return 7;
  return 0;
}

/** Whether a line ends an HTML block of kinds 1–5. */
function htmlEnds(kind: number, line: string): boolean {
  switch (kind) {
    case 1:
      return /<\/(?:script|pre|style|textarea)>/i.test(line);
    case 2:
      return line.includes("-->");
    case 3:
      return line.includes("?>");
    case 4:
      return line.includes(">");
    case 5:
      return line.includes("]]>");
    default:
      return false;
  }
}

/** A list item's marker at the start of `rest`: its kind, width and whether the item is empty. */
function listMarker(rest: string): { marker: string; width: number; ordinal?: number } | undefined {
  const bullet = /^([-+*])(?=[ ]|$)/.exec(rest);
  if (bullet) return { marker: bullet[1]!, width: 1 };
  const ordered = /^(\d{1,9})([.)])(?=[ ]|$)/.exec(rest);
  if (ordered) {
    return { marker: ordered[2]!, width: ordered[0].length, ordinal: Number(ordered[1]) };
  }
  return undefined;
}

const THEMATIC_RE = /^(?:(?:\*[ ]*){3,}|(?:-[ ]*){3,}|(?:_[ ]*){3,})$/;

/**
 * Parses the block structure of a Markdown document (line feeds only: the
 * caller normalises `\r\n`).
 *
 * @example
 * ```ts
 * const doc = parseBlocks("## Backend\n\n- [ ] T1: Add API\n  Details.");
 * doc.children.map((b) => b.kind); // ["heading", "list"]
 * ```
 */
export function parseBlocks(src: string): MdBlock {
  const doc = block("document", 0);
  const lines = src.split("\n");
  let tip: MdBlock = doc; // deepest open block

  const depthOf = (b: MdBlock) => {
    let d = 0;
    for (let p: MdBlock | undefined = b; p; p = p.parent) {
      if (p.kind === "quote" || p.kind === "list" || p.kind === "item") d++;
    }
    return d;
  };
  const close = (b: MdBlock) => {
    b.open = false;
  };
  const touch = (b: MdBlock, line: number) => {
    for (let p: MdBlock | undefined = b; p; p = p.parent) {
      if (p.end < line) p.end = line;
    }
  };
  /** Closes open blocks below `keep`. */
  const closeBelow = (keep: MdBlock) => {
    for (let b = tip; b !== keep; b = b.parent!) close(b);
    tip = keep;
  };
  const canContain = (parent: MdBlock, kind: MdBlock["kind"]) =>
    parent.kind === "list"
      ? kind === "item"
      : (parent.kind === "document" || parent.kind === "quote" || parent.kind === "item") &&
        kind !== "item";
  /** Adds a block under `container` (closing what cannot hold it) and makes it the tip. */
  const add = (container: MdBlock, kind: MdBlock["kind"], line: number): MdBlock => {
    closeBelow(container);
    let parent = container;
    while (!canContain(parent, kind)) {
      close(parent);
      parent = parent.parent!;
    }
    const child = block(kind, line, parent);
    parent.children.push(child);
    tip = child;
    return child;
  };

  for (let n = 0; n < lines.length; n++) {
    const line = expandTabs(lines[n]!);
    let at = 0;
    // Whether the line is blank from the current position on.
    let last = line.length - 1;
    while (last >= 0 && line.charCodeAt(last) === 32) last--;
    const blankFrom = () => last < at;

    // 1. Which open containers does this line continue?
    let matched: MdBlock = doc;
    for (;;) {
      const child = matched.children.at(-1);
      if (!child || !child.open) break;
      let ok = false;
      const ind = indentAt(line, at);
      switch (child.kind) {
        case "quote":
          if (ind <= 3 && line[at + ind] === ">") {
            at += ind + 1;
            if (line[at] === " ") at++;
            ok = true;
          }
          break;
        case "list":
          ok = true;
          break;
        case "item":
          if (blankFrom()) {
            ok = !(child.emptyStart && child.children.length === 0);
          } else if (ind >= child.contentCol) {
            at += child.contentCol;
            ok = true;
          }
          break;
        case "fence":
        case "paragraph":
          ok = child.kind === "fence" || !blankFrom();
          break;
        case "indented":
          if (ind >= 4) {
            at += 4;
            ok = true;
          } else ok = blankFrom();
          break;
        case "html":
          ok = !(blankFrom() && (child.htmlKind === 6 || child.htmlKind === 7));
          break;
        default:
          ok = false;
      }
      if (!ok) break;
      matched = child;
      if (child.kind === "fence" || child.kind === "indented" || child.kind === "html") break;
      if (child.kind === "paragraph") break;
    }

    // 2. New container and leaf starts.
    let container = matched;
    let startedNew = false;
    let consumed = false;
    const literal = matched.kind === "fence" || matched.kind === "indented" ||
      matched.kind === "html";
    /** Adds a block at this point: new blocks go beside an open paragraph, not in it. */
    const start = (kind: MdBlock["kind"]) => {
      const parent = container.kind === "paragraph" ? container.parent! : container;
      startedNew = true;
      container = add(parent, kind, n);
      return container;
    };
    while (!literal) {
      const ind = indentAt(line, at);
      const rest = line.slice(at + ind);
      // The line would continue this paragraph: some blocks cannot interrupt it.
      const interrupts = container.kind === "paragraph";
      // The line might continue a paragraph lazily: it cannot start indented code.
      const maybeLazy = tip.kind === "paragraph" && !startedNew;
      if (rest === "") break;
      if (ind >= 4) {
        if (!maybeLazy) {
          at += 4;
          touch(start("indented"), n);
          consumed = true;
        }
        break;
      }
      const deepEnough = depthOf(container) >= MAX_DEPTH;
      if (!deepEnough && rest.startsWith(">")) {
        at += ind + 1;
        if (line[at] === " ") at++;
        start("quote");
        continue;
      }
      const atx = /^(#{1,6})(?:[ ]+|$)/.exec(rest);
      if (atx) {
        const h = start("heading");
        // The text only names a group: a bounded piece keeps the clean-up linear.
        const text = rest.slice(atx[0].length, atx[0].length + 1_000);
        h.lines = [text.replace(/(?:^|[ ]+)#+[ ]*$/, "").trim()];
        touch(h, n);
        close(h);
        tip = h.parent!;
        consumed = true;
        break;
      }
      const fence = /^(`{3,}|~{3,})/.exec(rest);
      if (fence && !(fence[1]![0] === "`" && rest.slice(fence[1]!.length).includes("`"))) {
        const f = start("fence");
        f.fence = { char: fence[1]![0]!, length: fence[1]!.length, indent: ind };
        touch(f, n);
        consumed = true;
        break;
      }
      const html = htmlStart(rest, interrupts);
      if (html > 0) {
        const h = start("html");
        h.htmlKind = html;
        touch(h, n);
        if (htmlEnds(html, rest)) {
          close(h);
          tip = h.parent!;
        }
        consumed = true;
        break;
      }
      if (interrupts && /^(?:=+|-+)[ ]*$/.test(rest)) {
        // A setext heading underline turns the paragraph into a heading.
        const p = tip;
        p.kind = "heading";
        p.lines = [p.lines.join(" ").trim()];
        touch(p, n);
        close(p);
        tip = p.parent!;
        consumed = true;
        break;
      }
      if (THEMATIC_RE.test(rest)) {
        const t = start("thematic");
        touch(t, n);
        close(t);
        tip = t.parent!;
        consumed = true;
        break;
      }
      const m = deepEnough ? undefined : listMarker(rest);
      if (!m) break;
      const after = rest.slice(m.width);
      const emptyItem = isBlank(after);
      if (interrupts && (emptyItem || (m.ordinal !== undefined && m.ordinal !== 1))) break;
      const spaces = indentAt(after, 0);
      const pad = emptyItem || spaces > 4 ? 1 : spaces;
      const markerCol = at + ind;
      const holder = container.kind === "paragraph" ? container.parent! : container;
      const prev = holder.kind === "list" ? holder : holder.children.at(-1);
      let list: MdBlock;
      if (prev && prev.open && prev.kind === "list" && prev.marker === m.marker) {
        list = prev;
        closeBelow(list);
        container = list;
      } else {
        list = start("list");
        list.marker = m.marker;
      }
      const item = add(list, "item", n);
      startedNew = true;
      item.contentCol = markerCol + m.width + pad;
      item.emptyStart = emptyItem;
      touch(item, n);
      at = Math.min(line.length, markerCol + m.width + pad);
      container = item;
    }
    if (consumed) continue;

    // 3. The rest of the line.
    const rest = line.slice(at);
    const blank = blankFrom();
    if (tip !== matched && !startedNew && !blank && tip.kind === "paragraph") {
      // Lazy continuation: the paragraph goes on although a container's marker is missing.
      tip.lines.push(rest.replace(/^[ ]+/, ""));
      touch(tip, n);
      continue;
    }
    closeBelow(container);
    if (container.kind === "fence") {
      const f = container.fence!;
      const closing = new RegExp(`^ {0,3}\\${f.char}{${f.length},}[ ]*$`);
      touch(container, n);
      if (closing.test(rest)) {
        close(container);
        tip = container.parent!;
      }
      continue;
    }
    if (container.kind === "indented") {
      if (!blank) touch(container, n);
      continue;
    }
    if (container.kind === "html") {
      if (!blank) touch(container, n);
      if (htmlEnds(container.htmlKind ?? 0, rest)) {
        close(container);
        tip = container.parent!;
      }
      continue;
    }
    if (blank) continue;
    if (container.kind === "paragraph") {
      container.lines.push(rest.replace(/^[ ]+/, ""));
      touch(container, n);
      continue;
    }
    const p = add(container, "paragraph", n);
    p.lines.push(rest.replace(/^[ ]+/, ""));
    touch(p, n);
  }

  // Check boxes: an item whose first block is a paragraph that starts with one.
  const visit = (b: MdBlock) => {
    for (const c of b.children) visit(c);
    if (b.kind !== "item") return;
    const first = b.children[0];
    if (first?.kind !== "paragraph" || first.start !== b.start) return;
    const m = /^\[([ xX])\](?:[ ]+(?=\S)|$)/.exec(first.lines[0] ?? "");
    if (!m) return;
    // "- [ ]" alone is not a task; "- [ ]" followed by more lines of the paragraph is.
    if (m[0].endsWith("]") && first.lines.length < 2) return;
    b.checked = m[1] !== " ";
  };
  visit(doc);
  return doc;
}
