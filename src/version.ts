/**
 * The program's version, from deno.json (embedded by import, so the bundle
 * and the compiled binary carry it).
 *
 * @module
 */
import denoJson from "../deno.json" with { type: "json" };

/**
 * The version string.
 *
 * @example
 * ```ts
 * VERSION; // "0.1.0"
 * ```
 */
export const VERSION: string = denoJson.version;
