/**
 * `p2p-dev demo`: a whole swarm on one machine. It starts the GitHub
 * emulator, seeds a repository, a bot identity and an issue, launches N node
 * processes of this same program, shows them electing, planning and working
 * (one commit per task on its branch in a local git repository), runs the
 * aggregator and writes everything worth opening into one folder.
 *
 * @module
 */
import { writeDashboard } from "../dashboard/write_page.ts";
import type { SnapshotComment } from "../dashboard/snapshot.ts";
import { startEmulator } from "../emulator/mod.ts";
import type { FaultPatch } from "../emulator/faults.ts";
import { createGitHub } from "../github/octokit.ts";
import { aggregate } from "../node/aggregate.ts";
import { systemClock, systemRandom } from "../node/ports.ts";
import { fold } from "../protocol/fold.ts";
import type { SwarmState } from "../protocol/state.ts";
import type { LogComment } from "../protocol/types.ts";
import { currentLeader, phaseCounts, taskPhase } from "../protocol/view.ts";
import { bar, table } from "../cli/render_state.ts";
import { EXAMPLE_ISSUE_BODY, EXAMPLE_ISSUE_TITLE } from "./example_issue.ts";

/** Options of {@linkcode runDemo}. */
export interface DemoOptions {
  nodes: number;
  outDir: string;
  /** The command that starts this program (for node processes). */
  selfCommand: string[];
  issueTitle?: string;
  issueBody?: string;
  /** List lag in ms (every comment invisible to list reads for up to this long). */
  lagMs?: number;
  /** Emulator fault settings. */
  faults?: FaultPatch;
  seed: number;
  strict: boolean;
  /** Leave the emulator running at the end (for the dashboard or `state --issue`). */
  keep: boolean;
  /** Give up after this long. */
  timeoutMs: number;
  signal: AbortSignal;
  out(line: string): void;
  isTty: boolean;
  /** Terminal width, for the live view. */
  columns: number;
  /** Environment passed to node processes (PATH, HOME). */
  env: Record<string, string>;
}

/** What the demo produced. */
export interface DemoResult {
  ok: boolean;
  leader: string | null;
  tasks: number;
  done: number;
  failed: number;
  attempts: number;
  duplicateResults: number;
  requests: number;
  writes: number;
  elapsedMs: number;
  files: string[];
  branches: string[];
}

const OWNER = "octo-org";
const REPO = "notes-app";
const BOT = "github-actions[bot]";
const BOT_TOKEN = "ghs_demo_bot_token";
const OWNER_TOKEN = "ghp_demo_owner_token";

/** Timing for the demo: a laptop-speed swarm against a local emulator. */
const DEMO_FLAGS = [
  "--settle-ms",
  "600",
  "--announce-spread-ms",
  "500",
  "--poll-ms",
  "250",
  "--poll-max-ms",
  "1500",
  "--lease-ms",
  "10000",
  "--renew-ms",
  "2500",
  "--election-timeout-ms",
  "8000",
  "--backoff-ms",
  "500",
  "--time-scale",
  "0.05",
  "--token-kind",
  "actions",
];

/**
 * Runs the demo; see the module docs.
 *
 * @example
 * ```ts
 * const r = await runDemo({ nodes: 5, outDir: "p2p-dev-demo", ... });
 * ```
 */
