import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const FIXTURE = fileURLToPath(new URL("./fixtures/flood_heap.ts", import.meta.url));

Deno.test("1,000 comments of 64 KB from a stranger leave the node's heap about a megabyte larger, not 64 MB: what the view keeps of a body is its own copy, not a slice that keeps the body alive", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--v8-flags=--expose-gc", FIXTURE],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const r = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    posted: number;
    retained: number;
    held: number;
    size: number;
  };
  assert.equal(r.size, 1_000);
  assert.ok(r.posted > 64_000_000, `${r.posted} characters read`);
  assert.ok(r.held <= 1_000 * 256, `the view counts ${r.held} characters`);
  // A slice of each body kept 61.8 MiB alive; its own copy keeps about 1 MiB.
  assert.ok(r.retained < 8 * 2 ** 20, `the heap kept ${(r.retained / 2 ** 20).toFixed(1)} MiB`);
});
