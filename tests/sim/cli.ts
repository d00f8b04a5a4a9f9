/**
 * `deno task sim`: run seeded swarms in virtual time and check the
 * invariants.
 *
 * ```text
 * deno task sim --seeds 1000            # seeds 1..1000, full profile (1–50 nodes, 1–200 tasks)
 * deno task sim --seeds 200 --from 5000 --profile ci
 * deno task sim --seed 1234             # replay one seed, print its trace
 * deno task sim --seeds 300 --baseline  # compare with the original design on the same seeds
 * deno task sim --seeds 100 --twice     # run every seed twice, compare trace hashes
 * deno task sim --seeds 1000 --jobs 4   # on 4 worker threads
 * ```
 *
 * Exits 1 when an invariant fails, printing the seeds.
 *
 * @module
 */
import { baseline } from "./baseline.ts";
import type { Strategy } from "./harness.ts";
import { INVARIANTS } from "./invariants.ts";
import { ours } from "./ours.ts";
import { CI_PROFILE, FULL_PROFILE, type Profile } from "./scenario.ts";
import { byCode, runSeed, type SeedResult, table, type Totals, totals } from "./sweep.ts";
import type { WorkerJob, WorkerMessage } from "./worker.ts";

const encoder = new TextEncoder();

function out(text: string): void {
  Deno.stdout.writeSync(encoder.encode(`${text}\n`));
}

interface Args {
  seeds: number;
  from: number;
  seed: number | undefined;
  baseline: boolean;
  twice: boolean;
  profile: Profile;
  verbose: boolean;
  jobs: number;
}

function parse(argv: string[]): Args {
  const args: Args = {
    seeds: 100,
    from: 1,
    seed: undefined,
    baseline: false,
    twice: false,
    profile: FULL_PROFILE,
    verbose: false,
    jobs: 1,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value.`);
      return v;
    };
    const int = () => {
      const v = value();
      const n = Number(v);
      if (!Number.isSafeInteger(n) || n < 0) {
        throw new Error(`${a} needs a whole number, got "${v}".`);
      }
      return n;
    };
    if (a === "--seeds") args.seeds = int();
    else if (a === "--from") args.from = int();
    else if (a === "--seed") args.seed = int();
    else if (a === "--baseline") args.baseline = true;
    else if (a === "--twice") args.twice = true;
    else if (a === "--jobs" || a === "-j") args.jobs = Math.max(1, int());
    else if (a === "--verbose" || a === "-v") args.verbose = true;
    else if (a === "--profile") {
      const p = value();
      if (p !== "ci" && p !== "full") throw new Error(`--profile is "ci" or "full", got "${p}".`);
      args.profile = p === "ci" ? CI_PROFILE : FULL_PROFILE;
    } else if (a === "--help" || a === "-h") {
      out(
        "usage: deno task sim [--seeds N] [--from S] [--profile ci|full] [--baseline] [--twice]\n" +
          "                     [--jobs N] [-v]\n" +
          "       deno task sim --seed S [--profile ci|full] [--baseline]",
      );
      Deno.exit(0);
    } else throw new Error(`Unknown option "${a}": see --help.`);
  }
  return args;
}

async function replay(seed: number, args: Args): Promise<number> {
  const strategies: Strategy[] = args.baseline ? [ours, baseline] : [ours];
  let failed = false;
  for (const strategy of strategies) {
    const r = await runSeed(seed, args.profile, strategy, {
      keepTrace: true,
      twice: args.twice,
      check: strategy === ours,
    });
    const s = r.run.scenario;
    out(`# seed ${seed} (${args.profile.name}) strategy ${strategy.name}`);
    out(
      `# ${s.nodes.length} nodes, ${s.tasks.length} tasks, token ${s.tokenKind}, strict ${s.config.strict}, ` +
        `lease ${s.config.leaseMs / 60_000} min, settle ${s.config.settleMs / 1000} s, ` +
        `maxAttempts ${s.config.maxAttempts}, secret ${s.secret !== undefined}`,
    );
    out(`# faults ${JSON.stringify(s.faults)}`);
    out(`# node faults ${JSON.stringify(s.nodeFaults)}`);
    out(
      `# tasks ${
        s.tasks.map((t) => `${t.id}${t.deps.length ? `<-${t.deps.join("+")}` : ""}`).join(" ")
      }`,
    );
    for (const line of r.run.trace ?? []) out(line);
    out(
      `# end ${r.run.end} after ${
        ((r.run.endTime - s.start) / 3_600_000).toFixed(2)
      } h; trace ${r.traceHash}`,
    );
    out(`# figures ${JSON.stringify(r.figures)}`);
    out(`# api by identity ${JSON.stringify(r.run.model.usageByIdentity())}`);
    for (const v of r.violations) {
      out(
        `# VIOLATION invariant ${v.invariant} (${INVARIANTS[v.invariant]}) ${v.code}: ${v.detail}`,
      );
    }
    if (r.violations.length > 0) failed = true;
  }
  return failed ? 1 : 0;
}

function row(name: string, t: Totals): string[] {
  const per = (x: number) => (t.tasks ? (x / t.tasks).toFixed(2) : "-");
  return [
    name,
    String(t.seeds),
    String(t.tasks),
    String(t.done),
    String(t.failed),
    String(t.lost),
    String(t.splitBrainRuns),
    String(t.executedTwice),
    String(t.overlapping),
    String(t.unownedStarts),
    String(t.forgedRuns),
    per(t.requests),
    per(t.writes),
    String(t.rateLimited),
    String(t.nodeErrors),
    (t.hours / Math.max(1, t.seeds)).toFixed(2),
  ];
}

