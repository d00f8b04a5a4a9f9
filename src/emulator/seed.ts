/**
 * Seeding: turning `SeedData` into records, and the demo world that
 * `p2p-dev emulator` starts with.
 *
 * @module
 */
import { treeFor } from "./render.ts";
import { fakeSha, nodeId, type World } from "./state.ts";
import type {
  AppSeed,
  AssetRecord,
  CommitRecord,
  IssueSeed,
  JobRecord,
  RepoRecord,
  RepoSeed,
  RunSeed,
  SeedData,
  SeedResult,
  TokenKind,
} from "./types.ts";

const LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?$/;
const REPO_NAME = /^[A-Za-z0-9_.-]{1,100}$/;
const SHA = /^[0-9a-f]{40}$/;

/**
 * Applies a seed to the world at emulated time `now` and says what it created.
 * Throws a `TypeError` naming the bad value when the seed is malformed.
 *
 * @example
 * ```ts
 * const world = new World(1, Date.now());
 * const result = applySeed(world, { users: [{ login: "octo", token: "ghp_1" }] }, Date.now());
 * ```
 */
export function applySeed(world: World, seed: SeedData, at: number): SeedResult {
  // GitHub timestamps have one-second resolution.
  const now = Math.floor(at / 1000) * 1000;
  const result: SeedResult = { tokens: {}, users: [], repos: [], issues: [], comments: [] };
  for (const u of seed.users ?? []) {
    if (typeof u.login !== "string" || !LOGIN.test(u.login)) {
      throw new TypeError(
        `Invalid user login ${
          JSON.stringify(u.login)
        }: use letters, digits and hyphens (bots end in [bot]).`,
      );
    }
    const user = world.addUser(
      {
        login: u.login,
        ...(u.id !== undefined ? { id: u.id } : {}),
        ...(u.type !== undefined ? { type: u.type } : {}),
        ...(u.name !== undefined ? { name: u.name } : {}),
      },
      now,
    );
    result.users.push({ login: user.login, id: user.id });
    const tokens = u.token === undefined ? [] : Array.isArray(u.token) ? u.token : [u.token];
    const kind: TokenKind = u.tokenKind ?? (user.type === "Bot" ? "actions" : "pat");
    for (const token of tokens) {
      world.addToken({ token, login: user.login, kind });
      result.tokens[user.login] ??= token;
    }
  }
  for (const t of seed.tokens ?? []) {
    if (typeof t.token !== "string" || t.token.length === 0) {
      throw new TypeError(`Invalid token ${JSON.stringify(t.token)}: expected a non-empty string.`);
    }
    const user = world.user(t.login) ?? world.addUser({ login: t.login }, now);
    world.addToken({
      token: t.token,
      login: user.login,
      kind: t.kind ?? (user.type === "Bot" ? "actions" : "pat"),
      ...(t.repos ? { repos: t.repos } : {}),
      ...(t.limit !== undefined ? { limit: t.limit } : {}),
      ...(t.bucket !== undefined ? { bucket: t.bucket } : {}),
      ...(t.permissions ? { permissions: t.permissions } : {}),
    });
    result.tokens[user.login] ??= t.token;
  }
  for (const r of seed.repos ?? []) seedRepo(world, r, now, result);
  for (const a of seed.apps ?? []) seedApp(world, a, now);
  return result;
}

/** Installation permissions when a seed names none: what a swarm needs. */
const APP_PERMISSIONS = {
  issues: "write",
  contents: "write",
  pull_requests: "write",
  metadata: "read",
} as const;

function seedApp(world: World, seed: AppSeed, now: number): void {
  if (!Number.isSafeInteger(seed.id) || seed.id <= 0) {
    throw new TypeError(`Invalid App id ${JSON.stringify(seed.id)}: expected a positive integer.`);
  }
  if (!LOGIN.test(seed.slug ?? "") || seed.slug.endsWith("[bot]")) {
    throw new TypeError(
      `Invalid App slug ${JSON.stringify(seed.slug)}: use letters, digits and hyphens.`,
    );
  }
  if (!/-----BEGIN PUBLIC KEY-----/.test(seed.publicKey ?? "")) {
    throw new TypeError(
      `App ${seed.slug} needs publicKey as a PEM "-----BEGIN PUBLIC KEY-----" (SPKI) block.`,
    );
  }
  if (!world.user(seed.owner)) world.addUser({ login: seed.owner }, now);
  world.addUser({ login: `${seed.slug}[bot]`, type: "Bot" }, now);
  world.addApp({
    id: seed.id,
    slug: seed.slug,
    name: seed.name ?? seed.slug,
    owner: seed.owner,
    publicKey: seed.publicKey,
    installations: seed.installations.map((i) => ({
      id: i.id,
      account: i.account,
      ...(i.repos ? { repos: i.repos } : {}),
      permissions: i.permissions ?? { ...APP_PERMISSIONS },
      createdAt: now,
    })),
    tokenTtlMs: seed.tokenTtlMs ?? 3_600_000,
    createdAt: now,
  });
}

