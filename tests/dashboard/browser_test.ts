/**
 * The dashboard in a real browser (Debian's headless Chromium, one launch
 * for every case) against the emulator with a real swarm of `p2p-dev run`
 * processes: live mode with a viewer's token, the static files the
 * aggregator writes (from `file://` and over http), and `dashboard serve`.
 * Every wait is for a condition, bounded by the scenario's deadline; counts
 * of requests are exact.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { renderDashboard } from "../../src/dashboard/render_page.ts";
import { restComments, writeDashboard } from "../../src/dashboard/write_page.ts";
import { buildMetrics, metricsJson } from "../../src/node/metrics.ts";
import { fold } from "../../src/protocol/fold.ts";
import { ISSUE, trustPolicy } from "../protocol/_log.ts";
import { costlyLog } from "./_costs.ts";
import { startServe } from "./_serve.ts";
import { currentLeader } from "../../src/protocol/view.ts";
import { ceiling, type TokenKind } from "../../src/protocol/budget.ts";
import {
  BOT,
  OWNER,
  postComment,
  RECORD_PID,
  REPO,
  startSwarm,
  STRANGER,
  type Swarm,
  WRITER,
} from "../e2e/_swarm.ts";
import {
  canvasDrawn,
  launchChromium,
  OUTPUT_DIR,
  scrollsSideways,
  setHidden,
  watchPage,
} from "./_browser.ts";

const RUN_ID = 7001;

/** The number a card shows, whatever the browser's digit grouping. */
const digits = (shown: string) => Number(shown.replace(/\D/g, ""));
const WORKFLOW = ".github/workflows/p2p-autonomous-dev.yml";
const WORK = `${RECORD_PID}; echo "P2P_PROGRESS 50 halfway"; sleep 0.3; echo "did $P2P_TASK_ID"`;
const XSS_IMG = `<img src=x onerror="window.__xss='img'">`;
const XSS_SCRIPT = `<script>window.__xss='script'</script>`;

/** Waits until `check` returns a truthy value, within the swarm's deadline. */
async function until<T>(swarm: Swarm, what: string, check: () => Promise<T> | T): Promise<T> {
  return await swarm.within(
    what,
    (async () => {
      for (;;) {
        const value = await check();
        if (value) return value;
        await new Promise((r) => setTimeout(r, 100));
      }
    })(),
  );
}

/** A small static server for the page and the aggregator's files; it records request headers. */
function pageServer(dir: string, apiUrl: string) {
  const seen: { path: string; authorization: string | null }[] = [];
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, async (req) => {
    const url = new URL(req.url);
    seen.push({ path: url.pathname, authorization: req.headers.get("authorization") });
    if (url.pathname === "/live/" || url.pathname === "/live/index.html") {
      return new Response(renderDashboard({ apiUrl }), {
        headers: { "content-type": "text/html; charset=utf-8" },
      });
    }
    const m = /^\/static\/([a-z]+\.(?:html|json))$/.exec(url.pathname);
    if (m) {
      try {
        const body = await Deno.readFile(join(dir, m[1]!));
        return new Response(body, {
          headers: { "content-type": m[1]!.endsWith(".html") ? "text/html" : "application/json" },
        });
      } catch {
        return new Response("not found", { status: 404 });
      }
    }
    return new Response("not found", { status: 404 });
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, seen, server };
}

async function rows(page: Page, selector: string): Promise<Record<string, string>[]> {
  return await page.evaluate(`[...document.querySelectorAll(${JSON.stringify(selector)})]
    .map((el) => Object.assign({}, el.dataset, { text: el.textContent }))`) as Record<
    string,
    string
  >[];
}

async function text(page: Page, selector: string): Promise<string> {
  return (await page.textContent(selector)) ?? "";
}

