/**
 * Set-up shared by the node commands (`run`, `elect`, `plan`, `work`, and
 * `watch` for each issue it joins): their option tables, the help text about
 * the environment and a task's input, and the node's ports and configuration.
 *
 * @module
 */
import { claudeExecutor } from "../executor/claude.ts";
import { commandExecutor, type CommandInput, taskEnv } from "../executor/command.ts";
import {
  clearRepoCredentials,
  deliveringExecutor,
  type DeliveryMode,
} from "../executor/delivery.ts";
import { type GitAuth, gitServerUrl } from "../executor/git_credentials.ts";
import { demoExecutor } from "../executor/demo.ts";
import { outboundExecutor } from "../executor/outbound.ts";
import type { Executor } from "../executor/port.ts";
import type { Planner } from "../planner/planner.ts";
import { choosePlanner, findExecutable, type PlannerKind } from "../planner/select.ts";
import { defaultConfig, type NodeConfig, validateTiming } from "../node/config.ts";
import { RENEW_AT_RISK_SHARE } from "../protocol/admission.ts";
import type { NodeDeps } from "../node/node.ts";
import { systemClock, systemRandom } from "../node/ports.ts";
import { childEnv, parsePassEnv, secretValues } from "../process/child_env.ts";
import { Containment, defaultStateDir } from "../process/containment.ts";
import type { CliContext } from "./context.ts";
import { connect, type Connection, defaultNodeId, randomSuffix } from "./connect.ts";
import { resolveApiUrl } from "./env.ts";
import { type NodeOutput, nodeOutput } from "./node_output.ts";
import {
  CHILD_OPTIONS,
  CLAUDE_OPTIONS,
  ELECTION_OPTIONS,
  GITHUB_OPTIONS,
  ISSUE_OPTION,
  JSON_OPTION,
  NODE_ID_OPTION,
  PLAN_SETTING_OPTIONS,
  PLANNER_OPTIONS,
  TIMING_OPTIONS,
  WORKER_OPTIONS,
} from "./option_groups.ts";
import type { OptionSpec, OptionValues } from "./options.ts";
import { UsageError } from "./usage_error.ts";
import {
  assertClaudeCanRun,
  CLAUDE_EXECUTOR_OPTIONS,
  type ClaudeSettings,
  MAX_COST_OPTION,
  PLANNER_TURNS_OPTION,
  resolveClaudeSettings,
} from "./claude_flags.ts";

/** Options of `elect`: taking part in the election. */
export const ELECT_OPTIONS: readonly OptionSpec[] = [
  ISSUE_OPTION,
  NODE_ID_OPTION,
  ...TIMING_OPTIONS,
  ...ELECTION_OPTIONS,
  ...GITHUB_OPTIONS,
  JSON_OPTION,
];

/** Options of `plan` (besides `--dry-run`): the election, the planner, the plan's settings. */
export const PLAN_OPTIONS: readonly OptionSpec[] = [
  ISSUE_OPTION,
  NODE_ID_OPTION,
  ...PLANNER_OPTIONS,
  PLANNER_TURNS_OPTION,
  ...CLAUDE_OPTIONS,
  ...CHILD_OPTIONS,
  ...PLAN_SETTING_OPTIONS,
  MAX_COST_OPTION,
  ...TIMING_OPTIONS,
  ...ELECTION_OPTIONS,
  ...GITHUB_OPTIONS,
  JSON_OPTION,
];

/** Options of `work`: claiming, running and delivering tasks. */
export const WORK_OPTIONS: readonly OptionSpec[] = [
  ISSUE_OPTION,
  NODE_ID_OPTION,
  ...WORKER_OPTIONS,
  ...CLAUDE_OPTIONS,
  ...CLAUDE_EXECUTOR_OPTIONS,
  MAX_COST_OPTION,
  ...CHILD_OPTIONS,
  ...TIMING_OPTIONS,
  ...GITHUB_OPTIONS,
  JSON_OPTION,
];

