/**
 * Redaction of secrets in text that leaves the process: task summaries posted
 * to the issue, progress notes, error messages and logs. It is the second line
 * of defence: the first is that tasks never get the node's credentials in
 * their environment (see `src/process/child_env.ts`).
 *
 * Two kinds of text are replaced by {@linkcode REDACTED}:
 *
 * - The secrets the caller knows (the GitHub token, `P2P_SECRET`, the agent's
 *   API key): verbatim, and, for secrets of at least
 *   {@linkcode MIN_FUZZY_LENGTH} letters and digits, also in the forms a task
 *   can print them in without meaning to hide anything or while trying to:
 *   with any characters between the letters (spaced, one per line, quoted and
 *   concatenated, split across lines), in any letter case, reversed, as hex
 *   (also percent-encoded, and the hex of the reversed secret), and inside
 *   base64 or base64url of the secret or of its reverse (also wrapped across
 *   lines, and embedded in a longer encoded text such as
 *   `x-access-token:<token>` in a Basic header).
 * - Text that looks like a credential whatever its origin: GitHub tokens
 *   (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`, `github_pat_`), Anthropic
 *   (`sk-ant-`) and OpenAI-style (`sk-`) keys, npm tokens (`npm_`), AWS access
 *   key ids, Slack tokens, JSON Web Tokens, PEM private keys, `Authorization`
 *   values (header or JSON), `Bearer` tokens, credentials in URLs, and the
 *   value of any `key=value` / `key: value` whose key names a secret
 *   (`GITHUB_TOKEN=`, `"apiKey":`, `password:`), which also covers 40-hex
 *   classic tokens printed that way. A token counts even when glued to the
 *   word before it (`MY_TOKEN_ghp_…`, `APIKEYsk-ant-…`) or split across lines.
 *
 * A bare 40-character hex string is not redacted: it is far more often a
 * commit id than a token, and a token the node holds is found by value.
 *
 * Every step is linear in the length of the text.
 *
 * @module
 */
import { isSecretKey } from "../text/secret_key.ts";

/**
 * What a redacted secret is replaced with.
 *
 * @example
 * ```ts
 * redact("ghp_abcdefghijklmnopqrstuvwxyz0123") === REDACTED; // true
 * ```
 */
export const REDACTED = "***";

/**
 * Secrets shorter than this are not redacted by exact match: replacing every
 * `a` or `42` in an output would mangle it and hide nothing worth hiding.
 *
 * @example
 * ```ts
 * redact("a b c", ["b"]); // "a b c": too short to redact
 * ```
 */
export const MIN_SECRET_LENGTH = 4;

/**
 * Known secrets with at least this many letters and digits are also found in
 * spaced, reversed, hex and base64 forms; shorter ones only verbatim (their
 * letters would too often occur by chance).
 *
 * @example
 * ```ts
 * redact("h u n t e r 2 2 x", ["hunter22"]); // "*** x"
 * ```
 */
export const MIN_FUZZY_LENGTH = 8;

/** A span of the original text to replace. */
type Span = [start: number, end: number];

/**
 * Well-known credential formats that are credentials wherever they appear
 * (also in committed files; see {@linkcode secretFinder}).
 */
const FORMAT_PATTERNS: readonly RegExp[] = [
  // GitHub tokens: personal (ghp_), OAuth (gho_), user-to-server (ghu_),
  // server-to-server / GITHUB_TOKEN (ghs_), refresh (ghr_), fine-grained PATs
  // (https://github.blog/2021-04-05-behind-githubs-new-authentication-token-formats/).
  // No word boundary before: `MY_TOKEN_ghp_…` is a token too.
  /(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}/dg,
  /github_pat_[A-Za-z0-9_]{20,}/dg,
  // Anthropic API keys, then OpenAI-style `sk-…` keys (not after a lower-case
  // letter: "risk-assessment-of-the-module" is prose).
  /sk-ant-[A-Za-z0-9_-]{10,}/dg,
  /(?<![a-z])sk-[A-Za-z0-9_-]{20,}/dg,
  // npm access tokens.
  /npm_[A-Za-z0-9]{36}/dg,
  // AWS access key ids.
  /(?:AKIA|ASIA)[0-9A-Z]{16}(?![0-9A-Z])/dg,
  // PEM private keys (a GitHub App's key among them).
  /-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY-----[^]*?(?:-----END [A-Z0-9 ]{0,40}PRIVATE KEY-----|$)/dg,
];

