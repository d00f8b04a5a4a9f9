/**
 * The GitHub port: exactly the calls the node roles need. The Octokit adapter
 * implements it over HTTP; the simulation implements it in memory.
 *
 * @module
 */
import type { LogComment } from "../protocol/types.ts";

/** Repository coordinates. */
export interface RepoRef {
  owner: string;
  repo: string;
}

/** The authenticated identity behind a token. */
export interface Identity {
  login: string;
  id: number;
  type: string;
}

/** An issue's fields the roles read. */
export interface IssueInfo {
  number: number;
  title: string;
  body: string;
  state: string;
  labels: string[];
  author: string;
  url: string;
  /** True when the number is a pull request's (GitHub numbers both alike). */
  pullRequest?: boolean;
}

/** Repository permission levels, as `GET /repos/{o}/{r}/collaborators/{u}/permission` names them. */
export type Permission = "admin" | "maintain" | "write" | "triage" | "read" | "none";

/**
 * Result of one poll of an issue's comments.
 *
 * `comments` holds what the list returned (possibly stale, possibly edited
 * comments again); `serverTime` is the newest `Date` header seen, in epoch ms.
 */
export interface CommentPage {
  comments: LogComment[];
  serverTime: number;
  /** True when every page answered 304 Not Modified (nothing new, no quota spent). */
  notModified: boolean;
}

/** The token's primary rate limit, as `GET /rate_limit` reports it (`resources.core`). */
export interface RateLimitStatus {
  /** Requests per hour this token may make. */
  limit: number;
  /** Requests left in the current window. */
  remaining: number;
  /** When the window resets, epoch ms. */
  resetAt: number;
}

/** Counts of API use by one client, exact. */
export interface ApiStats {
  /** Every HTTP request sent, including retries. */
  requests: number;
  /** Requests answered 304 (free against the primary limit). */
  notModified: number;
  /** Content-creating or -changing requests (POST/PATCH/PUT/DELETE). */
  writes: number;
  /** Answers that were rate limits (403/429 with a limit message). */
  rateLimited: number;
  /** 5xx answers and network errors. */
  serverErrors: number;
}

/**
 * The calls p2p-dev makes to GitHub, for one repository.
 *
 * @example
 * ```ts
 * async function who(gh: GitHub) { return (await gh.identity())?.login ?? "(not known yet)"; }
 * ```
 */
