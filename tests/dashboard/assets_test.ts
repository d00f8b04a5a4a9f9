import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { ASSETS_MODULE, buildDashboardModule } from "../../scripts/build_dashboard.ts";
import {
  PAGE_SCRIPT,
  PAGE_SCRIPT_HASH,
  PAGE_STYLE,
  PAGE_STYLE_HASH,
} from "../../src/dashboard/assets.gen.ts";
import { contentSecurityPolicy, renderDashboard } from "../../src/dashboard/render_page.ts";
import { staticSnapshot } from "../../src/dashboard/static_snapshot.ts";

Deno.test("the generated page assets are up to date with their sources (run `deno task dashboard`)", async () => {
  const fresh = await buildDashboardModule();
  const committed = await Deno.readTextFile(ASSETS_MODULE);
  assert.ok(
    fresh === committed,
    "src/dashboard/assets.gen.ts is stale: run `deno task dashboard` and commit the result.",
  );
});

Deno.test("the page's CSP allows exactly its own script and style, by hash", () => {
  const hash = (text: string) => createHash("sha256").update(text).digest("base64");
  assert.equal(PAGE_SCRIPT_HASH, hash(PAGE_SCRIPT));
  assert.equal(PAGE_STYLE_HASH, hash(PAGE_STYLE));
  const csp = contentSecurityPolicy("https://api.github.com/");
  assert.match(csp, /default-src 'none'/);
  assert.match(
    csp,
    new RegExp(`script-src 'sha256-${PAGE_SCRIPT_HASH.replace(/[+/]/g, "\\$&")}'(;|$)`),
  );
  assert.match(csp, /connect-src 'self' https:\/\/api\.github\.com;/);
  assert.match(csp, /require-trusted-types-for 'script'/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
});

Deno.test("the page is one file: no external script, style, font or image", () => {
  const html = renderDashboard({ apiUrl: "http://127.0.0.1:9999" });
  assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=|@import|url\(http/i);
  assert.match(html, /connect-src 'self' http:\/\/127\.0\.0\.1:9999/);
  assert.ok(html.includes(`<script>${PAGE_SCRIPT}</script>`));
});

Deno.test("embedded comment text cannot close the data block or open a tag", () => {
  const evil = `</script><script>alert(1)</script><!-- & \u2028`;
  const html = renderDashboard({
    snapshot: staticSnapshot({ repo: "o/r", issue: 1 }, [{
      id: 1,
      body: evil,
      user: { login: "x" },
      created_at: "2025-01-01T00:00:00Z",
      updated_at: "2025-01-01T00:00:00Z",
    }]),
  });
  const block = /<script type="application\/json" id="p2p-dev-config">([\s\S]*?)<\/script>/.exec(
    html,
  )!;
  assert.ok(block, "the data block is there");
  assert.doesNotMatch(block[1]!, /[<>]/);
  assert.equal(JSON.parse(block[1]!).snapshot.comments[0].body, evil, "the text survives intact");
  assert.equal(html.match(/<script/g)!.length, 2, "only the data block and the page's script");
});

Deno.test("an API URL that is not http(s) is refused with a clear error", () => {
  assert.throws(() => renderDashboard({ apiUrl: "javascript:alert(1)" }), /Invalid API URL/);
  assert.throws(() => renderDashboard({ apiUrl: "not a url" }), /Invalid API URL "not a url"/);
});
