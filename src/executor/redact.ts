/**
 * Redaction of secrets in text that leaves the process: task summaries posted
 * to the issue, progress notes, error messages and logs.
 *
 * Two things are replaced by {@linkcode REDACTED}: the exact secret strings a
 * caller knows about (tokens from the configuration), and text that looks like
 * a credential whatever its origin (GitHub tokens, Anthropic and OpenAI-style
 * API keys, AWS access key ids, `Authorization:` header values and passwords
 * in URLs).
 *
 * @module
 */

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
 * Patterns of well-known credential formats. Each match is replaced whole,
 * except for groups named `keep`, which stay (the `Authorization: Bearer `
 * prefix, the user part of a URL).
 */
const TOKEN_PATTERNS: readonly RegExp[] = [
  // GitHub tokens: personal (ghp_), OAuth (gho_), user-to-server (ghu_),
  // server-to-server / GITHUB_TOKEN (ghs_), refresh (ghr_), fine-grained PATs.
  /\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}/g,
  /\bgithub_pat_[A-Za-z0-9_]{20,}/g,
  // Anthropic API keys, then OpenAI-style `sk-…` keys.
  /\bsk-ant-[A-Za-z0-9_-]{10,}/g,
  /\bsk-[A-Za-z0-9_-]{20,}/g,
  // AWS access key ids.
  /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g,
  // Authorization header values.
  /(?<keep>\bauthorization:\s*(?:bearer|token|basic)\s+)[^\s"']+/gi,
  // Passwords in URLs: scheme://user:password@host.
  /(?<keep>\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@]+:)[^\s@/]+(?=@)/gi,
];

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Creates a function that redacts the given secrets and the well-known token
 * patterns. Build it once and reuse it for many texts.
 *
 * Secrets shorter than {@linkcode MIN_SECRET_LENGTH} characters are ignored
 * (see there); longer secrets win over shorter ones that they contain.
 *
 * @example
 * ```ts
 * const clean = redactor(["hunter22"]);
 * clean("password hunter22, token ghp_abcdefghijklmnopqrstuvwxyz0123456789");
 * // "password ***, token ***"
 * ```
 */
export function redactor(secrets: readonly string[] = []): (text: string) => string {
  const exact = [...new Set(secrets)]
    .filter((s) => s.trim().length >= MIN_SECRET_LENGTH)
    .sort((a, b) => b.length - a.length)
    .map(escapeRegExp);
  const exactPattern = exact.length > 0 ? new RegExp(exact.join("|"), "g") : undefined;
  return (text) => {
    let out = exactPattern ? text.replace(exactPattern, REDACTED) : text;
    for (const pattern of TOKEN_PATTERNS) {
      out = out.replace(
        pattern,
        (...args) => {
          const groups = args.at(-1) as Record<string, string | undefined> | undefined;
          return (typeof groups === "object" && groups?.keep !== undefined ? groups.keep : "") +
            REDACTED;
        },
      );
    }
    return out;
  };
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
