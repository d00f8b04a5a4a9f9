/**
 * What Claude Code may do in a task, and the rule for denied tool calls.
 *
 * Headless Claude Code (`claude -p`) cannot ask anyone: a tool call that its
 * permission mode and rules do not allow is denied, the agent is told so and
 * carries on, and the run may still end with `subtype: "success"`
 * (https://docs.anthropic.com/en/docs/claude-code/iam: permission modes,
 * `--allowedTools` / `--disallowedTools` rules such as `Bash(npm test:*)`;
 * deny rules win, and the repository's own `.claude/settings.json` rules
 * apply too).
 *
 * p2p-dev's default lets the agent edit files in its task directory and run
 * shell commands there, so that it can run the repository's own checks:
 * `--permission-mode acceptEdits --allowedTools Bash`. It works as root
 * (CI containers) and as a normal user (a GitHub-hosted runner, a laptop).
 * `bypassPermissions` (`--dangerously-skip-permissions`) is refused by Claude
 * Code when it runs as root unless `IS_SANDBOX=1` (or
 * `CLAUDE_CODE_BUBBLEWRAP=1`) marks the environment as a sandbox
 * (anthropics/claude-code#3490, #9184): {@linkcode bypassRefusal} says so
 * before any task starts.
 *
 * @module
 */

/**
 * Permission mode used when none is configured.
 *
 * @example
 * ```ts
 * DEFAULT_PERMISSION_MODE; // "acceptEdits"
 * ```
 */
export const DEFAULT_PERMISSION_MODE = "acceptEdits";

/**
 * Tools allowed without asking when none are configured: every shell command
 * (file edits are allowed by the `acceptEdits` mode).
 *
 * @example
 * ```ts
 * DEFAULT_ALLOWED_TOOLS; // ["Bash"]
 * ```
 */
export const DEFAULT_ALLOWED_TOOLS: readonly string[] = ["Bash"];

/**
 * Permission modes Claude Code knows (2.1.19x names `default`, 2.1.3xx
 * `manual`, for the same mode).
 *
 * @example
 * ```ts
 * PERMISSION_MODES.includes("acceptEdits"); // true
 * ```
 */
export const PERMISSION_MODES: readonly string[] = [
  "acceptEdits",
  "auto",
  "bypassPermissions",
  "default",
  "manual",
  "dontAsk",
  "plan",
];

/**
 * Tools whose denial means the task's changes or checks did not all happen:
 * an attempt with such a denial counts as failed unless denials are accepted.
 *
 * @example
 * ```ts
 * BLOCKING_TOOLS.includes("Bash"); // true
 * ```
 */
export const BLOCKING_TOOLS: readonly string[] = [
  "Bash",
  "PowerShell",
  "Edit",
  "MultiEdit",
  "Write",
  "NotebookEdit",
];

/**
 * Whether a denied tool call fails the attempt (see {@linkcode BLOCKING_TOOLS}).
 *
 * @example
 * ```ts
 * isBlockingDenial("Bash"); // true
 * isBlockingDenial("WebFetch"); // false
 * ```
 */
export function isBlockingDenial(tool: string): boolean {
  return BLOCKING_TOOLS.includes(tool);
}

/**
 * Why Claude Code will refuse to start with these settings, or `undefined`:
 * `bypassPermissions` (or `--dangerously-skip-permissions` among the extra
 * arguments) as root, outside a declared sandbox.
 *
 * @example
 * ```ts
 * bypassRefusal({ permissionMode: "bypassPermissions" }, { uid: 0, env: {} });
 * // "Claude Code refuses --permission-mode bypassPermissions when run as root: ..."
 * ```
 */
export function bypassRefusal(
  settings: { permissionMode?: string; extraArgs?: readonly string[] },
  host: { uid: number | null; env: Readonly<Record<string, string | undefined>> },
): string | undefined {
  const flag = settings.permissionMode === "bypassPermissions"
    ? "--permission-mode bypassPermissions"
    : settings.extraArgs?.includes("--dangerously-skip-permissions")
    ? "--dangerously-skip-permissions"
    : undefined;
  if (flag === undefined || host.uid !== 0) return undefined;
  if (host.env.IS_SANDBOX === "1" || host.env.CLAUDE_CODE_BUBBLEWRAP === "1") return undefined;
  return `Claude Code refuses ${flag} when run as root: run p2p-dev as a normal user, ` +
    `keep the default --permission-mode acceptEdits (shell commands are allowed by ` +
    `--allowed-tools Bash), or, in a disposable container, set IS_SANDBOX=1.`;
}

/**
 * Recognises Claude Code's own refusal on standard error (it prints one line
 * and exits 1 without a result).
 *
 * @example
 * ```ts
 * isRootRefusal("--dangerously-skip-permissions cannot be used with root/sudo privileges for security reasons"); // true
 * ```
 */
export function isRootRefusal(stderr: string): boolean {
  return /cannot be used with root\/sudo privileges/.test(stderr);
}