/** Options of `run`: every role. */
export const RUN_OPTIONS: readonly OptionSpec[] = [
  ISSUE_OPTION,
  NODE_ID_OPTION,
  ...WORKER_OPTIONS,
  ...PLANNER_OPTIONS,
  PLANNER_TURNS_OPTION,
  ...CLAUDE_OPTIONS,
  ...CLAUDE_EXECUTOR_OPTIONS,
  MAX_COST_OPTION,
  ...CHILD_OPTIONS,
  ...PLAN_SETTING_OPTIONS,
  ...TIMING_OPTIONS,
  ...ELECTION_OPTIONS,
  ...GITHUB_OPTIONS,
  JSON_OPTION,
];

/** The variables a node reads, for `--help` and the README. */
export const NODE_ENV_HELP = `
Environment:
  GITHUB_TOKEN, GH_TOKEN  the token when --token is not given (an empty value counts as unset)
  GITHUB_REPOSITORY       owner/name when --repo is not given
  GITHUB_API_URL          API base URL when --api-url is not given
  P2P_ALLOW               more trusted logins, separated by commas or spaces (added to --allow)
  P2P_SECRET              shared secret: every message is signed (HMAC-SHA256), unsigned ones are ignored
  P2P_PASS_ENV            more variables tasks, agents and planner commands get (added to --pass-env)
  P2P_STATE_DIR           the state folder when --state-dir is not given
  P2P_JOB_INDEX           in GitHub Actions: the matrix index, for a readable node id and the seat
  P2P_SWARM_SIZE          the swarm's size (strategy.job-total) when --swarm-size is not given
  P2P_DEBUG               print the stack of an unexpected error
  P2P_CLAUDE_PERMISSION_MODE, P2P_CLAUDE_ALLOWED_TOOLS, P2P_CLAUDE_DISALLOWED_TOOLS,
  P2P_CLAUDE_APPEND_SYSTEM_PROMPT, P2P_CLAUDE_ARGS, P2P_ACCEPT_DENIALS, P2P_MAX_BUDGET_USD,
  P2P_MAX_COST_USD, P2P_PLANNER_MAX_TURNS
                          the Claude Code options, when neither flag nor configuration file sets them`;

/** Steering and limits, for the help of the commands that run nodes. */
export const STEERING_HELP = `
Steering: people with write access comment on the issue (first line) and every node
acts within one poll; others' commands are ignored and counted:
  /p2p-dev stop        end the swarm (running tasks are released)
  /p2p-dev cancel T3   stop T3 for good (until /p2p-dev retry T3)
  /p2p-dev retry T3    reopen T3 after it failed for good or was cancelled
  /p2p-dev status      answered by one comment, edited in place on the next request
Limits: --task-timeout (60 min by default) stops a task, --max-runtime stops the node
even during a task (the task is released). A failure of this node's own (work folder,
git worktree, executor missing) releases the task without using an attempt; after 3 in
a row the node stops claiming. A failed plan is posted on the issue and not planned
again until the issue changes (or --retry-failed).`;

/**
 * What a task's command receives, for `--help` and the README: the stdin
 * JSON (its shape from `CommandInput`) and the `P2P_*` variables (their
 * names from `taskEnv`, so help and executor never disagree).
 *
 * @example
 * ```ts
 * ctx.out(taskInputHelp());
 * ```
 */
export function taskInputHelp(): string {
  const task = { id: "T1", title: "Add search", priority: "high" as const, deps: [] };
  const input: CommandInput = {
    task: { ...task, body: "What the agent is asked to do" },
    context: {
      issue: 42,
      issueTitle: "The issue's title",
      issueBody: "The issue's text",
      attempt: 1,
      node: "run-1-job-1",
      depBranches: [],
      workDir: "/tmp/p2p-dev-42-x/T1-1",
    },
  };
  const vars = Object.keys(taskEnv(task, {
    ...input.context,
    signal: AbortSignal.abort(),
    onProgress: () => {},
  }, input.context.workDir));
  return `
A task's command (--exec) runs with sh -c in its own folder and gets:
  on stdin, JSON: ${JSON.stringify(input)}
  variables: ${vars.join(", ")}
  and only allowlisted variables of the node's (PATH, HOME, locale, proxy and CA settings, ...):
  never GITHUB_TOKEN, GH_TOKEN or P2P_SECRET unless named with --pass-env (docs/SECURITY.md)
It reports progress by printing "P2P_PROGRESS <percent> [note]"; exit code 0 means the task is done.`;
}

