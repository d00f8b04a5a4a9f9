/**
 * Headless Chromium from Debian (`/usr/bin/chromium`), driven by
 * playwright-core: one launch shared by every case of a test file. A missing
 * browser fails the test with what to do; it is never skipped silently.
 *
 * @module
 */
import { type Browser, chromium, type Page } from "playwright-core";

/** Where Debian's package puts Chromium (override with `P2P_CHROMIUM`). */
export const CHROMIUM = Deno.env.get("P2P_CHROMIUM") ?? "/usr/bin/chromium";

/** Folder the screenshots go to (ignored by git; kept with the test output). */
export const OUTPUT_DIR = new URL("../../out/dashboard/", import.meta.url).pathname;

/**
 * Launches Chromium headless, without network services of its own, in a
 * fresh profile (playwright passes a new temporary `--user-data-dir`).
 *
 * @example
 * ```ts
 * const browser = await launchChromium();
 * ```
 */
export async function launchChromium(): Promise<Browser> {
  try {
    await Deno.stat(CHROMIUM);
  } catch {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}: the dashboard's browser tests need it. ` +
        "Install it with `apt-get install -y chromium` (.ci/run does so when tests/dashboard/ exists), " +
        "or point P2P_CHROMIUM at a Chromium binary.",
    );
  }
  return await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/**
 * Watches a page for what must never happen: a script run by comment text
 * (`window.__xss`), a CSP violation, an uncaught error.
 *
 * @example
 * ```ts
 * const watch = await watchPage(page);
 * assert.deepEqual(watch.errors, []);
 * ```
 */
export async function watchPage(page: Page): Promise<{ errors: string[] }> {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console error: ${m.text()}`);
  });
  // In-page code is passed as text: it runs in the browser, not in Deno.
  await page.addInitScript(`
    window.__cspViolations = [];
    document.addEventListener("securitypolicyviolation", (e) => {
      window.__cspViolations.push(e.violatedDirective + " " + e.blockedURI);
    });
  `);
  return { errors };
}

/**
 * Whether a canvas has drawn pixels (not blank).
 *
 * @example
 * ```ts
 * assert.ok(await canvasDrawn(page, "#chart-phases") > 0);
 * ```
 */
export async function canvasDrawn(page: Page, selector: string): Promise<number> {
  return await page.evaluate(`(() => {
    const canvas = document.querySelector(${JSON.stringify(selector)});
    const ctx = canvas && canvas.getContext("2d");
    if (!ctx || canvas.width === 0 || canvas.height === 0) return 0;
    const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    let drawn = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] > 0) drawn++;
    return drawn;
  })()`) as number;
}

/**
 * Whether the document scrolls sideways (wider content than the viewport).
 *
 * @example
 * ```ts
 * assert.equal(await scrollsSideways(page), false);
 * ```
 */
export async function scrollsSideways(page: Page): Promise<boolean> {
  return await page.evaluate(`
    document.documentElement.scrollWidth > document.documentElement.clientWidth ||
    document.body.scrollWidth > document.documentElement.clientWidth
  `) as boolean;
}

/**
 * Makes the page believe it is hidden (or visible again) and tells it so.
 *
 * @example
 * ```ts
 * await setHidden(page, true);
 * ```
 */
export async function setHidden(page: Page, hidden: boolean): Promise<void> {
  await page.evaluate(`(() => {
    const h = ${hidden};
    Object.defineProperty(document, "hidden", { configurable: true, get: () => h });
    Object.defineProperty(document, "visibilityState", {
      configurable: true,
      get: () => (h ? "hidden" : "visible"),
    });
    document.dispatchEvent(new Event("visibilitychange"));
  })()`);
}
