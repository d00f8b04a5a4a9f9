/**
 * The original design's algorithm (reference/original-p2p-architecture.md)
 * as a simulation strategy, so both run on the same seeds:
 *
 * - election: post `🎯 LEADER_ELECTION|{node}|{timestamp}`, wait 2 s, list
 *   the comments once, and the earliest election comment by `created_at`
 *   wins (ties, common at one-second resolution, go to the first listed);
 * - the winner plans and posts `📦 TASKS_DATA|{json}`;
 * - workers poll every comment (no `since`, no conditional requests), pick a
 *   task nobody claimed, post `🎯 CLAIM|{task}|{node}|{timestamp}`, wait 2 s,
 *   re-read once, and work if their claim is the earliest by `created_at`;
 * - while working, a `💓 HEARTBEAT` comment per heartbeat and a `📊 PROGRESS`
 *   comment per progress step, then `completed` or `failed`;
 * - no trust check, no nonce recovery, no leases (a dead claimant's task is
 *   never taken over), no retries of failed tasks.
 *
 * Dependencies are honoured (generously: the original document lists them
 * but does not say workers wait for them).
 *
 * @module
 */
import type { LogComment, PlanTask } from "../../src/protocol/types.ts";
import type { ProcessEnv, Strategy, SwarmRun, TaskOutcome } from "./harness.ts";

/**
 * Poll period of the original workers, ms.
 *
 * @example
 * ```ts
 * BASELINE_POLL_MS; // 10000
 * ```
 */
export const BASELINE_POLL_MS = 10_000;
/**
 * Heartbeat period while working, ms.
 *
 * @example
 * ```ts
 * BASELINE_HEARTBEAT_MS; // 60000
 * ```
 */
export const BASELINE_HEARTBEAT_MS = 60_000;
/**
 * A worker gives up after this long without anything to claim and no change, ms.
 *
 * @example
 * ```ts
 * BASELINE_IDLE_EXIT_MS; // 3600000
 * ```
 */
export const BASELINE_IDLE_EXIT_MS = 60 * 60_000;

function stamp(env: ProcessEnv): string {
  // time.time(): seconds with microseconds; the tail keeps it unique per process.
  return `${(env.clock.now() / 1000).toFixed(3)}${
    String(Math.floor(env.random.next() * 1000)).padStart(3, "0")
  }`;
}

/** The earliest comment by created_at; ties go to the first in list order (Python's `min`). */
function earliest(comments: LogComment[]): LogComment | undefined {
  let best: LogComment | undefined;
  for (const c of comments) if (!best || c.createdAt < best.createdAt) best = c;
  return best;
}

interface TaskView {
  tasks: PlanTask[];
  claimed: Set<string>;
  completed: Set<string>;
  failed: Set<string>;
  /** When each task's first completion or failure was posted. */
  endedAt: Map<string, number>;
}

/** What a worker makes of the comments: the newest TASKS_DATA, claims and progress, trusting anyone. */
function readView(comments: LogComment[]): TaskView {
  const view: TaskView = {
    tasks: [],
    claimed: new Set(),
    completed: new Set(),
    failed: new Set(),
    endedAt: new Map(),
  };
  for (const c of comments) {
    const body = c.body.trim();
    if (body.startsWith("📦 TASKS_DATA|")) {
      try {
        const data = JSON.parse(body.slice("📦 TASKS_DATA|".length));
        const list = Array.isArray(data) ? data : data.tasks;
        if (Array.isArray(list)) {
          view.tasks = list.filter((t) => typeof t?.id === "string").map((t) => ({
            id: t.id,
            title: String(t.title ?? t.id),
            priority: t.priority ?? "medium",
            deps: Array.isArray(t.dependencies) ? t.dependencies : [],
          }));
        }
      } catch {
        // A malformed announcement is skipped.
      }
    } else if (body.startsWith("🎯 CLAIM|")) {
      const task = body.split("|")[1];
      if (task) view.claimed.add(task);
    } else if (body.startsWith("📊 PROGRESS|")) {
      try {
        const data = JSON.parse(body.slice("📊 PROGRESS|".length));
        const id = String(data?.task_id);
        if (data?.status === "completed") view.completed.add(id);
        if (data?.status === "failed") view.failed.add(id);
        if ((data?.status === "completed" || data?.status === "failed") && !view.endedAt.has(id)) {
          view.endedAt.set(id, c.createdAt);
        }
      } catch {
        // skipped
      }
    }
  }
  return view;
}

async function post(env: ProcessEnv, body: string, nonce: string): Promise<LogComment | undefined> {
  try {
    return await env.github.createComment(env.scenario.issue, body, nonce);
  } catch {
    return undefined; // the original neither retried nor looked for its comment
  }
}

async function list(env: ProcessEnv): Promise<LogComment[] | undefined> {
  try {
    return (await env.github.listComments(env.scenario.issue)).comments;
  } catch {
    return undefined;
  }
}

