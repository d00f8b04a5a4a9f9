/**
 * Result delivery: where a task's work goes.
 *
 * - `none`: nowhere; the executor works in a directory of its own.
 * - `branch`: each task works in its own git worktree on branch
 *   `p2p/issue-<N>/<task-id>`, started from the branches of the tasks it
 *   depends on (one: from it; several: from the first, merging the others;
 *   none: from the default branch). After a successful run the changes are
 *   committed and the branch is pushed to the remote.
 * - `pr`: as `branch`, then a draft pull request against the default branch
 *   is opened through the GitHub port; its body says "Part of #N".
 *
 * Decisions:
 * - Nothing changed: no empty commit, but the branch is still pushed (at its
 *   start point), so that dependents can start from it and every done task
 *   has a branch. No pull request is opened for it (GitHub refuses one
 *   without commits, and it would only repeat its dependencies' work).
 * - An executor that committed by itself (an agent may) is fine: whatever
 *   is left uncommitted is committed on top, and the branch head is pushed.
 * - A failed or aborted run is not committed or pushed: a node that lost its
 *   claim must not overwrite the winner's branch.
 * - Every push is `--force-with-lease` against the branch as it was on the
 *   remote when the attempt started: a first attempt requires the branch to
 *   be absent, a re-attempt replaces the previous attempt's push, and a push
 *   from a stale attempt that raced a newer one is rejected.
 * - Commits use `--no-verify`: they are mechanical; checks belong to CI on the
 *   branch or pull request.
 * - Operations on one repository are serialised within the process (a
 *   per-repository lock); separate processes need separate clones.
 * - Lock files a killed git process left (`<ref>.lock`, `packed-refs.lock`)
 *   are removed before an attempt starts (src/executor/stale_locks.ts): the
 *   task's own branch at any age, shared ones once older than a minute; the
 *   attempt's summary names them.
 * - Git's complaints are redacted before they reach an error message.
 * - Nothing that holds a credential is pushed: before committing, the
 *   changes (files and the messages of commits the agent made) are scanned
 *   for the secrets the node knows, in every encoding redaction knows, and
 *   for well-known token formats; when one is found the attempt fails with
 *   the files and lines named (never the value), and nothing is committed or
 *   pushed. The first line of defence is that tasks never get the node's
 *   credentials in their environment.
 * - Outside text (task titles and descriptions come from the issue) is
 *   neutralised in commit messages and pull requests: mentions, closing
 *   keywords, cross-repository references, HTML and HTML comments are
 *   defused (`src/text/neutralize.ts`), and lengths are capped (a pull
 *   request title at GitHub's 256 characters, which GitHub otherwise refuses
 *   after the push).
 * - Delivery's own git commands run with hooks and the file-system monitor
 *   turned off (`core.hooksPath=/dev/null`, `core.fsmonitor=false`): the
 *   task could have planted a hook in the repository's git directory, and
 *   these commands run with the node's environment.
 * - With `auth`, the commands that talk to the remote (`ls-remote`, `fetch`,
 *   `push`) authenticate with the node's token, given to those processes
 *   only, through their environment (src/executor/git_credentials.ts), so
 *   the checkout needs no stored credential (`persist-credentials: false`).
 *   Before each attempt, `Authorization` headers stored in the repository's
 *   configuration (a checkout's persisted token) are removed, so no task can
 *   read one; a remote URL with a credential in it fails the attempt.
 *
 * @module
 */
import { dirname, join, resolve } from "node:path";
import { clearStaleGitLocks } from "./stale_locks.ts";
import type { GitHub } from "../github/port.ts";
import type { PlanTask } from "../protocol/types.ts";
import { DEFAULT_AUTHOR, git, type GitAuthor, GitError, gitIdentityEnv, gitRaw } from "./git.ts";
import {
  type GitAuth,
  gitAuthEnv,
  remoteUrlCredentials,
  removePersistedCredentials,
} from "./git_credentials.ts";
import type { ExecContext, ExecOutcome, Executor } from "./port.ts";
import { describeReason, endSentence } from "./process.ts";
import { capText, neutralizeLine, neutralizeMarkdown } from "../text/neutralize.ts";
import { redactor, secretFinder } from "./redact.ts";
import { safeComponent } from "./workdir.ts";

