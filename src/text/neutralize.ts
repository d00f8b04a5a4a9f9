/**
 * Outside text made inert before the swarm posts it on GitHub.
 *
 * The swarm writes issue text, task titles, agent output and error messages
 * into comments, pull requests and commits under its own identity. Rendered
 * by GitHub, some of that text would act: an `@user` or `@org/team` mention
 * notifies people, `Fixes #3` or `Resolves other/repo#9` in a pull request or
 * a commit closes those issues when it is merged
 * (https://docs.github.com/en/issues/tracking-your-work-with-issues/using-issues/linking-a-pull-request-to-an-issue#linking-a-pull-request-to-an-issue-using-a-keyword),
 * `other/repo#9` leaves a cross-reference on another repository's issue, raw
 * HTML renders, an HTML comment hides text, or carries a
 * `<!-- p2p-dev ... -->` marker that looks like one of the swarm's protocol
 * messages, a Markdown image (`![](https://…)`) is fetched by every reader's
 * browser (through GitHub's image proxy) and shown as the swarm's, a link's
 * text can say something other than where it goes (`[docs](https://evil)`,
 * `[docs][1]` with `[1]: https://evil`), and an HTML entity (`&#64;user`)
 * renders as the character it names after the text was checked.
 *
 * {@linkcode neutralizeMarkdown} keeps the text readable and defuses each of
 * these by inserting a zero-width space (U+200B) where GitHub's syntax needs
 * two characters to be adjacent: after the `<` that opens a tag or comment,
 * after the `@` of a mention, after a closing keyword followed by an issue
 * reference, after the `#` of a cross-repository reference, after the `]`
 * of a link, image or link definition (before its `(`, `[` or `:`), and
 * after the `&` of an entity. A bare URL stays as it is: it shows where it
 * goes, and GitHub links it as any reader would. That works
 * the same in plain text, tables, code spans and code blocks, where escaping
 * with entities would show the entity. Invisible characters already in the
 * text are removed first, so none can be used to undo the defusing.
 *
 * @module
 */
import { stripInvisible } from "./hidden.ts";

/**
 * The zero-width space used to break GitHub syntax apart.
 *
 * @example
 * ```ts
 * neutralizeMarkdown("@octocat") === `@${ZWSP}octocat`; // true
 * ```
 */
export const ZWSP = "\u200b";

/** `<` that opens a tag, a closing tag, a comment, a declaration or an instruction. */
const TAG_OPEN_RE = /<(?=[A-Za-z!?/])/g;

/** `@` that starts a mention: not inside a word (an e-mail address), followed by a login. */
const MENTION_RE = /(?<![A-Za-z0-9])@(?=[A-Za-z0-9])/g;

/**
 * GitHub's closing keywords followed (after spaces, a colon or emphasis) by
 * an issue reference: `#3`, `GH-3`, `owner/repo#3` or an issue URL. The end
 * of the text counts too, so that text we append cannot complete one.
 */
const CLOSING_RE =
  /\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)\b(?=[\s:*_~`>[]*(?:#|gh-|[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+#|https?:\/\/|$))/gi;

/** `owner/repo#9`: a reference that leaves a cross-reference on another repository's issue. */
const CROSS_REF_RE = /(?<=[A-Za-z0-9_.-]\/[A-Za-z0-9_.-]{1,100})#(?=\d)/g;

/** `]` that ends a link's or image's text, or a link definition's label: `](`, `][`, `]:`. */
const LINK_RE = /\](?=[(\[:])/g;

/** `&` that starts a named or numeric character reference (`&#64;`, `&commat;`, `&#x40;`). */
const ENTITY_RE = /&(?=#?[A-Za-z0-9]{1,32};)/g;

/**
 * Defuses mentions, closing keywords, cross-repository references, raw HTML,
 * HTML comments, links, images and entities (see the module documentation), removes invisible
 * characters, and cuts the result to `maxChars` characters (with `…`).
 * Linear in the length of the text.
 *
 * @example
 * ```ts
 * neutralizeMarkdown("Fixes #3, cc @org/team <!-- p2p-dev v1 {} -->");
 * // "Fixes\u200b #3, cc @\u200borg/team <\u200b!-- p2p-dev v1 {} -->"
 * ```
 */
export function neutralizeMarkdown(text: string, maxChars = 60_000): string {
  const out = stripInvisible(text)
    .replace(TAG_OPEN_RE, `<${ZWSP}`)
    .replace(MENTION_RE, `@${ZWSP}`)
    .replace(CLOSING_RE, (keyword) => keyword + ZWSP)
    .replace(CROSS_REF_RE, `#${ZWSP}`)
    .replace(LINK_RE, `]${ZWSP}`)
    .replace(ENTITY_RE, `&${ZWSP}`);
  return capText(out, maxChars);
}

/**
 * {@linkcode neutralizeMarkdown} for one line (a title, a table cell): every
 * run of white space, line breaks included, becomes one space.
 *
 * @example
 * ```ts
 * neutralizeLine("Add the API\nFixes #3", 256); // "Add the API Fixes\u200b #3"
 * ```
 */
export function neutralizeLine(text: string, maxChars: number): string {
  return capText(neutralizeMarkdown(text.replace(/\s+/g, " ").trim(), Infinity), maxChars);
}

/**
 * Cuts a text to at most `maxChars` UTF-16 code units, ending it with `…` when
 * something was cut, never splitting a surrogate pair.
 *
 * @example
 * ```ts
 * capText("abcdef", 4); // "abc…"
 * ```
 */
export function capText(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  if (maxChars <= 0) return "";
  let end = maxChars - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return text.slice(0, end) + "…";
}
