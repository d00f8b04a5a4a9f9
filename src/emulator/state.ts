/**
 * The emulated world: plain JSON records (so snapshots are trivial) plus the
 * indexes that make lookups fast. Routes read and change it through here.
 *
 * @module
 */
import { hashUniform, hexDigest } from "./random.ts";
import type {
  AppRecord,
  AssetRecord,
  AuthorAssociation,
  CommentRecord,
  CommitRecord,
  EmulatorSnapshot,
  IssueRecord,
  PullRecord,
  ReleaseRecord,
  RepoRecord,
  RepoRole,
  RunRecord,
  TokenRecord,
  UserRecord,
} from "./types.ts";

/**
 * First comment id: GitHub's comment ids are 64-bit and far above 2^31 today.
 *
 * @example
 * ```ts
 * FIRST_COMMENT_ID > 2 ** 31; // true
 * ```
 */
export const FIRST_COMMENT_ID = 2_147_483_648 + 1_000_000;

/**
 * First id for everything else (users may bring their own, smaller ids).
 *
 * @example
 * ```ts
 * new World(1, 0).nextId() === FIRST_ID; // true
 * ```
 */
export const FIRST_ID = 100_000;

/** A comment together with the repository it lives in. */
export interface CommentRef {
  /** The repository the comment lives in. */
  repo: RepoRecord;
  /** The comment. */
  comment: CommentRecord;
}

/** An asset together with its release and repository. */
export interface AssetRef {
  /** The repository of the release. */
  repo: RepoRecord;
  /** The release the asset belongs to. */
  release: ReleaseRecord;
  /** The asset. */
  asset: AssetRecord;
}

const ROLE_RANK: Record<RepoRole, number> = { read: 1, triage: 2, write: 3, maintain: 4, admin: 5 };

/**
 * Whether `role` is at least `needed`.
 *
 * @example
 * ```ts
 * roleAtLeast("maintain", "write"); // true
 * ```
 */
export function roleAtLeast(role: RepoRole | null, needed: RepoRole): boolean {
  return role !== null && ROLE_RANK[role] >= ROLE_RANK[needed];
}

/**
 * The emulated world and its indexes.
 *
 * @example
 * ```ts
 * const world = new World(1, Date.now());
 * world.addUser({ login: "octo", type: "User" });
 * ```
 */
export class World {
  /** The records; a snapshot is a deep copy of this. */
  data: EmulatorSnapshot;
  /** Bumped on every change (persistence saves when it moves). */
  version = 0;
  readonly #seed: number;
  #users = new Map<string, UserRecord>();
  #tokens = new Map<string, TokenRecord>();
  #repos = new Map<string, RepoRecord>();
  #comments = new Map<number, CommentRef>();
  #issueComments = new Map<string, CommentRecord[]>();
  #issues = new Map<string, IssueRecord>();
  #commits = new Map<string, Map<string, CommitRecord>>();
  #assets = new Map<number, AssetRef>();

  /** An empty world; `seed` spaces comment ids reproducibly. */
  constructor(seed: number, now: number) {
    this.#seed = seed;
    this.data = {
      format: "p2p-dev-emulator",
      version: 1,
      now,
      nextId: FIRST_ID,
      nextCommentId: FIRST_COMMENT_ID,
      users: [],
      tokens: [],
      repos: [],
    };
  }

  /** Marks the world changed. */
  touch(): void {
    this.version++;
  }

  /** A new id for anything but comments. */
  nextId(): number {
    return this.data.nextId++;
  }