async function runBaseline(env: ProcessEnv): Promise<string> {
  const { clock, signal } = env;
  const node = env.node;
  const sleep = (ms: number) => clock.sleep(ms, signal).then(() => true, () => false);

  // --- election -------------------------------------------------------------
  const ts = stamp(env);
  const marker = `🎯 LEADER_ELECTION|${node}|${ts}`;
  await post(env, marker, ts);
  if (!(await sleep(2_000))) return "interrupted";
  const first = await list(env);
  const winner = earliest((first ?? []).filter((c) => c.body.includes("LEADER_ELECTION")));
  if (winner && winner.body === marker) {
    env.log({ type: "elected", term: 1 });
    const tasks = await env.planner.plan(
      { number: env.scenario.issue, title: "", body: "" },
      signal,
    )
      .catch(() => undefined);
    if (tasks) {
      const pts = stamp(env);
      const json = JSON.stringify({
        leader: node,
        ts: pts,
        tasks: tasks.map((t) => ({
          id: t.id,
          title: t.title,
          priority: t.priority,
          dependencies: t.deps,
        })),
      });
      await post(env, `📦 TASKS_DATA|${json}`, pts);
      env.log({ type: "planned", tasks: tasks.length });
    }
  }

  // --- work -------------------------------------------------------------------
  let idleSince = clock.now();
  while (!signal.aborted) {
    if (!(await sleep(BASELINE_POLL_MS))) return "interrupted";
    const comments = await list(env);
    if (!comments) continue;
    const view = readView(comments);
    if (view.tasks.length === 0) {
      if (clock.now() - idleSince > BASELINE_IDLE_EXIT_MS) return "idle";
      continue;
    }
    const ended = (id: string) => view.completed.has(id) || view.failed.has(id);
    if (view.tasks.every((t) => ended(t.id))) return "finished";
    const order = ["critical", "high", "medium", "low"];
    const available = view.tasks
      .filter((t) => !view.claimed.has(t.id) && !ended(t.id))
      .filter((t) => t.deps.every((d) => view.completed.has(d)))
      .sort((a, b) => order.indexOf(a.priority) - order.indexOf(b.priority));
    const pick = available[0];
    if (!pick) {
      if (clock.now() - idleSince > BASELINE_IDLE_EXIT_MS) return "idle";
      continue;
    }
    const cts = stamp(env);
    const claim = `🎯 CLAIM|${pick.id}|${node}|${cts}`;
    const mine = await post(env, claim, cts);
    if (!(await sleep(2_000))) return "interrupted";
    const again = await list(env);
    const first = earliest((again ?? []).filter((c) => c.body.startsWith(`🎯 CLAIM|${pick.id}|`)));
    if (!mine || !first || first.body !== claim) continue;
    await execute(env, pick);
    idleSince = clock.now();
  }
  return "interrupted";
}

async function execute(env: ProcessEnv, task: PlanTask): Promise<void> {
  const node = env.node;
  const progress = (status: string, percent: number) => {
    const ts = stamp(env);
    return post(
      env,
      `📊 PROGRESS|${
        JSON.stringify({ node_id: node, task_id: task.id, status, progress: percent, ts })
      }`,
      ts,
    );
  };
  env.log({ type: "exec_start", task: task.id, attempt: 1 });
  const pending: Promise<unknown>[] = [];
  let running = true;
  const stop = new AbortController();
  const signal = AbortSignal.any([env.signal, stop.signal]);
  const heartbeat = (async () => {
    while (running) {
      const ok = await env.clock.sleep(BASELINE_HEARTBEAT_MS, signal).then(() => true, () => false);
      if (!ok || !running) return;
      const ts = stamp(env);
      await post(
        env,
        `💓 HEARTBEAT|${JSON.stringify({ node_id: node, task_id: task.id, ts })}`,
        ts,
      );
    }
  })();
  let ok = false;
  try {
    const outcome = await env.executor.run(task, {
      issue: env.scenario.issue,
      issueTitle: "",
      issueBody: "",
      node,
      attempt: 1,
      signal: env.signal,
      depBranches: [],
      onProgress: (p) => {
        if (p < 100) pending.push(progress("in_progress", p));
      },
    });
    ok = outcome.ok;
  } catch {
    ok = false;
  }
  running = false;
  stop.abort();
  await Promise.all(pending);
  await progress(ok ? "completed" : "failed", ok ? 100 : 0);
  env.log({ type: "exec_end", task: task.id, attempt: 1, ok });
  await heartbeat.catch(() => {});
}

/**
 * The original design as a {@linkcode Strategy}: raw HTTP (no adapter), no
 * conditional requests.
 *
 * @example
 * ```ts
 * const run = await runSwarm(scenario(1, CI_PROFILE), baseline);
 * ```
 */
export const baseline: Strategy = {
  name: "original",
  conditional: false,
  adapter: false,
  run: runBaseline,
  outcome: (run) => baselineOutcome(run),
  claimant: (run, task) => {
    // The original's rule, applied to the final log: the earliest claim by created_at.
    const claims = run.model.finalLog().filter((c) => c.body.startsWith(`🎯 CLAIM|${task}|`));
    const first = earliest(claims);
    return first ? run.model.comment(first.id)?.poster : undefined;
  },
};

/**
 * The end state of each planned task as the original design judges it from
 * the final log: `done` when any `completed` progress names it, `failed` on
 * a `failed` one, else `lost`.
 *
 * @example
 * ```ts
 * baselineOutcome(run)["T1"]; // "done"
 * ```
 */
export function baselineOutcome(run: SwarmRun): Record<string, TaskOutcome> {
  const view = readView(run.model.finalLog());
  const out: Record<string, TaskOutcome> = {};
  for (const t of run.scenario.tasks) {
    const status = view.completed.has(t.id) ? "done" : view.failed.has(t.id) ? "failed" : "lost";
    const at = view.endedAt.get(t.id);
    out[t.id] = at === undefined ? { status } : { status, at };
  }
  return out;
}
