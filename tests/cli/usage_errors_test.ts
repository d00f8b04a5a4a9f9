/**
 * Every usage error on every subcommand ends with exit code 2 and one
 * message saying what is wrong (issue 15: subcommands used to exit 1).
 */
import assert from "node:assert/strict";
import { runInProcess } from "./_ctx.ts";
import { runCli } from "./_run.ts";

const ENV = { GITHUB_TOKEN: "ghp_x", GITHUB_REPOSITORY: "o/r", PATH: "/nonexistent" };

/** [args, what the message says]. None of these gets as far as a request. */
const CASES: [string[], RegExp][] = [
  [["bogus"], /unknown command 'bogus'/],
  [["--bogus"], /unknown option '--bogus'/],
  [["run", "--issue", "1", "--exec", "true", "--bogus"], /unknown option '--bogus'/],
  [["run", "--exec", "true"], /required option '--issue <n>' not specified/],
  [["run", "--issue"], /option '--issue <n>' argument missing/],
  [["run", "--issue", "x"], /Invalid --issue "x": expected a positive whole number/],
  [
    ["run", "--issue", "1", "--token-kind", "x"],
    /Invalid --token-kind "x": use actions, pat or app/,
  ],
  [["run", "--issue", "1", "--settle-ms", "soon"], /Invalid --settle-ms "soon"/],
  [["run", "--issue", "1", "--executor", "command"], /--executor command needs --exec CMD/],
  [["run", "--issue", "1"], /No executor: install Claude Code/],
  [
    ["run", "--issue", "1", "--exec", "true", "--lease-ms", "1000", "--renew-ms", "2000"],
    /Lease 1000 ms must be longer/,
  ],
  [["run", "--issue", "1", "--exec", "true", "--time-scale", "2"], /Invalid --time-scale "2"/],
  [["run", "--issue", "1", "--exec", "true", "--node-id", "a b"], /Invalid --node-id "a b"/],
  [["elect", "--bogus"], /unknown option '--bogus'|required option/],
  [["elect", "--issue", "1", "--exec", "true"], /unknown option '--exec'/],
  [["elect", "--issue", "1", "--lease-ms", "5000"], /unknown option '--lease-ms'/],
  [["plan", "--issue", "1", "--planner", "magic"], /Invalid --planner "magic": use auto, markdown/],
  [["plan", "--issue", "1", "--deliver", "pr"], /unknown option '--deliver'/],
  [["work", "--issue", "1", "--planner", "markdown"], /unknown option '--planner'/],
  [
    ["work", "--issue", "1", "--deliver", "mail"],
    /Invalid --deliver "mail": use none, branch or pr/,
  ],
  [["aggregate"], /required option '--issue <n>' not specified/],
  [["aggregate", "--issue", "0"], /Invalid --issue "0"/],
  [["state"], /Pass exactly one of --comments FILE or --issue N/],
  [["state", "--issue", "-3"], /Invalid --issue "-3"|argument missing|unknown option/],
  [["state", "--comments", "/nonexistent.json"], /Cannot read comments file/],
  [["demo", "--faults", '{"lightning":1}'], /Invalid --faults: Unknown fault setting "lightning"/],
  [["demo", "--nodes", "51"], /at most 50 nodes/],
  [["demo", "--nodes", "0"], /Invalid --nodes "0"/],
  [["demo", "--timeout", "never"], /Invalid --timeout "never"/],
  [["emulator", "--port", "70000"], /Invalid --port "70000"/],
  [["status"], /required option '--issue <n>' not specified/],
  [["status", "--issue", "1", "--interval", "often"], /Invalid --interval "often"/],
  [["watch", "--issue", "1"], /unknown option '--issue'/],
  [["watch", "--max-duration", "soon"], /Invalid --max-duration "soon"/],
  [["completions", "tcsh"], /Unknown shell "tcsh": use bash, zsh or fish/],
  [["completions"], /missing required argument 'shell'/],
  [["emulator", "--error-rate"], /argument missing/],
];

Deno.test("every usage error on every subcommand exits 2 with one message", async () => {
  for (const [args, message] of CASES) {
    const r = await runInProcess(args, ENV);
    const said = r.err.join("\n");
    assert.equal(r.code, 2, `p2p-dev ${args.join(" ")} exited ${r.code}: ${said}`);
    assert.match(said, message, `p2p-dev ${args.join(" ")}`);
    assert.equal(r.out.length, 0, `p2p-dev ${args.join(" ")} printed to stdout: ${r.out}`);
  }
});

Deno.test("usage errors of subcommands exit 2 from the real process too", async () => {
  for (
    const args of [
      ["run", "--issue"],
      ["aggregate"],
      ["run", "--issue", "1", "--token-kind", "x"],
      ["demo", "--faults", '{"x":1}'],
    ]
  ) {
    const r = await runCli(args, ENV);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
  }
});

Deno.test("help and version exit 0", async () => {
  for (const args of [["--help"], ["run", "--help"], ["help", "run"], ["--version"]]) {
    const r = await runInProcess(args, {});
    assert.equal(r.code, 0, args.join(" "));
  }
});

Deno.test("--deliver from a clone whose remote URL holds a token exits 2, naming the remote, never the token", async () => {
  const dir = await Deno.makeTempDir({ prefix: "p2p-cli-remote-" });
  try {
    const git = (...args: string[]) =>
      new Deno.Command("git", {
        args,
        cwd: dir,
        env: { GIT_CONFIG_GLOBAL: "/dev/null", GIT_CONFIG_NOSYSTEM: "1" },
        stdout: "null",
        stderr: "null",
      }).output();
    await git("init", "--quiet");
    await git("remote", "add", "origin", "https://x-access-token:ghs_inurl_secret@github.com/o/r");
    const r = await runInProcess(
      ["run", "--issue", "1", "--exec", "true", "--deliver", "branch", "--repo-dir", dir],
      ENV,
    );
    const said = r.err.join("\n");
    assert.equal(r.code, 2, said);
    assert.match(said, /The URL of remote "origin" .* holds a credential/);
    assert.match(said, /git remote set-url origin/);
    assert.doesNotMatch(said, /ghs_inurl_secret/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
