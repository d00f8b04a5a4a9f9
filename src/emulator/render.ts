/**
 * Records to GitHub's JSON shapes. Each function names the OpenAPI schema it
 * produces; the contract tests validate every one against GitHub's official
 * description (`@octokit/openapi`, api.github.com).
 *
 * @module
 */
import { isoSeconds } from "./http.ts";
import { fakeSha, nodeId, type World } from "./state.ts";
import type {
  AssetRecord,
  CommentRecord,
  CommentVersion,
  CommitRecord,
  IssueRecord,
  JobRecord,
  LabelRecord,
  ReactionRecord,
  ReleaseRecord,
  RepoRecord,
  RepoRole,
  RunRecord,
  UserRecord,
  WorkflowRecord,
} from "./types.ts";
import { REACTION_CONTENTS } from "./types.ts";

/** What every renderer needs: the world and the two base URLs. */
export interface RenderContext {
  world: World;
  /** API base URL, e.g. `http://127.0.0.1:8080`. */
  api: string;
  /** Web base URL for `html_url`, e.g. `https://github.com`. */
  html: string;
}

type Json = Record<string, unknown>;

/** The user GitHub shows for deleted accounts. */
const GHOST: UserRecord = {
  login: "ghost",
  id: 10137,
  nodeId: "MDQ6VXNlcjEwMTM3",
  type: "User",
  name: null,
  createdAt: 1_203_000_000_000,
};

function userRecord(r: RenderContext, login: string): UserRecord {
  return r.world.user(login) ?? GHOST;
}

/** URL path segment(s) for a login, branch or tag. */
function seg(text: string): string {
  return text.split("/").map(encodeURIComponent).join("/");
}

function repoUrls(r: RenderContext, repo: RepoRecord): { a: string; h: string } {
  return {
    a: `${r.api}/repos/${seg(repo.owner)}/${seg(repo.name)}`,
    h: `${r.html}/${seg(repo.owner)}/${seg(repo.name)}`,
  };
}

/**
 * `simple-user`.
 *
 * @example
 * ```ts
 * function author(r: RenderContext) { return simpleUser(r, "octo"); }
 * ```
 */
export function simpleUser(r: RenderContext, login: string): Json {
  // Rendered users are shared within one answer (a page of comments repeats them).
  let cache = USERS.get(r);
  if (!cache) USERS.set(r, cache = new Map());
  const hit = cache.get(login);
  if (hit) return hit;
  const rendered = renderUser(r, login);
  cache.set(login, rendered);
  return rendered;
}

const USERS = new WeakMap<RenderContext, Map<string, Json>>();

function renderUser(r: RenderContext, login: string): Json {
  const u = userRecord(r, login);
  const base = `${r.api}/users/${encodeURIComponent(u.login)}`;
  const html = u.type === "Bot"
    ? `${r.html}/apps/${encodeURIComponent(u.login.replace(/\[bot\]$/, ""))}`
    : `${r.html}/${encodeURIComponent(u.login)}`;
  return {
    login: u.login,
    id: u.id,
    node_id: u.nodeId,
    avatar_url: `https://avatars.githubusercontent.com/u/${u.id}?v=4`,
    gravatar_id: "",
    url: base,
    html_url: html,
    followers_url: `${base}/followers`,
    following_url: `${base}/following{/other_user}`,
    gists_url: `${base}/gists{/gist_id}`,
    starred_url: `${base}/starred{/owner}{/repo}`,
    subscriptions_url: `${base}/subscriptions`,
    organizations_url: `${base}/orgs`,
    repos_url: `${base}/repos`,
    events_url: `${base}/events{/privacy}`,
    received_events_url: `${base}/received_events`,
    type: u.type,
    user_view_type: "public",
    site_admin: false,
  };
}

/**
 * `private-user` (what `GET /user` shows the token's owner).
 *
 * @example
 * ```ts
 * function me(r: RenderContext) { return privateUser(r, "octo"); }
 * ```
 */