/**
 * Where results go.
 *
 * @example
 * ```ts
 * const mode: DeliveryMode = "pr";
 * ```
 */
export type DeliveryMode = "none" | "branch" | "pr";

/**
 * The delivery modes, for flag validation.
 *
 * @example
 * ```ts
 * DELIVERY_MODES.includes("branch"); // true
 * ```
 */
export const DELIVERY_MODES: readonly DeliveryMode[] = ["none", "branch", "pr"];

/**
 * Options of git-based delivery (`branch` and `pr`).
 *
 * @example
 * ```ts
 * const opts: GitDeliveryOptions = { repoDir: "/work/repo", author: { name: "Bot", email: "bot@example.com" } };
 * ```
 */
export interface GitDeliveryOptions {
  /** A local clone with the remote (`origin`); on Actions, the job's checkout. */
  repoDir: string;
  /** Where task worktrees are created; default `<git dir>/p2p-worktrees` (never in the working tree). */
  worktreeRoot?: string;
  /** Remote to fetch from and push to; default `origin`. */
  remote?: string;
  /** Branch that tasks without dependencies start from and pull requests target; default: the remote's HEAD. */
  baseBranch?: string;
  /** Author and committer of delivery commits and merges; default {@linkcode DEFAULT_AUTHOR}. */
  author?: GitAuthor;
  /** Opens pull requests (`pr` mode). */
  github?: Pick<GitHub, "createPullRequest">;
  /** Strings redacted from error messages and summaries. */
  secrets?: readonly string[];
  /** Extra environment for every `git` run. */
  gitEnv?: Readonly<Record<string, string>>;
  /**
   * The node's credential for the git server: given only to the commands that
   * talk to the remote. Without it, git uses what the machine has (an SSH key,
   * a credential helper).
   */
  auth?: GitAuth;
  /** Keep worktrees after a run (for inspection); default false. */
  keepWorktrees?: boolean;
}

/**
 * Options of {@linkcode deliveringExecutor}.
 *
 * @example
 * ```ts
 * const opts: DeliveryOptions = { mode: "branch", repoDir: "/work/repo" };
 * ```
 */
export type DeliveryOptions =
  | { mode: "none" }
  | ({ mode: "branch" | "pr" } & GitDeliveryOptions);

/**
 * The branch a task's work is delivered on: `p2p/issue-<N>/<task-id>`, the
 * id made a safe ref component one-to-one (see `safeComponent`), so two
 * tasks never share a branch.
 *
 * @example
 * ```ts
 * taskBranch(7, "T1"); // "p2p/issue-7/T1"
 * ```
 */
export function taskBranch(issue: number, taskId: string): string {
  return `p2p/issue-${issue}/${safeComponent(taskId)}`;
}

/**
 * What {@linkcode prepareWorkspace} needs to know about the attempt.
 *
 * @example
 * ```ts
 * const req: WorkspaceRequest = { issue: 7, taskId: "T3", attempt: 1, depBranches: ["p2p/issue-7/T1"] };
 * ```
 */
export interface WorkspaceRequest {
  issue: number;
  taskId: string;
  attempt: number;
  /** Branches of the tasks this one depends on, in order; the first is the start point. */
  depBranches: readonly string[];
}

/**
 * A prepared worktree.
 *
 * @example
 * ```ts
 * const ws = await prepareWorkspace(opts, req); ws.dir;
 * ```
 */
export interface Workspace {
  /** The worktree's directory: the executor works here. */
  dir: string;
  /** The task's branch, checked out in `dir`. */
  branch: string;
  /** The remote's default branch (or the configured base). */
  baseBranch: string;
  /** The commit the work starts from (after merging dependencies). */
  startSha: string;
  /** The branch's head on the remote when the attempt started (a previous attempt pushed it). */
  remoteSha?: string;
  /** Lock files a killed git process had left, removed before starting (relative to the git directory). */
  clearedLocks?: string[];
}

