/**
 * A worker that runs seeds for `deno task sim --jobs N`: it receives a list
 * of seeds and posts one result per seed and strategy (without the run
 * itself, which does not cross threads), then `done`.
 *
 * @module
 */
import { baseline } from "./baseline.ts";
import { ours } from "./ours.ts";
import { CI_PROFILE, FULL_PROFILE } from "./scenario.ts";
import { runSeed, type SeedResult } from "./sweep.ts";

/**
 * What the CLI sends a worker.
 *
 * @example
 * ```ts
 * worker.postMessage({ seeds: [1, 3], profile: "ci", baseline: false, twice: false });
 * ```
 */
export interface WorkerJob {
  seeds: number[];
  profile: "ci" | "full";
  baseline: boolean;
  twice: boolean;
}

/**
 * What a worker posts back.
 *
 * @example
 * ```ts
 * worker.onmessage = (e: MessageEvent<WorkerMessage>) => console.log(e.data.kind);
 * ```
 */
export type WorkerMessage =
  | { kind: "result"; result: SeedResult }
  | { kind: "done" };

function strip(r: SeedResult & { run?: unknown }): SeedResult {
  const { run: _run, ...rest } = r;
  return rest;
}

const scope = self as unknown as {
  onmessage: ((e: MessageEvent<WorkerJob>) => void) | null;
  postMessage(message: WorkerMessage): void;
  close(): void;
};

scope.onmessage = async (e) => {
  const job = e.data;
  const profile = job.profile === "ci" ? CI_PROFILE : FULL_PROFILE;
  for (const seed of job.seeds) {
    scope.postMessage({
      kind: "result",
      result: strip(await runSeed(seed, profile, ours, { twice: job.twice })),
    });
    if (job.baseline) {
      scope.postMessage({
        kind: "result",
        result: strip(await runSeed(seed, profile, baseline, { check: false })),
      });
    }
  }
  scope.postMessage({ kind: "done" });
  scope.close();
};