export function privateUser(r: RenderContext, login: string): Json {
  const u = userRecord(r, login);
  const owned = r.world.repos().filter((repo) =>
    repo.owner.toLowerCase() === u.login.toLowerCase()
  );
  return {
    ...simpleUser(r, login),
    user_view_type: "private",
    name: u.name,
    company: null,
    blog: "",
    location: null,
    email: null,
    hireable: null,
    bio: null,
    twitter_username: null,
    notification_email: null,
    public_repos: owned.filter((repo) => !repo.private).length,
    public_gists: 0,
    followers: 0,
    following: 0,
    created_at: isoSeconds(u.createdAt),
    updated_at: isoSeconds(u.createdAt),
    private_gists: 0,
    total_private_repos: owned.filter((repo) => repo.private).length,
    owned_private_repos: owned.filter((repo) => repo.private).length,
    disk_usage: 0,
    collaborators: 0,
    two_factor_authentication: true,
    plan: { name: "free", space: 976562499, collaborators: 0, private_repos: 10000 },
  };
}

/**
 * Permission flags of a role, as `permissions` objects show them.
 *
 * @example
 * ```ts
 * roleFlags("write"); // { admin: false, maintain: false, push: true, triage: true, pull: true }
 * ```
 */
export function roleFlags(role: RepoRole | null): Json {
  const rank = role === null ? 0 : { read: 1, triage: 2, write: 3, maintain: 4, admin: 5 }[role];
  return {
    admin: rank >= 5,
    maintain: rank >= 4,
    push: rank >= 3,
    triage: rank >= 2,
    pull: rank >= 1,
  };
}

/**
 * A superset of `full-repository`, `repository` and `minimal-repository`.
 * With `viewerRole`, adds the caller's `permissions`.
 *
 * @example
 * ```ts
 * function show(r: RenderContext, repo: RepoRecord) { return repository(r, repo); }
 * ```
 */
export function repository(r: RenderContext, repo: RepoRecord, viewerRole?: RepoRole | null): Json {
  const { a, h } = repoUrls(r, repo);
  const full = `${repo.owner}/${repo.name}`;
  const host = new URL(r.html).host;
  const open = repo.issues.filter((i) => i.state === "open").length;
  const body: Json = {
    id: repo.id,
    node_id: repo.nodeId,
    name: repo.name,
    full_name: full,
    private: repo.private,
    owner: simpleUser(r, repo.owner),
    html_url: h,
    description: repo.description,
    fork: false,
    url: a,
    forks_url: `${a}/forks`,
    keys_url: `${a}/keys{/key_id}`,
    collaborators_url: `${a}/collaborators{/collaborator}`,
    teams_url: `${a}/teams`,
    hooks_url: `${a}/hooks`,
    issue_events_url: `${a}/issues/events{/number}`,
    events_url: `${a}/events`,
    assignees_url: `${a}/assignees{/user}`,
    branches_url: `${a}/branches{/branch}`,
    tags_url: `${a}/tags`,
    blobs_url: `${a}/git/blobs{/sha}`,
    git_tags_url: `${a}/git/tags{/sha}`,
    git_refs_url: `${a}/git/refs{/sha}`,
    trees_url: `${a}/git/trees{/sha}`,
    statuses_url: `${a}/statuses/{sha}`,
    languages_url: `${a}/languages`,
    stargazers_url: `${a}/stargazers`,
    contributors_url: `${a}/contributors`,
    subscribers_url: `${a}/subscribers`,
    subscription_url: `${a}/subscription`,
    commits_url: `${a}/commits{/sha}`,
    git_commits_url: `${a}/git/commits{/sha}`,
    comments_url: `${a}/comments{/number}`,
    issue_comment_url: `${a}/issues/comments{/number}`,
    contents_url: `${a}/contents/{+path}`,
    compare_url: `${a}/compare/{base}...{head}`,
    merges_url: `${a}/merges`,
    archive_url: `${a}/{archive_format}{/ref}`,
    downloads_url: `${a}/downloads`,
    issues_url: `${a}/issues{/number}`,
    pulls_url: `${a}/pulls{/number}`,
    milestones_url: `${a}/milestones{/number}`,
    notifications_url: `${a}/notifications{?since,all,participating}`,
    labels_url: `${a}/labels{/name}`,
    releases_url: `${a}/releases{/id}`,
    deployments_url: `${a}/deployments`,
    created_at: isoSeconds(repo.createdAt),
    updated_at: isoSeconds(repo.pushedAt),
    pushed_at: isoSeconds(repo.pushedAt),
    git_url: `git://${host}/${full}.git`,
    ssh_url: `git@${host}:${full}.git`,
    clone_url: `${h}.git`,
    svn_url: h,
    homepage: null,
    size: repo.commits.length,
    stargazers_count: 0,
    watchers_count: 0,
    language: null,
    has_issues: true,
    has_projects: true,
    has_downloads: true,
    has_wiki: true,
    has_pages: false,
    has_discussions: false,
    forks_count: 0,
    mirror_url: null,
    archived: false,
    disabled: false,
    open_issues_count: open,
    license: null,
    allow_forking: true,
    is_template: false,
    web_commit_signoff_required: false,
    topics: [],
    visibility: repo.private ? "private" : "public",
    forks: 0,
    open_issues: open,
    watchers: 0,
    default_branch: repo.defaultBranch,
    network_count: 0,
    subscribers_count: 0,
  };
  if (viewerRole !== undefined) body.permissions = roleFlags(viewerRole);
  return body;
}

