/**
 * Public vocabulary of the emulator: what you seed it with, and the records it
 * keeps. Everything here is plain JSON, so a snapshot is just these records.
 *
 * @module
 */

/** Repository roles, as `GET /repos/{o}/{r}/collaborators/{u}/permission` names them in `role_name`. */
export type RepoRole = "admin" | "maintain" | "write" | "triage" | "read";

/** Values of `author_association` in GitHub's OpenAPI description. */
export type AuthorAssociation =
  | "OWNER"
  | "MEMBER"
  | "COLLABORATOR"
  | "CONTRIBUTOR"
  | "FIRST_TIMER"
  | "FIRST_TIME_CONTRIBUTOR"
  | "MANNEQUIN"
  | "NONE";

/**
 * What kind of credential a token is; it picks the default primary limit.
 * `actions` is a workflow's `GITHUB_TOKEN` (an installation token of the
 * `github-actions[bot]` app), `app` another installation token, `pat` a
 * personal access token.
 */
export type TokenKind = "pat" | "actions" | "app";

/** Fine-grained scopes a token may be restricted to (like a workflow's `permissions:`). */
export type TokenScope = "contents" | "issues" | "pull_requests" | "actions" | "metadata";

/** Access level of a token scope. */
export type ScopeLevel = "none" | "read" | "write";

/**
 * Reaction contents GitHub accepts.
 *
 * @example
 * ```ts
 * REACTION_CONTENTS.includes("rocket"); // true
 * ```
 */
export const REACTION_CONTENTS = [
  "+1",
  "-1",
  "laugh",
  "confused",
  "heart",
  "hooray",
  "rocket",
  "eyes",
] as const;

/** One reaction content. */
export type ReactionContent = typeof REACTION_CONTENTS[number];

// ---------------------------------------------------------------- seed input

/**
 * A user or bot to create.
 *
 * @example
 * ```ts
 * const bot: UserSeed = { login: "github-actions[bot]", type: "Bot", token: "ghs_x", tokenKind: "actions" };
 * ```
 */
export interface UserSeed {
  login: string;
  /** Defaults to the next free id. */
  id?: number;
  /** Defaults to `Bot` when the login ends in `[bot]`, else `User`. */
  type?: "User" | "Bot" | "Organization";
  name?: string | null;
  /** A token (or several) that authenticates as this user. */
  token?: string | string[];
  /** Kind of the tokens given in `token`; defaults to `actions` for bots, else `pat`. */
  tokenKind?: TokenKind;
}

/**
 * A token to create, when it needs more than `UserSeed.token` offers.
 *
 * @example
 * ```ts
 * const t: TokenSeed = { token: "ghs_1", login: "github-actions[bot]", kind: "actions", repos: ["octo/hello"] };
 * ```
 */
export interface TokenSeed {
  token: string;
  login: string;
  kind?: TokenKind;
  /**
   * Repositories (`owner/name`) an installation token may write to; reads of
   * other public repositories still work. Unset means no restriction.
   */
  repos?: string[];
  /** Requests per hour; defaults by kind (pat 5,000, actions 1,000, app 5,000). */
  limit?: number;
  /**
   * Rate-limit bucket shared by tokens with the same key. Defaults to the
   * repository for `actions` tokens (every job of every run in a repository
   * shares one budget) and to the user otherwise.
   */
  bucket?: string;
  /** Scope restrictions, like a workflow's `permissions:` block. Unset scopes are not restricted. */
  permissions?: Partial<Record<TokenScope, ScopeLevel>>;
}

/**
 * A GitHub App to create, with its installations. Its bot (`<slug>[bot]`,
 * type `Bot`) authors what its installation tokens write.
 *
 * @example
 * ```ts
 * const app: AppSeed = {
 *   id: 1001, slug: "swarm-app", owner: "octo", publicKey: "-----BEGIN PUBLIC KEY-----...",
 *   installations: [{ id: 55, account: "octo", repos: ["octo/hello"] }],
 * };
 * ```
 */