export interface GitHub {
  /** The repository every call is about. */
  readonly repository: RepoRef;
  /**
   * Who the token is: `GET /user` for a personal token; for an installation
   * token (a workflow's `GITHUB_TOKEN`, an App's), which `GET /user` refuses
   * with 403, GraphQL's `viewer` (which answers installation tokens with
   * their bot). `undefined` only when neither answers, until a comment this
   * client created showed its author. Never a guess.
   */
  identity(): Promise<Identity | undefined>;
  /** `GET /repos/{o}/{r}/issues/{n}`. */
  getIssue(issue: number): Promise<IssueInfo>;
  /**
   * `GET /repos/{o}/{r}/issues?state=open&labels={label}`, all pages, pull
   * requests left out, ascending number (what `watch` scans). Optional: ports
   * that never scan need not have it.
   */
  listOpenIssues?(label: string): Promise<IssueInfo[]>;
  /**
   * `GET /repos/{o}/{r}/issues/{n}/comments`, all pages, ascending id.
   * With `since` (ISO 8601), only comments updated at or after it.
   */
  listComments(issue: number, since?: string): Promise<CommentPage>;
  /**
   * `POST .../comments`. `nonce` must appear in `body`: after a timeout or 5xx
   * the adapter re-reads and returns the existing comment carrying it instead
   * of writing twice.
   */
  createComment(issue: number, body: string, nonce: string): Promise<LogComment>;
  /** `PATCH /repos/{o}/{r}/issues/comments/{id}`. */
  updateComment(id: number, body: string): Promise<LogComment>;
  /**
   * `DELETE /repos/{o}/{r}/issues/comments/{id}`; `false` when it was already
   * gone (404), so that two nodes removing the same comment both succeed.
   */
  deleteComment(id: number): Promise<boolean>;
  /** `GET /repos/{o}/{r}/issues/comments/{id}`; `null` when it does not exist (deleted). */
  getComment(id: number): Promise<LogComment | null>;
  /** `GET /repos/{o}/{r}/collaborators/{user}/permission`. */
  permission(user: string): Promise<Permission>;
  /** SHA of a branch's head (`GET /repos/{o}/{r}/branches/{b}`). */
  branchSha(branch: string): Promise<string>;
  /** Default branch name (`GET /repos/{o}/{r}`). */
  defaultBranch(): Promise<string>;
  /**
   * `POST /repos/{o}/{r}/git/refs`: `true` when created, `false` when it
   * already existed (422). After an attempt of unknown outcome, a ref found
   * at `sha` counts as created: a caller that must tell its refs from others'
   * points each at an object of its own.
   */
  createRef(ref: string, sha: string): Promise<boolean>;
  /** `GET /repos/{o}/{r}/git/ref/{ref}` (ref without `refs/`): the SHA it points at; undefined when missing. */
  getRef(ref: string): Promise<string | undefined>;
  /** The tree of a commit (`GET /repos/{o}/{r}/git/commits/{sha}`). */
  commitTree(sha: string): Promise<string>;
  /** `POST /repos/{o}/{r}/git/commits`: creates a commit object (no ref moves); returns its SHA. */
  createCommit(commit: { message: string; tree: string; parents: string[] }): Promise<string>;
  /** `DELETE /repos/{o}/{r}/git/refs/{ref}` (ref without `refs/`); missing refs are fine. */
  deleteRef(ref: string): Promise<void>;
  /** `POST /repos/{o}/{r}/pulls`; returns the PR's html_url. */
  createPullRequest(
    pr: { title: string; head: string; base: string; body: string; draft: boolean },
  ): Promise<string>;
  /**
   * `GET /rate_limit`: the token's primary limit and what is left of it.
   * Free: "Accessing this endpoint does not count against your REST API rate
   * limit" (https://docs.github.com/rest/rate-limit/rate-limit).
   */
  rateLimit(): Promise<RateLimitStatus>;
  /** Exact counts of this client's API use so far. */
  stats(): ApiStats;
}

/**
 * Reaction contents GitHub accepts
 * (https://docs.github.com/rest/reactions/reactions#about-reactions).
 */
export type ReactionContent =
  | "+1"
  | "-1"
  | "laugh"
  | "confused"
  | "heart"
  | "hooray"
  | "rocket"
  | "eyes";

/** What a reaction is put on: an issue (or pull request), or an issue comment. */
export type ReactionSubject = { issue: number } | { comment: number };

/** A repository label to create. */
export interface LabelSpec {
  name: string;
  /** Six hex digits, without `#`. */
  color: string;
  description: string;
}

/**
 * The calls the workflow commands (`p2p-dev trigger`, `p2p-dev init`) make
 * besides the node's: answering a request with a reaction and creating the
 * swarm's label.
 *
 * @example
 * ```ts
 * async function ack(gh: WorkflowGitHub) { await gh.react({ comment: 42 }, "rocket"); }
 * ```
 */
export interface WorkflowGitHub extends Pick<GitHub, "permission" | "getIssue" | "stats"> {
  /**
   * `POST .../issues/{n}/reactions` or `.../issues/comments/{id}/reactions`.
   * GitHub answers 200 with the existing reaction when this identity already
   * reacted alike, so a repeat is harmless.
   */
  react(subject: ReactionSubject, content: ReactionContent): Promise<void>;
  /** `POST /repos/{o}/{r}/labels`: `true` when created, `false` when it already existed (422). */
  createLabel(label: LabelSpec): Promise<boolean>;
}