/**
 * `label`.
 *
 * @example
 * ```ts
 * function show(r: RenderContext, repo: RepoRecord, l: LabelRecord) { return label(r, repo, l); }
 * ```
 */
export function label(r: RenderContext, repo: RepoRecord, l: LabelRecord): Json {
  return {
    id: l.id,
    node_id: l.nodeId,
    url: `${repoUrls(r, repo).a}/labels/${encodeURIComponent(l.name)}`,
    name: l.name,
    color: l.color,
    default: l.default,
    description: l.description,
  };
}

function labelsOf(r: RenderContext, repo: RepoRecord, names: readonly string[]): Json[] {
  const out: Json[] = [];
  for (const name of names) {
    const l = repo.labels.find((x) => x.name.toLowerCase() === name.toLowerCase());
    if (l) out.push(label(r, repo, l));
  }
  return out;
}

/**
 * `reaction-rollup`.
 *
 * @example
 * ```ts
 * rollup("http://127.0.0.1/x/reactions", []);
 * ```
 */
export function rollup(url: string, reactions: readonly ReactionRecord[]): Json {
  const body: Json = { url, total_count: reactions.length };
  for (const content of REACTION_CONTENTS) {
    body[content] = reactions.filter((x) => x.content === content).length;
  }
  return body;
}

/**
 * `reaction`.
 *
 * @example
 * ```ts
 * function show(r: RenderContext, x: ReactionRecord) { return reaction(r, x); }
 * ```
 */
export function reaction(r: RenderContext, x: ReactionRecord): Json {
  return {
    id: x.id,
    node_id: x.nodeId,
    user: simpleUser(r, x.user),
    content: x.content,
    created_at: isoSeconds(x.createdAt),
  };
}

/**
 * `issue` (a pull request shows as an issue with `pull_request`).
 *
 * @example
 * ```ts
 * function show(r: RenderContext, repo: RepoRecord, i: IssueRecord) { return issue(r, repo, i); }
 * ```
 */
export function issue(r: RenderContext, repo: RepoRecord, i: IssueRecord): Json {
  const { a, h } = repoUrls(r, repo);
  const url = `${a}/issues/${i.number}`;
  const html = `${h}/${i.pull ? "pull" : "issues"}/${i.number}`;
  const body: Json = {
    url,
    repository_url: a,
    labels_url: `${url}/labels{/name}`,
    comments_url: `${url}/comments`,
    events_url: `${url}/events`,
    html_url: html,
    id: i.id,
    node_id: i.nodeId,
    number: i.number,
    title: i.title,
    user: simpleUser(r, i.author),
    labels: labelsOf(r, repo, i.labels),
    state: i.state,
    locked: i.locked,
    assignee: null,
    assignees: [],
    milestone: null,
    comments: r.world.issueComments(repo, i.number).filter((c) => c.deletedAt === undefined).length,
    created_at: isoSeconds(i.createdAt),
    updated_at: isoSeconds(i.updatedAt),
    closed_at: i.closedAt === null ? null : isoSeconds(i.closedAt),
    author_association: r.world.association(repo, i.author),
    active_lock_reason: null,
    body: i.body,
    closed_by: i.closedBy === null ? null : simpleUser(r, i.closedBy),
    reactions: rollup(`${url}/reactions`, i.reactions),
    timeline_url: `${url}/timeline`,
    performed_via_github_app: null,
    state_reason: i.stateReason,
  };
  if (i.pull) {
    body.draft = i.pull.draft;
    body.pull_request = {
      url: `${a}/pulls/${i.number}`,
      html_url: html,
      diff_url: `${html}.diff`,
      patch_url: `${html}.patch`,
      merged_at: null,
    };
  }
  return body;
}

