/**
 * The part of `node:buffer` the protocol uses (`Buffer.from(hex, "hex")`),
 * for the dashboard's browser bundle.
 *
 * @module
 */

/**
 * `Buffer.from` for hex strings and byte arrays.
 *
 * @example
 * ```ts
 * Buffer.from("0aff", "hex"); // Uint8Array [10, 255]
 * ```
 */
export const Buffer = {
  from(value: string | Uint8Array, encoding?: string): Uint8Array {
    if (typeof value !== "string") return new Uint8Array(value);
    if (encoding !== "hex") {
      throw new TypeError(`Unsupported encoding "${encoding}": only hex is available.`);
    }
    const clean = /^(?:[0-9a-fA-F]{2})*/.exec(value)![0];
    const out = new Uint8Array(clean.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
    return out;
  },
};
