import assert from "node:assert/strict";
import { runCli } from "../cli/_run.ts";

/** Processes whose command line mentions `marker` (other than `ps` itself). */
async function processesMentioning(marker: string): Promise<string[]> {
  const out = await new Deno.Command("ps", { args: ["-eo", "pid,args"], stdout: "piped" }).output();
  return new TextDecoder().decode(out.stdout).split("\n").filter((l) => l.includes(marker));
}

Deno.test({
  name: "demo under list lag and a 5% 5xx rate still completes every task exactly once",
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "p2p-dev-demo-faults-" });
    try {
      const r = await runCli([
        "demo",
        "--nodes",
        "3",
        "--lag",
        "1500",
        "--faults",
        '{"serverErrors":{"rate":0.05}}',
        "--seed",
        "7",
        "--out",
        `${dir}/out`,
      ]);
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
      // Piped output has no width: the progress line is whole, never cut at 80 columns.
      assert.match(r.stdout, /█ 11\/11 done · 0 running · 0 ready · 0 blocked · 0 failed$/m);
      for (const line of r.stdout.split("\n").filter((l) => l.includes(" done · "))) {
        assert.match(line, / failed$/, `a whole progress line: ${line}`);
      }
      const metrics = JSON.parse(await Deno.readTextFile(`${dir}/out/metrics.json`));
      assert.equal(metrics.totals.done, metrics.totals.tasks);
      assert.equal(metrics.totals.duplicateResults, 0);
      assert.equal(metrics.terms, 1);
      const counts = JSON.parse(await Deno.readTextFile(`${dir}/out/api-counts.json`));
      assert.ok(counts["github-actions[bot]"].serverErrors > 0, "the fault rate was in force");
      // The saved log folds to the same result with the state command.
      const state = await runCli([
        "state",
        "--comments",
        `${dir}/out/comments.json`,
        "--self",
        "github-actions[bot]",
        "--json",
      ]);
      const folded = JSON.parse(state.stdout);
      assert.ok(
        Object.values(folded.tasks).every((t) => (t as { status: string }).status === "done"),
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "a demo that cannot finish in time says what failed, exits 1 and leaves no processes",
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "p2p-dev-demo-timeout-" });
    try {
      const r = await runCli(["demo", "--nodes", "2", "--timeout", "1500", "--out", `${dir}/out`]);
      assert.equal(r.code, 1);
      assert.match(r.stdout, /Demo failed: The swarm did not finish within 1\.5 s; see /);
      assert.deepEqual(await processesMentioning(`${dir}/out/nodes`), []);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("demo refuses a bad --faults value with exit code 2", async () => {
  const r = await runCli(["demo", "--faults", "{nope"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /Invalid --faults: "\{nope" is not JSON/);
});
