import { checkFullSeeds } from "./_full.ts";

Deno.test("sim: the odd full-profile seeds of 1–200 (1–50 nodes, up to 200 tasks) hold every invariant", async () => {
  await checkFullSeeds("odd");
});
