/**
 * Writes the dashboard's one HTML file: the bundled script and style sheet
 * inlined, a strict Content-Security-Policy (the script and style by hash,
 * network access to the page's own origin and the API origin only, no
 * plugins, frames, forms or base URL, Trusted Types required for every DOM
 * sink), and a JSON block with the configuration and, optionally, the data.
 *
 * @module
 */
import { PAGE_SCRIPT, PAGE_SCRIPT_HASH, PAGE_STYLE, PAGE_STYLE_HASH } from "./assets.gen.ts";
import { CONFIG_ELEMENT_ID, type PageConfig } from "./page_config.ts";
import { DEFAULT_WORKFLOW, type Snapshot } from "./snapshot.ts";

/** Options of {@linkcode renderDashboard}. */
export interface RenderOptions {
  /** API base URL for live mode (default https://api.github.com). */
  apiUrl?: string;
  /** Base of web links (default https://github.com). */
  htmlUrl?: string;
  /** For `dashboard serve`: read the server's pushes. */
  served?: boolean;
  /** Data to embed, so the page works from `file://` too. */
  snapshot?: Snapshot | null;
  /** Workflow file the Workflows tab reads. */
  workflow?: string;
}

/**
 * The page's Content-Security-Policy for an API origin.
 *
 * @example
 * ```ts
 * contentSecurityPolicy("https://api.github.com");
 * ```
 */
export function contentSecurityPolicy(apiUrl: string): string {
  const api = new URL(apiUrl).origin;
  return [
    "default-src 'none'",
    `script-src 'sha256-${PAGE_SCRIPT_HASH}'`,
    `style-src 'sha256-${PAGE_STYLE_HASH}'`,
    "img-src data:",
    `connect-src 'self' ${api}`,
    "base-uri 'none'",
    "form-action 'none'",
    "object-src 'none'",
    "require-trusted-types-for 'script'",
    "trusted-types 'none'",
  ].join("; ");
}

/**
 * Renders the page.
 *
 * @example
 * ```ts
 * await Deno.writeTextFile("out/index.html", renderDashboard({ apiUrl: "https://api.github.com" }));
 * ```
 */
export function renderDashboard(options: RenderOptions = {}): string {
  const apiUrl = options.apiUrl ?? "https://api.github.com";
  let api: URL;
  try {
    api = new URL(apiUrl);
  } catch {
    throw new TypeError(`Invalid API URL "${apiUrl}": use an absolute http(s) URL.`);
  }
  if (api.protocol !== "https:" && api.protocol !== "http:") {
    throw new TypeError(`Invalid API URL "${apiUrl}": use an absolute http(s) URL.`);
  }
  const config: PageConfig = {
    apiUrl: api.href.replace(/\/+$/, ""),
    htmlUrl: (options.htmlUrl ?? "https://github.com").replace(/\/+$/, ""),
    served: options.served ?? false,
    snapshot: options.snapshot ?? null,
    workflow: options.workflow ?? DEFAULT_WORKFLOW,
  };
  return [
    "<!doctype html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${
      escapeAttribute(contentSecurityPolicy(apiUrl))
    }">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="referrer" content="no-referrer">',
    '<meta name="color-scheme" content="light dark">',
    "<title>p2p-dev dashboard</title>",
    `<style>${PAGE_STYLE}</style>`,
    "</head>",
    "<body>",
    "<noscript>The p2p-dev dashboard needs JavaScript.</noscript>",
    `<script type="application/json" id="${CONFIG_ELEMENT_ID}">${jsonForHtml(config)}</script>`,
    `<script>${PAGE_SCRIPT}</script>`,
    "</body>",
    "</html>",
    "",
  ].join("\n");
}

/** JSON safe inside a `<script>` data block: no `<` can open or close a tag. */
function jsonForHtml(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

function escapeAttribute(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");
}
