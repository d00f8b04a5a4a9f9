/**
 * The option groups subcommands compose their tables from. An option that
 * the configuration file may set names its key here (`config`), so this file
 * is also the schema of `.github/p2p-dev.yml` (see `config_file.ts`).
 *
 * @module
 */
import { DELIVERY_MODES } from "../executor/delivery.ts";
import { defaultConfig } from "../node/config.ts";
import { PLANNER_KINDS } from "../planner/select.ts";
import { CLAUDE_SETTING_OPTIONS } from "./claude_flags.ts";
import type { OptionSpec } from "./options.ts";

/** The defaults the flags show (one source: `defaultConfig`). */
const DEFAULTS = defaultConfig(1, "defaults");

/** Token kinds the budget arithmetic knows. */
export const TOKEN_KINDS = ["actions", "pat", "app"] as const;

/** Executors a node can run tasks with. */
export const EXECUTOR_KINDS = ["claude", "command", "demo"] as const;

/** `--config`: the settings file (`.github/p2p-dev.yml`). A command whose table has it reads the file. */
export const CONFIG_OPTION: OptionSpec = {
  name: "config",
  flags: "--config <file>",
  kind: "text",
  group: "Configuration",
  description: "settings file; flags override it",
  defaultText: ".github/p2p-dev.yml in the repository checkout, when present",
};

/**
 * Connection, trust and configuration: every command that talks to GitHub.
 *
 * @example
 * ```ts
 * const table = [...GITHUB_OPTIONS, ISSUE_OPTION];
 * ```
 */
export const GITHUB_OPTIONS: readonly OptionSpec[] = [
  {
    name: "repo",
    flags: "--repo <owner/name>",
    kind: "text",
    group: "GitHub",
    description: "repository",
    defaultText: "$GITHUB_REPOSITORY",
  },
  {
    name: "token",
    flags: "--token <token>",
    kind: "text",
    group: "GitHub",
    description: "GitHub token",
    defaultText: "$GITHUB_TOKEN, else $GH_TOKEN; an empty value counts as unset",
  },
  {
    name: "apiUrl",
    flags: "--api-url <url>",
    kind: "text",
    group: "GitHub",
    description: "API base URL",
    defaultText: "$GITHUB_API_URL, else https://api.github.com",
  },
  {
    name: "tokenKind",
    flags: "--token-kind <kind>",
    kind: "choice",
    choices: TOKEN_KINDS,
    group: "GitHub",
    description: "which rate limit the budget arithmetic assumes",
    defaultText: "actions in GitHub Actions with its GITHUB_TOKEN, app with --app-id, else pat",
    config: "budgets.token-kind",
  },
  {
    name: "appId",
    flags: "--app-id <id>",
    kind: "text",
    group: "GitHub",
    description:
      "act as this GitHub App: installation tokens minted from its key, renewed before they expire",
    defaultText: "$P2P_APP_ID",
  },
  {
    name: "privateKey",
    flags: "--private-key <file|pem>",
    kind: "text",
    group: "GitHub",
    description: "the App's private key: the .pem file's path, or the PEM itself",
    defaultText: "$P2P_APP_PRIVATE_KEY",
  },
  {
    name: "installationId",
    flags: "--installation-id <id>",
    kind: "text",
    group: "GitHub",
    description: "the App's installation",
    defaultText: "$P2P_APP_INSTALLATION_ID, else found from the repository",
  },
  {
    name: "allow",
    flags: "--allow <login...>",
    kind: "list",
    group: "Trust",
    description:
      "logins whose protocol messages are trusted besides the token's own and writers (adds to $P2P_ALLOW)",
    config: "trust.allow",
  },
  CONFIG_OPTION,
  {
    name: "timeScale",
    flags: "--time-scale <factor>",
    kind: "number",
    range: { min: 0, max: 1, minExclusive: true, text: "a number above 0 and at most 1" },
    group: "Testing",
    description:
      "multiply the client's own waits (retry back-off, write pacing, a standby's poll) by this factor; for emulator runs, e.g. 0.05",
    default: 1,
  },
];

