/**
 * Flags and set-up shared by the node commands (`run`, `elect`, `plan`,
 * `work`): timing, executor, planner, delivery, output.
 *
 * @module
 */
import { type Command, Option } from "@commander-js/extra-typings";
import { claudeExecutor } from "../executor/claude.ts";
import { commandExecutor } from "../executor/command.ts";
import { deliveringExecutor, DELIVERY_MODES, type DeliveryMode } from "../executor/delivery.ts";
import { demoExecutor } from "../executor/demo.ts";
import type { Executor } from "../executor/port.ts";
import type { Planner } from "../planner/planner.ts";
import {
  choosePlanner,
  findExecutable,
  PLANNER_KINDS,
  type PlannerKind,
} from "../planner/select.ts";
import { defaultConfig, type NodeConfig, validateTiming } from "../node/config.ts";
import type { NodeDeps } from "../node/node.ts";
import { systemClock, systemRandom } from "../node/ports.ts";
import type { CliContext } from "./context.ts";
import { connect, type Connection, defaultNodeId, withGitHubFlags } from "./connect.ts";
import { positiveInt } from "./env.ts";
import { type NodeOutput, nodeOutput } from "./node_output.ts";
import { UsageError } from "./usage_error.ts";

/**
 * Adds the node flags (and the GitHub flags) to a command.
 *
 * @example
 * ```ts
 * const cmd = withNodeFlags(new Command("run"));
 * ```
 */
export function withNodeFlags(cmd: Command): Command {
  return withGitHubFlags(cmd)
    .requiredOption("--issue <n>", "the issue the swarm works on")
    .option(
      "--node-id <id>",
      "this node's id (default: run-<run id>-job-<n> in Actions, <host>-<pid> elsewhere)",
    )
    .option("--exec <cmd>", "run each task with this shell command (task JSON on stdin, P2P_* env)")
    .addOption(
      new Option("--executor <kind>", "executor (default: command with --exec, else claude)")
        .choices([
          "claude",
          "command",
          "demo",
        ]),
    )
    .addOption(
      new Option("--planner <kind>", "planner").choices(PLANNER_KINDS).default("auto" as const),
    )
    .option(
      "--planner-cmd <cmd>",
      "external planner: issue JSON on stdin, task graph JSON on stdout",
    )
    .addOption(
      new Option("--deliver <mode>", "result delivery").choices(DELIVERY_MODES).default(
        "none" as const,
      ),
    )
    .option("--repo-dir <dir>", "local clone for --deliver branch|pr (default: current directory)")
    .option(
      "--work-dir <dir>",
      "where task working directories go (default: a temporary directory)",
    )
    .option("--claude-path <path>", "the claude executable", "claude")
    .option("--model <name>", "Claude model for planner and executor")
    .option("--max-turns <n>", "Claude Code: maximum turns per task")
    .option("--task-timeout <ms>", "stop a task (its whole process group) after this long")
    .option("--strict", "also take an atomic git-ref lock for claims and elections")
    .option("--retry-failed", "retry tasks that failed for good in the plan in force")
    .option("--max-tasks <n>", "stop after completing this many tasks")
    .option("--max-runtime <ms>", "stop (releasing claims) after this long")
    .option(
      "--settle-ms <ms>",
      "wait before confirming a claim or election by re-reading",
      String(DEFAULTS.settleMs),
    )
    .option(
      "--lease-ms <ms>",
      "a claim lapses after this long without a word from its owner",
      String(DEFAULTS.leaseMs),
    )
    .option("--renew-ms <ms>", "how often an owner renews its lease", String(DEFAULTS.renewMs))
    .option("--poll-ms <ms>", "shortest poll interval", String(DEFAULTS.pollMinMs))
    .option("--poll-max-ms <ms>", "longest poll interval", String(DEFAULTS.pollMaxMs))
    .option(
      "--election-timeout-ms <ms>",
      "replace a leader silent this long before planning",
      String(DEFAULTS.electionTimeoutMs),
    )
    .option(
      "--max-attempts <n>",
      "failed attempts before a task is failed for good",
      String(DEFAULTS.maxAttempts),
    )
    .option("--backoff-ms <ms>", "wait after a failed attempt", String(DEFAULTS.backoffMs))
    .option("--json", "print JSON lines instead of readable lines") as unknown as Command;
}

/** The defaults the flags show (one source: `defaultConfig`). */
const DEFAULTS = defaultConfig(1, "defaults");

/** Options as commander parsed them (validated by `setupNode`). */
export type NodeFlags = Record<string, unknown>;

const str = (v: unknown) => (typeof v === "string" ? v : undefined);

function ms(flag: string, v: unknown): number {
  return positiveInt(flag, String(v));
}

/** Everything a node command needs, resolved. */
export interface NodeSetup {
  conn: Connection;
  config: NodeConfig;
  deps: NodeDeps;
  output: NodeOutput;
}

/**
 * Validates the flags and builds the node's ports and configuration.
 *
 * @example
 * ```ts
 * const { deps, config } = await setupNode(opts, ctx, "all");
 * ```
 */
