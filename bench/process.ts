/**
 * Process-level figures: start-up time of the bundled binary (`--version`)
 * and the peak resident memory of one node process working a plan against
 * the emulator.
 *
 * @module
 */
import { startEmulator } from "../src/emulator/mod.ts";

const ROOT = new URL("..", import.meta.url).pathname;

/**
 * Median wall time of `p2p-dev --version` run from the bundle, in ms.
 *
 * @example
 * ```ts
 * const { medianMs } = await benchStartup(10);
 * ```
 */
export async function benchStartup(runs = 10): Promise<{ medianMs: number; bundleBytes: number }> {
  const dir = await Deno.makeTempDir({ prefix: "p2p-dev-bench-" });
  try {
    const bundle = `${dir}/p2p-dev.js`;
    const built = await new Deno.Command(Deno.execPath(), {
      args: ["bundle", "--quiet", "--output", bundle, "src/main.ts"],
      cwd: ROOT,
    }).output();
    if (!built.success) throw new Error(new TextDecoder().decode(built.stderr));
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "--no-remote", "--allow-all", bundle, "--version"],
        stdout: "null",
      }).output();
      if (!out.success) throw new Error("the bundle's --version failed");
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    return {
      medianMs: times[Math.floor(times.length / 2)]!,
      bundleBytes: (await Deno.stat(bundle)).size,
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * Peak resident memory (VmHWM) of one `p2p-dev run` process that plans and
 * works a 20-task plan alone against the emulator, in MiB (Linux only).
 *
 * @example
 * ```ts
 * const { peakMiB } = await benchNodeMemory();
 * ```
 */
export async function benchNodeMemory(): Promise<{ peakMiB: number; tasks: number }> {
  const tasks = 20;
  const body = Array.from(
    { length: tasks },
    (_, i) => `- [ ] T${i}: task ${i}${i ? ` (after: T${i - 1})` : ""}`,
  )
    .join("\n");
  const emu = await startEmulator({
    port: 0,
    tokens: [{ token: "ghs_mem", login: "github-actions[bot]", kind: "actions", repos: ["o/r"] }],
    users: [{ login: "o", token: "ghp_o" }],
    repos: [{ owner: "o", name: "r", issues: [{ title: "memory", author: "o", body }] }],
  });
  try {
    const proc = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-all",
        `${ROOT}src/main.ts`,
        "run",
        "--issue",
        "1",
        "--exec",
        "true",
        "--settle-ms",
        "100",
        "--poll-ms",
        "100",
        "--renew-ms",
        "1000",
        "--lease-ms",
        "5000",
        "--time-scale",
        "0.01",
      ],
      env: { GITHUB_TOKEN: "ghs_mem", GITHUB_REPOSITORY: "o/r", GITHUB_API_URL: emu.url },
      stdout: "null",
      stderr: "null",
    }).spawn();
    let peakKiB = 0;
    const poll = setInterval(() => {
      try {
        const status = Deno.readTextFileSync(`/proc/${proc.pid}/status`);
        const m = /VmHWM:\s+(\d+) kB/.exec(status);
        if (m) peakKiB = Math.max(peakKiB, Number(m[1]));
      } catch {
        // The process has exited.
      }
    }, 50);
    const status = await proc.status;
    clearInterval(poll);
    if (!status.success) throw new Error(`the node exited ${status.code}`);
    return { peakMiB: Math.round(peakKiB / 102.4) / 10, tasks };
  } finally {
    await emu.close();
  }
}

if (import.meta.main) {
  // deno-lint-ignore no-console
  console.log(await benchStartup(), await benchNodeMemory());
}