export interface AppSeed {
  id: number;
  slug: string;
  name?: string;
  /** Login of the account that owns the App. */
  owner: string;
  /** The App's public key (PEM, SPKI): JWTs signed with its private key verify against it. */
  publicKey: string;
  installations: AppInstallationSeed[];
  /** Lifetime of the installation tokens it mints, ms (GitHub: one hour). */
  tokenTtlMs?: number;
}

/** One installation of an App. */
export interface AppInstallationSeed {
  id: number;
  /** Login of the account it is installed on. */
  account: string;
  /** Repositories (`owner/name`) it may access; unset means all of the account's. */
  repos?: string[];
  /** Permissions granted (default issues, contents, pull requests: write; metadata: read). */
  permissions?: Partial<Record<TokenScope, ScopeLevel>>;
}

/**
 * A commit of the minimal commit graph (enough to judge fast-forwards).
 *
 * @example
 * ```ts
 * const c: CommitSeed = { sha: "a".repeat(40), message: "root", parents: [] };
 * ```
 */
export interface CommitSeed {
  /** 40 hex characters; derived from the content when omitted. */
  sha?: string;
  message?: string;
  parents?: string[];
  /** Login of the author; defaults to the repository owner. */
  author?: string;
}

/** A label to create. */
export interface LabelSeed {
  name: string;
  color?: string;
  description?: string | null;
}

/** A comment to create on a seeded issue (visible at once, never lagged). */
export interface CommentSeed {
  author: string;
  body: string;
}

/**
 * An issue to create.
 *
 * @example
 * ```ts
 * const i: IssueSeed = { title: "Swarm", author: "octo", labels: ["p2p-dev"] };
 * ```
 */
export interface IssueSeed {
  title: string;
  author: string;
  body?: string | null;
  labels?: string[];
  state?: "open" | "closed";
  comments?: CommentSeed[];
}

/** A workflow file known to Actions. */
export interface WorkflowSeed {
  id?: number;
  name: string;
  /** E.g. `.github/workflows/p2p-dev.yml`. */
  path: string;
  /** Whether it has an `on: workflow_dispatch` trigger (default true). */
  dispatchable?: boolean;
}

/** A job of a seeded workflow run. */
export interface JobSeed {
  name: string;
  status?: JobRecord["status"];
  conclusion?: JobRecord["conclusion"];
  runnerName?: string | null;
  labels?: string[];
}

/** A workflow run to create. */
export interface RunSeed {
  id?: number;
  /** Workflow id, file name or path. */
  workflow: number | string;
  event?: string;
  status?: string;
  conclusion?: string | null;
  headBranch?: string;
  headSha?: string;
  actor?: string;
  displayTitle?: string;
  jobs?: JobSeed[];
}

/** A release asset; its bytes come from `text` or `base64`. */
export interface AssetSeed {
  name: string;
  contentType?: string;
  label?: string | null;
  text?: string;
  base64?: string;
}

/** A release to create. */
export interface ReleaseSeed {
  tag: string;
  author: string;
  name?: string | null;
  body?: string | null;
  draft?: boolean;
  prerelease?: boolean;
  targetCommitish?: string;
  assets?: AssetSeed[];
}

/**
 * A repository to create (or extend, when it exists).
 *
 * @example
 * ```ts
 * const r: RepoSeed = { owner: "octo", name: "hello", permissions: { "octo-writer": "write" } };
 * ```
 */
export interface RepoSeed {
  owner: string;
  name: string;
  /** Public by default: any authenticated user may read, open issues and comment. */
  private?: boolean;
  defaultBranch?: string;
  description?: string | null;
  /** Role per login; the owner is always `admin`. */
  permissions?: Record<string, RepoRole>;
  /** Members of the owning organisation (their association is `MEMBER`). */
  members?: string[];
  /** Explicit `author_association` per login, overriding the derived one. */
  associations?: Record<string, AuthorAssociation>;
  /** Commits, parents first. A root commit is created when none is given. */
  commits?: CommitSeed[];
  /** Branch name to commit SHA; the default branch points at the last commit when unset. */
  branches?: Record<string, string>;
  labels?: LabelSeed[];
  issues?: IssueSeed[];
  workflows?: WorkflowSeed[];
  runs?: RunSeed[];
  releases?: ReleaseSeed[];
  /**
   * A bare git repository on this machine that the emulator serves over git's
   * smart HTTP at `{url}/{owner}/{name}.git` (clone, fetch, push with a token).
   */
  gitDir?: string;
}

