/**
 * One gate in front of every request a node sends: once GitHub answered
 * with a rate limit the adapter stopped retrying, no request of this node
 * leaves before the wait GitHub asked for is over. A rate limit is a reason
 * to wait, never to exit.
 *
 * GitHub's REST documentation ("Rate limits for the REST API", "Exceeding
 * the rate limit"): after a primary limit, wait until `x-ratelimit-reset`;
 * after a secondary limit, wait `retry-after` seconds when given, else at
 * least a minute, and longer (exponentially) if it persists.
 * https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api
 *
 * @module
 */
import { RateLimitError } from "../github/errors.ts";
import type { GitHub } from "../github/port.ts";
import type { Clock } from "./ports.ts";

/** Wait after a secondary limit that named no `retry-after` (GitHub: at least a minute). */
export const SECONDARY_WAIT_MS = 60_000;

/**
 * The rate gate of one node.
 *
 * @example
 * ```ts
 * const gate = new RateGate(systemClock, signal);
 * const github = gate.wrap(octokitAdapter);
 * await github.listComments(7); // waits first if GitHub asked for quiet
 * ```
 */
export class RateGate {
  readonly #clock: Clock;
  readonly #signal: AbortSignal;
  /** Local time before which GitHub asked for no requests. */
  #quietUntil = 0;
  /** Secondary limits without `retry-after` in a row (the wait doubles). */
  #bareSecondary = 0;

  constructor(clock: Clock, signal: AbortSignal) {
    this.#clock = clock;
    this.#signal = signal;
  }

  /** Milliseconds left of the wait GitHub asked for (0 when none). */
  remainingMs(): number {
    return Math.max(0, this.#quietUntil - this.#clock.now());
  }

  /**
   * Resolves when GitHub's wait is over. When the node is stopped during the
   * wait, rejects with a {@linkcode RateLimitError}: the request is not sent.
   */
  async pass(): Promise<void> {
    const wait = this.remainingMs();
    if (wait <= 0) return;
    try {
      await this.#clock.sleep(wait, this.#signal);
    } catch {
      throw new RateLimitError(
        `Not sent: the node stopped while GitHub's rate limit still applied for ${
          Math.ceil(this.remainingMs() / 1000)
        } s.`,
        "secondary",
        this.remainingMs(),
      );
    }
  }

  /**
   * Remembers how long `error` asks this node to stay quiet: a rate limit, or
   * an error caused by one (a write of unknown outcome whose re-read was
   * rate-limited).
   */
  note(error: unknown): void {
    const limit = rateLimitIn(error, 0);
    if (!limit) return;
    let asked = typeof limit.retryAfterMs === "number" && limit.retryAfterMs > 0
      ? limit.retryAfterMs
      : undefined;
    if (asked === undefined) {
      asked = SECONDARY_WAIT_MS * 2 ** Math.min(this.#bareSecondary, 5);
      this.#bareSecondary++;
    } else this.#bareSecondary = 0;
    this.#quietUntil = Math.max(this.#quietUntil, this.#clock.now() + asked);
  }

  /** `github` with every call gated and every rate limit noted. */
  wrap(github: GitHub): GitHub {
    const gated = <K extends Exclude<keyof GitHub, "stats" | "rateLimit">>(key: K): GitHub[K] => {
      const call = async (...args: unknown[]): Promise<unknown> => {
        await this.pass();
        try {
          const result = await (github[key] as (...a: unknown[]) => Promise<unknown>)
            .apply(github, args);
          this.#bareSecondary = 0;
          return result;
        } catch (error) {
          this.note(error);
          throw error;
        }
      };
      return call as GitHub[K];
    };
    return {
      repository: github.repository,
      identity: gated("identity"),
      getIssue: gated("getIssue"),
      listComments: gated("listComments"),
      createComment: gated("createComment"),
      updateComment: gated("updateComment"),
      getComment: gated("getComment"),
      deleteComment: gated("deleteComment"),
      permission: gated("permission"),
      branchSha: gated("branchSha"),
      defaultBranch: gated("defaultBranch"),
      createRef: gated("createRef"),
      deleteRef: gated("deleteRef"),
      getRef: gated("getRef"),
      commitTree: gated("commitTree"),
      createCommit: gated("createCommit"),
      createPullRequest: gated("createPullRequest"),
      // Free and answered even while limited: it tells how long to wait.
      rateLimit: () => github.rateLimit(),
      stats: () => github.stats(),
    };
  }
}

/** The rate limit in `error` or its causes (depth-limited). */
function rateLimitIn(error: unknown, depth: number): { retryAfterMs?: unknown } | undefined {
  if (typeof error !== "object" || error === null || depth > 4) return undefined;
  if ((error as { name?: unknown }).name === "RateLimitError") return error;
  const nested = [
    (error as { cause?: unknown }).cause,
    ...((error as { errors?: unknown }).errors instanceof Array
      ? (error as { errors: unknown[] }).errors
      : []),
  ];
  for (const e of nested) {
    const found = rateLimitIn(e, depth + 1);
    if (found) return found;
  }
  return undefined;
}