/** `--issue`, required by every command about one issue. */
export const ISSUE_OPTION: OptionSpec = {
  name: "issue",
  flags: "--issue <n>",
  kind: "count",
  group: "Swarm",
  description: "the issue the swarm works on",
  required: true,
};

/** `--json`: machine-readable output. */
export const JSON_OPTION: OptionSpec = {
  name: "json",
  flags: "--json",
  kind: "flag",
  group: "Output",
  description: "print JSON lines instead of readable lines",
};

/** The node's identity. */
export const NODE_ID_OPTION: OptionSpec = {
  name: "nodeId",
  flags: "--node-id <id>",
  kind: "text",
  group: "Swarm",
  description: "this node's id",
  defaultText: "run-<run id>-job-<$P2P_JOB_INDEX> in Actions (without P2P_JOB_INDEX: " +
    "the job, the runner and a random suffix), <host>-<pid>-<random> elsewhere",
};

/**
 * Timing every node uses: settle window, polling, strict locks.
 *
 * @example
 * ```ts
 * const table = [...GITHUB_OPTIONS, ...TIMING_OPTIONS];
 * ```
 */
export const TIMING_OPTIONS: readonly OptionSpec[] = [
  {
    name: "settleMs",
    flags: "--settle-ms <ms>",
    kind: "duration",
    group: "Timing",
    description:
      "longest wait before confirming a claim or election by re-reading (GitHub lists lag 5-20 s); the wait adapts to the lag measured",
    default: DEFAULTS.settleMs,
    config: "timings.settle-ms",
  },
  {
    name: "settleFloorMs",
    flags: "--settle-floor-ms <ms>",
    kind: "duration",
    group: "Timing",
    description:
      "shortest wait before confirming a claim or election, however short the lag measured",
    defaultText: "1000, or --settle-ms when that is less",
    config: "timings.settle-floor-ms",
  },
  {
    name: "pollMs",
    flags: "--poll-ms <ms>",
    kind: "duration",
    group: "Timing",
    description:
      "shortest poll interval (each node derives its own from the swarm size and budget)",
    default: DEFAULTS.pollMinMs,
    config: "timings.poll-ms",
  },
  {
    name: "pollMaxMs",
    flags: "--poll-max-ms <ms>",
    kind: "duration",
    group: "Timing",
    description: "longest poll interval",
    default: DEFAULTS.pollMaxMs,
    config: "timings.poll-max-ms",
  },
  {
    name: "strict",
    flags: "--strict",
    kind: "flag",
    group: "Timing",
    description: "also take an atomic git-ref lock for claims and elections",
    config: "claims.strict",
  },
  {
    name: "announceSpreadMs",
    flags: "--announce-spread-ms <ms>",
    kind: "duration",
    group: "Swarm",
    description: "without --swarm-size, a node announces itself at a random moment within this " +
      "long of its start (so a swarm started at once posts no burst)",
    default: DEFAULTS.announceSpreadMs,
    config: "timings.announce-spread-ms",
  },
  {
    name: "swarmSize",
    flags: "--swarm-size <n>",
    kind: "count",
    group: "Swarm",
    description: "nodes in the swarm (a matrix's strategy.job-total): admission control sizes " +
      "the budget from it without waiting for announcements",
    defaultText: "$P2P_SWARM_SIZE, else the nodes the log shows",
  },
  {
    name: "seat",
    flags: "--seat <n>",
    kind: "number",
    range: { min: 0, integer: true, text: "a whole number, 0 or more" },
    group: "Swarm",
    description: "this node's place in the swarm (the matrix index): the first seats start working",
    defaultText: "$P2P_JOB_INDEX when it is a number",
  },
];

