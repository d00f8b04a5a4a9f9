/**
 * Writes the dashboard beside `metrics.json`: `index.html` with the data
 * embedded (so it opens from `file://`, where a page cannot read files next
 * to it) and `comments.json`, the log the metrics were folded from (so a
 * Pages site can refresh both without rebuilding the page).
 *
 * @module
 */
import type { LogComment } from "../protocol/types.ts";
import { renderDashboard } from "./render_page.ts";
import type { SnapshotComment } from "./snapshot.ts";
import { type StaticMetrics, staticSnapshot } from "./static_snapshot.ts";

/**
 * The REST shape of comments the fold read (what `GET .../comments` returns, the fields
 * the page and `p2p-dev state --comments` read).
 *
 * @example
 * ```ts
 * const rest = restComments(view.comments(), { repo: "o/r", issue: 7, htmlUrl: "https://github.com" });
 * ```
 */
export function restComments(
  comments: readonly LogComment[],
  where: { repo: string; issue: number; htmlUrl: string; apiUrl?: string },
): SnapshotComment[] {
  return comments.map((c) => {
    const rest: SnapshotComment & { issue_url?: string } = {
      id: c.id,
      body: c.body,
      user: { login: c.author, type: c.authorType },
      created_at: isoTime(c.createdAt),
      updated_at: isoTime(c.updatedAt),
      html_url: `${where.htmlUrl}/${where.repo}/issues/${where.issue}#issuecomment-${c.id}`,
    };
    if (c.authorAssociation !== undefined) rest.author_association = c.authorAssociation;
    if (where.apiUrl) rest.issue_url = `${where.apiUrl}/repos/${where.repo}/issues/${where.issue}`;
    return rest;
  });
}

/** GitHub's form (whole seconds), keeping milliseconds when a time has them (an edit marked within the second). */
function isoTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  return ms % 1000 === 0 ? iso.replace(/\.000Z$/, "Z") : iso;
}

/**
 * Writes `index.html` (data embedded) into `dir`, and `comments.json` when
 * `writeComments` is set. Returns the paths written.
 *
 * @example
 * ```ts
 * await writeDashboard("p2p-dev-out", { metrics, comments, apiUrl: "https://api.github.com" });
 * ```
 */
export async function writeDashboard(
  dir: string,
  options: {
    metrics: StaticMetrics;
    comments: SnapshotComment[];
    writeComments?: boolean;
    apiUrl?: string;
    htmlUrl?: string;
    workflow?: string;
  },
): Promise<string[]> {
  const htmlUrl = options.htmlUrl ?? "https://github.com";
  const snapshot = staticSnapshot(options.metrics, options.comments, {
    htmlUrl,
    ...(options.workflow ? { workflow: options.workflow } : {}),
  });
  const html = renderDashboard({
    snapshot,
    htmlUrl,
    ...(options.apiUrl ? { apiUrl: options.apiUrl } : {}),
    ...(options.workflow ? { workflow: options.workflow } : {}),
  });
  await Deno.mkdir(dir, { recursive: true });
  const written = [`${dir}/index.html`];
  await Deno.writeTextFile(written[0]!, html);
  if (options.writeComments) {
    written.push(`${dir}/comments.json`);
    await Deno.writeTextFile(
      `${dir}/comments.json`,
      JSON.stringify(options.comments, null, 2) + "\n",
    );
  }
  return written;
}