/**
 * `issue-comment`, showing `version` (the current one unless a lagging list
 * still shows an older one).
 *
 * @example
 * ```ts
 * function show(r: RenderContext, repo: RepoRecord, c: CommentRecord) { return comment(r, repo, c); }
 * ```
 */
export function comment(
  r: RenderContext,
  repo: RepoRecord,
  c: CommentRecord,
  version?: CommentVersion,
): Json {
  const { a, h } = repoUrls(r, repo);
  const url = `${a}/issues/comments/${c.id}`;
  const issueRecord = r.world.issue(repo, c.issue);
  const kind = issueRecord?.pull ? "pull" : "issues";
  return {
    url,
    html_url: `${h}/${kind}/${c.issue}#issuecomment-${c.id}`,
    issue_url: `${a}/issues/${c.issue}`,
    id: c.id,
    node_id: c.nodeId,
    user: simpleUser(r, c.author),
    created_at: isoSeconds(c.createdAt),
    updated_at: isoSeconds(version?.updatedAt ?? c.updatedAt),
    author_association: r.world.association(repo, c.author),
    body: version?.body ?? c.body,
    reactions: rollup(`${url}/reactions`, c.reactions),
    performed_via_github_app: null,
  };
}

function gitIdentity(r: RenderContext, login: string, at: number): Json {
  const u = userRecord(r, login);
  // GitHub's noreply address is `ID+login@users.noreply.github.com`; a bot's
  // `[bot]` suffix is dropped here because the OpenAPI `email` format rejects brackets.
  const local = u.login.replace(/\[bot\]$/, "");
  return {
    name: u.name ?? u.login,
    email: `${u.id}+${local}@users.noreply.github.com`,
    date: isoSeconds(at),
  };
}

const UNSIGNED = {
  verified: false,
  reason: "unsigned",
  signature: null,
  payload: null,
  verified_at: null,
};

/**
 * `git-commit` (`GET /repos/{o}/{r}/git/commits/{sha}`).
 *
 * @example
 * ```ts
 * function show(r: RenderContext, repo: RepoRecord, c: CommitRecord) { return gitCommit(r, repo, c); }
 * ```
 */
export function gitCommit(r: RenderContext, repo: RepoRecord, c: CommitRecord): Json {
  const { a, h } = repoUrls(r, repo);
  return {
    sha: c.sha,
    node_id: nodeId("C", Number.parseInt(c.sha.slice(0, 8), 16)),
    url: `${a}/git/commits/${c.sha}`,
    html_url: `${h}/commit/${c.sha}`,
    author: gitIdentity(r, c.author, c.at),
    committer: gitIdentity(r, c.author, c.at),
    tree: { sha: c.treeSha, url: `${a}/git/trees/${c.treeSha}` },
    message: c.message,
    parents: c.parents.map((p) => ({
      sha: p,
      url: `${a}/git/commits/${p}`,
      html_url: `${h}/commit/${p}`,
    })),
    verification: UNSIGNED,
  };
}

/**
 * `commit` (`GET /repos/{o}/{r}/commits/{ref}`, and inside a branch).
 *
 * @example
 * ```ts
 * function show(r: RenderContext, repo: RepoRecord, c: CommitRecord) { return commit(r, repo, c); }
 * ```
 */
export function commit(r: RenderContext, repo: RepoRecord, c: CommitRecord): Json {
  const { a, h } = repoUrls(r, repo);
  const author = r.world.user(c.author) ? simpleUser(r, c.author) : null;
  return {
    sha: c.sha,
    node_id: nodeId("C", Number.parseInt(c.sha.slice(0, 8), 16)),
    commit: {
      author: gitIdentity(r, c.author, c.at),
      committer: gitIdentity(r, c.author, c.at),
      message: c.message,
      tree: { sha: c.treeSha, url: `${a}/git/trees/${c.treeSha}` },
      url: `${a}/git/commits/${c.sha}`,
      comment_count: 0,
      verification: UNSIGNED,
    },
    url: `${a}/commits/${c.sha}`,
    html_url: `${h}/commit/${c.sha}`,
    comments_url: `${a}/commits/${c.sha}/comments`,
    author,
    committer: author,
    parents: c.parents.map((p) => ({
      sha: p,
      url: `${a}/commits/${p}`,
      html_url: `${h}/commit/${p}`,
    })),
    stats: { total: 0, additions: 0, deletions: 0 },
    files: [],
  };
}

