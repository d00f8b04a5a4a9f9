/**
 * Whether a name (an environment variable, a JSON or YAML key) names a
 * secret. Shared by redaction (`key=value` pairs whose value must go) and by
 * child environments (variables that are never passed on by a prefix rule).
 *
 * @module
 */

/** Key words (after splitting a key at `_`, `.`, `-`, spaces and case changes) that name a secret. */
const SECRET_WORDS = new Set([
  "token",
  "tokens",
  "secret",
  "secrets",
  "password",
  "passwd",
  "passphrase",
  "credential",
  "credentials",
  "apikey",
  "auth",
  "authorization",
  "bearer",
  "cookie",
]);

/** Two adjacent key words that together name a secret. */
const SECRET_PAIRS = new Set([
  "apikey",
  "privatekey",
  "accesskey",
  "secretkey",
  "signingkey",
  "encryptionkey",
  "masterkey",
  "sessionid",
]);

/** Key words that, before `tokens`, mean a count rather than a credential (`max_tokens`). */
const COUNT_WORDS = new Set(["max", "min", "num", "total", "input", "output", "thinking"]);

/**
 * Whether a variable or field name names a secret (`PWD`, the working
 * directory, does not): `GITHUB_TOKEN`, `apiKey`,
 * `db.password`, `AWS_SECRET_ACCESS_KEY`, `DENO_AUTH_TOKENS`, but not
 * `max_tokens`, `tokenizer` or `author`.
 *
 * @example
 * ```ts
 * isSecretKey("ANTHROPIC_API_KEY"); // true
 * isSecretKey("max_tokens"); // false
 * ```
 */
export function isSecretKey(key: string): boolean {
  const words = key.replace(/([a-z0-9])([A-Z])/g, "$1 $2").toLowerCase().split(/[^a-z0-9]+/)
    .filter((w) => w !== "");
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    const before = i > 0 ? words[i - 1]! : "";
    if (word === "tokens" && COUNT_WORDS.has(before)) continue;
    if (SECRET_WORDS.has(word)) return true;
    if (i > 0 && SECRET_PAIRS.has(before + word)) return true;
  }
  return false;
}