function seedRepo(world: World, seed: RepoSeed, now: number, result: SeedResult): void {
  if (!LOGIN.test(seed.owner ?? "") || !REPO_NAME.test(seed.name ?? "")) {
    throw new TypeError(
      `Invalid repository ${
        JSON.stringify(`${seed.owner}/${seed.name}`)
      }: expected owner/name, e.g. octo/hello.`,
    );
  }
  if (!world.user(seed.owner)) world.addUser({ login: seed.owner }, now);
  let repo = world.repo(seed.owner, seed.name);
  if (!repo) {
    repo = world.addRepo({
      owner: seed.owner,
      name: seed.name,
      private: seed.private ?? false,
      defaultBranch: seed.defaultBranch ?? "main",
      description: seed.description ?? null,
    }, now);
  } else {
    if (seed.private !== undefined) repo.private = seed.private;
    if (seed.description !== undefined) repo.description = seed.description;
    if (seed.defaultBranch !== undefined) repo.defaultBranch = seed.defaultBranch;
  }
  if (seed.gitDir !== undefined) {
    if (typeof seed.gitDir !== "string" || !seed.gitDir.startsWith("/")) {
      throw new TypeError(
        `Invalid gitDir ${
          JSON.stringify(seed.gitDir)
        }: expected the absolute path of a bare repository.`,
      );
    }
    repo.gitDir = seed.gitDir;
  }
  result.repos.push({ owner: repo.owner, repo: repo.name, id: repo.id });
  for (const [login, role] of Object.entries(seed.permissions ?? {})) {
    if (!["read", "triage", "write", "maintain", "admin"].includes(role)) {
      throw new TypeError(
        `Invalid role ${
          JSON.stringify(role)
        } for ${login}: expected read, triage, write, maintain or admin.`,
      );
    }
    if (!world.user(login)) world.addUser({ login }, now);
    repo.permissions[login] = role;
  }
  for (const m of seed.members ?? []) if (!repo.members.includes(m)) repo.members.push(m);
  Object.assign(repo.associations, seed.associations ?? {});

  let last: string | undefined = repo.refs[`refs/heads/${repo.defaultBranch}`];
  const commits = seed.commits ?? (last ? [] : [{ message: "Initial commit" }]);
  for (const [index, c] of commits.entries()) {
    const parents = c.parents ?? (last ? [last] : []);
    for (const p of parents) {
      if (!world.commit(repo, p)) {
        throw new TypeError(
          `Invalid parent ${
            JSON.stringify(p)
          } of commit ${index} in ${repo.owner}/${repo.name}: list parents before children.`,
        );
      }
    }
    const message = c.message ?? `Commit ${index + 1}`;
    const sha = c.sha ?? fakeSha(`commit|${repo.id}|${message}|${parents.join(",")}|${index}`);
    if (!SHA.test(sha)) {
      throw new TypeError(
        `Invalid commit sha ${JSON.stringify(sha)}: expected 40 lowercase hex digits.`,
      );
    }
    const record: CommitRecord = {
      sha,
      treeSha: treeFor(message, parents),
      message,
      parents,
      author: c.author ?? repo.owner,
      at: now,
    };
    world.addCommit(repo, record);
    last = sha;
  }
  const branches = seed.branches ?? {};
  if (last && !(repo.defaultBranch in branches) && !repo.refs[`refs/heads/${repo.defaultBranch}`]) {
    repo.refs[`refs/heads/${repo.defaultBranch}`] = last;
  }
  for (const [name, sha] of Object.entries(branches)) {
    if (!world.commit(repo, sha)) {
      throw new TypeError(
        `Invalid branch ${JSON.stringify(name)}: commit ${
          JSON.stringify(sha)
        } is not in the seeded commits.`,
      );
    }
    repo.refs[`refs/heads/${name}`] = sha;
  }
  for (const l of seed.labels ?? []) ensureLabel(world, repo, l.name, l.color, l.description);
  for (const i of seed.issues ?? []) seedIssue(world, repo, i, now, result);
  for (const w of seed.workflows ?? []) {
    const id = w.id ?? world.nextId();
    repo.workflows.push({
      id,
      nodeId: nodeId("W", id),
      name: w.name,
      path: w.path,
      dispatchable: w.dispatchable ?? true,
      createdAt: now,
    });
  }
  for (const run of seed.runs ?? []) seedRun(world, repo, run, now);
  for (const rel of seed.releases ?? []) {
    const id = world.nextId();
    const assets: AssetRecord[] = (rel.assets ?? []).map((x) => {
      const base64 = x.base64 ?? bytesToBase64(new TextEncoder().encode(x.text ?? ""));
      const assetId = world.nextId();
      return {
        id: assetId,
        nodeId: nodeId("RA", assetId),
        name: x.name,
        label: x.label ?? null,
        contentType: x.contentType ?? "application/octet-stream",
        base64,
        size: base64ToBytes(base64).length,
        uploader: rel.author,
        downloadCount: 0,
        createdAt: now,
      };
    });
    if (!world.user(rel.author)) world.addUser({ login: rel.author }, now);
    world.addRelease(repo, {
      id,
      nodeId: nodeId("RE", id),
      tag: rel.tag,
      name: rel.name ?? rel.tag,
      body: rel.body ?? null,
      draft: rel.draft ?? false,
      prerelease: rel.prerelease ?? false,
      targetCommitish: rel.targetCommitish ?? repo.defaultBranch,
      author: rel.author,
      createdAt: now,
      publishedAt: rel.draft ? null : now,
      assets,
    });
  }
  world.touch();
}