export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const started = Date.now();
  const out = options.outDir;
  await Deno.remove(out, { recursive: true }).catch(() => {});
  await Deno.mkdir(`${out}/nodes`, { recursive: true });
  const body = options.issueBody ?? EXAMPLE_ISSUE_BODY;
  const title = options.issueTitle ?? EXAMPLE_ISSUE_TITLE;

  const emu = await startEmulator({
    port: 0,
    seed: options.seed,
    users: [{ login: "octo-owner", token: OWNER_TOKEN }],
    tokens: [{ token: BOT_TOKEN, login: BOT, kind: "actions", repos: [`${OWNER}/${REPO}`] }],
    repos: [{
      owner: OWNER,
      name: REPO,
      permissions: { "octo-owner": "admin" },
      labels: [{ name: "p2p-dev", color: "5319e7" }],
      issues: [{ title, body, author: "octo-owner", labels: ["p2p-dev"] }],
    }],
  });
  const faults: FaultPatch = { seed: options.seed, ...options.faults };
  if (options.lagMs) {
    faults.listLag = { probability: 1, minMs: 0, maxMs: options.lagMs, ...faults.listLag };
  }
  emu.control.setFaults(faults);
  const issue = 1;
  options.out(`Emulator at ${emu.url}: ${OWNER}/${REPO} issue #${issue} "${title}"`);

  const gitEnv = {
    GIT_AUTHOR_NAME: "p2p-dev demo",
    GIT_AUTHOR_EMAIL: "demo@p2p-dev.invalid",
    GIT_COMMITTER_NAME: "p2p-dev demo",
    GIT_COMMITTER_EMAIL: "demo@p2p-dev.invalid",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_TERMINAL_PROMPT: "0",
  };
  const origin = await makeOrigin(out, { ...options.env, ...gitEnv });

  const children: { id: string; proc: Deno.ChildProcess; log: Promise<void>; status?: number }[] =
    [];
  const stopAll = async () => {
    for (const c of children) {
      try {
        c.proc.kill("SIGTERM");
      } catch { /* already gone */ }
    }
    await Promise.race([
      Promise.all(children.map((c) => c.proc.status)),
      new Promise((r) => setTimeout(r, 3_000)),
    ]);
    for (const c of children) {
      try {
        c.proc.kill("SIGKILL");
      } catch { /* already gone */ }
    }
  };

  // Progress as the nodes print it (JSON lines): the live view shows it
  // without waiting for the throttled progress comments.
  const live = new Map<string, number>();
  let failure: string | undefined;
  let interval: ReturnType<typeof setInterval> | undefined;
  let deadlineTimer: ReturnType<typeof setTimeout> | undefined;
  try {
    for (let i = 1; i <= options.nodes; i++) {
      const id = `node-${i}`;
      const dir = `${out}/nodes/${id}`;
      await Deno.mkdir(dir, { recursive: true });
      await git(["clone", "-q", origin, `${dir}/repo`], { ...options.env, ...gitEnv });
      const [cmd, ...args] = options.selfCommand;
      const proc = new Deno.Command(cmd!, {
        args: [
          ...args,
          "run",
          "--issue",
          String(issue),
          "--node-id",
          id,
          "--executor",
          "demo",
          "--deliver",
          "branch",
          "--repo-dir",
          `${dir}/repo`,
          "--work-dir",
          `${dir}/work`,
          "--json",
          ...(options.strict ? ["--strict"] : []),
          ...DEMO_FLAGS,
        ],
        env: {
          ...options.env,
          ...gitEnv,
          GITHUB_TOKEN: BOT_TOKEN,
          GITHUB_REPOSITORY: `${OWNER}/${REPO}`,
          GITHUB_API_URL: emu.url,
          NO_COLOR: "1",
        },
        clearEnv: true,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const file = await Deno.open(`${dir}/node.log`, {
        write: true,
        create: true,
        truncate: true,
      });
      const log = Promise.all([
        proc.stdout.pipeTo(watchLines(file.writable, (line) => noteProgress(live, line))),
        proc.stderr.pipeTo(
          (await Deno.open(`${dir}/stderr.log`, { write: true, create: true, truncate: true }))
            .writable,
        ),
      ]).then(() => {});
      children.push({ id, proc, log });
    }

    // The live view reads the emulator's true comments directly: watching
    // costs the swarm nothing.
    const view = () => {
      const state = foldEmulator(emu.control.comments(OWNER, REPO, issue));
      return { state, now: emu.control.now() };
    };
    let lastLines = 0;
    let lastPlain = "";
    const draw = () => {
      const { state, now } = view();
      const lines = liveView(state, now, Date.now() - started, options.nodes, children, live)
        // A line wider than the terminal wraps and breaks the redraw: cut it.
        .map((l) =>
          [...l].length < options.columns ? l : [...l].slice(0, options.columns - 2).join("") + "…"
        );
      if (options.isTty) {
        const up = lastLines ? `\x1b[${lastLines}A` : "";
        options.out(up + lines.map((l) => `\x1b[2K${l}`).join("\n"));
        lastLines = lines.length;
      } else {
        const line = lines[1] ?? "";
        if (line !== lastPlain) {
          options.out(line);
          lastPlain = line;
        }
      }
    };
    interval = setInterval(draw, options.isTty ? 250 : 500);

    const deadline = new Promise<"timeout">((r) => {
      deadlineTimer = setTimeout(() => r("timeout"), options.timeoutMs);
    });
    const aborted = new Promise<"aborted">((r) =>
      options.signal.addEventListener("abort", () => r("aborted"), { once: true })
    );
    const exits = Promise.all(children.map(async (c) => {
      c.status = (await c.proc.status).code;
      await c.log;
    }));
    const outcome = await Promise.race([exits.then(() => "exited" as const), deadline, aborted]);
    clearInterval(interval);
    interval = undefined;
    draw();
    if (outcome !== "exited") {
      failure = outcome === "timeout"
        ? `The swarm did not finish within ${
          options.timeoutMs / 1000
        } s; see ${out}/nodes/*/node.log.`
        : "Interrupted.";
      await stopAll();
    } else {
      const bad = children.filter((c) => c.status !== 0);
      if (bad.length) {
        const tail = await Deno.readTextFile(`${out}/nodes/${bad[0]!.id}/stderr.log`).catch(() =>
          ""
        );
        failure = `${bad.map((c) => `${c.id} exited ${c.status}`).join(", ")}; ` +
          `${bad[0]!.id} said: ${tail.trim().split("\n").at(-1) ?? "(nothing)"}`;
      }
    }

    // Aggregate as a workflow's last job would, with the bot's token, once
    // the configured list lag is over (a list may miss the last comments
    // until then, and the saved log must be the whole log).
    const lag = Math.max(options.lagMs ?? 0, faults.listLag?.maxMs ?? 0);
    if (lag > 0) await new Promise((r) => setTimeout(r, lag));
    const counts = emu.control.counts();
    const github = createGitHub({
      token: BOT_TOKEN,
      baseUrl: emu.url,
      owner: OWNER,
      repo: REPO,
      writeIntervalMs: 50,
      contentIntervalMs: 150,
    });
    const agg = await aggregate({ github, clock: systemClock, random: systemRandom }, {
      issue,
      repo: `${OWNER}/${REPO}`,
      tokenKind: "actions",
      post: true,
      apiByIdentity: Object.fromEntries(
        Object.entries(counts).map(([login, c]) => [login, {
          requests: c.requests,
          writes: c.writes,
          notModified: c.notModified,
          rateLimited: c.rateLimited,
        }]),
      ),
    });
    const files = [
      `${out}/index.html`,
      `${out}/metrics.json`,
      `${out}/summary.md`,
      `${out}/api-counts.json`,
      `${out}/comments.json`,
      `${out}/nodes/`,
      `${out}/origin.git`,
    ];
    await Deno.writeTextFile(`${out}/metrics.json`, agg.metricsJson);
    await Deno.writeTextFile(`${out}/summary.md`, agg.summary);
    await Deno.writeTextFile(`${out}/api-counts.json`, JSON.stringify(counts, null, 2) + "\n");
    const rest = await restComments(emu.url, issue);
    await Deno.writeTextFile(`${out}/comments.json`, JSON.stringify(rest, null, 2) + "\n");
    // The dashboard, with the data inside so it opens from file:// too.
    await writeDashboard(out, { metrics: agg.metrics, comments: rest as SnapshotComment[] });
    const branches = (await git(["branch", "--list", "p2p/*", "--format=%(refname:short)"], {
      ...options.env,
      ...gitEnv,
    }, origin)).split("\n").filter(Boolean);

    const m = agg.metrics;
    const bot = counts[BOT];
    const result: DemoResult = {
      ok: failure === undefined && m.totals.done === m.totals.tasks &&
        m.totals.duplicateResults === 0,
      leader: m.leader?.node ?? null,
      tasks: m.totals.tasks,
      done: m.totals.done,
      failed: m.totals.failed,
      attempts: m.totals.attempts,
      duplicateResults: m.totals.duplicateResults,
      requests: bot?.requests ?? 0,
      writes: bot?.writes ?? 0,
      elapsedMs: Date.now() - started,
      files,
      branches,
    };
    if (failure) options.out(`Demo failed: ${failure}`);
    if (options.keep) {
      options.out(`Emulator still running at ${emu.url} (Ctrl-C to stop). Try:`);
      options.out(
        // The swarm's own token: its messages are trusted as the nodes trust them.
        `  GITHUB_API_URL=${emu.url} GITHUB_TOKEN=${BOT_TOKEN} GITHUB_REPOSITORY=${OWNER}/${REPO} p2p-dev state --issue ${issue}`,
      );
      await new Promise<void>((r) => {
        if (options.signal.aborted) r();
        options.signal.addEventListener("abort", () => r(), { once: true });
      });
    }
    return result;
  } catch (error) {
    await stopAll();
    throw error;
  } finally {
    if (interval !== undefined) clearInterval(interval);
    if (deadlineTimer !== undefined) clearTimeout(deadlineTimer);
    await Promise.all(children.map((c) => c.log.catch(() => {})));
    await emu.close();
  }
}

/** Folds the emulator's true comments with the bot as the trusted identity. */
function foldEmulator(
  records: { id: number; author: string; body: string; createdAt: number; updatedAt: number }[],
): SwarmState {
  const comments: LogComment[] = records.map((c) => ({
    id: c.id,
    body: c.body,
    author: c.author,
    authorType: c.author.endsWith("[bot]") ? "Bot" : "User",
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
  }));
  return fold(comments, {
    repo: `${OWNER}/${REPO}`,
    issue: 1,
    self: BOT,
    allow: new Set(),
    writers: new Set(),
  });
}

/** The live view's lines: nodes and roles, tasks, a progress bar, elapsed time. */
function liveView(
  state: SwarmState,
  now: number,
  elapsedMs: number,
  nodes: number,
  children: { id: string; status?: number }[],
  live: ReadonlyMap<string, number>,
): string[] {
  const counts = state.plan ? phaseCounts(state, now) : undefined;
  const total = state.order.length;
  const leader = currentLeader(state);
  const lines = [
    `p2p-dev demo · ${nodes} nodes · ${(elapsedMs / 1000).toFixed(1)} s`,
    counts
      ? `${
        bar(total ? counts.done / total : 0, 32)
      } ${counts.done}/${total} done · ${counts.running} running · ` +
        `${counts.ready} ready · ${counts.blocked} blocked · ${counts.failed} failed`
      : leader
      ? `leader ${leader.node} elected (term ${leader.term}); planning…`
      : "electing a leader…",
    "",
  ];
  const nodeRows = [["NODE", "ROLE", "WORKING ON", "DONE", "STATE"]];
  for (const c of children) {
    const info = state.nodes[c.id];
    const working = state.order.filter((id) => {
      const t = state.tasks[id]!;
      return taskPhase(state, t, now) === "running" && t.attempts.at(-1)?.node === c.id;
    });
    const done = state.order.filter((id) => state.tasks[id]!.done?.node === c.id).length;
    nodeRows.push([
      c.id,
      leader?.node === c.id ? "leader+worker" : info ? "worker" : "(not seen yet)",
      working.join(",") || "-",
      String(done),
      c.status === undefined ? "running" : `exited ${c.status}`,
    ]);
  }
  lines.push(...table(nodeRows), "");
  if (state.plan) {
    const rows = [["TASK", "PRIORITY", "STATE", "BY", "PROGRESS", "TITLE"]];
    for (const id of state.order) {
      const t = state.tasks[id]!;
      const phase = taskPhase(state, t, now);
      const pct = phase === "done"
        ? 100
        : phase === "running"
        ? Math.max(t.percent, live.get(id) ?? 0)
        : 0;
      rows.push([
        id,
        t.def.priority,
        phase,
        t.done?.node ?? (phase === "running" ? t.attempts.at(-1)?.node ?? "" : ""),
        `${bar(pct / 100, 10)} ${String(Math.round(pct)).padStart(3)}%`,
        t.def.title.length > 48 ? t.def.title.slice(0, 47) + "…" : t.def.title,
      ]);
    }
    lines.push(...table(rows));
  }
  return lines;
}

async function git(args: string[], env: Record<string, string>, cwd?: string): Promise<string> {
  const out = await new Deno.Command("git", {
    args,
    env,
    clearEnv: true,
    ...(cwd ? { cwd } : {}),
    stdin: "null",
  }).output();
  if (!out.success) {
    throw new Error(`git ${args[0]} failed: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
  return new TextDecoder().decode(out.stdout);
}

/** A bare repository with one commit on `main`, standing in for the GitHub remote. */
async function makeOrigin(out: string, env: Record<string, string>): Promise<string> {
  const origin = await Deno.realPath(out) + "/origin.git";
  const seed = `${out}/seed`;
  await git(["init", "-q", "--bare", "-b", "main", origin], env);
  await git(["init", "-q", "-b", "main", seed], env);
  await Deno.writeTextFile(
    `${seed}/README.md`,
    "# notes-app\n\nA small notes service. The p2p-dev demo swarm adds search to it.\n",
  );
  await git(["add", "README.md"], env, seed);
  await git(["commit", "-q", "-m", "Initial commit"], env, seed);
  await git(["push", "-q", origin, "main"], env, seed);
  await Deno.remove(seed, { recursive: true });
  return origin;
}

/** The issue's comments as the REST API returns them (for `state --comments`). */
async function restComments(url: string, issue: number): Promise<unknown[]> {
  const all: unknown[] = [];
  for (let page = 1;; page++) {
    let data: unknown;
    // The demo's faults (--faults, e.g. a 5xx rate) apply to this read too: retry it.
    for (let attempt = 1;; attempt++) {
      const res = await fetch(
        `${url}/repos/${OWNER}/${REPO}/issues/${issue}/comments?per_page=100&page=${page}`,
        { headers: { authorization: `token ${OWNER_TOKEN}` } },
      );
      data = await res.json().catch(() => undefined);
      if (res.ok && Array.isArray(data)) break;
      if (attempt >= 10) throw new Error(`Cannot read the comments: HTTP ${res.status}.`);
      await new Promise((r) => setTimeout(r, 50 * attempt));
    }
    const items = data as unknown[];
    all.push(...items);
    if (items.length < 100) return all;
  }
}

/** Records a node's progress from one of its JSON output lines. */
function noteProgress(live: Map<string, number>, line: string): void {
  if (!line.startsWith("{")) return;
  try {
    const e = JSON.parse(line) as { type?: string; task?: string; percent?: number };
    if (e.type === "exec_start" && e.task) live.set(e.task, 0);
    else if (e.type === "progress" && e.task && typeof e.percent === "number") {
      live.set(e.task, e.percent);
    }
  } catch {
    // Not a JSON event line.
  }
}

/** A writable that forwards bytes to `sink` and hands each complete line to `onLine`. */
function watchLines(
  sink: WritableStream<Uint8Array>,
  onLine: (line: string) => void,
): WritableStream<Uint8Array> {
  const writer = sink.getWriter();
  const decoder = new TextDecoder();
  let pending = "";
  return new WritableStream({
    async write(chunk) {
      pending += decoder.decode(chunk, { stream: true });
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) onLine(line);
      await writer.write(chunk);
    },
    async close() {
      if (pending) onLine(pending);
      await writer.close();
    },
    async abort(reason) {
      await writer.abort(reason);
    },
  });
}
