/**
 * The bundle stands in for `deno compile` (which cannot fetch its runtime
 * here): one self-contained file that runs from an empty folder with no
 * network, no npm cache and no node_modules.
 */
import assert from "node:assert/strict";
import denoJson from "../deno.json" with { type: "json" };
import { buildEnv } from "./_build.ts";

const ROOT = new URL("..", import.meta.url).pathname;

async function run(cmd: string, args: string[], env: Record<string, string>, cwd: string) {
  const out = await new Deno.Command(cmd, { args, env, clearEnv: true, cwd, stdin: "null" })
    .output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test({
  name:
    "the bundle runs alone from an empty folder: --version, --help, a 3-node demo and its dashboard page",
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "p2p-dev-bundle-" });
    const denoDir = await Deno.makeTempDir({ prefix: "p2p-dev-empty-deno-dir-" });
    try {
      const bundled = await run(
        Deno.execPath(),
        [
          "bundle",
          "--quiet",
          "--output",
          `${dir}/p2p-dev.js`,
          "src/main.ts",
        ],
        buildEnv(),
        ROOT,
      );
      assert.equal(bundled.code, 0, bundled.stderr);
      const entries = [...Deno.readDirSync(dir)].map((e) => e.name);
      assert.deepEqual(entries, ["p2p-dev.js"], "the bundle is one file");

      // An empty DENO_DIR and --cached-only: any import left outside the file fails.
      const env = { PATH: Deno.env.get("PATH") ?? "", HOME: dir, DENO_DIR: denoDir, NO_COLOR: "1" };
      const flags = ["run", "--no-remote", "--cached-only", "--allow-all", "--no-prompt"];
      const version = await run(Deno.execPath(), [...flags, "p2p-dev.js", "--version"], env, dir);
      assert.equal(version.code, 0, version.stderr);
      assert.equal(version.stdout.trim(), denoJson.version);

      const help = await run(Deno.execPath(), [...flags, "p2p-dev.js", "--help"], env, dir);
      assert.equal(help.code, 0, help.stderr);
      assert.match(help.stdout, /demo/);

      const demo = await run(
        Deno.execPath(),
        [...flags, "p2p-dev.js", "demo", "--nodes", "3", "--out", "out"],
        env,
        dir,
      );
      assert.equal(demo.code, 0, `demo failed:\n${demo.stdout}\n${demo.stderr}`);
      assert.match(demo.stdout, /✅ leader node-\d · 11\/11 tasks done, 0 failed/);
      const metrics = JSON.parse(await Deno.readTextFile(`${dir}/out/metrics.json`));
      assert.equal(metrics.totals.done, 11);
      assert.equal(metrics.totals.duplicateResults, 0);
      assert.equal(metrics.nodes.length, 3);
      // The dashboard comes with the bundle: the demo writes it, and so does `dashboard build`.
      const page = await Deno.readTextFile(`${dir}/out/index.html`);
      assert.match(page, /<meta http-equiv="Content-Security-Policy"/);
      assert.match(page, /"issue":1/);
      const build = await run(
        Deno.execPath(),
        [...flags, "p2p-dev.js", "dashboard", "build", "--out", "page"],
        env,
        dir,
      );
      assert.equal(build.code, 0, build.stderr);
      const built = await Deno.readTextFile(`${dir}/page/index.html`);
      const script = (html: string) => /<script>([^]*?)<\/script>/.exec(html)?.[1];
      assert.ok(script(built) && script(built) === script(page), "one page script, embedded");
      assert.match(built, /"snapshot":null/);
      assert.equal(entries.length, 1);
    } finally {
      await Deno.remove(dir, { recursive: true });
      await Deno.remove(denoDir, { recursive: true });
    }
  },
});