function seedIssue(
  world: World,
  repo: RepoRecord,
  seed: IssueSeed,
  now: number,
  result: SeedResult,
) {
  if (!world.user(seed.author)) world.addUser({ login: seed.author }, now);
  for (const name of seed.labels ?? []) ensureLabel(world, repo, name);
  const closed = seed.state === "closed";
  const issue = world.addIssue(repo, {
    title: seed.title,
    body: seed.body ?? null,
    author: seed.author,
    state: closed ? "closed" : "open",
    stateReason: closed ? "completed" : null,
    labels: [...(seed.labels ?? [])],
    locked: false,
    createdAt: now,
    updatedAt: now,
    closedAt: closed ? now : null,
    closedBy: closed ? seed.author : null,
    reactions: [],
  });
  result.issues.push({ owner: repo.owner, repo: repo.name, number: issue.number, id: issue.id });
  for (const c of seed.comments ?? []) {
    if (!world.user(c.author)) world.addUser({ login: c.author }, now);
    const id = world.nextCommentId();
    world.addComment(repo, {
      id,
      nodeId: nodeId("IC", id),
      issue: issue.number,
      author: c.author,
      body: c.body,
      createdAt: now,
      updatedAt: now,
      writtenAt: now,
      history: [],
      seeded: true,
      reactions: [],
    });
    result.comments.push({ owner: repo.owner, repo: repo.name, issue: issue.number, id });
  }
}

function seedRun(world: World, repo: RepoRecord, seed: RunSeed, now: number): void {
  const workflow = findWorkflow(repo, seed.workflow);
  if (!workflow) {
    throw new TypeError(
      `Invalid run workflow ${
        JSON.stringify(seed.workflow)
      } in ${repo.owner}/${repo.name}: seed the workflow first.`,
    );
  }
  const id = seed.id ?? world.nextId();
  const headSha = seed.headSha ??
    repo.refs[`refs/heads/${seed.headBranch ?? repo.defaultBranch}`] ??
    fakeSha(`run|${id}`);
  const jobs: JobRecord[] = (seed.jobs ?? []).map((j) => {
    const jobId = world.nextId();
    const status = j.status ?? "completed";
    return {
      id: jobId,
      nodeId: nodeId("CR", jobId),
      name: j.name,
      status,
      conclusion: j.conclusion ?? (status === "completed" ? "success" : null),
      runnerName: j.runnerName ?? null,
      labels: j.labels ?? ["ubuntu-latest"],
      createdAt: now,
      startedAt: now,
      completedAt: status === "completed" ? now : null,
    };
  });
  const status = seed.status ?? "completed";
  repo.runs.push({
    id,
    nodeId: nodeId("WFR", id),
    workflowId: workflow.id,
    runNumber: repo.runs.filter((r) => r.workflowId === workflow.id).length + 1,
    event: seed.event ?? "workflow_dispatch",
    status,
    conclusion: seed.conclusion !== undefined
      ? seed.conclusion
      : status === "completed"
      ? "success"
      : null,
    headBranch: seed.headBranch ?? repo.defaultBranch,
    headSha,
    actor: seed.actor ?? repo.owner,
    displayTitle: seed.displayTitle ?? workflow.name,
    createdAt: now,
    updatedAt: now,
    jobs,
  });
}

/**
 * A workflow by id, file name (`p2p-dev.yml`) or path.
 *
 * @example
 * ```ts
 * function find(repo: RepoRecord) { return findWorkflow(repo, "p2p-dev.yml"); }
 * ```
 */
export function findWorkflow(repo: RepoRecord, key: number | string) {
  const text = String(key);
  return repo.workflows.find((w) =>
    String(w.id) === text || w.path === text || w.path.split("/").pop() === text
  );
}