  /** A new comment id: increasing, with small reproducible gaps like GitHub's shared id space. */
  nextCommentId(): number {
    const id = this.data.nextCommentId;
    this.data.nextCommentId += 1 + Math.floor(hashUniform(this.#seed, `gap|${id}`) * 4);
    return id;
  }

  // ------------------------------------------------------------ users, tokens

  /** The user with this login (case-insensitive). */
  user(login: string): UserRecord | undefined {
    return this.#users.get(login.toLowerCase());
  }

  /** Adds a user, or returns the existing one with that login. */
  addUser(
    input: { login: string; id?: number; type?: UserRecord["type"]; name?: string | null },
    now = this.data.now,
  ): UserRecord {
    const existing = this.user(input.login);
    if (existing) {
      if (input.name !== undefined) existing.name = input.name;
      if (input.type !== undefined) existing.type = input.type;
      return existing;
    }
    const id = input.id ?? this.nextId();
    if (id >= this.data.nextId) this.data.nextId = id + 1;
    const type = input.type ?? (input.login.endsWith("[bot]") ? "Bot" : "User");
    const user: UserRecord = {
      login: input.login,
      id,
      nodeId: nodeId(type === "Bot" ? "BOT" : type === "Organization" ? "O" : "U", id),
      type,
      name: input.name ?? null,
      createdAt: now,
    };
    this.data.users.push(user);
    this.#users.set(user.login.toLowerCase(), user);
    this.touch();
    return user;
  }

  /** The App with this id, if it exists. */
  app(id: number): AppRecord | undefined {
    return this.data.apps?.find((a) => a.id === id);
  }

  /** Adds or replaces an App. */
  addApp(record: AppRecord): void {
    const apps = this.data.apps ??= [];
    const i = apps.findIndex((a) => a.id === record.id);
    if (i >= 0) apps[i] = record;
    else apps.push(record);
    this.touch();
  }

  /** The record of a token, if it exists. */
  token(token: string): TokenRecord | undefined {
    return this.#tokens.get(token);
  }

  /** Adds or replaces a token. */
  addToken(record: TokenRecord): void {
    const existing = this.#tokens.get(record.token);
    if (existing) {
      const index = this.data.tokens.indexOf(existing);
      this.data.tokens.splice(index, 1);
    }
    this.data.tokens.push(record);
    this.#tokens.set(record.token, record);
    this.touch();
  }

  // ------------------------------------------------------------ repositories

  /** The repository `owner/name` (case-insensitive). */
  repo(owner: string, name: string): RepoRecord | undefined {
    return this.#repos.get(`${owner}/${name}`.toLowerCase());
  }

  /** Every repository. */
  repos(): readonly RepoRecord[] {
    return this.data.repos;
  }

  /** Adds an empty repository (the caller fills commits and refs). */
  addRepo(
    input: {
      owner: string;
      name: string;
      private: boolean;
      defaultBranch: string;
      description: string | null;
    },
    now: number,
  ): RepoRecord {
    const id = this.nextId();
    const repo: RepoRecord = {
      id,
      nodeId: nodeId("R", id),
      owner: input.owner,
      name: input.name,
      private: input.private,
      defaultBranch: input.defaultBranch,
      description: input.description,
      createdAt: now,
      pushedAt: now,
      permissions: {},
      members: [],
      associations: {},
      nextNumber: 1,
      labels: [],
      issues: [],
      comments: [],
      commits: [],
      refs: {},
      workflows: [],
      runs: [],
      releases: [],
      dispatches: [],
    };
    this.data.repos.push(repo);
    this.#indexRepo(repo);
    this.touch();
    return repo;
  }

  /**
   * The role of `login` on `repo`: explicit permission, owner (admin),
   * organisation member (read), anyone on a public repository (read), else null.
   */
  role(repo: RepoRecord, login: string | null): RepoRole | null {
    if (login === null) return repo.private ? null : "read";
    const key = login.toLowerCase();
    if (key === repo.owner.toLowerCase()) return "admin";
    for (const [who, role] of Object.entries(repo.permissions)) {
      if (who.toLowerCase() === key) return role;
    }
    if (repo.members.some((m) => m.toLowerCase() === key)) return "read";
    return repo.private ? null : "read";
  }

  /** Whether `login` has an explicit role on the repository (a collaborator). */
  isCollaborator(repo: RepoRecord, login: string): boolean {
    const key = login.toLowerCase();
    return Object.keys(repo.permissions).some((who) => who.toLowerCase() === key);
  }

  /**
   * `author_association` of `login` on `repo`: explicit override, else
   * OWNER, MEMBER, COLLABORATOR, CONTRIBUTOR (authored a commit), NONE.
   */
  association(repo: RepoRecord, login: string): AuthorAssociation {
    const key = login.toLowerCase();
    for (const [who, association] of Object.entries(repo.associations)) {
      if (who.toLowerCase() === key) return association;
    }
    if (key === repo.owner.toLowerCase()) return "OWNER";
    if (repo.members.some((m) => m.toLowerCase() === key)) return "MEMBER";
    if (this.isCollaborator(repo, login)) return "COLLABORATOR";
    if (repo.commits.some((c) => c.author.toLowerCase() === key)) return "CONTRIBUTOR";
    return "NONE";
  }

  // ------------------------------------------------------------ git

  /** A commit of `repo` by SHA. */
  commit(repo: RepoRecord, sha: string): CommitRecord | undefined {
    return this.#commits.get(repoKey(repo))?.get(sha.toLowerCase());
  }

  /** Adds a commit (its parents must exist). */
  addCommit(repo: RepoRecord, commit: CommitRecord): CommitRecord {
    const existing = this.commit(repo, commit.sha);
    if (existing) return existing;
    repo.commits.push(commit);
    this.#commits.get(repoKey(repo))!.set(commit.sha, commit);
    this.touch();
    return commit;
  }

  /** Whether `ancestor` is `sha` or reachable from it through parents. */
  isAncestor(repo: RepoRecord, ancestor: string, sha: string): boolean {
    const seen = new Set<string>();
    const stack = [sha];
    while (stack.length > 0) {
      const current = stack.pop()!;
      if (current === ancestor) return true;
      if (seen.has(current)) continue;
      seen.add(current);
      const commit = this.commit(repo, current);
      if (commit) stack.push(...commit.parents);
    }
    return false;
  }

  // ------------------------------------------------------------ issues

  /** Issue (or pull request) `number` of `repo`. */
  issue(repo: RepoRecord, number: number): IssueRecord | undefined {
    return this.#issues.get(`${repoKey(repo)}#${number}`);
  }

  /** Adds an issue, giving it the next number. */
  /**
   * Opens a new issue (or, with `pull`, a pull request) at `at`: open,
   * unlabelled, unlocked, no reactions.
   *
   * @example
   * ```ts
   * world.openIssue(repo, { title: "Bug", body: null, author: "octo", at: now });
   * ```
   */
  openIssue(
    repo: RepoRecord,
    fields: { title: string; body: string | null; author: string; at: number; pull?: PullRecord },
  ): IssueRecord {
    const { at, pull, ...rest } = fields;
    return this.addIssue(repo, {
      ...rest,
      state: "open",
      stateReason: null,
      labels: [],
      locked: false,
      createdAt: at,
      updatedAt: at,
      closedAt: null,
      closedBy: null,
      reactions: [],
      ...(pull ? { pull } : {}),
    });
  }

  addIssue(repo: RepoRecord, issue: Omit<IssueRecord, "number" | "id" | "nodeId">): IssueRecord {
    const id = this.nextId();
    const record: IssueRecord = {
      ...issue,
      id,
      nodeId: nodeId(issue.pull ? "PR" : "I", id),
      number: repo.nextNumber++,
    };
    repo.issues.push(record);
    this.#issues.set(`${repoKey(repo)}#${record.number}`, record);
    this.touch();
    return record;
  }

  // ------------------------------------------------------------ comments

  /** A comment by id, deleted ones included. */
  commentById(id: number): CommentRef | undefined {
    return this.#comments.get(id);
  }

  /** All comments of an issue, ascending id, deleted ones included. */
  issueComments(repo: RepoRecord, number: number): readonly CommentRecord[] {
    return this.#issueComments.get(`${repoKey(repo)}#${number}`) ?? [];
  }

  /** Adds a comment (its id must come from `nextCommentId`). */
  addComment(repo: RepoRecord, comment: CommentRecord): CommentRecord {
    repo.comments.push(comment);
    this.#indexComment(repo, comment);
    this.touch();
    return comment;
  }

  // ------------------------------------------------------------ releases, runs

  /** A release asset by id. */
  asset(id: number): AssetRef | undefined {
    return this.#assets.get(id);
  }

  /** Adds a release with its assets. */
  addRelease(repo: RepoRecord, release: ReleaseRecord): ReleaseRecord {
    repo.releases.push(release);
    for (const asset of release.assets) this.#assets.set(asset.id, { repo, release, asset });
    this.touch();
    return release;
  }

  /** A workflow run of `repo` by id. */
  run(repo: RepoRecord, id: number): RunRecord | undefined {
    return repo.runs.find((r) => r.id === id);
  }

  // ------------------------------------------------------------ snapshots

  /** A deep copy of the world, stamped with `now`. */
  snapshot(now: number): EmulatorSnapshot {
    this.data.now = Math.max(this.data.now, now);
    return structuredClone(this.data);
  }

  /** Replaces the world with a snapshot (validated) and rebuilds the indexes. */
  restore(snapshot: unknown): void {
    const data = checkSnapshot(snapshot);
    this.data = structuredClone(data);
    this.#users.clear();
    this.#tokens.clear();
    this.#repos.clear();
    this.#comments.clear();
    this.#issueComments.clear();
    this.#issues.clear();
    this.#commits.clear();
    this.#assets.clear();
    for (const user of this.data.users) this.#users.set(user.login.toLowerCase(), user);
    for (const token of this.data.tokens) this.#tokens.set(token.token, token);
    for (const repo of this.data.repos) {
      this.#indexRepo(repo);
      for (const issue of repo.issues) this.#issues.set(`${repoKey(repo)}#${issue.number}`, issue);
      for (const comment of repo.comments) this.#indexComment(repo, comment);
      const commits = this.#commits.get(repoKey(repo))!;
      for (const commit of repo.commits) commits.set(commit.sha, commit);
      for (const release of repo.releases) {
        for (const asset of release.assets) this.#assets.set(asset.id, { repo, release, asset });
      }
    }
    this.touch();
  }

  #indexRepo(repo: RepoRecord): void {
    this.#repos.set(repoKey(repo), repo);
    if (!this.#commits.has(repoKey(repo))) this.#commits.set(repoKey(repo), new Map());
  }

  #indexComment(repo: RepoRecord, comment: CommentRecord): void {
    this.#comments.set(comment.id, { repo, comment });
    const key = `${repoKey(repo)}#${comment.issue}`;
    let list = this.#issueComments.get(key);
    if (!list) this.#issueComments.set(key, list = []);
    list.push(comment);
  }
}

/**
 * The lower-cased `owner/name` of a repository.
 *
 * @example
 * ```ts
 * function key(r: RepoRecord) { return repoKey(r); }
 * ```
 */
export function repoKey(repo: { owner: string; name: string }): string {
  return `${repo.owner}/${repo.name}`.toLowerCase();
}

/**
 * A GraphQL-style node id (`PREFIX_base64`), stable for a kind and id.
 *
 * @example
 * ```ts
 * nodeId("IC", 2147483649); // "IC_..."
 * ```
 */
export function nodeId(prefix: string, id: number): string {
  return `${prefix}_kw${btoa(`${prefix}:${id}`).replace(/=+$/, "")}`;
}

/**
 * A deterministic 40-hex SHA for generated objects.
 *
 * @example
 * ```ts
 * fakeSha("tree|x").length; // 40
 * ```
 */
export function fakeSha(text: string): string {
  return hexDigest(text, 40);
}

function checkSnapshot(value: unknown): EmulatorSnapshot {
  const s = value as Partial<EmulatorSnapshot> | null;
  if (
    typeof s !== "object" || s === null || s.format !== "p2p-dev-emulator" || s.version !== 1 ||
    !Array.isArray(s.users) || !Array.isArray(s.tokens) || !Array.isArray(s.repos) ||
    typeof s.nextId !== "number" || typeof s.nextCommentId !== "number" || typeof s.now !== "number"
  ) {
    throw new TypeError(
      'Invalid emulator snapshot: expected {"format":"p2p-dev-emulator","version":1,...} as GET /_emulator/snapshot returns it.',
    );
  }
  return s as EmulatorSnapshot;
}