/**
 * What {@linkcode deliverWorkspace} reports.
 *
 * @example
 * ```ts
 * const d = await deliverWorkspace(opts, ws, req); if (!d.changed) d.note;
 * ```
 */
export interface Delivery {
  branch: string;
  /** The pushed commit. */
  head: string;
  /** Whether the branch moved past its start point (the task changed something). */
  changed: boolean;
  /** Whether delivery made a commit of uncommitted changes. */
  committed: boolean;
  /** URL of the draft pull request, when one was opened. */
  pr?: string;
  /** A sentence for the summary when something notable happened. */
  note?: string;
}

/**
 * Facts about the attempt, for commit messages and pull requests.
 *
 * @example
 * ```ts
 * const req: DeliverRequest = { task, issue: 7, attempt: 1, node: "n1", pr: true };
 * ```
 */
export interface DeliverRequest {
  task: PlanTask;
  issue: number;
  attempt: number;
  node: string;
  /** Open a draft pull request. */
  pr: boolean;
}

const locks = new Map<string, Promise<void>>();

/** Runs `fn` while holding the in-process lock of one repository. */
async function withRepoLock<T>(repoDir: string, fn: () => Promise<T>): Promise<T> {
  const key = resolve(repoDir);
  const previous = locks.get(key) ?? Promise.resolve();
  let release: () => void = () => {};
  const mine = new Promise<void>((r) => (release = r));
  const chained = previous.then(() => mine);
  locks.set(key, chained);
  await previous;
  try {
    return await fn();
  } finally {
    release();
    if (locks.get(key) === chained) locks.delete(key);
  }
}

/** Turns off what a task could plant in the repository's git directory to run code in delivery's git commands. */
const HARDENED = ["-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false"];

function gitContext(opts: GitDeliveryOptions) {
  const env = { ...opts.gitEnv, ...gitIdentityEnv(opts.author ?? DEFAULT_AUTHOR) };
  const secrets = opts.secrets ?? [];
  const auth = opts.auth;
  /** The environment of a command that talks to the remote: the node's token for the server. */
  const netEnv = async () => {
    if (!auth) return { env, secrets };
    const token = await auth.token();
    return {
      env: { ...env, ...gitAuthEnv(auth.serverUrl, token, auth.configCount) },
      secrets: [...secrets, token],
    };
  };
  return {
    remote: opts.remote ?? "origin",
    secrets,
    clean: redactor(secrets),
    run: (args: readonly string[], cwd: string = opts.repoDir) =>
      git([...HARDENED, ...args], cwd, { env, secrets }),
    raw: (args: readonly string[], cwd: string = opts.repoDir) =>
      gitRaw([...HARDENED, ...args], cwd, { env }),
    /** Runs a command that talks to the remote (ls-remote, fetch, push). */
    net: async (args: readonly string[], cwd: string = opts.repoDir) =>
      git([...HARDENED, ...args], cwd, await netEnv()),
  };
}

/**
 * Makes the repository safe to hand to a task: removes `Authorization`
 * headers its configuration stored (a checkout's persisted token) and refuses
 * a remote URL that carries a credential. Returns what was removed.
 *
 * @example
 * ```ts
 * const removed = await clearRepoCredentials({ repoDir: "/work/repo" });
 * ```
 */
export async function clearRepoCredentials(
  opts: Pick<GitDeliveryOptions, "repoDir" | "gitEnv" | "secrets">,
): Promise<{ file: string; key: string }[]> {
  const gitOpts = { ...(opts.gitEnv ? { env: opts.gitEnv } : {}), secrets: opts.secrets ?? [] };
  const remotes = await remoteUrlCredentials(opts.repoDir, gitOpts);
  if (remotes.length > 0) {
    throw new Error(
      `The URL of remote ${
        remotes.map((r) => `"${r}"`).join(", ")
      } in "${opts.repoDir}" holds a credential, which every task could read from .git/config. ` +
        "Set it without one (git remote set-url origin https://github.com/OWNER/REPO.git): " +
        "p2p-dev pushes with its own token.",
    );
  }
  return await removePersistedCredentials(opts.repoDir, gitOpts);
}