/** Everything a node command needs, resolved. */
export interface NodeSetup {
  conn: Connection;
  config: NodeConfig;
  deps: NodeDeps;
  output: NodeOutput;
  /** Removes what the node made for itself (the temporary work folder). Safe to call twice. */
  cleanup(): Promise<void>;
}

const str = (v: unknown) => (typeof v === "string" ? v : undefined);
const num = (v: unknown) => (typeof v === "number" ? v : undefined);

/**
 * Checks the values and builds the node's ports and configuration. On an
 * error nothing is left behind.
 *
 * @example
 * ```ts
 * const setup = await setupNode(values, ctx, "all");
 * try { await runNode(setup.deps, setup.config); } finally { await setup.cleanup(); }
 * ```
 */
export async function setupNode(
  values: OptionValues,
  ctx: CliContext,
  role: NodeConfig["role"],
  overrides: { issue?: number; conn?: Connection } = {},
): Promise<NodeSetup> {
  const issue = overrides.issue ?? (values.issue as number);
  const conn = overrides.conn ?? connect(values, ctx);
  const node = str(values.nodeId) ??
    defaultNodeId(ctx.env, Deno.hostname(), Deno.pid, randomSuffix());
  if (!/^[A-Za-z0-9_.-]{1,100}$/.test(node)) {
    throw new UsageError(`Invalid --node-id "${node}": use letters, digits, ".", "_" and "-".`);
  }
  const defaults = defaultConfig(issue, node);
  const leaseMs = num(values.leaseMs) ?? defaults.leaseMs;
  const claude = resolveClaudeSettings(values, ctx.env);
  const config = defaultConfig(issue, node, {
    tokenKind: conn.tokenKind,
    ...(claude.maxCostUsd !== undefined ? { maxCostUsd: claude.maxCostUsd } : {}),
    settleMs: num(values.settleMs) ?? defaults.settleMs,
    ...(num(values.settleFloorMs) !== undefined
      ? { settleFloorMs: num(values.settleFloorMs)! }
      : {}),
    leaseMs,
    // Without --renew-ms, renew once a quarter of the lease is left (as the
    // node does for the lease a plan publishes): a shorter --lease-ms alone is valid.
    renewMs: num(values.renewMs) ??
      Math.min(defaults.renewMs, Math.floor(leaseMs * (1 - RENEW_AT_RISK_SHARE))),
    pollMinMs: num(values.pollMs) ?? defaults.pollMinMs,
    pollMaxMs: num(values.pollMaxMs) ?? defaults.pollMaxMs,
    announceSpreadMs: num(values.announceSpreadMs) ?? defaults.announceSpreadMs,
    electionTimeoutMs: num(values.electionTimeoutMs) ?? defaults.electionTimeoutMs,
    maxAttempts: num(values.maxAttempts) ?? defaults.maxAttempts,
    backoffMs: num(values.backoffMs) ?? defaults.backoffMs,
    strict: values.strict === true,
    retryFailed: values.retryFailed === true,
    role,
    ...(num(values.maxTasks) !== undefined ? { maxTasks: num(values.maxTasks)! } : {}),
    ...(num(values.maxRuntime) !== undefined ? { maxRuntimeMs: num(values.maxRuntime)! } : {}),
    ...swarmPlace(values, ctx),
    ...(typeof values.timeScale === "number" && values.timeScale !== 1
      ? { timeScale: values.timeScale }
      : {}),
  });
  try {
    validateTiming(config);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const children = await childSetup(values, ctx);
  // The same array as the connection's: an App's tokens join it as they are minted.
  const secrets = conn.secrets;
  secrets.push(...secretValues(children.claudeEnv), ...secretValues(children.env));
  let tempDir: string | undefined;
  const cleanup = async () => {
    if (tempDir === undefined) return;
    const dir = tempDir;
    tempDir = undefined;
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  let executor: Executor = idleExecutor;
  if (role === "all" || role === "work") {
    const plan = await planExecutor(values, ctx);
    if (plan === "claude") assertClaudeCanRun(claude, Deno.uid(), ctx.env);
    const workRoot = str(values.workDir) ??
      (tempDir = await Deno.makeTempDir({ prefix: `p2p-dev-${issue}-` }));
    const auth = await deliveryAuth(values, ctx, conn, secrets);
    executor = buildExecutor(plan, values, conn, workRoot, secrets, claude, children, auth);
  }
  const planner = lazyPlanner(values, ctx, claude, children);
  const output = nodeOutput(ctx, {
    json: values.json === true,
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
  return { conn, config, deps, output, cleanup };
}

/** What the node's child processes get: environments and containment. */
interface ChildSetup {
  /** Environment of task commands and planner commands. */
  env: Record<string, string>;
  /** Environment of Claude Code (executor and planner). */
  claudeEnv: Record<string, string>;
  containment: Containment;
}

/**
 * Builds the children's environments from the allowlist (plus `--pass-env`)
 * and the containment over the state folder, then ends what an earlier run
 * of a node left running there (a node killed with SIGKILL cannot).
 */
async function childSetup(values: OptionValues, ctx: CliContext): Promise<ChildSetup> {
  let passEnv: string[];
  try {
    passEnv = parsePassEnv(
      Array.isArray(values.passEnv) ? values.passEnv.map(String) : [],
      ctx.env.P2P_PASS_ENV,
    );
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const stateDir = str(values.stateDir) ?? defaultStateDir(ctx.env);
  const containment = new Containment({
    ...(stateDir !== undefined ? { stateDir } : {}),
    ownerPid: Deno.pid,
  });
  const reaped = await containment.reapOrphans();
  if (reaped.records > 0) {
    ctx.err(
      `Stopped ${reaped.processes} process(es) of ${reaped.records} run(s) an earlier node left running (${
        reaped.labels.join("; ")
      }).`,
    );
  }
  return {
    env: childEnv(ctx.env, { passEnv }),
    claudeEnv: childEnv(ctx.env, { agent: "claude", passEnv }),
    containment,
  };
}

/**
 * `--swarm-size` and `--seat`, else `P2P_SWARM_SIZE` and `P2P_JOB_INDEX`; a
 * seat counts only with a size. `P2P_JOB_INDEX` also names the node and may
 * be a job's name: then seats follow the log.
 */
function swarmPlace(values: OptionValues, ctx: CliContext): { swarmSize?: number; seat?: number } {
  const fromEnv = ctx.env.P2P_SWARM_SIZE || undefined;
  if (num(values.swarmSize) === undefined && fromEnv === undefined) return {};
  const swarmSize = num(values.swarmSize) ?? Number(fromEnv);
  if (!Number.isSafeInteger(swarmSize) || swarmSize < 1) {
    throw new UsageError(
      `Invalid P2P_SWARM_SIZE "${fromEnv}": use the number of nodes (strategy.job-total), 1 or more.`,
    );
  }
  const index = Number(ctx.env.P2P_JOB_INDEX);
  const seat = num(values.seat) ??
    (ctx.env.P2P_JOB_INDEX && Number.isSafeInteger(index) && index >= 0 ? index : undefined);
  return seat === undefined ? { swarmSize } : { swarmSize, seat };
}

const idleExecutor: Executor = {
  name: "none",
  run: () =>
    Promise.resolve({ ok: false, result: { summary: "This node does not execute tasks." } }),
};

/** Which executor to build; every check that can fail runs before anything is made. */
async function planExecutor(
  values: OptionValues,
  ctx: CliContext,
): Promise<"command" | "demo" | "claude"> {
  const exec = str(values.exec);
  const kind = str(values.executor) ?? (exec ? "command" : undefined);
  if (kind === "command" && !exec) {
    throw new UsageError("--executor command needs --exec CMD.");
  }
  if (kind === "command" || kind === "demo") return kind;
  if (kind === undefined) {
    const claudePath = str(values.claudePath) ?? "claude";
    if (!(await findExecutable(claudePath, ctx.env.PATH ?? ""))) {
      throw new UsageError(
        "No executor: install Claude Code so that `claude` is on PATH, or pass --exec CMD.",
      );
    }
  }
  return "claude";
}

/**
 * For `--deliver branch|pr`: clears the credentials a checkout stored in the
 * repository (printing what it removed) or refuses a remote URL with one in
 * it, and returns how delivery pushes: with the node's token, for the GitHub
 * server only.
 */
async function deliveryAuth(
  values: OptionValues,
  ctx: CliContext,
  conn: Connection,
  secrets: string[],
): Promise<GitAuth | undefined> {
  if ((str(values.deliver) ?? "none") === "none") return undefined;
  const repoDir = str(values.repoDir) ?? Deno.cwd();
  let removed: { file: string; key: string }[];
  try {
    removed = await clearRepoCredentials({ repoDir, secrets });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  for (const r of removed) {
    ctx.err(
      `Removed the token stored in "${r.file}" (${r.key}, as actions/checkout stores it unless ` +
        "persist-credentials: false): tasks could read it there. p2p-dev pushes with its own token.",
    );
  }
  const apiUrl = resolveApiUrl(str(values.apiUrl), ctx.env);
  const configCount = Number.parseInt(ctx.env.GIT_CONFIG_COUNT ?? "", 10);
  return {
    serverUrl: gitServerUrl(apiUrl, ctx.env.GITHUB_SERVER_URL || undefined),
    token: () => conn.token,
    ...(configCount > 0 ? { configCount } : {}),
  };
}

function buildExecutor(
  kind: "command" | "demo" | "claude",
  values: OptionValues,
  conn: Connection,
  workRoot: string,
  secrets: string[],
  claude: ClaudeSettings,
  children: ChildSetup,
  auth: GitAuth | undefined,
): Executor {
  const timeout = num(values.taskTimeout);
  let inner: Executor;
  switch (kind) {
    case "command":
      inner = commandExecutor({
        command: str(values.exec)!,
        workRoot,
        secrets,
        env: children.env,
        containment: children.containment,
        ...(timeout ? { timeoutMs: timeout } : {}),
      });
      break;
    case "demo":
      inner = demoExecutor({ workRoot, delayMs: 300 });
      break;
    default:
      inner = claudeExecutor({
        workRoot,
        claudePath: str(values.claudePath) ?? "claude",
        secrets,
        env: children.claudeEnv,
        containment: children.containment,
        ...(str(values.model) ? { model: str(values.model)! } : {}),
        ...(num(values.maxTurns) !== undefined ? { maxTurns: num(values.maxTurns)! } : {}),
        ...(timeout ? { timeoutMs: timeout } : {}),
        permissionMode: claude.permissionMode,
        allowedTools: claude.allowedTools,
        disallowedTools: claude.disallowedTools,
        ...(claude.appendSystemPrompt !== undefined
          ? { appendSystemPrompt: claude.appendSystemPrompt }
          : {}),
        extraArgs: claude.extraArgs,
        ...(claude.maxBudgetUsd !== undefined ? { maxBudgetUsd: claude.maxBudgetUsd } : {}),
        acceptDenials: claude.acceptDenials,
      });
  }
  const mode = (str(values.deliver) ?? "none") as DeliveryMode;
  if (mode === "none") return outboundExecutor(inner);
  return outboundExecutor(deliveringExecutor(inner, {
    mode,
    repoDir: str(values.repoDir) ?? Deno.cwd(),
    github: conn.github,
    secrets,
    ...(auth ? { auth } : {}),
  }));
}

/** A planner that picks the real one when the leader first needs it (auto looks at the issue). */
function lazyPlanner(
  values: OptionValues,
  ctx: CliContext,
  claude: ClaudeSettings,
  children: ChildSetup,
): Planner {
  let name = "auto";
  return {
    get name() {
      return name;
    },
    async plan(issue, signal) {
      const choice = await choosePlanner({
        planner: (str(values.planner) ?? "auto") as PlannerKind,
        issue,
        claudePath: str(values.claudePath) ?? "claude",
        ...(str(values.plannerCmd) ? { plannerCmd: str(values.plannerCmd)! } : {}),
        ...(str(values.model) ? { model: str(values.model)! } : {}),
        plannerMaxTurns: claude.plannerMaxTurns,
        // The planner reads the repository: the checkout the nodes deliver from.
        cwd: str(values.repoDir) ?? Deno.cwd(),
        ...(ctx.env.PATH ? { path: ctx.env.PATH } : {}),
        env: children.env,
        claudeEnv: children.claudeEnv,
        containment: children.containment,
      });
      name = choice.name;
      return await choice.planner.plan(issue, signal);
    },
  };
}
