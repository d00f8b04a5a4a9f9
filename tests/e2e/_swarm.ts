/**
 * End-to-end harness: the GitHub emulator in this process (real HTTP on
 * 127.0.0.1) and real `p2p-dev` processes (`deno run src/main.ts ...`) that
 * talk to it, as matrix jobs sharing one `GITHUB_TOKEN` would.
 *
 * - `startSwarm()` seeds the world (an actions token for
 *   `github-actions[bot]` with write on the repository, a writer, a stranger
 *   with no role, and an issue whose task list has priorities and
 *   dependencies), and optionally a local bare git repository standing in for
 *   the repository's git side (a `post-receive` hook mirrors pushed branches
 *   into the emulator, so pull requests can be opened for them).
 * - `swarm.spawn()` starts a node with fast timing flags and `--json`, and
 *   reads its JSON lines as they come (so a test can act on an event).
 * - Every wait is bounded by one overall deadline; when it passes, the
 *   harness fails with each node's exit status, last events and stderr.
 * - `await using swarm = ...` kills whatever is left (nodes, and the task
 *   process groups their commands started), closes the emulator and removes
 *   the temporary directory, also when the test failed.
 * - The checks (`checks` below) are made on the final log, folded with the
 *   protocol's own fold and trust policy.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  type EmulatorControl,
  type FaultPatch,
  type LimitsPatch,
  startEmulator,
} from "../../src/emulator/mod.ts";
import type { RunningEmulator } from "../../src/emulator/mod.ts";
import type { AppSeed } from "../../src/emulator/types.ts";
import { EXAMPLE_ISSUE_BODY, EXAMPLE_ISSUE_TITLE } from "../../src/demo/example_issue.ts";
import { decodeBody } from "../../src/protocol/codec.ts";
import { fold } from "../../src/protocol/fold.ts";
import type { SwarmState } from "../../src/protocol/state.ts";
import type { TrustPolicy } from "../../src/protocol/trust.ts";
import type { LogComment, ProtocolEvent } from "../../src/protocol/types.ts";

/** Path of the CLI entry point. */
export const MAIN = new URL("../../src/main.ts", import.meta.url).pathname;

/** Repository coordinates of the seeded world. */
export const OWNER = "e2e-org";
/** Repository name of the seeded world. */
export const REPO = "app";
/** The workflow token every node shares (matrix jobs of one run). */
export const BOT = { login: "github-actions[bot]", token: "ghs_e2e_actions_token" } as const;
/** A person with write permission on the repository. */
export const WRITER = { login: "e2e-writer", token: "ghp_e2e_writer_token" } as const;
/** A person with no role on the (public) repository: may comment, may not steer. */
export const STRANGER = { login: "e2e-stranger", token: "ghp_e2e_stranger_token" } as const;

/** The task ids of the example issue, in plan order. */
export const EXAMPLE_TASKS = ["S1", "S2", "S3", "A1", "A2", "A3", "A4", "U1", "U2", "D1", "Q1"];

/** Fast timing for an emulator run (validated by the CLI: lease > renew > poll, settle fits). */
export const FAST_TIMING: readonly string[] = [
  "--settle-ms",
  "800",
  "--poll-ms",
  "300",
  "--poll-max-ms",
  "1500",
  "--lease-ms",
  "8000",
  "--renew-ms",
  "2000",
  "--election-timeout-ms",
  "6000",
  "--backoff-ms",
  "500",
  "--time-scale",
  "0.05",
];

/** Overall bound of one scenario: past it, everything is killed and the test fails. */
export const DEFAULT_DEADLINE_MS = 90_000;

/** One JSON line a node printed (a `NodeEvent` plus its node id). */
export interface NodeLine {
  node: string;
  type: string;
  serverTime: number;
  task?: string;
  attempt?: number;
  reason?: string;
  [key: string]: unknown;
}

