/**
 * How many requests per second the emulator serves on this machine over real
 * HTTP (127.0.0.1, keep-alive, several clients at once). Measured, never
 * asserted.
 *
 * ```sh
 * deno run -A bench/emulator.ts
 * ```
 *
 * @module
 */
import { startEmulator } from "../src/emulator/mod.ts";

/** One measured workload. */
export interface EmulatorBenchFigure {
  /** What was requested. */
  workload: string;
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  /** Median and 99th percentile latency seen by the client, in ms. */
  p50Ms: number;
  p99Ms: number;
}

/** Settings of the benchmark. */
export interface EmulatorBenchOptions {
  /** Requests per workload (default 2,000). */
  requests?: number;
  /** Requests in flight at once (default 16). */
  concurrency?: number;
}

/**
 * Measures requests per second for typical workloads of a swarm: reading an
 * issue, listing a page of 100 comments, a conditional re-read answered 304,
 * and posting a comment.
 *
 * @example
 * ```ts
 * const figures = await benchEmulator({ requests: 500 });
 * for (const f of figures) console.log(f.workload, Math.round(f.requestsPerSecond));
 * ```
 */
export async function benchEmulator(
  options: EmulatorBenchOptions = {},
): Promise<EmulatorBenchFigure[]> {
  const requests = options.requests ?? 2000;
  const concurrency = options.concurrency ?? 16;
  const emulator = await startEmulator({
    limits: { enabled: false },
    users: [{ login: "bench", token: "ghp_bench" }],
    repos: [{
      owner: "bench",
      name: "swarm",
      issues: [{
        title: "Bench",
        author: "bench",
        comments: Array.from(
          { length: 100 },
          (_, i) => ({ author: "bench", body: `comment ${i}` }),
        ),
      }],
    }],
  });
  const headers = { authorization: "token ghp_bench", accept: "application/vnd.github+json" };
  const base = `${emulator.url}/repos/bench/swarm/issues/1`;
  try {
    const etag = (await fetch(`${base}/comments?per_page=100`, { headers }).then(async (r) => {
      await r.body?.cancel();
      return r.headers.get("etag");
    }))!;
    const workloads: [string, () => Promise<Response>][] = [
      ["GET issue", () => fetch(base, { headers })],
      ["GET 100 comments", () => fetch(`${base}/comments?per_page=100`, { headers })],
      [
        "GET 100 comments, 304",
        () =>
          fetch(`${base}/comments?per_page=100`, {
            headers: { ...headers, "if-none-match": etag },
          }),
      ],
      [
        "POST comment",
        () =>
          fetch(`${base}/comments`, {
            method: "POST",
            headers,
            body: JSON.stringify({ body: "bench" }),
          }),
      ],
    ];
    const figures: EmulatorBenchFigure[] = [];
    for (const [workload, call] of workloads) {
      figures.push(await measure(workload, call, requests, concurrency));
    }
    return figures;
  } finally {
    await emulator.close();
  }
}

async function measure(
  workload: string,
  call: () => Promise<Response>,
  requests: number,
  concurrency: number,
): Promise<EmulatorBenchFigure> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < requests) {
      next++;
      const t = performance.now();
      const res = await call();
      await res.arrayBuffer();
      if (res.status >= 400) {
        throw new Error(`Bench request failed with ${res.status}: fix the workload.`);
      }
      latencies.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  return {
    workload,
    requests: latencies.length,
    seconds,
    requestsPerSecond: latencies.length / seconds,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
  };
}

if (import.meta.main) {
  const figures = await benchEmulator();
  const lines = figures.map((f) =>
    `${f.workload.padEnd(24)} ${Math.round(f.requestsPerSecond).toString().padStart(7)} req/s` +
    `  p50 ${f.p50Ms.toFixed(2)} ms  p99 ${f.p99Ms.toFixed(2)} ms  (${f.requests} requests)`
  );
  await Deno.stdout.write(new TextEncoder().encode(lines.join("\n") + "\n"));
}
