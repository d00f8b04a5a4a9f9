/**
 * A worker thread of the benchmark: runs simulation jobs sent by
 * `bench/main.ts` and posts their figures back, one message per job.
 *
 * @module
 */
import { ours } from "../tests/sim/ours.ts";
import { runSeed } from "../tests/sim/sweep.ts";
import { CI_PROFILE } from "../tests/sim/scenario.ts";
import {
  benchScenario,
  type BenchScenarioOptions,
  insideLimits,
  type SimFigures,
  simFigures,
} from "./sim.ts";

/**
 * One job: a simulated run, a sweep of swarm sizes (ascending; it stops after
 * two sizes in a row over a limit), or a timing of the simulation itself.
 *
 * @example
 * ```ts
 * const job: SimJob = { kind: "speed", id: "speed", seeds: 50 };
 * ```
 */
export type SimJob =
  | { kind: "run"; id: string; scenario: BenchScenarioOptions; strategy: "ours" | "original" }
  | {
    kind: "sweep";
    id: string;
    strategy: "ours" | "original";
    sizes: number[];
    /** The scenario of one size. */
    scenario: Omit<BenchScenarioOptions, "nodes" | "tasks">;
    tasksPerNode: number;
  }
  | { kind: "speed"; id: string; seeds: number };

/**
 * What a worker posts back for a job.
 *
 * @example
 * ```ts
 * worker.onmessage = (e: MessageEvent<SimJobResult>) => e.data.id;
 * ```
 */
export type SimJobResult =
  | { kind: "run"; id: string; figures: SimFigures }
  | { kind: "sweep"; id: string; strategy: string; runs: SimFigures[] }
  | {
    kind: "speed";
    id: string;
    seeds: number;
    seconds: number;
    seedsPerMinute: number;
    violations: number;
  };

/**
 * Runs one job.
 *
 * @example
 * ```ts
 * const r = await runJob({ kind: "speed", id: "speed", seeds: 10 });
 * ```
 */
export async function runJob(job: SimJob): Promise<SimJobResult> {
  switch (job.kind) {
    case "run":
      return {
        kind: "run",
        id: job.id,
        figures: await simFigures(benchScenario(job.scenario), job.strategy),
      };
    case "sweep": {
      const runs: SimFigures[] = [];
      let over = 0;
      for (const nodes of job.sizes) {
        const f = await simFigures(
          benchScenario({ ...job.scenario, nodes, tasks: nodes * job.tasksPerNode }),
          job.strategy,
        );
        runs.push(f);
        // Larger swarms only do worse: stop after two sizes in a row over a limit.
        over = insideLimits(f) ? 0 : over + 1;
        if (over === 2) break;
      }
      return { kind: "sweep", id: job.id, strategy: job.strategy, runs };
    }
    case "speed": {
      const t0 = performance.now();
      let violations = 0;
      for (let seed = 1; seed <= job.seeds; seed++) {
        violations += (await runSeed(seed, CI_PROFILE, ours)).violations.length;
      }
      const seconds = (performance.now() - t0) / 1000;
      return {
        kind: "speed",
        id: job.id,
        seeds: job.seeds,
        seconds,
        seedsPerMinute: (job.seeds / seconds) * 60,
        violations,
      };
    }
  }
}

const scope = self as unknown as {
  onmessage: ((e: MessageEvent<SimJob>) => void) | null;
  postMessage(message: SimJobResult | { kind: "error"; id: string; error: string }): void;
};

// Loaded as a worker: one answer per job. (Imported for its types, this is inert.)
scope.onmessage = async (e) => {
  try {
    scope.postMessage(await runJob(e.data));
  } catch (error) {
    scope.postMessage({
      kind: "error",
      id: e.data.id,
      error: error instanceof Error ? `${error.stack ?? error.message}` : String(error),
    });
  }
};