Deno.test({
  name:
    "the dashboard in headless Chromium against a running swarm: tabs match the fold, charts drawn, " +
    "live and served updates without reload, comment text inert, 304s free, rate limits shown, phone width",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    await Deno.mkdir(OUTPUT_DIR, { recursive: true });
    // First, so a missing browser fails at once with what to do.
    const browser: Browser = await launchChromium();
    await using _browser = { [Symbol.asyncDispose]: () => browser.close() };
    await using swarm = await startSwarm({ deadlineMs: 240_000 });
    const control = swarm.emulator.control;
    control.seed({
      repos: [{
        owner: OWNER,
        name: REPO,
        workflows: [{ name: "P2P Autonomous Development", path: WORKFLOW }],
        runs: [
          {
            id: RUN_ID,
            workflow: WORKFLOW,
            event: "issues",
            status: "in_progress",
            displayTitle: "Add full-text search",
            jobs: [
              { name: "swarm (1)", status: "in_progress" },
              { name: "swarm (2)", status: "in_progress" },
              { name: "swarm (3)", status: "in_progress" },
              { name: "aggregate-results", status: "queued" },
            ],
          },
          // Another issue's run: not shown.
          { id: 7002, workflow: WORKFLOW, event: "workflow_dispatch", displayTitle: "p2p-dev #9" },
        ],
      }],
    });
    const out = join(swarm.tmp, "site");
    const site = pageServer(out, swarm.emulator.url);
    try {
      for (let i = 1; i <= 3; i++) {
        swarm.spawn({
          id: `run-${RUN_ID}-job-${i}`,
          args: ["--exec", WORK, "--planner", "markdown"],
        });
      }

      // ---------------------------------------------------------------- live
      const live = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const liveWatch = await watchPage(live);
      const apiRequests: { origin: string; authorization: string | undefined }[] = [];
      live.on("request", (r) => {
        apiRequests.push({
          origin: new URL(r.url()).origin,
          authorization: r.headers()["authorization"],
        });
      });

      await t.step("live mode: the viewer connects with a token through the form", async () => {
        await live.goto(`${site.url}/live/`);
        await live.waitForSelector("#connect-form");
        await live.fill("input[name=repo]", `${OWNER}/${REPO}`);
        await live.fill("input[name=issue]", String(swarm.issue));
        await live.fill("input[name=token]", WRITER.token);
        await live.click("#connect-form button[type=submit]");
        await live.waitForSelector("#forget:not([hidden])");
        await live.evaluate("window.__loaded = 'once'");
        assert.equal(
          await live.evaluate(`localStorage.getItem("p2p-dev:token")`),
          WRITER.token,
          "the token is kept in localStorage",
        );
      });

      const statuses = await swarm.waitAll();
      for (const [id, s] of Object.entries(statuses)) assert.equal(s.code, 0, `${id} exits 0`);

      await t.step("a new comment shows without a reload (live)", async () => {
        const id = await postComment(swarm, WRITER.token, "Looks good from here, thanks!");
        await live.click("#tab-messages");
        await live.check("#filter-ordinary");
        await until(swarm, "the new comment in the page", () => live.$(`tr[data-comment="${id}"]`));
        assert.equal(await live.evaluate("window.__loaded"), "once", "no reload happened");
        await live.uncheck("#filter-ordinary");
      });

      await t.step("comment text shows as text and runs nothing", async () => {
        const plain = await postComment(swarm, STRANGER.token, `Nice ${XSS_IMG} and ${XSS_SCRIPT}`);
        // A stranger's protocol line (a whole one: the original design's PROGRESS):
        // decoded, shown, ignored as untrusted.
        const forged = await postComment(
          swarm,
          STRANGER.token,
          `📊 PROGRESS|${
            JSON.stringify({ task_id: XSS_IMG, node_id: XSS_SCRIPT, status: "completed" })
          }`,
        );
        await live.check("#filter-ordinary");
        await until(
          swarm,
          "both comments in the page",
          async () =>
            await live.$(`tr[data-comment="${plain}"]`) &&
            await live.$(`tr[data-comment="${forged}"]`),
        );
        const plainText = await text(live, `tr[data-comment="${plain}"]`);
        assert.ok(plainText.includes(XSS_IMG) && plainText.includes(XSS_SCRIPT), plainText);
        const forgedRow = (await rows(live, `tr[data-comment="${forged}"]`))[0]!;
        assert.equal(forgedRow.verdict, "ignored");
        assert.equal(forgedRow.reason, "untrusted_author");
        assert.ok(forgedRow.text!.includes(XSS_IMG) && forgedRow.text!.includes(XSS_SCRIPT));
        assert.equal(await live.evaluate("window.__xss"), undefined, "no script ran");
        assert.equal(
          await live.evaluate(`document.querySelectorAll('img, main script, td script').length`),
          0,
          "no element was made from comment text",
        );
        assert.deepEqual(await live.evaluate("window.__cspViolations"), []);
        await live.uncheck("#filter-ordinary");
      });

      const { state, comments } = swarm.finalState();
      await t.step(
        "each tab renders and its numbers match the fold, API use against the budget too; charts are drawn; messages filter by type and node and link to their comments",
        async () => {
          await until(
            swarm,
            "the page to fold the whole log",
            async () =>
              (await live.getAttribute("body", "data-last-comment")) ===
                String(comments.at(-1)!.id),
          );
          await live.click("#tab-overview");
          assert.equal(
            (await text(live, "[data-testid=leader] .value")).trim(),
            currentLeader(state)!.node,
          );
          const tasks = await rows(live, "[data-testid=tasks] tbody tr");
          assert.deepEqual(
            Object.fromEntries(tasks.map((r) => [r.task, r.status])),
            Object.fromEntries(state.order.map((id) => [id, state.tasks[id]!.status])),
          );
          assert.equal((await text(live, "[data-testid=tasks-done] .value")).trim(), "11 / 11");
          assert.equal((await text(live, "[data-testid=success-rate] .value")).trim(), "100%");
          const nodes = await rows(live, "[data-testid=nodes] tbody tr");
          assert.deepEqual(
            nodes.map((n) => n.node).sort(),
            Object.keys(state.nodes).sort(),
          );
          // API use against the budget: the swarm's protocol writes are the comments its
          // identity created (the stranger's protocol line is not one of them), and the budget
          // cards are the protocol's ceiling for the nodes and token kind the log shows.
          const swarmWrites = comments.filter((c) => c.author === BOT.login).length;
          assert.ok(
            comments.some((c) => c.author === STRANGER.login && c.body.includes("PROGRESS|")),
          );
          assert.equal(
            (await text(live, "[data-testid=writes] .value")).trim(),
            String(swarmWrites),
          );
          assert.match(
            await text(live, "[data-testid=writes]"),
            new RegExp(`${swarmWrites} in the last hour`),
          );
          const budgetLabel = await text(live, "[data-testid=budget-requests]");
          const kind = /(actions|pat|app) token · (\d+) node\(s\)/.exec(budgetLabel);
          assert.ok(kind, budgetLabel);
          assert.equal(Number(kind[2]), Object.keys(state.nodes).length);
          const expected = ceiling({
            tokenKind: kind[1] as TokenKind,
            nodes: Object.keys(state.nodes).length,
            writesPerTask: swarmWrites / state.order.length,
          });
          assert.equal(
            digits(await text(live, "[data-testid=budget-requests] .value")),
            expected.requestsPerHour,
          );
          assert.equal(
            (await text(live, "[data-testid=budget-poll] .value")).trim(),
            `${Math.round(expected.pollIntervalSec)} s`,
          );
          assert.equal(
            (await text(live, "[data-testid=budget-tasks] .value")).trim(),
            `${Math.round(expected.tasksPerHourByWrites)} /h`,
          );
          assert.ok(await canvasDrawn(live, "#chart-phases") > 500, "the phase chart is drawn");
          assert.ok(await canvasDrawn(live, "#chart-timeline") > 500, "the timeline is drawn");
          await live.screenshot({ path: join(OUTPUT_DIR, "overview.png"), fullPage: true });

          await live.click("#tab-workflows");
          await until(
            swarm,
            "the swarm's run with its jobs",
            () => live.$(`tr[data-run="${RUN_ID}"] li[data-job]`),
          );
          const runs = await rows(live, "[data-testid=runs] tbody tr");
          assert.deepEqual(
            runs.map((r) => r.run),
            [String(RUN_ID)],
            "only this issue's run",
          );
          assert.equal(await live.$$eval(`tr[data-run="${RUN_ID}"] li`, (l) => l.length), 4);
          await live.screenshot({ path: join(OUTPUT_DIR, "workflows.png"), fullPage: true });

          await live.click("#tab-messages");
          const reasons = await rows(live, "[data-testid=ignored-reasons] [data-reason]");
          assert.deepEqual(
            Object.fromEntries(reasons.map((r) => [r.reason, Number(r.count)])),
            Object.fromEntries(Object.entries(state.ignored).filter(([, n]) => n > 0)),
          );
          await live.selectOption("#filter-type", "claim");
          const claims = await rows(live, "[data-testid=messages] tbody tr");
          assert.ok(claims.length >= 11 && claims.every((r) => r.type === "claim"));
          await live.selectOption("#filter-type", "");
          // The node filter keeps one node's rows, each linking to its comment on the issue.
          const cells = () =>
            live.$$eval("[data-testid=messages] tbody tr", (trs) =>
              trs.map((tr) => ({
                node: tr.children[2]?.textContent ?? "",
                href: tr.querySelector("a")?.getAttribute("href") ?? "",
                comment: tr.getAttribute("data-comment") ?? "",
              })));
          const everyRow = await cells();
          const someNode = Object.keys(state.nodes).sort()[0]!;
          await live.selectOption("#filter-node", someNode);
          const nodeRows = await cells();
          assert.ok(nodeRows.length > 0 && nodeRows.length < everyRow.length, "the filter narrows");
          assert.deepEqual(
            nodeRows,
            everyRow.filter((r) => r.node === someNode),
            "exactly that node's rows",
          );
          for (const r of everyRow) {
            assert.ok(
              r.href.endsWith(`/${OWNER}/${REPO}/issues/${swarm.issue}#issuecomment-${r.comment}`),
              r.href,
            );
          }
          await live.selectOption("#filter-node", "");
          await live.screenshot({ path: join(OUTPUT_DIR, "messages.png"), fullPage: true });
          // The page at /live/ first looked for static files beside it (404): expected.
          assert.deepEqual(liveWatch.errors.filter((e) => !/status of 404/.test(e)), []);
        },
      );

      await t.step("tabs are keyboard-usable with ARIA roles", async () => {
        await live.focus("#tab-messages");
        await live.keyboard.press("Home");
        assert.equal(await live.getAttribute("#tab-overview", "aria-selected"), "true");
        await live.keyboard.press("ArrowRight");
        assert.equal(await live.getAttribute("#tab-workflows", "aria-selected"), "true");
        assert.equal(await live.evaluate("document.activeElement.id"), "tab-workflows");
        assert.equal(await live.isVisible("#panel-workflows"), true);
        assert.equal(await live.isVisible("#panel-overview"), false);
        await live.keyboard.press("End");
        assert.equal(await live.getAttribute("#tab-messages", "aria-selected"), "true");
        await live.keyboard.press("ArrowRight");
        assert.equal(await live.getAttribute("#tab-overview", "aria-selected"), "true");
        assert.equal(await live.getAttribute("#panel-overview", "role"), "tabpanel");
        assert.equal(await live.getAttribute("#panel-overview", "aria-labelledby"), "tab-overview");
      });

      await t.step(
        "a 304 answer leaves the page unchanged and costs nothing; the rate limit left is the token's",
        async () => {
          const countsOf = () => control.countsFor(WRITER.login);
          // Time alone redraws a node that falls silent past its lease: wait until all have.
          await live.click("#tab-overview");
          await until(
            swarm,
            "every node silent past its lease",
            async () =>
              (await rows(live, "[data-testid=nodes] tbody tr")).every((r) =>
                r.text!.endsWith("silent")
              ),
          );
          // Quiet first: a poll answered 304 only.
          let before = countsOf();
          await until(swarm, "an unchanged poll", () => {
            const now = countsOf();
            if (
              now.requests - before.requests >= 2 &&
              now.requests - before.requests === now.notModified - before.notModified
            ) return true;
            if (now.requests - before.requests !== now.notModified - before.notModified) {
              before = now;
            }
            return false;
          });
          before = countsOf();
          const used = control.rateLimit(WRITER.token).used;
          const renders = await live.getAttribute("body", "data-renders");
          const html = await live.innerHTML("#panel-overview");
          await until(
            swarm,
            "another poll",
            () => countsOf().notModified - before.notModified >= 1,
          );
          const after = countsOf();
          assert.equal(after.requests - before.requests, after.notModified - before.notModified);
          assert.equal(control.rateLimit(WRITER.token).used, used, "304s cost no rate limit");
          assert.equal(
            await live.getAttribute("body", "data-renders"),
            renders,
            "nothing re-rendered",
          );
          assert.equal(await live.innerHTML("#panel-overview"), html);
          // The remaining rate limit shown is the viewer token's, as the server counts it.
          const rate = control.rateLimit(WRITER.token);
          const [left, limit] = (await text(live, "[data-testid=rate] .value")).split("/").map(
            digits,
          );
          assert.deepEqual([left, limit], [rate.remaining, rate.limit]);
        },
      );

      await t.step("polling pauses while the tab is hidden and resumes when shown", async () => {
        await setHidden(live, true);
        await until(
          swarm,
          "the paused status",
          async () => (await text(live, "#status")).includes("paused while hidden"),
        );
        const before = control.countsFor(WRITER.login).requests;
        // Longer than a poll interval: a poll now would be a bug.
        await new Promise((r) => setTimeout(r, 6_000));
        assert.equal(control.countsFor(WRITER.login).requests, before, "no request while hidden");
        await setHidden(live, false);
        await until(
          swarm,
          "a poll on return",
          () => control.countsFor(WRITER.login).requests > before,
        );
      });

      await t.step("the token goes to the API origin only", () => {
        const withToken = apiRequests.filter((r) => r.authorization);
        assert.ok(withToken.length > 0);
        assert.deepEqual(
          [...new Set(withToken.map((r) => r.origin))],
          [new URL(swarm.emulator.url).origin],
        );
        assert.deepEqual(
          site.seen.filter((s) => s.authorization),
          [],
          "the page's server never saw it",
        );
      });

      await t.step("a rate-limit answer shows a notice and keeps the data", async () => {
        const limits = control.limits();
        control.setLimits({ primary: { pat: 1 } });
        try {
          await until(
            swarm,
            "the rate-limit notice",
            async () => (await text(live, "#notice")).includes("Rate limit reached"),
          );
          assert.equal(await live.isVisible("#notice"), true);
          assert.ok(await live.$(`[data-testid=tasks]`), "the last data stays on the page");
        } finally {
          control.setLimits({ primary: { pat: limits.primary.pat } });
        }
      });

      await t.step("forget token removes it from the browser", async () => {
        await live.click("#forget");
        assert.equal(await live.evaluate(`localStorage.getItem("p2p-dev:token")`), null);
        assert.equal(await live.isVisible("#connect-form"), true);
      });
      await live.close();

      // -------------------------------------------------------------- static
      await t.step(
        "static files: the page and `p2p-dev state --json` agree on the same log",
        async () => {
          const agg = await swarm.cli([
            "aggregate",
            "--issue",
            String(swarm.issue),
            "--out",
            out,
            "--no-comment",
          ], {
            GITHUB_TOKEN: BOT.token,
          });
          assert.equal(agg.code, 0, agg.stderr);
          const cli = await swarm.cli([
            "state",
            "--comments",
            join(out, "comments.json"),
            "--self",
            BOT.login,
            "--json",
          ]);
          assert.equal(cli.code, 0, cli.stderr);
          const folded = JSON.parse(cli.stdout);
          for (const url of [`file://${out}/index.html`, `${site.url}/static/index.html`]) {
            const page = await browser.newPage();
            const watch = await watchPage(page);
            await page.goto(url);
            await page.waitForSelector("[data-testid=tasks]");
            assert.equal(
              (await text(page, "[data-testid=leader] .value")).trim(),
              folded.terms.at(-1).node,
              `leader (${url})`,
            );
            const tasks = await rows(page, "[data-testid=tasks] tbody tr");
            assert.deepEqual(
              Object.fromEntries(tasks.map((r) => [r.task, r.status])),
              Object.fromEntries(
                folded.order.map((id: string) => [id, folded.tasks[id].status]),
              ),
            );
            await page.click("#tab-messages");
            const reasons = await rows(page, "[data-testid=ignored-reasons] [data-reason]");
            assert.deepEqual(
              Object.fromEntries(reasons.map((r) => [r.reason, Number(r.count)])),
              Object.fromEntries(
                Object.entries(folded.ignored as Record<string, number>).filter(([, n]) => n > 0),
              ),
            );
            assert.ok(reasons.some((r) => r.reason === "untrusted_author"));
            assert.deepEqual(watch.errors, []);
            assert.deepEqual(await page.evaluate("window.__cspViolations"), []);
            await page.close();
          }
        },
      );

      await t.step("at a phone viewport nothing scrolls sideways; dark mode is dark", async () => {
        const phone = await browser.newPage({
          viewport: { width: 360, height: 740 },
          deviceScaleFactor: 2,
          isMobile: true,
          hasTouch: true,
          colorScheme: "dark",
        });
        await phone.goto(`file://${out}/index.html`);
        await phone.waitForSelector("[data-testid=tasks]");
        for (const tab of ["overview", "workflows", "messages"]) {
          await phone.click(`#tab-${tab}`);
          assert.equal(await scrollsSideways(phone), false, `${tab} scrolls sideways at 360 px`);
        }
        const background = await phone.evaluate(
          "getComputedStyle(document.body).backgroundColor",
        ) as string;
        const [r, g, b] = background.match(/\d+/g)!.map(Number);
        assert.ok(r! + g! + b! < 120, `a dark background in dark mode (${background})`);
        await phone.click("#tab-overview");
        await phone.screenshot({ path: join(OUTPUT_DIR, "overview-phone.png"), fullPage: true });
        await phone.close();
      });

      // --------------------------------------------------------------- serve
      await t.step(
        "static files: costs as metrics.json has them (failed attempts too) and the cap in force",
        async () => {
          const log = costlyLog(1.2);
          const metrics = buildMetrics(fold(log.comments, trustPolicy()), log.comments, {
            repo: `${OWNER}/${REPO}`,
            issue: ISSUE,
            tokenKind: "actions",
          });
          const dir = join(swarm.tmp, "costs");
          await writeDashboard(dir, {
            metrics: JSON.parse(metricsJson(metrics)),
            comments: restComments(log.comments, {
              repo: `${OWNER}/${REPO}`,
              issue: ISSUE,
              htmlUrl: "https://github.com",
            }),
          });
          const page = await browser.newPage();
          const watch = await watchPage(page);
          await page.goto(`file://${dir}/index.html`);
          await page.waitForSelector("[data-testid=tasks]");
          assert.equal(metrics.cost.spentUsd, 1.45);
          assert.equal(
            (await text(page, "[data-testid=cost] .value")).trim(),
            `$${metrics.cost.spentUsd.toFixed(2)}`,
          );
          assert.match(await text(page, "[data-testid=cost]"), /cap \$1\.20 reached: no new work/);
          const tasks = await rows(page, "[data-testid=tasks] tbody tr");
          assert.deepEqual(
            tasks.map((r) => [r.task, /\$(\d+\.\d+)$/.exec(r.text!.trim())?.[1] ?? null]),
            metrics.tasks.map((m) => [m.id, m.costUsd === null ? null : m.costUsd.toFixed(4)]),
          );
          assert.match(await text(page, "[data-testid=tasks-done]"), new RegExp(metrics.status));
          assert.deepEqual(watch.errors, []);
          await page.close();
        },
      );

      await t.step(
        "serve: one poll for every viewer, changes pushed without reload, no token in the browser",
        async () => {
          const since = control.requestLog().at(-1)?.seq ?? 0;
          await using served = startServe(
            ["--issue", String(swarm.issue), "--port", "0", "--self", BOT.login],
            swarm.env({ GITHUB_TOKEN: WRITER.token }),
          );
          const { url } = await swarm.within("serve to listen", served.listening);
          const pages = [await browser.newPage(), await browser.newPage()];
          for (const p of pages) {
            await p.goto(url);
            await p.waitForSelector("[data-testid=tasks]");
            await p.evaluate("window.__loaded = 'once'");
          }
          const id = await postComment(swarm, WRITER.token, "Served: one more note.");
          for (const p of pages) {
            await p.click("#tab-messages");
            await p.check("#filter-ordinary");
            await until(
              swarm,
              "the new comment in a served page",
              () => p.$(`tr[data-comment="${id}"]`),
            );
            assert.equal(await p.evaluate("window.__loaded"), "once");
          }
          // One poll for both viewers: the server's comment reads equal its polls.
          const snapshot = await (await fetch(`${url}snapshot.json`)).json();
          const reads = control.requestLog({ since }).filter((e) =>
            e.login === WRITER.login && e.path.includes(`/issues/${swarm.issue}/comments`) &&
            e.method === "GET"
          );
          assert.ok(snapshot.polls >= 2);
          assert.ok(reads.length <= snapshot.polls + 1 && reads.length >= snapshot.polls);
          // The token never reaches the browser.
          for (const p of pages) assert.ok(!(await p.content()).includes(WRITER.token));
          assert.ok(!JSON.stringify(snapshot).includes(WRITER.token));
          assert.ok(!(await (await fetch(url)).text()).includes(WRITER.token));
          for (const p of pages) await p.close();
        },
      );
    } finally {
      await site.server.shutdown();
    }
  },
});