/** Parses `git worktree list --porcelain` into (path, branch) pairs; the main worktree first. */
function parseWorktrees(porcelain: string): { path: string; branch?: string }[] {
  const out: { path: string; branch?: string }[] = [];
  for (const block of porcelain.split(/\n\n+/)) {
    const path = /^worktree (.+)$/m.exec(block)?.[1];
    if (path === undefined) continue;
    const branch = /^branch (.+)$/m.exec(block)?.[1];
    out.push(branch !== undefined ? { path, branch } : { path });
  }
  return out;
}

async function removeDir(path: string): Promise<void> {
  await Deno.remove(path, { recursive: true }).catch((error) => {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  });
}

/**
 * Creates the task's worktree on branch `p2p/issue-<N>/<task-id>`, started
 * from its first dependency's branch (merging the others with
 * `git merge --no-edit`) or from the default branch. Fetches what it needs
 * from the remote first, and clears a stale worktree of an earlier attempt.
 *
 * Throws an error that says what to do when the remote is unreachable, a
 * dependency branch is missing or dependencies conflict.
 *
 * @example
 * ```ts
 * const ws = await prepareWorkspace({ repoDir: "/work/repo" }, {
 *   issue: 7, taskId: "T3", attempt: 1, depBranches: ["p2p/issue-7/T1", "p2p/issue-7/T2"],
 * });
 * ws.dir; // the worktree, on branch p2p/issue-7/T3
 * ```
 */
export function prepareWorkspace(
  opts: GitDeliveryOptions,
  req: WorkspaceRequest,
): Promise<Workspace> {
  const g = gitContext(opts);
  const branch = taskBranch(req.issue, req.taskId);
  const deps = [...new Set(req.depBranches)];
  return withRepoLock(opts.repoDir, async () => {
    // One round trip: the remote's default branch and the task branch, if a
    // previous attempt pushed it.
    await clearRepoCredentials(opts);
    const listing = await g.net([
      "ls-remote",
      "--symref",
      g.remote,
      "HEAD",
      `refs/heads/${branch}`,
    ]);
    let remoteHead: string | undefined;
    let remoteSha: string | undefined;
    for (const line of listing.split("\n")) {
      const symref = /^ref: refs\/heads\/(\S+)\tHEAD$/.exec(line);
      if (symref) remoteHead = symref[1];
      const [sha, ref] = line.split("\t");
      if (ref === `refs/heads/${branch}` && sha) remoteSha = sha;
    }
    const baseBranch = opts.baseBranch ?? remoteHead;
    if (baseBranch === undefined) {
      throw new Error(
        `Could not tell the default branch of remote "${g.remote}" in "${opts.repoDir}": set the base branch explicitly.`,
      );
    }

    const wanted = [...new Set([baseBranch, ...deps])];
    const commonDir = await g.run(["rev-parse", "--path-format=absolute", "--git-common-dir"]);
    const clearedLocks = await clearStaleGitLocks({
      commonDir,
      ownRefs: [`refs/heads/${branch}`, `refs/remotes/${g.remote}/${branch}`],
      sharedRefs: wanted.map((b) => `refs/remotes/${g.remote}/${b}`),
    });
    try {
      await g.net([
        "fetch",
        "--no-tags",
        "--quiet",
        g.remote,
        ...wanted.map((b) => `+refs/heads/${b}:refs/remotes/${g.remote}/${b}`),
      ]);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(
        `Could not fetch ${wanted.map((b) => `"${b}"`).join(", ")} from "${g.remote}": ${
          endSentence(message)
        } ` +
          "Check that the dependencies were delivered as branches and that the remote is reachable.",
      );
    }

    const root = opts.worktreeRoot ?? join(commonDir, "p2p-worktrees");
    const dir = resolve(
      root,
      `issue-${req.issue}`,
      `${safeComponent(req.taskId)}-attempt-${req.attempt}`,
    );

    // Clear what an earlier run left: a worktree at this path, or one holding the branch.
    await g.raw(["worktree", "prune"]);
    const worktrees = parseWorktrees(await g.run(["worktree", "list", "--porcelain"]));
    for (const wt of worktrees.slice(1)) {
      if (resolve(wt.path) === dir || wt.branch === `refs/heads/${branch}`) {
        const removed = await g.raw(["worktree", "remove", "--force", wt.path]);
        if (removed.code !== 0) await removeDir(wt.path);
      }
    }
    await removeDir(dir);
    await g.raw(["worktree", "prune"]);
    await Deno.mkdir(dirname(dir), { recursive: true });

    const start = `refs/remotes/${g.remote}/${deps[0] ?? baseBranch}`;
    await g.run(["worktree", "add", "--quiet", "--no-track", "-B", branch, dir, start]);

    const others = deps.slice(1);
    if (others.length > 0) {
      // A shallow clone (actions/checkout's default) may lack the merge base.
      if ((await g.run(["rev-parse", "--is-shallow-repository"])) === "true") {
        await g.net(["fetch", "--quiet", "--unshallow", g.remote]);
      }
      for (const dep of others) {
        const merged = await g.raw(
          ["merge", "--no-edit", "--no-verify", "--quiet", `refs/remotes/${g.remote}/${dep}`],
          dir,
        );
        if (merged.code !== 0) {
          await g.raw(["merge", "--abort"], dir);
          await removeWorkspaceUnlocked(opts, { dir, branch });
          throw new Error(
            `Merging dependency branch "${dep}" into "${branch}" failed: ${
              endSentence(g.clean((merged.stdout + merged.stderr).trim()))
            } The dependencies changed the same lines; let one task depend on the other, or resolve the conflict by hand on "${dep}".`,
          );
        }
      }
    }

    const startSha = await g.run(["rev-parse", "HEAD"], dir);
    return {
      dir,
      branch,
      baseBranch,
      startSha,
      ...(remoteSha !== undefined ? { remoteSha } : {}),
      ...(clearedLocks.length > 0 ? { clearedLocks } : {}),
    };
  });
}