/** How long a silent leader keeps its term before planning. */
export const ELECTION_OPTIONS: readonly OptionSpec[] = [
  {
    name: "electionTimeoutMs",
    flags: "--election-timeout-ms <ms>",
    kind: "duration",
    group: "Timing",
    description: "replace a leader silent this long before its plan is published",
    default: DEFAULTS.electionTimeoutMs,
    config: "timings.election-timeout-ms",
  },
];

/** Settings the leader publishes with the plan, so every node judges alike. */
export const PLAN_SETTING_OPTIONS: readonly OptionSpec[] = [
  {
    name: "leaseMs",
    flags: "--lease-ms <ms>",
    kind: "duration",
    group: "Plan settings (published with the plan)",
    description: "a claim lapses after this long without a word from its owner",
    default: DEFAULTS.leaseMs,
    config: "timings.lease-ms",
  },
  {
    name: "maxAttempts",
    flags: "--max-attempts <n>",
    kind: "count",
    group: "Plan settings (published with the plan)",
    description: "failed attempts before a task is failed for good",
    default: DEFAULTS.maxAttempts,
    config: "budgets.max-attempts",
  },
  {
    name: "backoffMs",
    flags: "--backoff-ms <ms>",
    kind: "duration",
    min: 0,
    group: "Plan settings (published with the plan)",
    description: "wait after a failed attempt (doubling with each failure)",
    default: DEFAULTS.backoffMs,
    config: "timings.backoff-ms",
  },
];

/** Claude Code, for the planner and the executor. */
export const CLAUDE_OPTIONS: readonly OptionSpec[] = [
  {
    name: "claudePath",
    flags: "--claude-path <path>",
    kind: "text",
    group: "Claude Code",
    description: "the claude executable",
    default: "claude",
    config: "claude.path",
  },
  {
    name: "model",
    flags: "--model <name>",
    kind: "text",
    group: "Claude Code",
    description: "Claude model for planner and executor",
    config: "claude.model",
  },
];

/** How the leader turns the issue into a task graph. */
export const PLANNER_OPTIONS: readonly OptionSpec[] = [
  {
    name: "planner",
    flags: "--planner <kind>",
    kind: "choice",
    choices: PLANNER_KINDS,
    group: "Planner",
    description: "planner (auto: the issue's task list, else Claude Code, else one task)",
    default: "auto",
    config: "planner.kind",
  },
  {
    name: "plannerCmd",
    flags: "--planner-cmd <cmd>",
    kind: "text",
    group: "Planner",
    description: "external planner: issue JSON on stdin, task graph JSON on stdout",
    config: "planner.command",
  },
];

/**
 * What child processes (tasks, Claude Code, planner commands) get besides
 * the allowlisted environment, and where their processes are recorded. Not
 * settable from the configuration file: a task could edit that file.
 */
export const CHILD_OPTIONS: readonly OptionSpec[] = [
  {
    name: "passEnv",
    flags: "--pass-env <name...>",
    kind: "list",
    group: "Isolation",
    description:
      "variables (or PREFIX_*) tasks, agents and planner commands also get (adds to $P2P_PASS_ENV); see docs/SECURITY.md",
  },
  {
    name: "stateDir",
    flags: "--state-dir <dir>",
    kind: "text",
    group: "Isolation",
    description:
      "where the node records running task processes (the next node ends what a killed one left)",
    defaultText: "$P2P_STATE_DIR, else ~/.local/state/p2p-dev",
  },
];

