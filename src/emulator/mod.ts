/**
 * A local, stateful GitHub REST API emulator that the unmodified
 * `@octokit/rest` client talks to through `baseUrl`. It enforces GitHub's
 * documented limits, injects seeded faults, and is driven through a control
 * surface (in process, or over HTTP under `/_emulator/...`).
 *
 * @example
 * ```ts
 * import { Octokit } from "@octokit/rest";
 * import { startEmulator } from "./src/emulator/mod.ts";
 *
 * const emulator = await startEmulator({
 *   users: [{ login: "octo", token: "ghp_octo" }, { login: "stranger", token: "ghp_stranger" }],
 *   repos: [{ owner: "octo", name: "hello", issues: [{ title: "Swarm", author: "octo" }] }],
 * });
 * const octokit = new Octokit({ auth: "ghp_octo", baseUrl: emulator.url });
 * await octokit.rest.issues.createComment({ owner: "octo", repo: "hello", issue_number: 1, body: "hi" });
 * emulator.control.setFaults({ listLag: { probability: 1, minMs: 5_000, maxMs: 20_000 } });
 * emulator.control.countsFor("octo").writes; // 1
 * await emulator.close();
 * ```
 *
 * @module
 */
export { createEmulator, startEmulator } from "./server.ts";
export type { Emulator, EmulatorOptions, RunningEmulator, StartOptions } from "./server.ts";
export { CONTROL_ENDPOINTS, EmulatorControl } from "./control.ts";
export type { CoreOptions, IdentityCounts, RequestLogEntry } from "./core.ts";
export type { AssetRef, CommentRef, World } from "./state.ts";
export { DroppedConnection } from "./core.ts";
export { type EmulatorClock, systemEmulatorClock } from "./clock.ts";
export { DEMO, demoSeed, type DemoWorld } from "./seed.ts";
export { NO_FAULTS } from "./faults.ts";
export type {
  BurstConfig,
  FaultConfig,
  FaultPatch,
  LatencyConfig,
  ListLagConfig,
  ScriptedFault,
  ServerErrorConfig,
  TimeoutConfig,
} from "./faults.ts";
export { DEFAULT_LIMITS } from "./limits.ts";
export type {
  LimitsConfig,
  LimitsPatch,
  PrimaryLimits,
  RateView,
  SecondaryLimits,
} from "./limits.ts";
export { type EmulatorConfigFile, loadEmulatorConfig, parseEmulatorConfig } from "./config.ts";
export type * from "./types.ts";
export { REACTION_CONTENTS } from "./types.ts";

import type { EmulatorControl } from "./control.ts";
import type { DemoWorld } from "./seed.ts";

/**
 * Seeds the demo world into a running emulator and returns its coordinates
 * and tokens (`owner`, `writer`, `stranger`, `bot`).
 *
 * @example
 * ```ts
 * const { control } = createEmulator();
 * const demo = seedDemo(control);
 * demo.tokens.stranger; // a token with no role on octo-org/hello
 * ```
 */
export function seedDemo(control: EmulatorControl): DemoWorld {
  return control.seedDemo();
}