export async function setupNode(
  opts: NodeFlags,
  ctx: CliContext,
  role: NodeConfig["role"],
): Promise<NodeSetup> {
  const issue = positiveInt("--issue", String(opts.issue));
  const conn = connect(opts, ctx);
  const node = str(opts.nodeId) ?? defaultNodeId(ctx.env, Deno.hostname(), Deno.pid);
  if (!/^[A-Za-z0-9_.-]{1,100}$/.test(node)) {
    throw new UsageError(`Invalid --node-id "${node}": use letters, digits, ".", "_" and "-".`);
  }
  const config = defaultConfig(issue, node, {
    tokenKind: conn.tokenKind,
    settleMs: ms("--settle-ms", opts.settleMs),
    leaseMs: ms("--lease-ms", opts.leaseMs),
    renewMs: ms("--renew-ms", opts.renewMs),
    pollMinMs: ms("--poll-ms", opts.pollMs),
    pollMaxMs: ms("--poll-max-ms", opts.pollMaxMs),
    electionTimeoutMs: ms("--election-timeout-ms", opts.electionTimeoutMs),
    maxAttempts: ms("--max-attempts", opts.maxAttempts),
    backoffMs: Number(opts.backoffMs),
    strict: opts.strict === true,
    retryFailed: opts.retryFailed === true,
    role,
    ...(opts.maxTasks !== undefined
      ? { maxTasks: positiveInt("--max-tasks", String(opts.maxTasks)) }
      : {}),
    ...(opts.maxRuntime !== undefined
      ? { maxRuntimeMs: ms("--max-runtime", opts.maxRuntime) }
      : {}),
  });
  if (!(config.backoffMs >= 0)) {
    throw new UsageError(`Invalid --backoff-ms "${String(opts.backoffMs)}": use 0 or more.`);
  }
  try {
    validateTiming(config);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const secrets = [conn.token, ...(conn.secret ? [conn.secret] : [])];
  const executor = role === "all" || role === "work"
    ? await buildExecutor(opts, ctx, conn, issue, secrets)
    : idleExecutor;
  const planner = lazyPlanner(opts, ctx);
  const output = nodeOutput(ctx, {
    json: opts.json === true,
    node,
    secrets,
    tokenKind: conn.tokenKind,
  });
  const deps: NodeDeps = {
    github: conn.github,
    clock: systemClock,
    random: systemRandom,
    executor,
    planner,
    signal: ctx.signal,
    log: output.log,
    ...(output.onState ? { onState: output.onState } : {}),
    allow: conn.allow,
    secret: conn.secret,
  };
  return { conn, config, deps, output };
}

const idleExecutor: Executor = {
  name: "none",
  run: () =>
    Promise.resolve({ ok: false, result: { summary: "This node does not execute tasks." } }),
};

async function buildExecutor(
  opts: NodeFlags,
  ctx: CliContext,
  conn: Connection,
  issue: number,
  secrets: string[],
): Promise<Executor> {
  const workRoot = str(opts.workDir) ?? await Deno.makeTempDir({ prefix: `p2p-dev-${issue}-` });
  const timeout = opts.taskTimeout !== undefined
    ? ms("--task-timeout", opts.taskTimeout)
    : undefined;
  const exec = str(opts.exec);
  let kind = str(opts.executor) ?? (exec ? "command" : undefined);
  const claudePath = str(opts.claudePath) ?? "claude";
  if (!kind) {
    if (!(await findExecutable(claudePath, ctx.env.PATH ?? ""))) {
      throw new UsageError(
        "No executor: install Claude Code so that `claude` is on PATH, or pass --exec CMD.",
      );
    }
    kind = "claude";
  }
  let inner: Executor;
  switch (kind) {
    case "command":
      if (!exec) throw new UsageError("--executor command needs --exec CMD.");
      inner = commandExecutor({
        command: exec,
        workRoot,
        secrets,
        ...(timeout ? { timeoutMs: timeout } : {}),
      });
      break;
    case "demo":
      inner = demoExecutor({ workRoot, delayMs: 300 });
      break;
    default:
      inner = claudeExecutor({
        workRoot,
        claudePath,
        secrets,
        ...(str(opts.model) ? { model: str(opts.model)! } : {}),
        ...(opts.maxTurns !== undefined
          ? { maxTurns: positiveInt("--max-turns", String(opts.maxTurns)) }
          : {}),
        ...(timeout ? { timeoutMs: timeout } : {}),
      });
  }
  const mode = (str(opts.deliver) ?? "none") as DeliveryMode;
  if (mode === "none") return inner;
  return deliveringExecutor(inner, {
    mode,
    repoDir: str(opts.repoDir) ?? Deno.cwd(),
    github: conn.github,
    secrets,
  });
}

/** A planner that picks the real one when the leader first needs it (auto looks at the issue). */
function lazyPlanner(opts: NodeFlags, ctx: CliContext): Planner {
  let name = "auto";
  return {
    get name() {
      return name;
    },
    async plan(issue, signal) {
      const choice = await choosePlanner({
        planner: (str(opts.planner) ?? "auto") as PlannerKind,
        issue,
        claudePath: str(opts.claudePath) ?? "claude",
        ...(str(opts.plannerCmd) ? { plannerCmd: str(opts.plannerCmd)! } : {}),
        ...(str(opts.model) ? { model: str(opts.model)! } : {}),
        ...(ctx.env.PATH ? { path: ctx.env.PATH } : {}),
      });
      name = choice.name;
      return await choice.planner.plan(issue, signal);
    },
  };
}