/** How a worker runs and delivers tasks, and when it stops. */
export const WORKER_OPTIONS: readonly OptionSpec[] = [
  {
    name: "exec",
    flags: "--exec <cmd>",
    kind: "text",
    group: "Executor",
    description: "run each task with this shell command (task JSON on stdin, P2P_* env)",
    config: "executor.command",
  },
  {
    name: "executor",
    flags: "--executor <kind>",
    kind: "choice",
    choices: EXECUTOR_KINDS,
    group: "Executor",
    description: "executor",
    defaultText: "command with --exec, else claude",
    config: "executor.kind",
  },
  {
    name: "maxTurns",
    flags: "--max-turns <n>",
    kind: "count",
    group: "Claude Code",
    description: "maximum turns per task",
    config: "claude.max-turns",
  },
  {
    name: "taskTimeout",
    flags: "--task-timeout <ms>",
    kind: "duration",
    group: "Executor",
    description: "stop a task (its whole process group) after this long; the attempt fails",
    default: 60 * 60_000,
    config: "executor.task-timeout",
  },
  {
    name: "workDir",
    flags: "--work-dir <dir>",
    kind: "text",
    group: "Executor",
    description: "where task working directories go",
    defaultText: "a temporary folder, removed when the node stops",
    config: "executor.work-dir",
  },
  {
    name: "deliver",
    flags: "--deliver <mode>",
    kind: "choice",
    choices: DELIVERY_MODES,
    group: "Delivery",
    description: "result delivery: none, a branch per task, or a branch and a pull request",
    default: "none",
    config: "delivery.mode",
  },
  {
    name: "repoDir",
    flags: "--repo-dir <dir>",
    kind: "text",
    group: "Delivery",
    description: "local clone for --deliver branch|pr",
    defaultText: "the current folder",
    config: "delivery.repo-dir",
  },
  {
    name: "renewMs",
    flags: "--renew-ms <ms>",
    kind: "duration",
    group: "Timing",
    description: "how long after its last write an owner renews its lease (when it is at risk)",
    defaultText: `${DEFAULTS.renewMs}, or 75% of --lease-ms when that is less`,
    config: "timings.renew-ms",
  },
  {
    name: "retryFailed",
    flags: "--retry-failed",
    kind: "flag",
    group: "Limits",
    description: "retry tasks that failed for good in the plan in force",
  },
  {
    name: "maxTasks",
    flags: "--max-tasks <n>",
    kind: "count",
    group: "Limits",
    description: "stop after completing this many tasks",
    config: "budgets.max-tasks",
  },
  {
    name: "maxRuntime",
    flags: "--max-runtime <ms>",
    kind: "duration",
    group: "Limits",
    description: "stop (releasing claims) after this long",
    config: "budgets.max-runtime",
  },
];

/**
 * Keys of the configuration file that no flag sets: read by the commands
 * that start or join swarms (`watch`, workflow triggers).
 */
export const FILE_ONLY_OPTIONS: readonly OptionSpec[] = [
  {
    name: "instancesMin",
    flags: "--instances-min <n>",
    kind: "count",
    group: "Instances",
    description: "fewest nodes a trigger starts",
    config: "instances.min",
  },
  {
    name: "instancesMax",
    flags: "--instances-max <n>",
    kind: "count",
    group: "Instances",
    description: "most nodes on one swarm: a trigger starts no more, watch joins no fuller swarm",
    config: "instances.max",
  },
  {
    name: "instancesDefault",
    flags: "--instances-default <n>",
    kind: "count",
    group: "Instances",
    description: "nodes a trigger starts when the command names no number",
    config: "instances.default",
  },
];

/**
 * Every group whose options the configuration file may set: the file's schema.
 *
 * @example
 * ```ts
 * const keys = CONFIGURABLE.filter((s) => s.config).map((s) => s.config);
 * ```
 */
export const CONFIGURABLE: readonly OptionSpec[] = [
  ...GITHUB_OPTIONS,
  ...TIMING_OPTIONS,
  ...ELECTION_OPTIONS,
  ...PLAN_SETTING_OPTIONS,
  ...CLAUDE_OPTIONS,
  ...PLANNER_OPTIONS,
  ...WORKER_OPTIONS,
  ...CLAUDE_SETTING_OPTIONS,
  ...FILE_ONLY_OPTIONS,
].filter((s) => s.config);
