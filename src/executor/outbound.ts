/**
 * What an executor reports leaves the node in protocol comments (progress
 * notes, result summaries) and from there reaches the summary comment, the
 * dashboard and terminals. That text is agent output, which the issue's
 * author may have steered: it is neutralised before the node posts it.
 *
 * @module
 */
import { neutralizeLine, neutralizeMarkdown } from "../text/neutralize.ts";
import type { ExecContext, ExecOutcome, Executor } from "./port.ts";
import type { PlanTask } from "../protocol/types.ts";

/**
 * Longest result summary posted (an executor keeps the last 2,000 characters
 * of output plus a sentence or two).
 *
 * @example
 * ```ts
 * summary.length <= MAX_SUMMARY_CHARS;
 * ```
 */
export const MAX_SUMMARY_CHARS = 4_000;

/**
 * Longest progress note posted.
 *
 * @example
 * ```ts
 * note.length <= MAX_NOTE_CHARS;
 * ```
 */
export const MAX_NOTE_CHARS = 200;

/**
 * Wraps an executor so that its progress notes (one line) and result
 * summaries are neutralised (no mention, closing keyword, cross-reference,
 * HTML, HTML comment or `<!-- p2p-dev` marker: see `src/text/neutralize.ts`)
 * and capped, whatever the agent printed.
 *
 * @example
 * ```ts
 * const exec = outboundExecutor(commandExecutor({ command: "make", workRoot }));
 * ```
 */
export function outboundExecutor(inner: Executor): Executor {
  return {
    name: inner.name,
    async run(task: PlanTask, ctx: ExecContext): Promise<ExecOutcome> {
      const outcome = await inner.run(task, {
        ...ctx,
        onProgress: (percent, note) =>
          note === undefined
            ? ctx.onProgress(percent)
            : ctx.onProgress(percent, neutralizeLine(note, MAX_NOTE_CHARS)),
      });
      const summary = outcome.result.summary;
      return summary === undefined ? outcome : {
        ...outcome,
        result: { ...outcome.result, summary: neutralizeMarkdown(summary, MAX_SUMMARY_CHARS) },
      };
    },
  };
}
