/**
 * Our design as a simulation strategy: every process runs `runNode` with
 * the scenario's configuration, trust settings and the simulated ports.
 *
 * @module
 */
import { defaultConfig } from "../../src/node/config.ts";
import { runNode } from "../../src/node/node.ts";
import type { Strategy } from "./harness.ts";

/**
 * `runNode` behind the emulated Octokit adapter (conditional requests,
 * retries, nonce recovery).
 *
 * @example
 * ```ts
 * const run = await runSwarm(scenario(1, CI_PROFILE), ours);
 * ```
 */
export const ours: Strategy = {
  name: "ours",
  conditional: true,
  adapter: true,
  run: (env) =>
    runNode(
      {
        github: env.github,
        clock: env.clock,
        random: env.random,
        executor: env.executor,
        planner: env.planner,
        signal: env.signal,
        log: env.log,
        allow: env.scenario.allow,
        secret: env.scenario.secret,
      },
      defaultConfig(env.scenario.issue, env.node, {
        ...env.scenario.config,
        ...(env.scenario.sizeHint
          ? {
            swarmSize: env.scenario.nodes.length,
            seat: env.scenario.nodes.findIndex((n) => n.node === env.node) + 1,
          }
          : {}),
      }),
    ),
};
