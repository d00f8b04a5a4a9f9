/**
 * The world the workflow harness runs in: the GitHub emulator over real HTTP
 * with a user repository (a maintainer with write permission, a stranger,
 * the `github-actions[bot]` identity, a local bare git repository as its git
 * side) and the p2p-dev release repository, whose release assets are the
 * local bundle wrapped as an executable (tests/workflow/_release.ts). The
 * repository's own `.github/workflows/p2p-autonomous-dev.yml` runs on
 * tests/workflow/_runner.ts, its `uses:` steps on the stand-ins below.
 *
 * Events are made the way GitHub makes them: the person acts through the
 * REST API with their own token (adds the label, posts the comment,
 * dispatches the workflow), and the payload is assembled from what the API
 * answered.
 *
 * @module
 */
import { join } from "node:path";
import { type RunningEmulator, startEmulator } from "../../src/emulator/mod.ts";
import { WORKFLOW_PATH } from "../../src/workflow/template.ts";
import { fold } from "../../src/protocol/fold.ts";
import type { SwarmState } from "../../src/protocol/state.ts";
import type { TrustPolicy } from "../../src/protocol/trust.ts";
import type { LogComment } from "../../src/protocol/types.ts";
import {
  botPolicy,
  FAST_TIMING,
  GIT_ENV,
  installMirrorHook,
  logComments,
  makeBareRepo,
  sh,
} from "../e2e/_swarm.ts";
import { RELEASE_NAME, RELEASE_OWNER, releaseSeed } from "./_release.ts";
import {
  type RunnerHost,
  type StandIn,
  type StandInContext,
  type TokenScopes,
  type WorkflowEvent,
  WorkflowRunner,
} from "./_runner.ts";

/** The user's repository. */
export const OWNER = "wf-org";
/** The user's repository name. */
export const REPO = "app";
/** The workflow token's identity. */
export const BOT = { login: "github-actions[bot]", id: 41898282 } as const;
/** A person with write permission. */
export const MAINTAINER = { login: "wf-maintainer", token: "ghp_wf_maintainer_token" } as const;
/** A person with no role on the public repository: may comment, may not start a swarm. */
export const STRANGER = { login: "wf-stranger", token: "ghp_wf_stranger_token" } as const;

/** A small issue: three tasks, one depending on another. */
export const ISSUE_BODY = [
  "Three small tasks for the swarm.",
  "",
  "- [ ] T1: Write the first note (priority: high)",
  "- [ ] T2: Write the second note (after: T1)",
  "- [ ] T3: Write the third note",
].join("\n");

/** The task ids of {@linkcode ISSUE_BODY}. */
export const ISSUE_TASKS = ["T1", "T2", "T3"];

/**
 * The task command (repository variable `P2P_DEV_EXEC`): writes one file in
 * the task's worktree, which branch delivery commits and pushes.
 */
export const TASK_COMMAND = 'printf "%s\\n" "$P2P_TASK_TITLE" > "note-$P2P_TASK_ID.md"';

/** Options of {@linkcode WorkflowWorld.start}. */
export interface WorldOptions {
  /** Issues to create (default: one with {@linkcode ISSUE_BODY}). */
  issues?: { title: string; body?: string; state?: "open" | "closed" }[];
  /** Repository variables on top of the defaults (release mirror, task command, fast timing). */
  vars?: Record<string, string>;
  /** Deadline of one run. */
  deadlineMs?: number;
  /** Workflow text to run instead of the repository's own (harness self-tests). */
  workflow?: string;
  /**
   * Whether the repository has a Pages site built by GitHub Actions (Settings
   * → Pages → Source: GitHub Actions); default true.
   */
  pages?: boolean;
}

/** A Pages deployment the `actions/deploy-pages` stand-in made. */
export interface PagesDeployment {
  /** The run's folder name (`run-<id>`). */
  run: string;
  /** The job's environment. */
  environment: string | undefined;
  /** The files of the site, relative to its root. */
  files: string[];
}

/** The URL of the world's Pages site. */
export const PAGES_URL = `https://${OWNER}.github.io/${REPO}/`;

type Json = Record<string, unknown>;

/**
 * A running world; `await using` closes the emulator and removes files.
 */
