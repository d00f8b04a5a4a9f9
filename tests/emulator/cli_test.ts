/**
 * `p2p-dev emulator`: prints its URL and tokens, serves until the signal
 * aborts, and refuses bad flags with a one-line usage error.
 */
import assert from "node:assert/strict";
import { emulatorCommand } from "../../src/cli/emulator.ts";
import type { CliContext } from "../../src/cli/context.ts";
import { UsageError } from "../../src/cli/usage_error.ts";
import { sharedContract } from "./helpers.ts";
import { contractFetch } from "./openapi_contract.ts";

function context(): { ctx: CliContext; lines: string[]; stop: AbortController } {
  const lines: string[] = [];
  const stop = new AbortController();
  const ctx: CliContext = {
    env: {},
    out: (line) => lines.push(line),
    err: (line) => lines.push(`ERR ${line}`),
    isTty: false,
    columns: 80,
    signal: stop.signal,
    setExitCode: () => {},
    selfCommand: ["p2p-dev"],
  };
  return { ctx, lines, stop };
}

async function run(ctx: CliContext, args: string[]): Promise<void> {
  const command = emulatorCommand(ctx).exitOverride();
  await command.parseAsync(args, { from: "user" });
}

Deno.test("p2p-dev emulator prints its URL and demo tokens, serves until aborted", async () => {
  const { ctx, lines, stop } = context();
  const dir = await Deno.makeTempDir();
  const config = `${dir}/emulator.json`;
  await Deno.writeTextFile(
    config,
    JSON.stringify({ faults: { serverErrors: { rate: 0 } }, limits: { primary: { pat: 77 } } }),
  );
  try {
    const running = run(ctx, [
      "--port",
      "0",
      "--seed",
      "3",
      "--config",
      config,
      "--latency-ms",
      "0",
      "--lag-ms",
      "0",
    ]);
    while (!lines.some((l) => l.startsWith("Emulator listening on "))) {
      await new Promise((r) => setTimeout(r, 5));
    }
    const url = lines[0]!.replace("Emulator listening on ", "");
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const tokenLine = lines.find((l) => l.startsWith("Token for octo-owner"));
    assert.ok(tokenLine, lines.join("\n"));
    const token = tokenLine.split(": ")[1]!;
    const checked = contractFetch(await sharedContract(), fetch);
    const res = await checked(`${url}/repos/octo-org/hello/issues/1`, {
      headers: { authorization: `token ${token}` },
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("x-ratelimit-limit"), "77", "limits came from --config");
    await res.body?.cancel();
    stop.abort();
    await running;
    await assert.rejects(fetch(url), "the server is closed");
  } finally {
    stop.abort();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("p2p-dev emulator refuses bad flags with a usage error", async () => {
  const cases: [string[], RegExp][] = [
    [["--port", "70000"], /Invalid --port "70000": expected 0 \(any free port\) to 65535\./],
    [["--seed", "x"], /Invalid --seed "x": expected a whole number\./],
    [["--error-rate", "1.5"], /Invalid --error-rate "1.5": expected a number from 0 to 1\./],
    [["--latency-ms", "-1"], /Invalid --latency-ms "-1"/],
    [["--lag-ms", "soon"], /Invalid --lag-ms "soon"/],
    [
      ["--config", "/nonexistent/emulator.json"],
      /Cannot read emulator configuration "\/nonexistent\/emulator.json"/,
    ],
  ];
  for (const [args, message] of cases) {
    const { ctx } = context();
    await assert.rejects(run(ctx, args), (error: unknown) => {
      assert.ok(error instanceof UsageError, `${args.join(" ")}: ${error}`);
      assert.match(error.message, message);
      return true;
    });
  }
});

Deno.test("p2p-dev emulator listens on $PORT when --port is not given; --port wins", async () => {
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const free = (probe.addr as Deno.NetAddr).port;
  probe.close();
  for (
    const [env, args, expected] of [
      [{ PORT: String(free) }, [], free],
      [{ PORT: "1" }, ["--port", String(free)], free],
    ] as const
  ) {
    const { ctx, lines, stop } = context();
    ctx.env = env;
    const running = run(ctx, [...args, "--no-demo"]);
    while (!lines.some((l) => l.startsWith("Emulator listening on "))) {
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.equal(lines[0], `Emulator listening on http://127.0.0.1:${expected}`);
    stop.abort();
    await running;
  }
  const { ctx } = context();
  ctx.env = { PORT: "http" };
  await assert.rejects(
    run(ctx, []),
    /Invalid PORT "http": expected 0 \(any free port\) to 65535\./,
  );
});