/**
 * `branch-with-protection` (an unprotected branch).
 *
 * @example
 * ```ts
 * function show(r: RenderContext, repo: RepoRecord, c: CommitRecord) { return branch(r, repo, "main", c); }
 * ```
 */
export function branch(r: RenderContext, repo: RepoRecord, name: string, c: CommitRecord): Json {
  const { a, h } = repoUrls(r, repo);
  return {
    name,
    commit: commit(r, repo, c),
    _links: { self: `${a}/branches/${seg(name)}`, html: `${h}/tree/${seg(name)}` },
    protected: false,
    protection: {
      enabled: false,
      required_status_checks: { enforcement_level: "off", contexts: [], checks: [] },
    },
    protection_url: `${a}/branches/${seg(name)}/protection`,
  };
}

/**
 * `git-ref`; `ref` is the full name (`refs/heads/main`).
 *
 * @example
 * ```ts
 * function show(r: RenderContext, repo: RepoRecord) { return gitRef(r, repo, "refs/heads/main", "a".repeat(40)); }
 * ```
 */
export function gitRef(r: RenderContext, repo: RepoRecord, ref: string, sha: string): Json {
  const { a } = repoUrls(r, repo);
  return {
    ref,
    node_id: `REF_kw${btoa(`${repo.id}:${ref}`).replace(/=+$/, "")}`,
    url: `${a}/git/${seg(ref)}`,
    object: { sha, type: "commit", url: `${a}/git/commits/${sha}` },
  };
}

/** Number of commits reachable from `head` but not from `base`. */
function aheadBy(r: RenderContext, repo: RepoRecord, base: string, head: string): number {
  const fromBase = new Set<string>();
  const walk = (start: string, into: Set<string>, stopAt?: Set<string>) => {
    const stack = [start];
    while (stack.length > 0) {
      const sha = stack.pop()!;
      if (into.has(sha) || stopAt?.has(sha)) continue;
      into.add(sha);
      const c = r.world.commit(repo, sha);
      if (c) stack.push(...c.parents);
    }
  };
  walk(base, fromBase);
  const ahead = new Set<string>();
  walk(head, ahead, fromBase);
  return ahead.size;
}

/**
 * `pull-request` (with `full`) or `pull-request-simple`.
 *
 * @example
 * ```ts
 * function show(r: RenderContext, repo: RepoRecord, i: IssueRecord) { return pullRequest(r, repo, i, true); }
 * ```
 */
export function pullRequest(
  r: RenderContext,
  repo: RepoRecord,
  i: IssueRecord,
  full: boolean,
): Json {
  const pull = i.pull!;
  const { a, h } = repoUrls(r, repo);
  const url = `${a}/pulls/${i.number}`;
  const html = `${h}/pull/${i.number}`;
  const side = (ref: string, sha: string) => ({
    label: `${repo.owner}:${ref}`,
    ref,
    sha,
    user: simpleUser(r, repo.owner),
    repo: repository(r, repo),
  });
  const body: Json = {
    url,
    id: pull.id,
    node_id: pull.nodeId,
    html_url: html,
    diff_url: `${html}.diff`,
    patch_url: `${html}.patch`,
    issue_url: `${a}/issues/${i.number}`,
    commits_url: `${url}/commits`,
    review_comments_url: `${url}/comments`,
    review_comment_url: `${a}/pulls/comments{/number}`,
    comments_url: `${a}/issues/${i.number}/comments`,
    statuses_url: `${a}/statuses/${pull.headSha}`,
    number: i.number,
    state: i.state,
    locked: i.locked,
    title: i.title,
    user: simpleUser(r, i.author),
    body: i.body,
    labels: labelsOf(r, repo, i.labels),
    milestone: null,
    active_lock_reason: null,
    created_at: isoSeconds(i.createdAt),
    updated_at: isoSeconds(i.updatedAt),
    closed_at: i.closedAt === null ? null : isoSeconds(i.closedAt),
    merged_at: null,
    merge_commit_sha: null,
    assignee: null,
    assignees: [],
    requested_reviewers: [],
    requested_teams: [],
    head: side(pull.head, pull.headSha),
    base: side(pull.base, pull.baseSha),
    _links: {
      self: { href: url },
      html: { href: html },
      issue: { href: `${a}/issues/${i.number}` },
      comments: { href: `${a}/issues/${i.number}/comments` },
      review_comments: { href: `${url}/comments` },
      review_comment: { href: `${a}/pulls/comments{/number}` },
      commits: { href: `${url}/commits` },
      statuses: { href: `${a}/statuses/${pull.headSha}` },
    },
    author_association: r.world.association(repo, i.author),
    auto_merge: null,
    draft: pull.draft,
  };
  if (full) {
    Object.assign(body, {
      merged: pull.merged,
      mergeable: true,
      rebaseable: true,
      mergeable_state: pull.draft ? "draft" : "clean",
      merged_by: null,
      comments: r.world.issueComments(repo, i.number).filter((c) =>
        c.deletedAt === undefined
      ).length,
      review_comments: 0,
      maintainer_can_modify: pull.maintainerCanModify,
      commits: aheadBy(r, repo, pull.baseSha, pull.headSha),
      additions: 0,
      deletions: 0,
      changed_files: 0,
    });
  }
  return body;
}

