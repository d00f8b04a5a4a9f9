/**
 * The ETag cache for paginated lists: one entry per page URL, holding the
 * page's weak ETag, its decoded items and its `next` link, because a
 * `304 Not Modified` carries neither a body nor a `Link` header.
 *
 * It is bounded by pages and by the characters of the comment bodies it
 * holds: a stranger's flood of comments as large as GitHub allows (65,536
 * characters) would otherwise stay in memory whole, page after page, whatever
 * the node's log view keeps. A page evicted for size costs one full read (a
 * `200` instead of a free `304`) the next time it is listed.
 *
 * See https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api#use-conditional-requests-if-appropriate
 *
 * @module
 */
import type { LogComment } from "../protocol/types.ts";

/**
 * One cached page of comments.
 *
 * @example
 * ```ts
 * const p: CachedPage = { etag: 'W/"abc"', comments: [], next: undefined };
 * ```
 */
export interface CachedPage {
  /** The page's ETag, sent back verbatim in `If-None-Match`. */
  etag: string;
  /** The page's comments, decoded. */
  comments: LogComment[];
  /** The page's `rel="next"` URL, if it had one. */
  next: string | undefined;
}

/**
 * A least-recently-used map from page URL to {@linkcode CachedPage}.
 *
 * @example
 * ```ts
 * const cache = new PageCache(2);
 * cache.set("https://api.github.com/x?page=1", { etag: 'W/"a"', comments: [], next: undefined });
 * console.assert(cache.get("https://api.github.com/x?page=1")?.etag === 'W/"a"');
 * ```
 */
export class PageCache {
  readonly #pages = new Map<string, { page: CachedPage; chars: number }>();
  readonly #limit: number;
  readonly #maxChars: number;
  #chars = 0;

  /**
   * Create a cache holding at most `limit` pages (at least 1) and at most
   * `maxChars` characters of comment bodies (default 8 Mi; a page larger
   * than that alone is not cached).
   */
  constructor(limit = 256, maxChars = 8 * 2 ** 20) {
    if (!(limit >= 1)) {
      throw new RangeError(
        `Page cache limit must be at least 1, got ${limit}: pass a positive number.`,
      );
    }
    if (!(maxChars >= 0)) {
      throw new RangeError(
        `Page cache size must be a number of characters of at least 0, got ${maxChars}.`,
      );
    }
    this.#limit = limit;
    this.#maxChars = maxChars;
  }

  /** The page cached for `url`, marking it recently used. */
  get(url: string): CachedPage | undefined {
    const entry = this.#pages.get(url);
    if (entry !== undefined) {
      this.#pages.delete(url);
      this.#pages.set(url, entry);
    }
    return entry?.page;
  }

  /** Cache `page` for `url`, evicting the least recently used pages when full. */
  set(url: string, page: CachedPage): void {
    this.delete(url);
    const chars = page.comments.reduce((n, c) => n + c.body.length, 0);
    if (chars > this.#maxChars) return;
    this.#pages.set(url, { page, chars });
    this.#chars += chars;
    while (this.#pages.size > this.#limit || this.#chars > this.#maxChars) {
      const oldest = this.#pages.keys().next();
      if (oldest.done) break;
      this.delete(oldest.value);
    }
  }

  /** Forget the page cached for `url`. */
  delete(url: string): void {
    const entry = this.#pages.get(url);
    if (entry === undefined) return;
    this.#pages.delete(url);
    this.#chars -= entry.chars;
  }

  /** Characters of comment bodies cached. */
  get chars(): number {
    return this.#chars;
  }

  /** How many pages are cached. */
  get size(): number {
    return this.#pages.size;
  }
}