export class WorkflowWorld implements AsyncDisposable {
  readonly emulator: RunningEmulator;
  readonly tmp: string;
  readonly runner: WorkflowRunner;
  /** The bare repository playing the repository's git side. */
  readonly bare: string;
  /** The Pages site as last deployed (the files of the latest deployment). */
  readonly pagesDir: string;
  /** Pages deployments, oldest first. */
  readonly deployments: PagesDeployment[] = [];
  #tokens = 0;

  private constructor(
    emulator: RunningEmulator,
    tmp: string,
    runner: WorkflowRunner,
    bare: string,
  ) {
    this.emulator = emulator;
    this.tmp = tmp;
    this.runner = runner;
    this.bare = bare;
    this.pagesDir = join(tmp, "pages-site");
  }

  /** Starts a world whose release carries `binary` (see tests/workflow/_release.ts). */
  static async start(binary: Uint8Array, options: WorldOptions = {}): Promise<WorkflowWorld> {
    const tmp = await Deno.realPath(await Deno.makeTempDir({ prefix: "p2p-wf-" }));
    try {
      const { bare, rootSha } = await makeBareRepo(tmp);
      const issues = (options.issues ?? [{ title: "Three notes", body: ISSUE_BODY }]).map((i) => ({
        title: i.title,
        body: i.body ?? ISSUE_BODY,
        author: MAINTAINER.login,
        state: i.state ?? "open",
      }));
      const emulator = await startEmulator({
        port: 0,
        logLimit: 100_000,
        users: [
          { login: OWNER, type: "Organization" },
          { login: RELEASE_OWNER, type: "Organization" },
          { login: BOT.login, id: BOT.id, type: "Bot" },
          { login: MAINTAINER.login, token: MAINTAINER.token },
          { login: STRANGER.login, token: STRANGER.token },
        ],
        repos: [
          {
            owner: OWNER,
            name: REPO,
            permissions: { [MAINTAINER.login]: "write" },
            commits: [{ sha: rootSha, message: "Initial commit", parents: [] }],
            labels: [{ name: "p2p-dev", color: "5319e7" }, { name: "bug" }],
            issues,
            workflows: [{ name: "p2p-dev", path: WORKFLOW_PATH }],
            // Served over git's smart HTTP: checkouts clone it and nodes push to it as on GitHub.
            gitDir: bare,
          },
          { owner: RELEASE_OWNER, name: RELEASE_NAME, releases: [releaseSeed(binary)] },
        ],
      });
      await installMirrorHook(bare, emulator.url, OWNER, REPO);
      const text = options.workflow ??
        await Deno.readTextFile(new URL(`../../${WORKFLOW_PATH}`, import.meta.url));
      const repo = emulator.control.world.repo(OWNER, REPO)!;
      const owner = emulator.control.world.user(OWNER)!;
      let world: WorkflowWorld | undefined = undefined;
      const host: RunnerHost = {
        apiUrl: emulator.url,
        repository: `${OWNER}/${REPO}`,
        repositoryId: repo.id,
        ownerId: owner.id,
        defaultBranch: "main",
        sha: rootSha,
        vars: {
          P2P_DEV_RELEASES: `${emulator.url}/${RELEASE_OWNER}/${RELEASE_NAME}/releases`,
          P2P_DEV_EXEC: TASK_COMMAND,
          P2P_DEV_ARGS: FAST_TIMING.join(" "),
          ...options.vars,
        },
        secrets: {},
        issueToken: (scopes) => world!.#issueToken(scopes),
        actions: {
          "actions/checkout": async ({ inputs, workspace, token, env }) => {
            // actions/checkout (v6 and later): a shallow clone (fetch-depth 1 by default) over
            // HTTPS with the job's token as an extra header; unless persist-credentials is
            // false, the header stays in a file under RUNNER_TEMP that .git/config includes
            // for the repository and its worktrees (src/git-auth-helper.ts of the action).
            const depth = Number(inputs["fetch-depth"] ?? "1");
            const target = inputs.path ? join(workspace, inputs.path) : workspace;
            const header = `AUTHORIZATION: basic ${
              btoa(`x-access-token:${inputs.token || token}`)
            }`;
            const key = `http.${emulator.url}/.extraheader`;
            await sh("git", [
              "-c",
              `${key}=${header}`,
              "clone",
              "--quiet",
              ...(depth > 0 ? ["--depth", String(depth)] : []),
              `${emulator.url}/${OWNER}/${REPO}`,
              target,
            ]);
            if (inputs["persist-credentials"] === "false") return;
            const file = join(env.RUNNER_TEMP!, `git-credentials-${crypto.randomUUID()}.config`);
            await Deno.writeTextFile(
              file,
              `[http "${emulator.url}/"]\n\textraheader = ${header}\n`,
            );
            for (const dir of [`${target}/.git`, `${target}/.git/worktrees/*`]) {
              await sh("git", ["config", `includeIf.gitdir:${dir}.path`, file], target);
            }
          },
          "actions/upload-artifact": async ({ inputs, workspace, runDir }) => {
            // actions/upload-artifact: names are unique within a run (v4 and later).
            const name = inputs.name ?? "artifact";
            const dest = join(runDir, "artifacts", name);
            try {
              await Deno.lstat(dest);
              throw new Error(`An artifact named "${name}" already exists in this run.`);
            } catch (error) {
              if (!(error instanceof Deno.errors.NotFound)) throw error;
            }
            await Deno.mkdir(dest, { recursive: true });
            let copied = 0;
            for (
              const path of (inputs.path ?? "").split("\n").map((p) => p.trim()).filter(Boolean)
            ) {
              const from = join(workspace, path);
              try {
                await sh("cp", ["-R", `${from.replace(/\/$/, "")}/.`, dest]);
                copied++;
              } catch {
                if (inputs["if-no-files-found"] === "error") {
                  throw new Error(`No files were found with the provided path: ${path}.`);
                }
              }
            }
            return { "artifact-id": String(copied) };
          },
          ...pagesStandIns(() => world!, options.pages ?? true),
        },
        dir: join(tmp, "runs"),
        baseEnv: {
          PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
          ...(Deno.env.get("DENO_DIR") ? { DENO_DIR: Deno.env.get("DENO_DIR")! } : {}),
          ...GIT_ENV,
          NO_COLOR: "1",
          DENO_NO_UPDATE_CHECK: "1",
          LANG: "C.UTF-8",
        },
      };
      const runner = new WorkflowRunner(host, text, WORKFLOW_PATH, {
        deadlineMs: options.deadlineMs ?? 150_000,
      });
      world = new WorkflowWorld(emulator, tmp, runner, bare);
      return world;
    } catch (error) {
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
      throw error;
    }
  }

