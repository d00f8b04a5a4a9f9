/**
 * Quoting for command lines the program prints for people to paste.
 *
 * @module
 */

/**
 * Quotes a word for a POSIX shell when it needs quoting.
 *
 * @example
 * ```ts
 * shellQuote("p2p-dev-demo/comments.json"); // "p2p-dev-demo/comments.json"
 * shellQuote("my dir/x"); // "'my dir/x'"
 * ```
 */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