/** GitHub's limit on a pull request title. */
const MAX_PR_TITLE_CHARS = 256;

/** Room for the task's description in a pull request body (GitHub allows 65,536 characters). */
const MAX_PR_DESCRIPTION_CHARS = 60_000;

/**
 * The commit message of a delivery: a subject of at most 72 characters and
 * a line naming the task. The title is neutralised (no closing keyword, no
 * mention).
 *
 * @example
 * ```ts
 * commitMessage({ task, issue: 7, attempt: 1, node: "n1", pr: false });
 * // "p2p-dev: Add the API\n\nTask T1 of issue #7, attempt 1, by node n1."
 * ```
 */
export function commitMessage(req: DeliverRequest): string {
  return [
    neutralizeLine(`p2p-dev: ${req.task.title}`, 72),
    "",
    `Task ${req.task.id} of issue #${req.issue}, attempt ${req.attempt}, by node ${req.node}.`,
  ].join("\n");
}

/**
 * The title of a task's pull request: the task title (neutralised, cut) and
 * `(#N, <task id>)`, at most 256 characters in all.
 *
 * @example
 * ```ts
 * pullRequestTitle({ task, issue: 7, attempt: 1, node: "n1", pr: true }); // "Add the API (#7, T1)"
 * ```
 */
export function pullRequestTitle(req: DeliverRequest): string {
  const suffix = ` (#${req.issue}, ${req.task.id})`;
  return neutralizeLine(req.task.title, MAX_PR_TITLE_CHARS - [...suffix].length) + suffix;
}

/**
 * The body of a task's pull request: "Part of #N", the task (title and
 * description neutralised), what it builds on, and who opened it.
 *
 * @example
 * ```ts
 * pullRequestBody(req, ws).startsWith("Part of #7."); // true
 * ```
 */
