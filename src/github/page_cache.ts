/**
 * The ETag cache for paginated lists: one entry per page URL, holding the
 * page's weak ETag, its decoded items and its `next` link, because a
 * `304 Not Modified` carries neither a body nor a `Link` header.
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
  readonly #pages = new Map<string, CachedPage>();
  readonly #limit: number;

  /** Create a cache holding at most `limit` pages (at least 1). */
  constructor(limit = 256) {
    if (!(limit >= 1)) {
      throw new RangeError(
        `Page cache limit must be at least 1, got ${limit}: pass a positive number.`,
      );
    }
    this.#limit = limit;
  }

  /** The page cached for `url`, marking it recently used. */
  get(url: string): CachedPage | undefined {
    const page = this.#pages.get(url);
    if (page !== undefined) {
      this.#pages.delete(url);
      this.#pages.set(url, page);
    }
    return page;
  }

  /** Cache `page` for `url`, evicting the least recently used page when full. */
  set(url: string, page: CachedPage): void {
    this.#pages.delete(url);
    this.#pages.set(url, page);
    while (this.#pages.size > this.#limit) {
      const oldest = this.#pages.keys().next();
      if (oldest.done) break;
      this.#pages.delete(oldest.value);
    }
  }

  /** Forget the page cached for `url`. */
  delete(url: string): void {
    this.#pages.delete(url);
  }

  /** How many pages are cached. */
  get size(): number {
    return this.#pages.size;
  }
}
