/**
 * `p2p-dev watch --repo OWNER/REPO --label p2p-dev`: for cron jobs, systemd
 * timers and long-running services. It lists the repository's open issues
 * with the label, joins the first whose swarm needs workers as a full node
 * (`run`), and when that node stops looks again. A lock file stops two
 * watches from overlapping. `--once` makes one pass (join what needs workers
 * now, then exit); without it the watch keeps looking every `--interval`
 * until `--max-duration`.
 *
 * A scan costs one request for the issue list plus one conditional request
 * per labelled issue (free when its comments did not change).
 *
 * @module
 */
import type { Command } from "@commander-js/extra-typings";
import { join } from "node:path";
import type { LogView } from "../node/log_view.ts";
import { systemClock } from "../node/ports.ts";
import type { SwarmState } from "../protocol/state.ts";
import { activeNodes, isFinished, phaseCounts } from "../protocol/view.ts";
import { failureReport, plural } from "./advice.ts";
import { connect, readerView } from "./connect.ts";
import type { CliContext } from "./context.ts";
import { defineCommand } from "./define.ts";
import { acquireLock } from "./lock_file.ts";
import { ISSUE_OPTION } from "./option_groups.ts";
import type { OptionSpec } from "./options.ts";
import { NODE_ENV_HELP, RUN_OPTIONS, setupNode } from "./node_setup.ts";
import { exitCodeOf, runNodeCommand } from "./run.ts";
import { shellQuote } from "./shell.ts";

/** Options of `watch`: its own, then everything a node it starts takes. */
export const WATCH_OPTIONS: readonly OptionSpec[] = [
  {
    name: "label",
    flags: "--label <name>",
    kind: "text",
    group: "Watch",
    description: "join open issues with this label",
    default: "p2p-dev",
  },
  {
    name: "once",
    flags: "--once",
    kind: "flag",
    group: "Watch",
    description: "one pass: join every issue that needs workers now, then exit",
  },
  {
    name: "maxDuration",
    flags: "--max-duration <ms>",
    kind: "duration",
    group: "Watch",
    description: "exit after this long (a node at work releases its claims first)",
  },
  {
    name: "interval",
    flags: "--interval <ms>",
    kind: "duration",
    group: "Watch",
    description: "without --once: wait this long between scans that find nothing",
    default: 60_000,
  },
  {
    name: "lock",
    flags: "--lock <file>",
    kind: "text",
    group: "Watch",
    description: "lock file that stops overlapping watches",
    defaultText: "p2p-dev-watch-<owner>-<repo>-<label>.lock in the temporary folder",
  },
  // Everything a node it starts takes, but the issue: watch finds those.
  ...RUN_OPTIONS.filter((o) => o !== ISSUE_OPTION),
];

/**
 * Why a swarm needs workers at `now`, or undefined when joining would not
 * help: it ended or finished, every open task is already claimed with
 * nothing behind it, or it already has `maxNodes` active nodes.
 *
 * @example
 * ```ts
 * needsWorkers(view.state, view.serverNow()); // "no plan yet"
 * ```
 */
export function needsWorkers(
  state: SwarmState,
  now: number,
  maxNodes?: number,
): string | undefined {
  if (state.ended) return undefined;
  const active = activeNodes(state, now, state.settings.leaseMs).length;
  if (maxNodes !== undefined && active >= maxNodes) return undefined;
  if (!state.plan) return "no plan yet";
  if (isFinished(state, now)) return undefined;
  const c = phaseCounts(state, now);
  const open = c.ready + c.waiting + c.blocked;
  if (open === 0) return undefined;
  return `${plural(open, "open task")}, ${plural(active, "active node")}`;
}

/**
 * Builds the `watch` subcommand.
 *
 * @example
 * ```ts
 * program.addCommand(watchCommand(ctx));
 * ```
 */
