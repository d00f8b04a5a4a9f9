/**
 * The static source: `metrics.json` and `comments.json` as the aggregator
 * and the demo write them, turned into a {@linkcode Snapshot}. No token.
 *
 * @module
 */
import type { TokenKind } from "../protocol/budget.ts";
import { ACTIONS_LOGIN, type ApiUse, DEFAULT_WORKFLOW, type Snapshot } from "./snapshot.ts";

/** The fields of `metrics.json` the page reads. */
export interface StaticMetrics {
  repo?: string;
  issue?: number;
  ceiling?: { tokenKind?: string };
  api?: { byIdentity?: Record<string, ApiUse> };
  trust?: { self?: string | null; allow?: string[]; writers?: string[] } | null;
  cost?: { maxCostUsd?: number | null };
}

/**
 * Builds a snapshot from the two files. Without a `trust` section in the
 * metrics (older files), the swarm's login is `self` when given, else the
 * Actions bot, and writers are judged by `author_association`.
 *
 * @example
 * ```ts
 * const snap = staticSnapshot(JSON.parse(metricsText), JSON.parse(commentsText));
 * ```
 */
export function staticSnapshot(
  metrics: StaticMetrics | null,
  comments: unknown,
  options: { htmlUrl?: string; self?: string | null; workflow?: string } = {},
): Snapshot {
  if (!Array.isArray(comments)) {
    throw new TypeError("comments.json must hold a JSON array of issue comments.");
  }
  let issue = Number(metrics?.issue ?? 0);
  if (!issue) {
    for (const c of comments as { issue_url?: unknown }[]) {
      const m = /\/issues\/(\d+)$/.exec(String(c?.issue_url ?? ""));
      if (m) {
        issue = Number(m[1]);
        break;
      }
    }
  }
  const kind = metrics?.ceiling?.tokenKind;
  const trust = metrics?.trust;
  return {
    source: "static",
    repo: metrics?.repo ?? "",
    issue,
    htmlUrl: options.htmlUrl ?? "https://github.com",
    comments: comments.filter((c) => typeof c === "object" && c !== null),
    trust: trust
      ? {
        self: trust.self ?? null,
        allow: trust.allow ?? [],
        writers: trust.writers ?? [],
        byAssociation: false,
      }
      : { self: options.self ?? ACTIONS_LOGIN, allow: [], writers: [], byAssociation: true },
    workflow: options.workflow ?? DEFAULT_WORKFLOW,
    runs: null,
    runsNote: "Static data has no workflow runs: connect with a token to see them live.",
    rate: null,
    notice: null,
    polls: 0,
    serverNow: null,
    tokenKind: kind === "actions" || kind === "pat" || kind === "app" ? kind as TokenKind : null,
    apiByIdentity: metrics?.api?.byIdentity ?? null,
    maxCostUsd: typeof metrics?.cost?.maxCostUsd === "number" ? metrics.cost.maxCostUsd : null,
  };
}