/** Options of {@linkcode startSwarm}. */
export interface SwarmOptions {
  /** Body of the issue (default: the demo's example issue, 11 tasks). */
  issueBody?: string;
  /** Faults the emulator starts with. */
  faults?: FaultPatch;
  /** Limits to change from GitHub's values. */
  limits?: LimitsPatch;
  /** Create a bare git repository mirrored into the emulator (for `--deliver`). */
  git?: boolean;
  /** Issues to create (default 1). */
  issues?: number;
  /** Overall deadline of the scenario in ms (default 90 s). */
  deadlineMs?: number;
  /** GitHub Apps to seed (installed on the repository). */
  apps?: AppSeed[];
}

/** Options of {@linkcode Swarm.spawn}. */
export interface SpawnOptions {
  /** Node id (`--node-id`). */
  id: string;
  /** The issue (default: the first seeded one). */
  issue?: number;
  /** Flags after the timing flags (executor, delivery, ...). */
  args?: readonly string[];
  /** Replace the default timing flags. */
  timing?: readonly string[];
  /** Extra environment. */
  env?: Record<string, string>;
  /** Subcommand (default `run`). */
  command?: string;
}

const decoder = new TextDecoder();

/** Git isolated from the user's and the system's configuration. */
export const GIT_ENV: Readonly<Record<string, string>> = {
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_AUTHOR_NAME: "E2E Setup",
  GIT_AUTHOR_EMAIL: "e2e@example.com",
  GIT_COMMITTER_NAME: "E2E Setup",
  GIT_COMMITTER_EMAIL: "e2e@example.com",
  GIT_TERMINAL_PROMPT: "0",
};