/**
 * Patterns of credentials in output. The group named `secret` is replaced
 * (the whole match when there is none); the rest stays, such as the
 * `Authorization: Bearer ` prefix or the user part of a URL.
 */
const TOKEN_PATTERNS: readonly RegExp[] = [
  ...FORMAT_PATTERNS,
  // Slack tokens.
  /xox[abprs]-[A-Za-z0-9-]{10,}/dg,
  // JSON Web Tokens: base64url header and payload (both JSON objects) and signature.
  /eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}/dg,
  // Authorization values, as a header or a JSON or YAML field.
  /\bauthorization["']?[ \t]{0,20}[:=][ \t]{0,20}["']?[ \t]{0,20}(?:(?:bearer|token|basic|digest)[ \t]{1,20})?(?<secret>[^\s"',;]+)/dgi,
  // Bearer tokens and Basic credentials anywhere.
  /\bbearer[ \t]{1,20}(?<secret>[A-Za-z0-9._~+/-]{16,}=*)/dgi,
  /\bbasic[ \t]{1,20}(?<secret>[A-Za-z0-9+/]{16,}={0,2})/dgi,
  // Passwords in URLs (scheme://user:password@host), and a user part alone
  // that is long enough to be a token (https://TOKEN@host).
  /\b[a-z][a-z0-9+.-]{0,30}:\/\/[^\s/:@]{1,200}:(?<secret>[^\s@/]{1,500})@/dgi,
  /\b[a-z][a-z0-9+.-]{0,30}:\/\/(?<secret>[^\s/:@]{16,500})@/dgi,
];

/**
 * `key=value`, `key: value`, `"key": "value"`: the value is a secret when the
 * key names one (see `isSecretKey`).
 */