  /** A fresh `GITHUB_TOKEN` for one job: an installation token with the job's scopes. */
  #issueToken(scopes: TokenScopes | undefined): string {
    const token = `ghs_wf_job_${++this.#tokens}_${crypto.randomUUID().slice(0, 8)}`;
    const permissions: Record<string, "read" | "write" | "none"> = {};
    const names: Record<string, string> = {
      contents: "contents",
      issues: "issues",
      "pull-requests": "pull_requests",
      actions: "actions",
      metadata: "metadata",
    };
    for (const [scope, level] of Object.entries(scopes ?? {})) {
      if (names[scope]) permissions[names[scope]!] = level;
    }
    this.emulator.control.seed({
      tokens: [{
        token,
        login: BOT.login,
        kind: "actions",
        repos: [`${OWNER}/${REPO}`],
        ...(scopes ? { permissions } : {}),
      }],
    });
    return token;
  }

  /** Commits a file on the default branch, as a maintainer pushing to the repository would. */
  async commitFile(path: string, text: string): Promise<void> {
    const clone = join(this.tmp, `push-${crypto.randomUUID().slice(0, 8)}`);
    await sh("git", ["clone", "--quiet", this.bare, clone]);
    await Deno.mkdir(join(clone, path, ".."), { recursive: true });
    await Deno.writeTextFile(join(clone, path), text);
    await sh("git", ["add", path], clone);
    await sh("git", ["commit", "--quiet", "-m", `Add ${path}`], clone);
    await sh("git", ["push", "--quiet", "origin", "main"], clone);
  }

  /** A REST call as a person. */
  async api(token: string, method: string, path: string, body?: unknown): Promise<Json> {
    const res = await fetch(`${this.emulator.url}${path}`, {
      method,
      headers: {
        authorization: `token ${token}`,
        accept: "application/vnd.github+json",
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
    return text === "" ? {} : JSON.parse(text);
  }

  async #common(
    token: string,
    issue?: number,
  ): Promise<{ sender: Json; repository: Json; issue?: Json }> {
    const repo = `/repos/${OWNER}/${REPO}`;
    return {
      sender: await this.api(token, "GET", "/user"),
      repository: await this.api(token, "GET", repo),
      ...(issue === undefined
        ? {}
        : { issue: await this.api(token, "GET", `${repo}/issues/${issue}`) }),
    };
  }

  /** `user` adds `label` to the issue: the `issues` `labeled` event. */
  async labelled(
    user: { token: string },
    issue: number,
    label = "p2p-dev",
  ): Promise<WorkflowEvent> {
    const added = await this.api(
      user.token,
      "POST",
      `/repos/${OWNER}/${REPO}/issues/${issue}/labels`,
      {
        labels: [label],
      },
    ) as unknown as Json[];
    const common = await this.#common(user.token, issue);
    return this.#event("issues", {
      action: "labeled",
      issue: common.issue,
      label: added.find((l) => String(l.name).toLowerCase() === label.toLowerCase()),
      repository: common.repository,
      sender: common.sender,
    });
  }

  /** `user` comments on the issue: the `issue_comment` `created` event. */
  async commented(user: { token: string }, issue: number, body: string): Promise<WorkflowEvent> {
    const comment = await this.api(
      user.token,
      "POST",
      `/repos/${OWNER}/${REPO}/issues/${issue}/comments`,
      { body },
    );
    const common = await this.#common(user.token, issue);
    return this.#event("issue_comment", {
      action: "created",
      issue: common.issue,
      comment,
      repository: common.repository,
      sender: common.sender,
    });
  }

  /** `user` runs the workflow by hand: the `workflow_dispatch` event. */
  async dispatched(
    user: { token: string },
    inputs: Record<string, string>,
  ): Promise<WorkflowEvent> {
    const file = WORKFLOW_PATH.split("/").pop()!;
    await this.api(
      user.token,
      "POST",
      `/repos/${OWNER}/${REPO}/actions/workflows/${file}/dispatches`,
      { ref: "main", inputs },
    );
    const common = await this.#common(user.token);
    return this.#event("workflow_dispatch", {
      inputs,
      ref: "refs/heads/main",
      repository: common.repository,
      sender: common.sender,
      workflow: WORKFLOW_PATH,
    });
  }

  #event(name: string, payload: Json): WorkflowEvent {
    const sender = payload.sender as { login: string; id: number };
    return { name, payload, actor: sender.login, actorId: sender.id };
  }

  /** The issue's comments as the API has them now, as the protocol sees them. */
  comments(issue: number): LogComment[] {
    return logComments(this.emulator.control, OWNER, REPO, issue);
  }

  /** The trust policy of a node running as the bot. */
  policy(issue: number): TrustPolicy {
    return botPolicy(this.emulator.control, OWNER, REPO, issue, BOT.login);
  }

  /** The final log folded with the protocol's own fold. */
  state(issue: number): SwarmState {
    return fold(this.comments(issue), this.policy(issue));
  }

  /** Reactions on the issue, as `login:content`. */
  issueReactions(issue: number): string[] {
    const found = this.emulator.control.world.issue(
      this.emulator.control.world.repo(OWNER, REPO)!,
      issue,
    )!;
    return found.reactions.map((r) => `${r.user}:${r.content}`);
  }

  /** Reactions on a comment, as `login:content`. */
  commentReactions(id: number): string[] {
    const found = this.emulator.control.world.commentById(id)!;
    return found.comment.reactions.map((r) => `${r.user}:${r.content}`);
  }

  /** Comment posts (`POST .../comments`) the bot made so far. */
  botCommentPosts(): number {
    return this.emulator.control.requestLog().filter((e) =>
      e.login === BOT.login && e.operation === "issues/create-comment"
    ).length;
  }

  /** Closes the emulator, removes the files. */
  async [Symbol.asyncDispose](): Promise<void> {
    for (const run of this.runner.runs) run.cancel("world closed");
    await Promise.allSettled(this.runner.runs.map((r) => r.done));
    await this.emulator.close();
    await Deno.remove(this.tmp, { recursive: true }).catch(() => {});
  }
}