/**
 * `workflow-run`.
 *
 * @example
 * ```ts
 * function show(r: RenderContext, repo: RepoRecord, run: RunRecord) { return workflowRun(r, repo, run); }
 * ```
 */
export function workflowRun(r: RenderContext, repo: RepoRecord, run: RunRecord): Json {
  const { a, h } = repoUrls(r, repo);
  const workflow = repo.workflows.find((w) => w.id === run.workflowId);
  const url = `${a}/actions/runs/${run.id}`;
  const head = r.world.commit(repo, run.headSha);
  const headCommit = head
    ? {
      id: head.sha,
      tree_id: head.treeSha,
      message: head.message,
      timestamp: isoSeconds(head.at),
      author: (({ name, email }) => ({ name, email }))(gitIdentity(r, head.author, head.at)),
      committer: (({ name, email }) => ({ name, email }))(gitIdentity(r, head.author, head.at)),
    }
    : null;
  return {
    id: run.id,
    name: workflow?.name ?? null,
    node_id: run.nodeId,
    check_suite_id: run.id + 1,
    check_suite_node_id: nodeId("CS", run.id + 1),
    head_branch: run.headBranch,
    head_sha: run.headSha,
    path: workflow?.path ?? "",
    display_title: run.displayTitle,
    run_number: run.runNumber,
    event: run.event,
    status: run.status,
    conclusion: run.conclusion,
    workflow_id: run.workflowId,
    url,
    html_url: `${h}/actions/runs/${run.id}`,
    pull_requests: [],
    created_at: isoSeconds(run.createdAt),
    updated_at: isoSeconds(run.updatedAt),
    actor: simpleUser(r, run.actor),
    triggering_actor: simpleUser(r, run.actor),
    run_attempt: 1,
    referenced_workflows: [],
    run_started_at: isoSeconds(run.createdAt),
    jobs_url: `${url}/jobs`,
    logs_url: `${url}/logs`,
    check_suite_url: `${a}/check-suites/${run.id + 1}`,
    artifacts_url: `${url}/artifacts`,
    cancel_url: `${url}/cancel`,
    rerun_url: `${url}/rerun`,
    previous_attempt_url: null,
    workflow_url: `${a}/actions/workflows/${run.workflowId}`,
    head_commit: headCommit,
    repository: repository(r, repo),
    head_repository: repository(r, repo),
  };
}

/**
 * `job`.
 *
 * @example
 * ```ts
 * function show(r: RenderContext, repo: RepoRecord, run: RunRecord, j: JobRecord) { return job(r, repo, run, j); }
 * ```
 */