function report(r: SeedResult, verbose: boolean): void {
  // One line per seed and kind of violation (the replay shows them all).
  const shown = new Map<string, number>();
  for (const v of r.violations) {
    const key = `${v.invariant}:${v.code}`;
    shown.set(key, (shown.get(key) ?? 0) + 1);
    if (shown.get(key)! > 1 && !verbose) continue;
    out(
      `seed ${r.seed}: invariant ${v.invariant} (${INVARIANTS[v.invariant]}) ${v.code}: ${
        v.detail.slice(0, 240)
      }`,
    );
  }
}

/** Runs the seeds on `args.jobs` workers; results come back in any order. */
async function parallel(args: Args, each: (r: SeedResult) => void): Promise<void> {
  const seeds = Array.from({ length: args.seeds }, (_, i) => args.from + i);
  const jobs = Math.min(args.jobs, seeds.length);
  await Promise.all(Array.from({ length: jobs }, (_, k) =>
    new Promise<void>((resolve, reject) => {
      const worker = new Worker(new URL("./worker.ts", import.meta.url).href, { type: "module" });
      worker.onmessage = (e: MessageEvent<WorkerMessage>) => {
        if (e.data.kind === "done") {
          worker.terminate();
          resolve();
        } else each(e.data.result);
      };
      worker.onerror = (e) => {
        e.preventDefault();
        worker.terminate();
        reject(new Error(`worker ${k}: ${e.message}`));
      };
      const job: WorkerJob = {
        seeds: seeds.filter((_, i) => i % jobs === k),
        profile: args.profile === CI_PROFILE ? "ci" : "full",
        baseline: args.baseline,
        twice: args.twice,
      };
      worker.postMessage(job);
    })));
}

async function sweep(args: Args): Promise<number> {
  const started = performance.now();
  const mine: SeedResult[] = [];
  const theirs: SeedResult[] = [];
  let n = 0;
  const each = (r: SeedResult) => {
    if (r.strategy !== ours.name) {
      theirs.push(r);
      return;
    }
    mine.push(r);
    report(r, args.verbose);
    n++;
    if (n % 100 === 0 && n < args.seeds) {
      const min = (performance.now() - started) / 60_000;
      out(`… ${n} seeds, ${(n / min).toFixed(0)} seeds/min`);
    }
  };
  if (args.jobs > 1) await parallel(args, each);
  else {
    // Keep each seed's figures, never its run (the model, every comment and
    // event): 2,000 kept runs of the full profile outgrow the heap.
    for (let seed = args.from; seed < args.from + args.seeds; seed++) {
      const { run: _mine, ...mine } = await runSeed(seed, args.profile, ours, {
        twice: args.twice,
      });
      each(mine);
      if (args.baseline) {
        const { run: _theirs, ...theirs } = await runSeed(seed, args.profile, baseline, {
          check: false,
        });
        each(theirs);
      }
    }
  }
  mine.sort((a, b) => a.seed - b.seed);
  theirs.sort((a, b) => a.seed - b.seed);
  const minutes = (performance.now() - started) / 60_000;
  out("");
  out(
    table([
      [
        "strategy",
        "seeds",
        "tasks",
        "done",
        "failed",
        "lost",
        "split-brain runs",
        "run twice",
        "overlapping",
        "lost-claim starts",
        "forged runs",
        "req/task",
        "writes/task",
        "rate-limited",
        "node errors",
        "hours/run",
      ],
      row("ours", totals(mine.map((r) => r.figures))),
      ...(args.baseline ? [row("original", totals(theirs.map((r) => r.figures)))] : []),
    ]),
  );
  out("");
  const codes = byCode(mine);
  if (codes.size === 0) out(`All invariants held on ${args.seeds} seeds.`);
  else {
    out(table([
      ["invariant", "code", "seeds", "first seeds"],
      ...[...codes].map(([key, seeds]) => {
        const [inv, code] = key.split(":");
        return [
          `${inv} ${INVARIANTS[Number(inv)]}`,
          code!,
          String(seeds.length),
          seeds.slice(0, 12).join(" "),
        ];
      }),
    ]));
  }
  const runs = args.seeds * (args.twice ? 2 : 1) * (args.baseline ? 2 : 1);
  out("");
  out(
    `${args.seeds} seeds (${args.profile.name}, ${args.jobs} job${args.jobs > 1 ? "s" : ""}) in ${
      (minutes * 60).toFixed(1)
    } s: ` +
      `${(args.seeds / minutes).toFixed(0)} seeds/min, ${
        (runs / minutes).toFixed(0)
      } swarm runs/min`,
  );
  const failing = mine.filter((r) => r.violations.length > 0).map((r) => r.seed);
  if (failing.length > 0) {
    out(`FAILED seeds: ${failing.join(" ")}`);
    return 1;
  }
  return 0;
}

if (import.meta.main) {
  let args: Args;
  try {
    args = parse(Deno.args);
  } catch (error) {
    out(error instanceof Error ? error.message : String(error));
    Deno.exit(2);
  }
  Deno.exit(args.seed !== undefined ? await replay(args.seed, args) : await sweep(args));
}