const KEY_VALUE_RE =
  /(?<key>[A-Za-z_][A-Za-z0-9_.-]{0,100})["']?[ \t]{0,20}[:=][ \t]{0,20}["']?(?<value>[^\s"'<>,;`]{8,})/dg;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Letters and digits of a text, with the index each came from. */
interface Projection {
  text: string;
  lower: string;
  at: Int32Array;
}

/** Keeps ASCII letters and digits (what every encoding below is made of), with their positions. */
function project(text: string): Projection {
  const at = new Int32Array(text.length);
  let out = "";
  let n = 0;
  let run = -1;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : -1;
    const keep = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
    if (keep) {
      if (run < 0) run = i;
      at[n++] = i;
    } else if (run >= 0) {
      out += text.slice(run, i);
      run = -1;
    }
  }
  return { text: out, lower: out.toLowerCase(), at: at.subarray(0, n) };
}

/** Letters and digits only. */
function alnum(text: string): string {
  return text.replace(/[^A-Za-z0-9]+/g, "");
}

/** Base64 of bytes. */
function base64(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

/**
 * The parts of the base64 encoding of `secret` that appear in the encoding of
 * any text containing it, one for each of the three byte alignments.
 */
function base64Cores(secret: string): string[] {
  const bytes = new TextEncoder().encode(secret);
  const cores: string[] = [];
  for (let offset = 0; offset < 3; offset++) {
    const padded = new Uint8Array(offset + bytes.length);
    padded.set(bytes, offset);
    const encoded = base64(padded);
    const skip = offset === 0 ? 0 : offset + 1;
    const full = Math.floor(padded.length / 3) * 4;
    cores.push(encoded.slice(skip, full));
  }
  return cores;
}

/** Needles of one known secret, searched in the projection. */
interface Needles {
  caseless: string[];
  exact: string[];
}

function needlesOf(secret: string): Needles {
  const reversed = [...secret].reverse().join("");
  const hexOf = (text: string) =>
    [...new TextEncoder().encode(text)].map((b) => b.toString(16).padStart(2, "0")).join("");
  const plain = alnum(secret).toLowerCase();
  const hex = hexOf(secret);
  const caseless = [
    plain,
    [...plain].reverse().join(""),
    hex,
    [...hex].reverse().join(""),
    hexOf(reversed),
  ].filter((s) => s.length >= MIN_FUZZY_LENGTH);
  const exact = [...base64Cores(secret), ...base64Cores(reversed)].map(alnum)
    .filter((s) => s.length >= MIN_FUZZY_LENGTH);
  return { caseless, exact };
}

/** Every occurrence of `needle` in `haystack`, as projection index ranges. */
function occurrences(haystack: string, needle: string, out: Span[]): void {
  for (let i = haystack.indexOf(needle); i >= 0; i = haystack.indexOf(needle, i + 1)) {
    out.push([i, i + needle.length]);
  }
}

/** Merges spans and replaces each with {@linkcode REDACTED}. */
function applySpans(text: string, spans: Span[]): string {
  if (spans.length === 0) return text;
  spans.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  let out = "";
  let from = 0;
  let i = 0;
  while (i < spans.length) {
    let [start, end] = spans[i]!;
    i++;
    while (i < spans.length && spans[i]![0] <= end) {
      end = Math.max(end, spans[i]![1]);
      i++;
    }
    if (start < from) start = from;
    out += text.slice(from, start) + REDACTED;
    from = end;
  }
  return out + text.slice(from);
}

/** Spans of the `secret` group (or the whole match) of a pattern. */
function patternSpans(pattern: RegExp, text: string, out: Span[], shift?: (i: number) => number) {
  for (const m of text.matchAll(pattern)) {
    const [start, end] = m.indices?.groups?.secret ?? m.indices![0]!;
    if (end <= start) continue;
    out.push(shift ? [shift(start), shift(end - 1) + 1] : [start, end]);
  }
}

/**
 * Token formats of a fixed length, which still mean a token when white space
 * was cut into them (a format of open length would run on into the next
 * word; a known secret is found split whatever its format).
 */
const SPLIT_PATTERNS: readonly RegExp[] = [
  /(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}/dg,
  /github_pat_[A-Za-z0-9_]{82}/dg,
  /npm_[A-Za-z0-9]{36}/dg,
  /(?:AKIA|ASIA)[0-9A-Z]{16}/dg,
];

/**
 * Tokens split across lines (`ghp_abc` newline `def…`): the fixed-length
 * token patterns run over the text with its line breaks (and the indentation
 * around them) removed; a match that spans a removed break is redacted
 * across it. Spaces inside a line are not removed: they separate words.
 */
function splitTokenSpans(text: string, out: Span[]): void {
  if (!text.includes("\n")) return;
  const at: number[] = [];
  let joined = "";
  let from = 0;
  for (const m of text.matchAll(/[ \t]*\r?\n[ \t]*/g)) {
    for (let i = from; i < m.index; i++) at.push(i);
    joined += text.slice(from, m.index);
    from = m.index + m[0].length;
  }
  for (let i = from; i < text.length; i++) at.push(i);
  joined += text.slice(from);
  for (const pattern of SPLIT_PATTERNS) {
    for (const m of joined.matchAll(pattern)) {
      const [s, e] = m.indices![0]!;
      const start = at[s]!, end = at[e - 1]! + 1;
      if (end - start !== e - s) out.push([start, end]);
    }
  }
}

/**
 * Options of {@linkcode secretFinder}.
 *
 * @example
 * ```ts
 * const opts: SecretFinderOptions = { context: false };
 * ```
 */
export interface SecretFinderOptions {
  /**
   * Also find credentials by their context (an `Authorization` value, a
   * `Bearer` token, a password in a URL, the value of a secret-named key)
   * and in shapes that test fixtures often imitate (JWTs, Slack and generic
   * `sk-` keys). Default true; false for committed files, where such text is
   * often an example.
   */
  context?: boolean;
}

/**
 * Creates a function that finds the given secrets (in every form described
 * in the module documentation) and well-known credentials in a text, as
 * `[start, end)` spans (possibly overlapping, in no order).
 *
 * @example
 * ```ts
 * const find = secretFinder([token], { context: false });
 * find(fileText).length > 0; // the file holds a credential
 * ```
 */
export function secretFinder(
  secrets: readonly string[] = [],
  options: SecretFinderOptions = {},
): (text: string) => [number, number][] {
  const context = options.context ?? true;
  const known = [...new Set(secrets)].filter((s) => s.trim().length >= MIN_SECRET_LENGTH)
    .sort((a, b) => b.length - a.length);
  const exactPattern = known.length > 0
    ? new RegExp(known.map(escapeRegExp).join("|"), "dg")
    : undefined;
  const needles = known.map(needlesOf);
  const caseless = [...new Set(needles.flatMap((n) => n.caseless))];
  const exact = [...new Set(needles.flatMap((n) => n.exact))];
  return (text) => {
    const spans: Span[] = [];
    if (exactPattern) patternSpans(exactPattern, text, spans);
    if (caseless.length + exact.length > 0) {
      const p = project(text);
      const hits: Span[] = [];
      for (const needle of caseless) occurrences(p.lower, needle, hits);
      for (const needle of exact) occurrences(p.text, needle, hits);
      for (const [s, e] of hits) spans.push([p.at[s]!, p.at[e - 1]! + 1]);
    }
    for (const pattern of context ? TOKEN_PATTERNS : FORMAT_PATTERNS) {
      patternSpans(pattern, text, spans);
    }
    if (context) {
      for (const m of text.matchAll(KEY_VALUE_RE)) {
        const key = m.groups!.key!;
        const value = m.groups!.value!;
        if (value.startsWith(REDACTED) || !isSecretKey(key)) continue;
        spans.push(m.indices!.groups!.value!);
      }
    }
    splitTokenSpans(text, spans);
    return spans;
  };
}

/**
 * Creates a function that redacts the given secrets (in every form described
 * in the module documentation) and the well-known credential patterns. Build
 * it once and reuse it for many texts.
 *
 * Secrets shorter than {@linkcode MIN_SECRET_LENGTH} characters are ignored
 * (see there).
 *
 * @example
 * ```ts
 * const clean = redactor(["hunter22"]);
 * clean("password hunter22, token ghp_abcdefghijklmnopqrstuvwxyz0123456789");
 * // "password ***, token ***"
 * ```
 */
export function redactor(secrets: readonly string[] = []): (text: string) => string {
  const find = secretFinder(secrets);
  return (text) => applySpans(text, find(text));
}

/**
 * Redacts secrets and well-known token patterns in one text.
 *
 * @example
 * ```ts
 * redact("clone https://x-access-token:abc123456@github.com/o/r", []);
 * // "clone https://x-access-token:***@github.com/o/r"
 * ```
 */
export function redact(text: string, secrets: readonly string[] = []): string {
  return redactor(secrets)(text);
}

/**
 * The last `maxChars` characters of a text, prefixed with `…` when something
 * was cut. Redact before taking the tail, or a secret cut in half at the start
 * of the tail would no longer match.
 *
 * @example
 * ```ts
 * tailText("abcdef", 3); // "…def"
 * ```
 */
export function tailText(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  return "…" + text.slice(text.length - maxChars);
}