/**
 * Everything a seed may create. Seeding merges: existing users and
 * repositories are extended, never dropped.
 *
 * @example
 * ```ts
 * const data: SeedData = { users: [{ login: "octo", token: "ghp_1" }], repos: [{ owner: "octo", name: "hello" }] };
 * ```
 */
export interface SeedData {
  users?: UserSeed[];
  tokens?: TokenSeed[];
  repos?: RepoSeed[];
  apps?: AppSeed[];
}

/**
 * What a seed created, so a test can find it.
 *
 * @example
 * ```ts
 * function firstIssue(r: SeedResult) { return r.issues[0]?.number; }
 * ```
 */
export interface SeedResult {
  /** Token by login (the first token of each seeded user). */
  tokens: Record<string, string>;
  users: { login: string; id: number }[];
  repos: { owner: string; repo: string; id: number }[];
  issues: { owner: string; repo: string; number: number; id: number }[];
  comments: { owner: string; repo: string; issue: number; id: number }[];
}

// ------------------------------------------------------------------ records

/** A user as stored. */
export interface UserRecord {
  login: string;
  id: number;
  nodeId: string;
  type: "User" | "Bot" | "Organization";
  name: string | null;
  createdAt: number;
}

/** A token as stored. */
export interface TokenRecord {
  token: string;
  login: string;
  kind: TokenKind;
  repos?: string[];
  limit?: number;
  bucket?: string;
  permissions?: Partial<Record<TokenScope, ScopeLevel>>;
  /** Emulated time from which GitHub answers 401 (installation tokens expire). */
  expiresAt?: number;
  /** Set on the identity of a request authenticated with an App's JWT: the App's id. */
  app?: number;
}

/** A GitHub App as stored. */
export interface AppRecord {
  id: number;
  slug: string;
  name: string;
  owner: string;
  publicKey: string;
  installations: {
    id: number;
    account: string;
    repos?: string[];
    permissions: Partial<Record<TokenScope, ScopeLevel>>;
    createdAt: number;
  }[];
  tokenTtlMs: number;
  createdAt: number;
}

/** A commit of the graph. */
export interface CommitRecord {
  sha: string;
  treeSha: string;
  message: string;
  parents: string[];
  author: string;
  at: number;
}

/** A label as stored. */
export interface LabelRecord {
  id: number;
  nodeId: string;
  name: string;
  color: string;
  description: string | null;
  default: boolean;
}

/** A reaction as stored. */
export interface ReactionRecord {
  id: number;
  nodeId: string;
  user: string;
  content: ReactionContent;
  createdAt: number;
}

/** A past version of a comment (kept so that a lagging list can show it). */
export interface CommentVersion {
  body: string;
  /** Second-resolution `updated_at` of this version. */
  updatedAt: number;
  /** Exact emulated time the version was written (list lag counts from here). */
  writtenAt: number;
}

/** An issue comment as stored. */
export interface CommentRecord {
  id: number;
  nodeId: string;
  issue: number;
  author: string;
  body: string;
  createdAt: number;
  updatedAt: number;
  writtenAt: number;
  /** Earlier versions, oldest first. */
  history: CommentVersion[];
  /** Set when deleted; the comment leaves lists once the deletion is visible to the reader. */
  deletedAt?: number;
  /** Seeded comments are visible at once (no list lag). */
  seeded?: boolean;
  reactions: ReactionRecord[];
}

/** Pull-request fields of an issue that is a pull request. */
export interface PullRecord {
  id: number;
  nodeId: string;
  head: string;
  headSha: string;
  base: string;
  baseSha: string;
  draft: boolean;
  merged: boolean;
  maintainerCanModify: boolean;
}