export function watchCommand(ctx: CliContext): Command {
  return defineCommand(ctx, {
    name: "watch",
    description:
      "Join swarms that need workers on a repository's labelled issues (for cron, systemd timers and services).",
    options: WATCH_OPTIONS,
    helpAfter: `
Exit code: 0 done (nothing left that needs workers, --max-duration reached, or
another watch holds the lock), 1 a swarm it worked on ended with tasks failed for
good, 2 a usage error, 130 interrupted. The configuration file's instances.max
keeps it out of swarms that already have that many active nodes.` + NODE_ENV_HELP,
    action: async (values, info) => {
      const conn = connect(values, ctx);
      if (!conn.github.listOpenIssues) throw new Error("This client cannot list issues.");
      const label = values.label as string;
      const lockPath = typeof values.lock === "string" ? values.lock : join(
        ctx.env.TMPDIR || "/tmp",
        `p2p-dev-watch-${conn.owner}-${conn.repo}-${label}.lock`.replace(/[^A-Za-z0-9_.-]/g, "-"),
      );
      const lock = await acquireLock(lockPath);
      if ("heldBy" in lock) {
        ctx.err(
          `Another p2p-dev watch holds ${lockPath} (pid ${lock.heldBy.pid} on ${lock.heldBy.host} ` +
            `since ${lock.heldBy.since}); nothing to do.`,
        );
        return;
      }
      try {
        ctx.setExitCode(await watchLoop(values, info.config.values, ctx, conn, label));
      } finally {
        await lock.release();
      }
    },
  });
}

async function watchLoop(
  values: Record<string, unknown>,
  file: Record<string, unknown>,
  ctx: CliContext,
  conn: ReturnType<typeof connect>,
  label: string,
): Promise<number> {
  const clock = systemClock;
  const started = clock.now();
  const maxDuration = values.maxDuration as number | undefined;
  const deadline = maxDuration !== undefined ? started + maxDuration : Infinity;
  const maxNodes = file["instances.max"] as number | undefined;
  const once = values.once === true;
  const identity = await conn.github.identity();
  const views = new Map<number, LogView>();
  const joined = new Set<number>();
  let code = 0;
  ctx.out(
    `watching ${conn.fullName} for open issues labelled ${shellQuote(label)}` +
      (once ? " (one pass)" : "") +
      (maxDuration !== undefined ? ` for at most ${Math.round(maxDuration / 1000)} s` : ""),
  );
  while (true) {
    if (ctx.signal.aborted) return 130;
    if (clock.now() >= deadline) {
      ctx.out("reached --max-duration; exiting");
      return code;
    }
    const issues = await conn.github.listOpenIssues!(label);
    let pick: { number: number; why: string } | undefined;
    for (const issue of issues) {
      if (once && joined.has(issue.number)) continue;
      let view = views.get(issue.number);
      if (!view) {
        view = readerView(conn, identity?.login, issue.number);
        views.set(issue.number, view);
      }
      await view.refresh();
      const why = needsWorkers(view.state, view.serverNow(), maxNodes);
      if (why) {
        pick = { number: issue.number, why };
        break;
      }
    }
    if (!pick) {
      if (once) {
        ctx.out(`no labelled issue needs workers; done`);
        return code;
      }
      const wait = Math.min(values.interval as number, deadline - clock.now());
      try {
        await clock.sleep(Math.max(0, wait), ctx.signal);
      } catch {
        return 130;
      }
      continue;
    }
    ctx.out(`joining #${pick.number} (${pick.why})`);
    joined.add(pick.number);
    const setup = await setupNode(values, ctx, "all", { issue: pick.number, conn });
    if (deadline !== Infinity) {
      const left = Math.max(1, deadline - clock.now());
      setup.config.maxRuntimeMs = Math.min(setup.config.maxRuntimeMs ?? Infinity, left);
    }
    const report = await runNodeCommand(values, ctx, "all", setup);
    ctx.out(`left #${pick.number}: ${report.reason.replace(/_/g, " ")}`);
    if (report.reason === "interrupted") return 130;
    if (exitCodeOf(report) === 1) {
      code = 1;
      for (const line of failureReport(report.state, report.serverTime, pick.number)) {
        ctx.err(line);
      }
    }
    if (report.reason === "max_tasks") return code; // --max-tasks bounds the whole watch
  }
}
