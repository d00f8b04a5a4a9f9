/**
 * What the page renders, whatever the source: the issue's comments as the
 * REST API returns them, the trust settings to fold them with, the
 * workflow runs, and the rate limit. The live source (in the browser or in
 * `dashboard serve`), the static files and the server's push all produce
 * one of these; the page folds it with the protocol's own code.
 *
 * @module
 */
import type { TokenKind } from "../protocol/budget.ts";

/** An issue comment with the REST fields the page reads. */
export interface SnapshotComment {
  id: number;
  body?: string | null;
  user?: { login: string; type?: string } | null;
  created_at: string;
  updated_at: string;
  author_association?: string;
  html_url?: string;
}

/**
 * Whose messages count: the swarm's own login, logins trusted by
 * configuration, and logins found to have write access. When
 * `byAssociation` is true, authors GitHub marks as owner, member or
 * collaborator count as writers (offline, or when the permission API is
 * closed to the viewer), as `p2p-dev state --comments` does.
 */
export interface SnapshotTrust {
  self: string | null;
  allow: string[];
  writers: string[];
  byAssociation: boolean;
}

/** A job of a workflow run. */
export interface JobView {
  id: number;
  name: string;
  status: string;
  conclusion: string | null;
  startedAt: string | null;
  completedAt: string | null;
  htmlUrl: string | null;
}

/** A workflow run of the swarm's workflow. */
export interface RunView {
  id: number;
  runNumber: number;
  status: string;
  conclusion: string | null;
  event: string;
  title: string;
  htmlUrl: string;
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  jobs: JobView[] | null;
}

/** The primary rate limit of the token that reads (from `x-ratelimit-*`). */
export interface RateView {
  limit: number;
  remaining: number;
  used: number;
  /** Epoch seconds when the window resets. */
  reset: number;
}

/** API use of one identity, when a source knows it (the aggregator's `metrics.json`). */
export interface ApiUse {
  requests?: number;
  writes: number;
  notModified?: number;
  rateLimited?: number;
}

/** Everything the page shows, from any source. */
export interface Snapshot {
  source: "live" | "serve" | "static";
  repo: string;
  issue: number;
  /** Base of web links (https://github.com). */
  htmlUrl: string;
  comments: SnapshotComment[];
  trust: SnapshotTrust;
  /** Workflow file whose runs are shown. */
  workflow: string;
  /** Runs of that workflow for this issue; null when the source cannot know them. */
  runs: RunView[] | null;
  /** Why runs are missing or partial, when they are. */
  runsNote: string | null;
  rate: RateView | null;
  /** A condition the viewer must know about (rate limit, permission, network). */
  notice: string | null;
  /** Successful polls so far (0 for static data). */
  polls: number;
  /** Server time in epoch ms when the source knows it better than the browser's clock. */
  serverNow: number | null;
  /** Token kind of the swarm, for the budget arithmetic, when known. */
  tokenKind: TokenKind | null;
  /** API use per identity, when the source measured it. */
  apiByIdentity: Record<string, ApiUse> | null;
  /**
   * A cost cap the source applies over the plan's (the aggregator's
   * `--max-cost-usd`, from `metrics.json`); absent or null: the plan's.
   */
  maxCostUsd?: number | null;
}

/** The workflow file of the swarm (the one `p2p-dev init` writes). */
export const DEFAULT_WORKFLOW = "p2p-autonomous-dev.yml";

/** The login a swarm in GitHub Actions writes as. */
export const ACTIONS_LOGIN = "github-actions[bot]";
