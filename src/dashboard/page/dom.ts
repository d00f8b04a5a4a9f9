/**
 * Building DOM without HTML strings: every text goes in as a text node, so
 * comment text (attacker-controlled) can never become markup. Links accept
 * `http:` and `https:` URLs only.
 *
 * @module
 */

/** A child: a node, a text, or nothing. */
export type Child = Node | string | number | null | undefined | false;

/**
 * Creates an element with attributes and children (texts become text nodes).
 *
 * @example
 * ```ts
 * const row = h("tr", {}, h("td", { "data-label": "Task" }, "T1"));
 * ```
 */
export function h(
  tag: string,
  attrs: Record<string, string | number | boolean | null | undefined> = {},
  ...children: Child[]
): HTMLElement {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (/^on/i.test(name) || name === "style" || name === "srcdoc") {
      throw new TypeError(`Attribute "${name}" is not allowed: use event listeners and classes.`);
    }
    if (name === "href" || name === "src") {
      const url = safeUrl(String(value));
      if (url === null) continue;
      el.setAttribute(name, url);
      continue;
    }
    el.setAttribute(name, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

/**
 * Appends children, texts as text nodes.
 *
 * @example
 * ```ts
 * append(document.body, ["hello ", h("b", {}, "world")]);
 * ```
 */
export function append(el: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    el.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  }
}

/**
 * Replaces an element's children.
 *
 * @example
 * ```ts
 * replace(panel, h("p", {}, "No data yet."));
 * ```
 */
export function replace(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

/**
 * An absolute `http:`/`https:` URL, or null for anything else (`javascript:`, `data:`).
 *
 * @example
 * ```ts
 * safeUrl("javascript:alert(1)"); // null
 * ```
 */
export function safeUrl(value: string): string | null {
  try {
    const url = new URL(value, location.href);
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
  } catch {
    return null;
  }
}

/**
 * A link that opens outside the page, or plain text when the URL is not http(s).
 *
 * @example
 * ```ts
 * link("https://github.com/o/r/actions/runs/1", "#1");
 * ```
 */
export function link(url: string | null | undefined, text: string): HTMLElement {
  const safe = url ? safeUrl(url) : null;
  return safe
    ? h("a", { href: safe, target: "_blank", rel: "noopener noreferrer" }, text)
    : h("span", {}, text);
}

/**
 * A table that stacks into labelled lines at phone width.
 *
 * @example
 * ```ts
 * table(["Task", "State"], [["T1", "done"]]);
 * ```
 */
export function table(
  headers: string[],
  rows: { cells: Child[]; attrs?: Record<string, string> }[],
  attrs: Record<string, string> = {},
): HTMLElement {
  return h(
    "table",
    { class: "stack", ...attrs },
    h("thead", {}, h("tr", {}, ...headers.map((t) => h("th", { scope: "col" }, t)))),
    h(
      "tbody",
      {},
      ...rows.map((row) =>
        h(
          "tr",
          row.attrs ?? {},
          ...row.cells.map((cell, i) => h("td", { "data-label": headers[i] ?? "" }, cell)),
        )
      ),
    ),
  );
}

/** Formats epoch ms as a local time (date too when not today). */
export function time(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms <= 0) return "";
  const d = new Date(ms);
  const today = new Date().toDateString() === d.toDateString();
  return today ? d.toLocaleTimeString() : d.toLocaleString();
}

/** Formats a duration in ms as "1 h 2 min", "3 min 4 s" or "5 s". */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return "";
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}