export function pullRequestBody(req: DeliverRequest, ws: Pick<Workspace, "branch">): string {
  const lines = [
    `Part of #${req.issue}.`,
    "",
    `**Task ${req.task.id}** (priority ${req.task.priority}): ${
      neutralizeLine(req.task.title, 1_000)
    }`,
  ];
  const body = req.task.body?.trim();
  if (body && body !== req.task.title.trim()) {
    lines.push("", neutralizeMarkdown(body, MAX_PR_DESCRIPTION_CHARS));
  }
  if (req.task.deps.length > 0) {
    lines.push("", `Builds on: ${req.task.deps.map((d) => `\`${d}\``).join(", ")}.`);
  }
  lines.push(
    "",
    `Branch \`${ws.branch}\`, opened as a draft by p2p-dev node \`${req.node}\` (attempt ${req.attempt}).`,
  );
  return lines.join("\n");
}

/**
 * Commits what the executor left in the worktree (no empty commit), pushes
 * the branch with `--force-with-lease` against what the remote had when the
 * attempt started, and with `req.pr` opens a draft pull request (only when
 * the task changed something).
 *
 * @example
 * ```ts
 * const d = await deliverWorkspace(opts, ws, { task, issue: 7, attempt: 1, node: "n1", pr: false });
 * d.branch; // "p2p/issue-7/T3"
 * ```
 */
export function deliverWorkspace(
  opts: GitDeliveryOptions,
  ws: Workspace,
  req: DeliverRequest,
): Promise<Delivery> {
  const g = gitContext(opts);
  return withRepoLock(opts.repoDir, async () => {
    await g.run(["add", "-A"], ws.dir);
    const staged = await g.raw(["diff", "--cached", "--quiet"], ws.dir);
    if (staged.code > 1) {
      throw new Error(
        `Could not tell whether "${ws.dir}" has changes: ${g.clean(staged.stderr.trim())}`,
      );
    }
    const committed = staged.code === 1;
    const leaks = await findLeaks(g, ws, committed);
    if (leaks.length > 0) {
      throw new SecretInChangesError(leaks);
    }
    if (committed) {
      await g.run(["commit", "--no-verify", "--quiet", "-m", commitMessage(req)], ws.dir);
    }
    const head = await g.run(["rev-parse", "HEAD"], ws.dir);
    const changed = head !== ws.startSha;

    try {
      await g.net([
        "push",
        "--quiet",
        `--force-with-lease=refs/heads/${ws.branch}:${ws.remoteSha ?? ""}`,
        g.remote,
        `HEAD:refs/heads/${ws.branch}`,
      ], ws.dir);
    } catch (error) {
      const stderr = error instanceof GitError ? error.stderr : describeReason(error);
      if (/stale info|rejected|fetch first/i.test(stderr)) {
        throw new Error(
          `Push of branch "${ws.branch}" to "${g.remote}" was rejected: the branch changed on the remote since this attempt started (another attempt pushed to it). ${
            endSentence(stderr)
          }`,
        );
      }
      throw error;
    }

    const delivery: Delivery = { branch: ws.branch, head, changed, committed };
    if (!changed) {
      delivery.note = `No changes: pushed "${ws.branch}" at its start point${
        req.pr ? "; no pull request opened" : ""
      }.`;
      return delivery;
    }
    if (!req.pr) return delivery;
    if (!opts.github) {
      throw new Error(
        `Cannot open a pull request for "${ws.branch}": no GitHub client was given. Pass one, or deliver as "branch".`,
      );
    }
    try {
      delivery.pr = await opts.github.createPullRequest({
        title: pullRequestTitle(req),
        head: ws.branch,
        base: ws.baseBranch,
        body: pullRequestBody(req, ws),
        draft: true,
      });
    } catch (error) {
      const message = g.clean(describeReason(error));
      if (/already exists/i.test(message)) {
        delivery.note =
          `A pull request for "${ws.branch}" already exists; it now shows this attempt.`;
        return delivery;
      }
      throw new Error(
        `Could not open a pull request for "${ws.branch}" into "${ws.baseBranch}": ${
          endSentence(message)
        } The branch was pushed; open one by hand or retry.`,
      );
    }
    return delivery;
  });
}