/**
 * The label named `name` (case-insensitive), created when missing (GitHub
 * creates unknown labels when they are added to an issue).
 *
 * @example
 * ```ts
 * function mark(world: World, repo: RepoRecord) { return ensureLabel(world, repo, "p2p-dev"); }
 * ```
 */
export function ensureLabel(
  world: World,
  repo: RepoRecord,
  name: string,
  color?: string,
  description?: string | null,
) {
  const existing = repo.labels.find((l) => l.name.toLowerCase() === name.toLowerCase());
  if (existing) return existing;
  const id = world.nextId();
  const label = {
    id,
    nodeId: nodeId("LA", id),
    name,
    color: (color ?? "ededed").replace(/^#/, ""),
    description: description ?? null,
    default: false,
  };
  repo.labels.push(label);
  world.touch();
  return label;
}

/**
 * Base64 of bytes.
 *
 * @example
 * ```ts
 * bytesToBase64(new Uint8Array([104, 105])); // "aGk="
 * ```
 */
export function bytesToBase64(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(text);
}

/**
 * Bytes of base64 text.
 *
 * @example
 * ```ts
 * base64ToBytes("aGk="); // Uint8Array [104, 105]
 * ```
 */
export function base64ToBytes(base64: string): Uint8Array {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** Logins, tokens and coordinates of the demo world. */
export interface DemoWorld {
  /** Owner (an organisation) of the demo repository. */
  owner: string;
  /** Name of the demo repository. */
  repo: string;
  /** Number of the demo issue (labelled `p2p-dev`). */
  issue: number;
  /** Token per role: `owner` (admin), `writer` (write), `stranger` (no role), `bot` (GITHUB_TOKEN). */
  tokens: { owner: string; writer: string; stranger: string; bot: string };
  /** Login per role. */
  logins: { owner: string; writer: string; stranger: string; bot: string };
}

/**
 * The demo world's coordinates (tokens are fixed, so they can be printed and reused).
 *
 * @example
 * ```ts
 * const auth = DEMO.tokens.bot; // acts as github-actions[bot] on octo-org/hello
 * ```
 */
export const DEMO: DemoWorld = {
  owner: "octo-org",
  repo: "hello",
  issue: 1,
  tokens: {
    owner: "ghp_emulator_owner",
    writer: "ghp_emulator_writer",
    stranger: "ghp_emulator_stranger",
    bot: "ghs_emulator_actions",
  },
  logins: {
    owner: "octo-owner",
    writer: "octo-writer",
    stranger: "drive-by",
    bot: "github-actions[bot]",
  },
};

/**
 * The demo seed: an organisation repository `octo-org/hello` with an admin,
 * a writer, a stranger (no role; may still comment on the public repo) and
 * `github-actions[bot]` holding a GITHUB_TOKEN-like token; issue #1 labelled
 * `p2p-dev`; a dispatchable workflow; a release with one asset.
 *
 * @example
 * ```ts
 * const emulator = createEmulator({ data: demoSeed() });
 * ```
 */
export function demoSeed(): SeedData {
  const { logins, tokens } = DEMO;
  return {
    users: [
      { login: DEMO.owner, type: "Organization" },
      { login: logins.owner, name: "Octo Owner", token: tokens.owner },
      { login: logins.writer, name: "Octo Writer", token: tokens.writer },
      { login: logins.stranger, token: tokens.stranger },
      // 41898282 is the real id of github-actions[bot].
      { login: logins.bot, id: 41898282, type: "Bot" },
    ],
    tokens: [{
      token: tokens.bot,
      login: logins.bot,
      kind: "actions",
      repos: [`${DEMO.owner}/${DEMO.repo}`],
    }],
    repos: [{
      owner: DEMO.owner,
      name: DEMO.repo,
      description: "Demo repository of the p2p-dev GitHub emulator",
      // github-actions[bot] is no collaborator: its token grants write on this repository.
      permissions: { [logins.owner]: "admin", [logins.writer]: "write" },
      members: [logins.owner],
      commits: [{ message: "Initial commit" }, { message: "Add README" }],
      labels: [{ name: "p2p-dev", color: "5319e7", description: "Run the p2p-dev swarm" }],
      issues: [{
        title: "Build the greeting service",
        author: logins.owner,
        labels: ["p2p-dev"],
        body: [
          "## Tasks",
          "- [ ] Add a /hello endpoint",
          "- [ ] Add tests for /hello",
          "- [ ] Document the endpoint",
        ].join("\n"),
      }],
      workflows: [{ name: "p2p-dev", path: ".github/workflows/p2p-dev.yml" }],
      releases: [{
        tag: "v0.1.0",
        author: logins.owner,
        name: "v0.1.0",
        body: "First release.",
        assets: [{
          name: "p2p-dev.js",
          contentType: "application/javascript",
          text: "// p2p-dev\n",
        }],
      }],
    }],
  };
}