/** An issue (or pull request) as stored. */
export interface IssueRecord {
  id: number;
  nodeId: string;
  number: number;
  title: string;
  body: string | null;
  author: string;
  state: "open" | "closed";
  stateReason: "completed" | "reopened" | "not_planned" | "duplicate" | null;
  labels: string[];
  locked: boolean;
  createdAt: number;
  updatedAt: number;
  closedAt: number | null;
  closedBy: string | null;
  reactions: ReactionRecord[];
  pull?: PullRecord;
}

/** A workflow as stored. */
export interface WorkflowRecord {
  id: number;
  nodeId: string;
  name: string;
  path: string;
  dispatchable: boolean;
  createdAt: number;
}

/** A job of a run. */
export interface JobRecord {
  id: number;
  nodeId: string;
  name: string;
  status: "queued" | "in_progress" | "completed" | "waiting" | "requested" | "pending";
  conclusion:
    | "success"
    | "failure"
    | "neutral"
    | "cancelled"
    | "skipped"
    | "timed_out"
    | "action_required"
    | null;
  runnerName: string | null;
  labels: string[];
  createdAt: number;
  startedAt: number;
  completedAt: number | null;
}

/** A workflow run as stored. */
export interface RunRecord {
  id: number;
  nodeId: string;
  workflowId: number;
  runNumber: number;
  event: string;
  status: string;
  conclusion: string | null;
  headBranch: string | null;
  headSha: string;
  actor: string;
  displayTitle: string;
  createdAt: number;
  updatedAt: number;
  jobs: JobRecord[];
}

/** A `workflow_dispatch` the emulator received. */
export interface DispatchRecord {
  workflowId: number;
  ref: string;
  inputs: Record<string, unknown>;
  actor: string;
  at: number;
  runId: number;
}

/** A release asset as stored (bytes in base64). */
export interface AssetRecord {
  id: number;
  nodeId: string;
  name: string;
  label: string | null;
  contentType: string;
  base64: string;
  size: number;
  uploader: string;
  downloadCount: number;
  createdAt: number;
}

/** A release as stored. */
export interface ReleaseRecord {
  id: number;
  nodeId: string;
  tag: string;
  name: string | null;
  body: string | null;
  draft: boolean;
  prerelease: boolean;
  targetCommitish: string;
  author: string;
  createdAt: number;
  publishedAt: number | null;
  assets: AssetRecord[];
}

/** A repository and everything in it. */
export interface RepoRecord {
  id: number;
  nodeId: string;
  owner: string;
  name: string;
  private: boolean;
  defaultBranch: string;
  description: string | null;
  createdAt: number;
  pushedAt: number;
  permissions: Record<string, RepoRole>;
  members: string[];
  associations: Record<string, AuthorAssociation>;
  nextNumber: number;
  labels: LabelRecord[];
  issues: IssueRecord[];
  comments: CommentRecord[];
  commits: CommitRecord[];
  /** Full ref name (`refs/heads/main`) to SHA. */
  refs: Record<string, string>;
  workflows: WorkflowRecord[];
  runs: RunRecord[];
  releases: ReleaseRecord[];
  dispatches: DispatchRecord[];
  /** The bare repository served over git's smart HTTP, when seeded with one. */
  gitDir?: string;
}

/**
 * The whole emulated world, as `GET /_emulator/snapshot` returns it.
 *
 * @example
 * ```ts
 * function count(s: EmulatorSnapshot) { return s.repos.length; }
 * ```
 */
export interface EmulatorSnapshot {
  format: "p2p-dev-emulator";
  version: 1;
  /** Emulated time when the snapshot was taken (restoring never moves time backwards). */
  now: number;
  nextId: number;
  nextCommentId: number;
  users: UserRecord[];
  tokens: TokenRecord[];
  repos: RepoRecord[];
  /** GitHub Apps (absent in snapshots taken before Apps existed). */
  apps?: AppRecord[];
}