/**
 * Delivery was refused: the changes hold what looks like a credential.
 * `where` lists `file:line` places (or `commit <sha>`), never the value.
 *
 * @example
 * ```ts
 * new SecretInChangesError(["env.txt:3"]).message;
 * ```
 */
export class SecretInChangesError extends Error {
  /** Where: `file:line`, or `commit message <sha>`. */
  readonly where: string[];

  /** Builds the error from the places found. */
  constructor(where: string[]) {
    const shown = where.slice(0, 5).join(", ") +
      (where.length > 5 ? `, and ${where.length - 5} more` : "");
    super(
      `The task's changes hold what looks like a credential (${shown}); nothing was committed or pushed. ` +
        "Remove it from the files (a task must never write its environment or a token into the repository) and run the task again.",
    );
    this.name = "SecretInChangesError";
    this.where = where;
  }
}

/** Lines added by the changes since the attempt's start (commits and staged files) that hold a credential. */
async function findLeaks(
  g: ReturnType<typeof gitContext>,
  ws: Workspace,
  staged: boolean,
): Promise<string[]> {
  const find = secretFinder(g.secrets, { context: false });
  const where: string[] = [];
  const head = await g.run(["rev-parse", "HEAD"], ws.dir);
  if (head !== ws.startSha) {
    const log = await g.run(["log", "--format=%H%n%B%x00", `${ws.startSha}..HEAD`], ws.dir);
    for (const entry of log.split("\0")) {
      const [sha = "", ...message] = entry.trim().split("\n");
      if (sha !== "" && find(message.join("\n")).length > 0) {
        where.push(`commit message ${sha.slice(0, 12)}`);
      }
    }
  }
  if (head === ws.startSha && !staged) return where;
  const diff = await g.run(
    [
      "diff",
      "--cached",
      "--text",
      "--no-color",
      "--no-ext-diff",
      "--no-textconv",
      "--unified=0",
      ws.startSha,
    ],
    ws.dir,
  );
  // Added lines per file, joined, so that a token split across lines or a
  // wrapped base64 block is seen whole.
  const files: { file: string; lines: string[]; numbers: number[] }[] = [];
  let current: (typeof files)[number] | undefined;
  let line = 0;
  for (const text of diff.split("\n")) {
    if (text.startsWith("+++ ")) {
      current = { file: text.slice(4).replace(/^b\//, ""), lines: [], numbers: [] };
      files.push(current);
      continue;
    }
    const hunk = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(text);
    if (hunk) {
      line = Number(hunk[1]);
      continue;
    }
    if (current && text.startsWith("+")) {
      current.lines.push(text.slice(1));
      current.numbers.push(line++);
    }
  }
  for (const f of files) {
    const joined = f.lines.join("\n");
    const starts: number[] = [];
    let at = 0;
    for (const l of f.lines) {
      starts.push(at);
      at += l.length + 1;
    }
    const found = new Set<number>();
    for (const [start] of find(joined)) {
      let lo = 0, hi = starts.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (starts[mid]! <= start) lo = mid;
        else hi = mid - 1;
      }
      found.add(f.numbers[lo]!);
    }
    for (const n of [...found].sort((a, b) => a - b)) where.push(`${capText(f.file, 200)}:${n}`);
  }
  return where;
}

async function removeWorkspaceUnlocked(
  opts: GitDeliveryOptions,
  ws: Pick<Workspace, "dir" | "branch">,
): Promise<void> {
  const g = gitContext(opts);
  const removed = await g.raw(["worktree", "remove", "--force", ws.dir]);
  if (removed.code !== 0) await removeDir(ws.dir);
  await g.raw(["worktree", "prune"]);
  await g.raw(["branch", "-D", ws.branch]);
}

/**
 * Removes a task's worktree and its local branch (the pushed branch stays on
 * the remote).
 *
 * @example
 * ```ts
 * await removeWorkspace(opts, ws);
 * ```
 */
export function removeWorkspace(
  opts: GitDeliveryOptions,
  ws: Pick<Workspace, "dir" | "branch">,
): Promise<void> {
  return withRepoLock(opts.repoDir, () => removeWorkspaceUnlocked(opts, ws));
}

/**
 * Wraps an executor so that it works in the task's git worktree (through
 * `ctx.workDir`) and its results are delivered: committed and pushed on the
 * task's branch (`branch`), plus a draft pull request (`pr`). The outcome's
 * result carries `branch` and `pr`. With `none`, returns `inner` itself.
 *
 * The outcome never rejects: a workspace that cannot be prepared, a failing
 * executor, or a failed delivery gives `ok: false` with a summary that says
 * which. Failed or aborted runs are not pushed.
 *
 * @example
 * ```ts
 * const exec = deliveringExecutor(claudeExecutor({ workRoot }), {
 *   mode: "pr", repoDir: Deno.cwd(), github,
 * });
 * const outcome = await exec.run(task, ctx); // outcome.result.pr is the draft PR's URL
 * ```
 */
export function deliveringExecutor(inner: Executor, opts: DeliveryOptions): Executor {
  if (opts.mode === "none") return inner;
  if (opts.mode === "pr" && !opts.github) {
    throw new Error(
      'Delivery "pr" needs a GitHub client to open pull requests: pass github, or use delivery "branch".',
    );
  }
  const clean = redactor(opts.secrets ?? []);
  const pr = opts.mode === "pr";
  return {
    name: inner.name,
    async run(task: PlanTask, ctx: ExecContext): Promise<ExecOutcome> {
      if (ctx.signal.aborted) {
        return {
          ok: false,
          result: { summary: `Not started: ${clean(describeReason(ctx.signal.reason))}` },
        };
      }
      let ws: Workspace;
      try {
        ws = await prepareWorkspace(opts, {
          issue: ctx.issue,
          taskId: task.id,
          attempt: ctx.attempt,
          depBranches: ctx.depBranches,
        });
      } catch (error) {
        return {
          ok: false,
          local: true,
          result: {
            summary: clean(`Could not prepare the task's git worktree: ${describeReason(error)}`),
          },
        };
      }
      try {
        let outcome: ExecOutcome;
        try {
          outcome = await inner.run(task, { ...ctx, workDir: ws.dir });
        } catch (error) {
          return {
            ok: false,
            local: true,
            result: {
              summary: clean(`Executor "${inner.name}" failed: ${describeReason(error)}`),
            },
          };
        }
        if (!outcome.ok) return outcome;
        if (ctx.signal.aborted) {
          return {
            ok: false,
            result: {
              ...outcome.result,
              summary: clean(
                `Not delivered: ${describeReason(ctx.signal.reason)}\n${
                  outcome.result.summary ?? ""
                }`.trim(),
              ),
            },
          };
        }
        try {
          const delivery = await deliverWorkspace(opts, ws, {
            task,
            issue: ctx.issue,
            attempt: ctx.attempt,
            node: ctx.node,
            pr,
          });
          const cleared = ws.clearedLocks === undefined
            ? undefined
            : `Removed lock files a killed git process had left: ${
              ws.clearedLocks.map((p) => `"${p}"`).join(", ")
            }.`;
          const summary = [outcome.result.summary, delivery.note, cleared]
            .filter((s) => s !== undefined && s !== "").join("\n");
          return {
            ok: true,
            result: {
              ...outcome.result,
              ...(summary !== "" ? { summary } : {}),
              branch: delivery.branch,
              ...(delivery.pr !== undefined ? { pr: delivery.pr } : {}),
            },
          };
        } catch (error) {
          return {
            ok: false,
            result: {
              ...outcome.result,
              summary: clean(
                `Delivery failed: ${describeReason(error)}\n${outcome.result.summary ?? ""}`.trim(),
              ),
            },
          };
        }
      } finally {
        if (!opts.keepWorktrees) await removeWorkspace(opts, ws).catch(() => {});
      }
    },
  };
}
