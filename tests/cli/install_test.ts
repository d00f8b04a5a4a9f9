/**
 * Installing from a checkout and running what the program and the README
 * print (issue 15: every printed command ended in `command not found`).
 */
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { assertParses, p2pArgs } from "./_commands.ts";
import { linesOf } from "./_proc.ts";

const ROOT = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");

/** Runs `sh -c line` in `cwd` with `env` as the whole environment. */
async function sh(line: string, cwd: string, env: Record<string, string>) {
  const out = await new Deno.Command("sh", {
    args: ["-c", line],
    cwd,
    env,
    clearEnv: true,
    stdin: "null",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Reads lines from a stream until `match` finds one; returns it and the reader. */
async function waitForLine(
  lines: AsyncIterator<string>,
  match: RegExp,
  seen: string[],
): Promise<string> {
  while (true) {
    const next = await lines.next();
    if (next.done) throw new Error(`No line matched ${match}:\n${seen.join("\n")}`);
    seen.push(next.value);
    if (match.test(next.value)) return next.value;
  }
}

Deno.test({
  name: "deno task install puts p2p-dev on PATH; the demo's Try: and Inspect: lines run as printed",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const tmp = await Deno.realPath(await Deno.makeTempDir({ prefix: "p2p-install-" }));
    try {
      const env: Record<string, string> = {
        HOME: Deno.env.get("HOME") ?? tmp,
        PATH: `${tmp}/root/bin:${dirname(Deno.execPath())}:${Deno.env.get("PATH") ?? ""}`,
        DENO_INSTALL_ROOT: `${tmp}/root`,
        NO_COLOR: "1",
      };
      for (const k of ["DENO_DIR", "XDG_CACHE_HOME", "TMPDIR"]) {
        const v = Deno.env.get(k);
        if (v) env[k] = v;
      }
      const install = await sh("deno task install", ROOT, env);
      assert.equal(install.code, 0, install.stderr);
      const work = join(tmp, "work");
      await Deno.mkdir(work);
      const version = await sh("p2p-dev --version", work, env);
      assert.equal(version.code, 0, version.stderr);

      const demo = new Deno.Command("p2p-dev", {
        args: ["demo", "--nodes", "2", "--keep"],
        cwd: work,
        env,
        clearEnv: true,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const stderr = new Response(demo.stderr).text();
      const seen: string[] = [];
      const lines = linesOf(demo.stdout);
      try {
        await waitForLine(lines, /Emulator still running at .* Try:$/, seen);
        const tryLine = (await waitForLine(lines, /p2p-dev state --issue/, seen)).trim();
        const live = await sh(tryLine, work, env);
        assert.equal(live.code, 0, `${tryLine}\n${live.stderr}`);
        assert.match(live.stdout, /^Leader: node-\d/m);
        assert.match(live.stdout, /11\/11 done/);
      } finally {
        demo.kill("SIGTERM");
      }
      const inspectLine = (await waitForLine(lines, /^Inspect: /, seen)).replace(/^Inspect: /, "");
      assert.equal((await demo.status).code, 0, await stderr);
      const inspect = await sh(inspectLine, work, env);
      assert.equal(inspect.code, 0, `${inspectLine}\n${inspect.stderr}`);
      assert.match(inspect.stdout, /^Leader: node-\d/m);
      assert.match(inspect.stdout, /11\/11 done/);
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});

/** The shell, cron and YAML code blocks of a Markdown file, continuation lines joined. */
function codeLines(markdown: string): string[] {
  const lines: string[] = [];
  for (const m of markdown.matchAll(/```(sh|bash|cron|yaml|ini|console)\n([\s\S]*?)```/g)) {
    const block = m[2]!.replace(/\\\n\s*/g, " ").split("\n");
    // In a systemd unit only ExecStart= runs a command.
    lines.push(
      ...(m[1] === "ini"
        ? block.filter((l) => l.startsWith("ExecStart=")).map((l) => l.slice("ExecStart=".length))
        : block),
    );
  }
  return lines;
}

Deno.test("every p2p-dev command in the README's code blocks parses with the real CLI", async () => {
  const readme = await Deno.readTextFile(join(ROOT, "README.md"));
  const commands = codeLines(readme).filter((l) => !l.trim().startsWith("#"))
    .map((l) => ({ line: l.trim(), args: p2pArgs(l) }))
    .filter((c): c is { line: string; args: string[] } =>
      c.args !== undefined && c.args.length > 0
    );
  assert.ok(commands.length >= 10, `found only ${commands.length} commands`);
  for (const { line, args } of commands) {
    try {
      assertParses(args);
    } catch (error) {
      assert.fail(`README: ${line}\n  ${(error as Error).message}`);
    }
  }
});

Deno.test("the parser check refuses what the CLI refuses", () => {
  assert.throws(() => assertParses(["run", "--issue", "1", "--bogus"]), /Unknown option --bogus/);
  assert.throws(() => assertParses(["run", "--exec", "x"]), /Missing required --issue/);
  assert.throws(() => assertParses(["state", "--token-kind", "x"]), /Invalid --token-kind/);
  assert.throws(() => assertParses(["nope"]), /Unknown command/);
  assert.deepEqual(p2pArgs(`cd /srv && flock -n /tmp/l p2p-dev run --issue "$N" >> log 2>&1`), [
    "run",
    "--issue",
    "1",
  ]);
});

Deno.test("the demo's and aggregate's default output folders are in .gitignore", async () => {
  const { DEMO_OPTIONS } = await import("../../src/cli/demo.ts");
  const { AGGREGATE_OPTIONS } = await import("../../src/cli/aggregate.ts");
  for (const table of [DEMO_OPTIONS, AGGREGATE_OPTIONS]) {
    const out = table.find((o) => o.name === "out")!.default as string;
    const r = await new Deno.Command("git", {
      args: ["check-ignore", "--no-index", "-q", `${out}/metrics.json`],
      cwd: ROOT,
    }).output();
    assert.equal(r.code, 0, `${out}/ is not ignored by .gitignore`);
  }
});
