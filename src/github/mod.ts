/**
 * The GitHub port and its Octokit adapter.
 *
 * @example
 * ```ts
 * import { createGitHub, RequestLog } from "./mod.ts";
 * const requestLog = new RequestLog();
 * const gh = createGitHub({ token: "ghp_x", owner: "octo", repo: "demo", requestLog });
 * ```
 *
 * @module
 */
export type {
  ApiStats,
  CommentPage,
  GitHub,
  Identity,
  IssueInfo,
  LabelSpec,
  Permission,
  ReactionContent,
  ReactionSubject,
  RepoRef,
  WorkflowGitHub,
} from "./port.ts";
export {
  ACTIONS_BOT,
  createGitHub,
  type GitHubOptions,
  MAX_COMMENT_LENGTH,
  PER_PAGE,
  type RateLimitInfo,
  type TokenSource,
} from "./octokit.ts";
export {
  type FailedRequest,
  GitHubError,
  type GitHubErrorOptions,
  OutcomeUnknownError,
  PermissionError,
  RateLimitError,
  RequestTimeoutError,
} from "./errors.ts";
export { RequestLog, type RequestLogEntry, type RequestLogOptions } from "./traffic.ts";