export function job(r: RenderContext, repo: RepoRecord, run: RunRecord, j: JobRecord): Json {
  const { a, h } = repoUrls(r, repo);
  const workflow = repo.workflows.find((w) => w.id === run.workflowId);
  return {
    id: j.id,
    run_id: run.id,
    workflow_name: workflow?.name ?? null,
    head_branch: run.headBranch,
    run_url: `${a}/actions/runs/${run.id}`,
    run_attempt: 1,
    node_id: j.nodeId,
    head_sha: run.headSha,
    url: `${a}/actions/jobs/${j.id}`,
    html_url: `${h}/actions/runs/${run.id}/job/${j.id}`,
    status: j.status,
    conclusion: j.conclusion,
    created_at: isoSeconds(j.createdAt),
    started_at: isoSeconds(j.startedAt),
    completed_at: j.completedAt === null ? null : isoSeconds(j.completedAt),
    name: j.name,
    steps: [],
    check_run_url: `${a}/check-runs/${j.id}`,
    labels: j.labels,
    runner_id: j.runnerName === null ? null : 1,
    runner_name: j.runnerName,
    runner_group_id: j.runnerName === null ? null : 1,
    runner_group_name: j.runnerName === null ? null : "GitHub Actions",
  };
}

/**
 * `release-asset`. `browser_download_url` points at the emulator, which
 * serves it without authentication like github.com does for public repos.
 *
 * @example
 * ```ts
 * function show(r: RenderContext, repo: RepoRecord, rel: ReleaseRecord, x: AssetRecord) { return asset(r, repo, rel, x); }
 * ```
 */
export function asset(
  r: RenderContext,
  repo: RepoRecord,
  rel: ReleaseRecord,
  x: AssetRecord,
): Json {
  const { a } = repoUrls(r, repo);
  return {
    url: `${a}/releases/assets/${x.id}`,
    id: x.id,
    node_id: x.nodeId,
    name: x.name,
    label: x.label,
    uploader: simpleUser(r, x.uploader),
    content_type: x.contentType,
    state: "uploaded",
    size: x.size,
    digest: null,
    download_count: x.downloadCount,
    created_at: isoSeconds(x.createdAt),
    updated_at: isoSeconds(x.createdAt),
    browser_download_url: `${r.api}/${seg(repo.owner)}/${seg(repo.name)}/releases/download/${
      seg(rel.tag)
    }/${encodeURIComponent(x.name)}`,
  };
}

/**
 * `release`.
 *
 * @example
 * ```ts
 * function show(r: RenderContext, repo: RepoRecord, rel: ReleaseRecord) { return release(r, repo, rel); }
 * ```
 */
export function release(r: RenderContext, repo: RepoRecord, rel: ReleaseRecord): Json {
  const { a, h } = repoUrls(r, repo);
  const url = `${a}/releases/${rel.id}`;
  return {
    url,
    assets_url: `${url}/assets`,
    upload_url: `${url}/assets{?name,label}`,
    html_url: `${h}/releases/tag/${seg(rel.tag)}`,
    id: rel.id,
    author: simpleUser(r, rel.author),
    node_id: rel.nodeId,
    tag_name: rel.tag,
    target_commitish: rel.targetCommitish,
    name: rel.name,
    draft: rel.draft,
    immutable: false,
    prerelease: rel.prerelease,
    created_at: isoSeconds(rel.createdAt),
    updated_at: isoSeconds(rel.createdAt),
    published_at: rel.publishedAt === null ? null : isoSeconds(rel.publishedAt),
    assets: rel.assets.map((x) => asset(r, repo, rel, x)),
    tarball_url: `${a}/tarball/${seg(rel.tag)}`,
    zipball_url: `${a}/zipball/${seg(rel.tag)}`,
    body: rel.body,
  };
}

/**
 * `workflow` (for completeness of dispatch answers).
 *
 * @example
 * ```ts
 * function show(r: RenderContext, repo: RepoRecord, w: WorkflowRecord) { return workflow(r, repo, w); }
 * ```
 */
export function workflow(r: RenderContext, repo: RepoRecord, w: WorkflowRecord): Json {
  const { a, h } = repoUrls(r, repo);
  return {
    id: w.id,
    node_id: w.nodeId,
    name: w.name,
    path: w.path,
    state: "active",
    created_at: isoSeconds(w.createdAt),
    updated_at: isoSeconds(w.createdAt),
    url: `${a}/actions/workflows/${w.id}`,
    html_url: `${h}/blob/${seg(repo.defaultBranch)}/${w.path}`,
    badge_url: `${h}/workflows/${encodeURIComponent(w.name)}/badge.svg`,
  };
}

/**
 * A tree SHA for a generated commit.
 *
 * @example
 * ```ts
 * treeFor("Initial commit", []).length; // 40
 * ```
 */
export function treeFor(message: string, parents: readonly string[]): string {
  return fakeSha(`tree|${message}|${parents.join(",")}`);
}