/** Runs a command; throws with its output when it fails; returns stdout trimmed. */
export async function sh(cmd: string, args: string[], cwd?: string): Promise<string> {
  const out = await new Deno.Command(cmd, {
    args,
    ...(cwd ? { cwd } : {}),
    env: { ...GIT_ENV },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (out.code !== 0) {
    throw new Error(
      `${cmd} ${args.join(" ")} failed (${out.code}): ${decoder.decode(out.stderr)}${
        decoder.decode(out.stdout)
      }`,
    );
  }
  return decoder.decode(out.stdout).trim();
}

/**
 * A `p2p-dev` process: its JSON lines as they come, its stderr, its exit.
 */
export class NodeProcess {
  readonly id: string;
  readonly child: Deno.ChildProcess;
  /** Parsed JSON lines, in order. */
  readonly lines: NodeLine[] = [];
  /** Lines of stdout that were not JSON. */
  readonly other: string[] = [];
  stderr = "";
  /** Set once the process exited and both streams were read to the end. */
  status: Deno.CommandStatus | undefined;
  /** Resolves once the process exited and both streams were read to the end. */
  readonly exited: Promise<Deno.CommandStatus>;
  #waiters: { match: (l: NodeLine) => boolean; resolve: (l: NodeLine) => void }[] = [];

  constructor(id: string, child: Deno.ChildProcess) {
    this.id = id;
    this.child = child;
    const out = this.#readStdout();
    const err = this.#readStderr();
    this.exited = Promise.all([child.status, out, err]).then(([status]) => {
      this.status = status;
      return status;
    });
  }

  get pid(): number {
    return this.child.pid;
  }

  async #readStdout(): Promise<void> {
    let buffer = "";
    const text = this.child.stdout.pipeThrough(new TextDecoderStream());
    for await (const chunk of text) {
      buffer += chunk;
      let nl: number;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        this.#line(buffer.slice(0, nl));
        buffer = buffer.slice(nl + 1);
      }
    }
    if (buffer) this.#line(buffer);
  }

  async #readStderr(): Promise<void> {
    const text = this.child.stderr.pipeThrough(new TextDecoderStream());
    for await (const chunk of text) this.stderr += chunk;
  }

  #line(raw: string): void {
    let parsed: NodeLine | undefined;
    try {
      const value = JSON.parse(raw);
      if (value && typeof value === "object" && typeof value.type === "string") parsed = value;
    } catch {
      // not JSON
    }
    if (!parsed) {
      this.other.push(raw);
      return;
    }
    this.lines.push(parsed);
    this.#waiters = this.#waiters.filter((w) => {
      if (!w.match(parsed!)) return true;
      w.resolve(parsed!);
      return false;
    });
  }

  /** Events of one type. */
  events(type: string): NodeLine[] {
    return this.lines.filter((l) => l.type === type);
  }

  /** The first line (already seen or still to come) that matches; never resolves if none does. */
  next(match: (l: NodeLine) => boolean): Promise<NodeLine> {
    const seen = this.lines.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.#waiters.push({ match, resolve }));
  }

  /** Sends a signal unless the process already exited. */
  kill(signal: Deno.Signal): void {
    if (this.status) return;
    try {
      this.child.kill(signal);
    } catch {
      // Already gone.
    }
  }

  /** A few lines that say what this node did, for failure messages. */
  describe(): string {
    const status = this.status
      ? `exited ${this.status.code}${this.status.signal ? ` (${this.status.signal})` : ""}`
      : "still running";
    const tail = this.lines.slice(-6).map((l) =>
      `    ${l.type}${l.task ? ` ${l.task}` : ""}${l.attempt ? `#${l.attempt}` : ""}${
        l.reason ? ` ${l.reason}` : ""
      }${typeof l.message === "string" ? ` ${l.message}` : ""}`
    );
    const err = this.stderr.trim().split("\n").filter(Boolean).slice(-5).map((l) =>
      `    stderr: ${l}`
    );
    return [`  node ${this.id} (pid ${this.pid}): ${status}`, ...tail, ...err].join("\n");
  }
}

/** Output of a one-shot CLI run. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * A running scenario: emulator, seeded world, nodes, temporary directory.
 */
export class Swarm implements AsyncDisposable {
  readonly emulator: RunningEmulator;
  /** Issue numbers created, in order. */
  readonly issues: number[];
  readonly tmp: string;
  readonly nodes: NodeProcess[] = [];
  /** The bare repository (with `git: true`). */
  readonly bare: string | undefined;
  readonly deadline: number;
  readonly deadlineMs: number;
  #pidDir: string;
  #closed = false;

  constructor(
    init: {
      emulator: RunningEmulator;
      issues: number[];
      tmp: string;
      bare: string | undefined;
      deadlineMs: number;
    },
  ) {
    this.emulator = init.emulator;
    this.issues = init.issues;
    this.tmp = init.tmp;
    this.bare = init.bare;
    this.deadlineMs = init.deadlineMs;
    this.deadline = Date.now() + init.deadlineMs;
    this.#pidDir = join(init.tmp, "pids");
  }

  /** The first issue. */
  get issue(): number {
    return this.issues[0]!;
  }

  /** Environment of a node process: only what a matrix job would have. */
  env(extra: Record<string, string> = {}): Record<string, string> {
    const keep = ["PATH", "HOME", "DENO_DIR", "TMPDIR"];
    const env: Record<string, string> = {};
    for (const k of keep) {
      const v = Deno.env.get(k);
      if (v !== undefined) env[k] = v;
    }
    return {
      ...env,
      ...GIT_ENV,
      NO_COLOR: "1",
      DENO_NO_UPDATE_CHECK: "1",
      GITHUB_TOKEN: BOT.token,
      GITHUB_REPOSITORY: `${OWNER}/${REPO}`,
      GITHUB_API_URL: this.emulator.url,
      // Task commands of the e2e scripts record their process group here,
      // so the harness can stop what a killed node left behind. Tasks get
      // only allowlisted variables: the scenarios' own E2E_* are passed on.
      E2E_PID_DIR: this.#pidDir,
      P2P_PASS_ENV: "E2E_*",
      // Each scenario records its task processes in a state folder of its own.
      P2P_STATE_DIR: join(this.tmp, "state"),
      ...extra,
    };
  }

  /** Starts a node (`p2p-dev run` by default) with fast timing and `--json`. */
  spawn(options: SpawnOptions): NodeProcess {
    const issue = options.issue ?? this.issue;
    const args = [
      "run",
      "--allow-all",
      "--no-prompt",
      MAIN,
      options.command ?? "run",
      "--issue",
      String(issue),
      "--node-id",
      options.id,
      ...(options.timing ?? FAST_TIMING),
      "--json",
      "--work-dir",
      join(this.tmp, "work", options.id),
      ...(options.args ?? []),
    ];
    const child = new Deno.Command(Deno.execPath(), {
      args,
      env: this.env(options.env),
      clearEnv: true,
      cwd: this.tmp,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const node = new NodeProcess(options.id, child);
    this.nodes.push(node);
    return node;
  }

  /** Runs a one-shot `p2p-dev` command (e.g. `aggregate`) to the end, within the deadline. */
  async cli(args: string[], extraEnv: Record<string, string> = {}): Promise<CliResult> {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", "--no-prompt", MAIN, ...args],
      env: this.env(extraEnv),
      clearEnv: true,
      cwd: this.tmp,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const out = child.output();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<"expired">((resolve) => {
      timer = setTimeout(() => resolve("expired"), Math.max(0, this.deadline - Date.now()));
    });
    const first = await Promise.race([out, expired]);
    clearTimeout(timer);
    if (first === "expired") {
      try {
        child.kill("SIGKILL");
      } catch {
        // gone
      }
      await out.catch(() => {});
      throw new Error(`p2p-dev ${args.join(" ")} did not finish before the scenario's deadline.`);
    }
    return {
      code: first.code,
      stdout: decoder.decode(first.stdout),
      stderr: decoder.decode(first.stderr),
    };
  }

  /**
   * Waits for `promise` until the deadline; past it, fails with `what` and
   * every node's state (the dispose step then kills everything).
   */
  async within<T>(what: string, promise: Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<typeof EXPIRED>((resolve) => {
      timer = setTimeout(() => resolve(EXPIRED), Math.max(0, this.deadline - Date.now()));
    });
    try {
      const first = await Promise.race([promise, expired]);
      if (first === EXPIRED) {
        throw new Error(
          `E2E deadline: ${what} did not happen within ${this.deadlineMs / 1000} s ` +
            `of the scenario's start.\n${this.describe()}`,
        );
      }
      return first as T;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Waits for a matching line of `node`, within the deadline. */
  waitFor(node: NodeProcess, what: string, match: (l: NodeLine) => boolean): Promise<NodeLine> {
    return this.within(`${node.id}: ${what}`, node.next(match));
  }

  /** Waits until every node exited; returns their statuses by node id. */
  async waitAll(): Promise<Record<string, Deno.CommandStatus>> {
    await this.within(
      "every node's exit",
      Promise.all(this.nodes.map((n) => n.exited)),
    );
    return Object.fromEntries(this.nodes.map((n) => [n.id, n.status!]));
  }

  /** Every node's status, last events and stderr tail. */
  describe(): string {
    return this.nodes.map((n) => n.describe()).join("\n");
  }

  /** The issue's comments as the API has them now (no lag), as the protocol sees them. */
  comments(issue = this.issue): LogComment[] {
    return logComments(this.emulator.control, OWNER, REPO, issue);
  }

  /** The trust policy a node running as the bot would use (writers resolved from the world). */
  policy(issue = this.issue): TrustPolicy {
    return botPolicy(this.emulator.control, OWNER, REPO, issue, BOT.login);
  }

  /** The final log folded with the protocol's fold and trust policy. */
  finalState(issue = this.issue): { state: SwarmState; comments: LogComment[] } {
    const comments = this.comments(issue);
    return { state: fold(comments, this.policy(issue)), comments };
  }

  /** Kills what is left, closes the emulator, removes the temporary directory. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const n of this.nodes) n.kill("SIGKILL");
    await Promise.allSettled(this.nodes.map((n) => n.exited));
    await killRecordedGroups(this.#pidDir);
    await this.emulator.close();
    await Deno.remove(this.tmp, { recursive: true }).catch(() => {});
  }
}

const EXPIRED = Symbol("expired");

/** An issue's comments as the emulator has them now (no lag), as the protocol sees them. */
export function logComments(
  control: EmulatorControl,
  owner: string,
  repo: string,
  issue: number,
): LogComment[] {
  return control.comments(owner, repo, issue).map((c) => ({
    id: c.id,
    body: c.body,
    author: c.author,
    authorType: control.world.user(c.author)?.type ?? "User",
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
  }));
}

/** The trust policy of a node running as `self` (writers resolved from the emulated world). */
export function botPolicy(
  control: EmulatorControl,
  owner: string,
  repo: string,
  issue: number,
  self: string,
): TrustPolicy {
  const r = control.world.repo(owner, repo)!;
  const writers = new Set<string>();
  for (const c of logComments(control, owner, repo, issue)) {
    const role = control.world.role(r, c.author);
    if (role === "write" || role === "maintain" || role === "admin") writers.add(c.author);
  }
  return { repo: `${owner}/${repo}`, issue, self, allow: new Set(), writers };
}

/** Stops the process groups task commands recorded (what a SIGKILLed node left running). */
async function killRecordedGroups(dir: string): Promise<void> {
  let text = "";
  try {
    for await (const entry of Deno.readDir(dir)) {
      text += await Deno.readTextFile(join(dir, entry.name)) + "\n";
    }
  } catch {
    return;
  }
  for (const pid of new Set(text.split(/\s+/).filter((s) => /^\d+$/.test(s)).map(Number))) {
    try {
      const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      // fields[2] is the process group; only a group this command leads is ours.
      if (Number(fields[2]) !== pid) continue;
      Deno.kill(-pid, "SIGKILL");
    } catch {
      // Gone already.
    }
  }
}

/**
 * Shell snippet that records the task command's process group (for cleanup);
 * put it first in an `--exec` command.
 */
export const RECORD_PID = 'mkdir -p "$E2E_PID_DIR" && echo $$ >> "$E2E_PID_DIR/$P2P_NODE_ID"';

/**
 * Starts the emulator (in this process, on 127.0.0.1) seeded with the world
 * described in the module docs.
 */
export async function startSwarm(options: SwarmOptions = {}): Promise<Swarm> {
  const tmp = await Deno.realPath(await Deno.makeTempDir({ prefix: "p2p-e2e-" }));
  try {
    let bare: string | undefined;
    let rootSha: string | undefined;
    if (options.git) {
      ({ bare, rootSha } = await makeBareRepo(tmp));
    }
    const count = options.issues ?? 1;
    const issues = Array.from({ length: count }, () => ({
      title: EXAMPLE_ISSUE_TITLE,
      author: WRITER.login,
      body: options.issueBody ?? EXAMPLE_ISSUE_BODY,
      labels: ["p2p-dev"],
    }));
    const emulator = await startEmulator({
      port: 0,
      logLimit: 100_000,
      ...(options.faults ? { faults: options.faults } : {}),
      ...(options.limits ? { limits: options.limits } : {}),
      ...(options.apps ? { apps: options.apps } : {}),
      users: [
        { login: OWNER, type: "Organization" },
        { login: BOT.login, id: 41898282, type: "Bot" },
        { login: WRITER.login, token: WRITER.token },
        { login: STRANGER.login, token: STRANGER.token },
      ],
      tokens: [{
        token: BOT.token,
        login: BOT.login,
        kind: "actions",
        repos: [`${OWNER}/${REPO}`],
      }],
      repos: [{
        owner: OWNER,
        name: REPO,
        permissions: { [WRITER.login]: "write" },
        ...(rootSha ? { commits: [{ sha: rootSha, message: "Initial commit", parents: [] }] } : {}),
        // Served over git's smart HTTP too (cloneOverHttp), as GitHub serves it.
        ...(bare ? { gitDir: bare } : {}),
        labels: [{ name: "p2p-dev" }],
        issues,
      }],
    });
    const seeded = emulator.control.world.repo(OWNER, REPO)!;
    const numbers = seeded.issues.filter((i) => !i.pull).map((i) => i.number).sort((a, b) => a - b);
    if (bare) await installMirrorHook(bare, emulator.url);
    return new Swarm({
      emulator,
      issues: numbers,
      tmp,
      bare,
      deadlineMs: options.deadlineMs ?? DEFAULT_DEADLINE_MS,
    });
  } catch (error) {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    throw error;
  }
}

/** A bare repository `origin.git` with one commit on `main`. */
export async function makeBareRepo(tmp: string): Promise<{ bare: string; rootSha: string }> {
  const bare = join(tmp, "origin.git");
  const seed = join(tmp, "seed");
  await sh("git", ["init", "--quiet", "--bare", "-b", "main", bare]);
  await sh("git", ["init", "--quiet", "-b", "main", seed]);
  await Deno.writeTextFile(join(seed, "README.md"), "# e2e repository\n");
  await sh("git", ["add", "README.md"], seed);
  await sh("git", ["commit", "--quiet", "-m", "Initial commit"], seed);
  await sh("git", ["push", "--quiet", bare, "main"], seed);
  const rootSha = await sh("git", ["rev-parse", "HEAD"], seed);
  await Deno.remove(seed, { recursive: true });
  return { bare, rootSha };
}

/**
 * A `post-receive` hook that mirrors every pushed branch (and its commits)
 * into the emulator through its control surface: the bare repository plays
 * GitHub's git side, so `POST /pulls` finds the head branch.
 */
export async function installMirrorHook(
  bare: string,
  url: string,
  owner = OWNER,
  repo = REPO,
): Promise<void> {
  const hook = join(bare, "hooks", "post-receive");
  await Deno.writeTextFile(
    hook,
    `#!/bin/sh
# Mirrors pushed branches into the p2p-dev emulator (e2e harness).
set -u
zero=0000000000000000000000000000000000000000
while read -r old new ref; do
  [ "$new" = "$zero" ] && continue
  case "$ref" in refs/heads/*) ;; *) continue ;; esac
  branch=\${ref#refs/heads/}
  commits=$(git rev-list --reverse --topo-order --parents "$new" | awk '{
    printf "%s{\\"sha\\":\\"%s\\",\\"parents\\":[", (NR > 1 ? "," : ""), $1
    for (i = 2; i <= NF; i++) printf "%s\\"%s\\"", (i > 2 ? "," : ""), $i
    printf "]}"
  }')
  body="{\\"repos\\":[{\\"owner\\":\\"${owner}\\",\\"name\\":\\"${repo}\\",\\"commits\\":[$commits],\\"branches\\":{\\"$branch\\":\\"$new\\"}}]}"
  if ! curl -sf -X POST -H 'content-type: application/json' --data "$body" "${url}/_emulator/seed" >/dev/null; then
    echo "e2e mirror: could not mirror $branch into the emulator" >&2
    exit 1
  fi
done
`,
  );
  await Deno.chmod(hook, 0o755);
}

/**
 * A clone over the emulator's git HTTP (`{url}/{owner}/{repo}.git`), as
 * actions/checkout makes one: with `persistToken`, the token is stored the way
 * checkout v6 and later store it unless `persist-credentials: false` (an
 * `http.<server>/.extraheader` in a file under the runner's temporary folder,
 * included from `.git/config` for the repository and its worktrees); without
 * it, nothing is stored. Returns the clone and the credentials file.
 */
export async function cloneOverHttp(
  swarm: Swarm,
  id: string,
  options: { persistToken?: string } = {},
): Promise<{ clone: string; credentials: string | undefined }> {
  assert.ok(swarm.bare, "startSwarm({ git: true }) serves the repository over HTTP");
  const dir = join(swarm.tmp, "clones", id);
  await Deno.mkdir(join(swarm.tmp, "clones"), { recursive: true });
  await sh("git", ["clone", "--quiet", `${swarm.emulator.url}/${OWNER}/${REPO}.git`, dir]);
  if (options.persistToken === undefined) return { clone: dir, credentials: undefined };
  const temp = join(swarm.tmp, "runner-temp");
  await Deno.mkdir(temp, { recursive: true });
  const credentials = join(temp, `git-credentials-${crypto.randomUUID()}.config`);
  const basic = btoa(`x-access-token:${options.persistToken}`);
  await Deno.writeTextFile(
    credentials,
    `[http "${swarm.emulator.url}/"]\n\textraheader = AUTHORIZATION: basic ${basic}\n`,
  );
  await sh("git", ["config", `includeIf.gitdir:${dir}/.git.path`, credentials], dir);
  await sh("git", ["config", `includeIf.gitdir:${dir}/.git/worktrees/*.path`, credentials], dir);
  return { clone: dir, credentials };
}

/** A clone of the bare repository for one node (`--repo-dir`). */
export async function cloneFor(swarm: Swarm, id: string): Promise<string> {
  assert.ok(swarm.bare, "startSwarm({ git: true }) creates the bare repository");
  const dir = join(swarm.tmp, "clones", id);
  await Deno.mkdir(join(swarm.tmp, "clones"), { recursive: true });
  await sh("git", ["clone", "--quiet", swarm.bare, dir]);
  return dir;
}

// ------------------------------------------------------------------ checks

/** A protocol event with its position in the log. */
export interface PlacedEvent {
  comment: LogComment;
  index: number;
  node: string;
  event: ProtocolEvent;
}

/** Every event of every decodable comment by `authors` (all authors when omitted), in log order. */
export function eventsOf(comments: readonly LogComment[], authors?: Set<string>): PlacedEvent[] {
  const out: PlacedEvent[] = [];
  for (const comment of [...comments].sort((a, b) => a.id - b.id)) {
    if (authors && !authors.has(comment.author)) continue;
    const decoded = decodeBody(comment.body);
    if (decoded.kind !== "message") continue;
    decoded.message.events.forEach((event, index) =>
      out.push({ comment, index, node: decoded.message.node, event })
    );
  }
  return out;
}

/** Logins the policy trusts among the comments' authors. */
export function trustedAuthors(comments: readonly LogComment[], policy: TrustPolicy): Set<string> {
  return new Set(
    comments.map((c) => c.author).filter((a) =>
      a === policy.self || policy.allow.has(a) || policy.writers.has(a)
    ),
  );
}

/** One term, won by a bot node, whose complete plan is the one in force. */
export function assertOnePlanInForce(state: SwarmState, tasks = EXAMPLE_TASKS): void {
  assert.equal(state.terms.length, 1, `one election term, got ${JSON.stringify(state.terms)}`);
  const leader = state.terms[0]!;
  assert.equal(leader.author, BOT.login, "the leader is one of the swarm's nodes");
  assert.ok(state.plan, "a plan is in force");
  assert.equal(state.plan.term, 1);
  assert.equal(state.plan.token, leader.token, "the plan carries the winner's fencing token");
  assert.deepEqual([...state.order].sort(), [...tasks].sort(), "the plan holds the issue's tasks");
  assert.equal(state.ended, null);
}

/**
 * Every task done, by the owner of one of its attempts, with no duplicate
 * result. With `strictLog`, also: exactly one completion event per task in
 * the whole trusted log (nobody ran a task it did not own to the end).
 */
export function assertEveryTaskDoneOnce(
  state: SwarmState,
  comments: readonly LogComment[],
  policy: TrustPolicy,
  options: { strictLog: boolean },
): void {
  for (const id of state.order) {
    const t = state.tasks[id]!;
    assert.equal(t.status, "done", `task ${id} is done (attempts ${JSON.stringify(t.attempts)})`);
    const owner = t.attempts[t.done!.attempt - 1];
    assert.ok(owner, `task ${id}'s result comes from one of its attempts`);
    assert.equal(owner.node, t.done!.node, `task ${id}'s result comes from that attempt's owner`);
    assert.equal(owner.author, BOT.login);
    assert.equal(owner.end?.kind, "completed");
  }
  assert.equal(state.duplicateResults, 0, "no duplicate result");
  assert.equal(state.ignored.duplicate_result ?? 0, 0, "no duplicate result ignored");
  if (options.strictLog) {
    const completions = new Map<string, number>();
    for (const p of eventsOf(comments, trustedAuthors(comments, policy))) {
      if (p.event.type === "progress" && p.event.status === "completed") {
        completions.set(p.event.task, (completions.get(p.event.task) ?? 0) + 1);
      }
    }
    for (const id of state.order) {
      assert.equal(completions.get(id), 1, `exactly one completion message for ${id} in the log`);
    }
  }
}

/**
 * No task started before all it depends on were done: every attempt's
 * claim comes after each dependency's accepted completion, by server time
 * and by log position. With `strictLog`, every trusted claim message in the
 * log does too (not only the accepted ones).
 */
export function assertDependenciesRespected(
  state: SwarmState,
  comments: readonly LogComment[],
  policy: TrustPolicy,
  options: { strictLog: boolean },
): void {
  for (const id of state.order) {
    const t = state.tasks[id]!;
    for (const dep of t.def.deps) {
      const done = state.tasks[dep]!.done;
      assert.ok(done, `${id}'s dependency ${dep} is done`);
      for (const a of t.attempts) {
        assert.ok(
          a.claimedAt >= done.at,
          `${id} attempt ${a.n} claimed at ${a.claimedAt}, before ${dep} was done at ${done.at}`,
        );
        assert.ok(
          a.claimId >= done.commentId,
          `${id} attempt ${a.n} claimed in comment ${a.claimId}, before ${dep}'s completion ${done.commentId}`,
        );
      }
    }
  }
  if (!options.strictLog) return;
  const placed = eventsOf(comments, trustedAuthors(comments, policy));
  const completedAt = new Map<string, PlacedEvent>();
  for (const p of placed) {
    if (p.event.type === "progress" && p.event.status === "completed") {
      if (!completedAt.has(p.event.task)) completedAt.set(p.event.task, p);
    }
  }
  for (const p of placed) {
    if (p.event.type !== "claim") continue;
    const task = state.tasks[p.event.task];
    if (!task) continue;
    for (const dep of task.def.deps) {
      const done = completedAt.get(dep);
      assert.ok(done, `${dep} completed before ${p.event.task} was claimed`);
      const before = done.comment.id < p.comment.id ||
        (done.comment.id === p.comment.id && done.index < p.index);
      assert.ok(
        before,
        `claim of ${p.event.task} by ${p.node} in comment ${p.comment.id} precedes ${dep}'s completion`,
      );
      assert.ok(p.comment.createdAt >= done.comment.createdAt);
    }
  }
}

/** Asserts every listed node exited with `code`, with each node's story on failure. */
export function assertExitCodes(
  swarm: Swarm,
  statuses: Record<string, Deno.CommandStatus>,
  expected: Record<string, number>,
): void {
  for (const [id, code] of Object.entries(expected)) {
    assert.equal(
      statuses[id]?.code,
      code,
      `node ${id} exits ${code}\n${swarm.describe()}`,
    );
  }
}

/** Posts a comment as `token` through the REST API; returns the created comment's id. */
export async function postComment(
  swarm: Swarm,
  token: string,
  body: string,
  issue = swarm.issue,
): Promise<number> {
  const res = await fetch(`${swarm.emulator.url}/repos/${OWNER}/${REPO}/issues/${issue}/comments`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${token}`,
      accept: "application/vnd.github+json",
      "content-type": "application/json",
    },
    body: JSON.stringify({ body }),
  });
  const json = await res.json();
  assert.equal(res.status, 201, `comment posted: ${JSON.stringify(json)}`);
  return json.id as number;
}

/** GETs a REST path as `token`; returns the JSON body. */
export async function getJson(swarm: Swarm, token: string, path: string): Promise<unknown> {
  const res = await fetch(`${swarm.emulator.url}${path}`, {
    headers: { authorization: `Bearer ${token}`, accept: "application/vnd.github+json" },
  });
  const json = await res.json();
  assert.equal(res.status, 200, `GET ${path}: ${JSON.stringify(json)}`);
  return json;
}

/** Paths (`a.b[2].c`) where two JSON values differ, for readable failures. */
export function jsonDiff(a: unknown, b: unknown, path = ""): string[] {
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) {
    return Object.is(a, b)
      ? []
      : [`${path || "(root)"}: ${JSON.stringify(a)} → ${JSON.stringify(b)}`];
  }
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  const out: string[] = [];
  for (const k of keys) {
    const sub = Array.isArray(a) ? `${path}[${k}]` : path ? `${path}.${k}` : k;
    out.push(
      ...jsonDiff((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], sub),
    );
  }
  return out;
}