/**
 * Stand-ins for GitHub's Pages actions, checking what the real ones need:
 *
 * - `actions/configure-pages` reads the Pages site (`GET /repos/{o}/{r}/pages`,
 *   `pages: read`) and fails when the repository has no Pages site;
 * - `actions/upload-pages-artifact` archives the folder `path` with tar
 *   (without `.git`, `.github` and hidden files) into `artifact.tar`, uploaded
 *   as the artifact `name` (default `github-pages`), unique in a run;
 * - `actions/deploy-pages` needs an OIDC token (`id-token: write` sets
 *   `ACTIONS_ID_TOKEN_REQUEST_URL`), `pages: write` and exactly one artifact
 *   of its `artifact_name` in the run; the site becomes that archive's files.
 *
 * Messages are the actions' own (actions/configure-pages, actions/deploy-pages
 * and @actions/core at the pinned releases).
 */
function pagesStandIns(
  world: () => WorkflowWorld,
  enabled: boolean,
): Record<string, StandIn> {
  const scopeAtLeast = (ctx: StandInContext, level: "read" | "write") => {
    const granted = ctx.scopes?.pages;
    if (ctx.scopes === undefined) return true;
    return granted === "write" || (level === "read" && granted === "read");
  };
  return {
    "actions/configure-pages": (ctx) => {
      if (!scopeAtLeast(ctx, "read") || !enabled) {
        throw new Error(
          "Get Pages site failed. Please verify that the repository has Pages enabled and " +
            "configured to build using GitHub Actions, or consider exploring the `enablement` " +
            `parameter for this action. Error: ${
              enabled ? "Resource not accessible by integration" : "Not Found"
            }`,
        );
      }
      const url = new URL(PAGES_URL);
      return Promise.resolve({
        base_url: PAGES_URL.replace(/\/$/, ""),
        origin: url.origin,
        host: url.host,
        base_path: url.pathname.replace(/\/$/, ""),
      });
    },
    "actions/upload-pages-artifact": async (ctx) => {
      const name = ctx.inputs.name || "github-pages";
      const from = join(ctx.workspace, ctx.inputs.path || "_site/");
      const dest = join(ctx.runDir, "artifacts", name);
      try {
        await Deno.lstat(dest);
        throw new Error(`An artifact named "${name}" already exists in this run.`);
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      }
      const tar = join(ctx.env.RUNNER_TEMP!, "artifact.tar");
      await sh("tar", [
        "--dereference",
        "--hard-dereference",
        "--directory",
        from,
        "-cf",
        tar,
        "--exclude=.git",
        "--exclude=.github",
        "--exclude=.[^/]*",
        ".",
      ]);
      await Deno.mkdir(dest, { recursive: true });
      await Deno.copyFile(tar, join(dest, "artifact.tar"));
      return { artifact_id: String(world().deployments.length + 1000) };
    },
    "actions/deploy-pages": async (ctx) => {
      if (!ctx.env.ACTIONS_ID_TOKEN_REQUEST_URL) {
        throw new Error("Unable to get ACTIONS_ID_TOKEN_REQUEST_URL env variable");
      }
      if (!scopeAtLeast(ctx, "write")) {
        throw new Error(
          'Failed to create deployment (status: 403). Ensure GITHUB_TOKEN has permission "pages: write".',
        );
      }
      if (!enabled) {
        throw new Error(
          "Failed to create deployment (status: 404). Ensure GitHub Pages has been enabled.",
        );
      }
      const name = ctx.inputs.artifact_name || "github-pages";
      const archive = join(ctx.runDir, "artifacts", name, "artifact.tar");
      try {
        await Deno.lstat(archive);
      } catch {
        throw new Error(
          `No artifacts named "${name}" were found for this workflow run. ` +
            "Ensure artifacts are uploaded with actions/upload-artifact@v4 or later.",
        );
      }
      const w = world();
      await Deno.remove(w.pagesDir, { recursive: true }).catch(() => {});
      await Deno.mkdir(w.pagesDir, { recursive: true });
      await sh("tar", ["-xf", archive, "--directory", w.pagesDir]);
      const files = (await sh("tar", ["-tf", archive])).split("\n")
        .map((f) => f.replace(/^\.\//, "")).filter((f) => f !== "" && !f.endsWith("/")).sort();
      w.deployments.push({
        run: ctx.runDir.split("/").pop()!,
        environment: ctx.environment,
        files,
      });
      return { page_url: PAGES_URL };
    },
  };
}
