/**
 * A copy of a string that shares no memory with the string it was cut from.
 *
 * V8 represents a slice of 13 characters or more (`slice`, `substring`,
 * regular expression captures) as a reference into the whole original
 * string, which stays alive as long as the slice does. A node that keeps the
 * first 256 characters of each of 1,000 comments of 64 KB would hold all 64
 * MB. What it keeps for long goes through {@linkcode ownCopy}.
 *
 * @module
 */

/**
 * A new string equal to `text` that keeps no larger string alive (lone
 * surrogates included). Linear in the length of `text`.
 *
 * @example
 * ```ts
 * const head = ownCopy(body.slice(0, 256)); // body can be collected
 * ```
 */
export function ownCopy(text: string): string {
  let out = "";
  for (let i = 0; i < text.length; i += 1024) {
    const codes = new Array<number>(Math.min(1024, text.length - i));
    for (let k = 0; k < codes.length; k++) codes[k] = text.charCodeAt(i + k);
    out += String.fromCharCode(...codes);
  }
  return out;
}
