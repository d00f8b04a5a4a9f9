/**
 * Executors run one task; delivery puts the result on a branch or a pull
 * request.
 *
 * @example
 * ```ts
 * import { commandExecutor, deliveringExecutor } from "./mod.ts";
 * const exec = deliveringExecutor(
 *   commandExecutor({ command: "make", workRoot: "/tmp/p2p" }),
 *   { mode: "branch", repoDir: "/work/repo" },
 * );
 * ```
 *
 * @module
 */
export type { ExecContext, ExecOutcome, Executor } from "./port.ts";
export * from "./command.ts";
export * from "./claude.ts";
export * from "./claude_permissions.ts";
export * from "./claude_stream.ts";
export * from "./demo.ts";
export * from "./delivery.ts";
export * from "./git.ts";
export * from "./outbound.ts";
export * from "./process.ts";
export * from "./prompt.ts";
export * from "./redact.ts";
export * from "./workdir.ts";
