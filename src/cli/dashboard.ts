/**
 * `p2p-dev dashboard`: `build` writes the single-file dashboard;
 * `serve` serves it, polling the issue once for every viewer with the
 * server's token and pushing changes with server-sent events.
 *
 * @module
 */
import { Command } from "@commander-js/extra-typings";
import { DashboardServer } from "../dashboard/serve.ts";
import { LiveSource } from "../dashboard/live_source.ts";
import { renderDashboard } from "../dashboard/render_page.ts";
import { DEFAULT_WORKFLOW } from "../dashboard/snapshot.ts";
import { writeDashboard } from "../dashboard/write_page.ts";
import type { CliContext } from "./context.ts";
import { connect } from "./connect.ts";
import { defineCommand } from "./define.ts";
import { resolveApiUrl } from "./env.ts";
import { GITHUB_OPTIONS, ISSUE_OPTION } from "./option_groups.ts";
import type { OptionSpec } from "./options.ts";
import { UsageError } from "./usage_error.ts";

const WORKFLOW_OPTION: OptionSpec = {
  name: "workflow",
  flags: "--workflow <file>",
  kind: "text",
  group: "Dashboard",
  description: "the swarm's workflow file, whose runs the Workflows tab shows",
  default: DEFAULT_WORKFLOW,
};

/** Options of `dashboard build`. */
export const DASHBOARD_BUILD_OPTIONS: readonly OptionSpec[] = [
  {
    name: "out",
    flags: "--out <dir>",
    kind: "text",
    group: "Output",
    description: "folder to write index.html into",
    required: true,
  },
  {
    name: "apiUrl",
    flags: "--api-url <url>",
    kind: "text",
    group: "Dashboard",
    description: "the one API the page may talk to in live mode",
    defaultText: "$GITHUB_API_URL, else https://api.github.com",
  },
  WORKFLOW_OPTION,
];

/** Options of `dashboard serve`. */
export const DASHBOARD_SERVE_OPTIONS: readonly OptionSpec[] = [
  { ...ISSUE_OPTION, description: "the issue to show" },
  ...GITHUB_OPTIONS,
  {
    name: "port",
    flags: "--port <n>",
    kind: "text",
    group: "Server",
    description: "TCP port (0 picks a free one)",
    defaultText: "$PORT, else 8080",
  },
  {
    name: "host",
    flags: "--host <address>",
    kind: "text",
    group: "Server",
    description: "address to listen on",
    defaultText:
      "$HOST; else 0.0.0.0 when $PORT is set (as hosting platforms expect), else 127.0.0.1",
  },
  {
    name: "pollMs",
    flags: "--poll-ms <ms>",
    kind: "duration",
    min: 1_000,
    group: "Server",
    description: "poll interval while someone watches (at least 1 s: GitHub's per-minute limits)",
    default: 5_000,
  },
  {
    name: "self",
    flags: "--self <login>",
    kind: "text",
    group: "Trust",
    description: "the swarm's login, whose messages count",
    defaultText: "this token's own login",
  },
  WORKFLOW_OPTION,
];

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

/**
 * Builds the `dashboard` command and its subcommands.
 *
 * @example
 * ```ts
 * program.addCommand(dashboardCommand(ctx));
 * ```
 */
export function dashboardCommand(ctx: CliContext): Command {
  const build = defineCommand(ctx, {
    name: "build",
    description:
      "Write the dashboard, one self-contained HTML file, as DIR/index.html (with DIR's " +
      "metrics.json and comments.json inside, when they are there).",
    options: DASHBOARD_BUILD_OPTIONS,
    action: async (values) => {
      const out = values.out as string;
      const workflow = values.workflow as string;
      const apiUrl = resolveApiUrl(str(values.apiUrl), ctx.env);
      const htmlUrl = ctx.env.GITHUB_SERVER_URL || "https://github.com";
      const metrics = await readJson(`${out}/metrics.json`);
      const comments = await readJson(`${out}/comments.json`);
      if (metrics !== undefined && comments !== undefined) {
        if (!Array.isArray(comments)) {
          throw new UsageError(`"${out}/comments.json" must hold a JSON array of issue comments.`);
        }
        await writeDashboard(out, {
          metrics: metrics as Record<string, never>,
          comments,
          apiUrl,
          htmlUrl,
          workflow,
        });
        ctx.out(`Wrote ${out}/index.html with metrics.json and comments.json inside.`);
        return;
      }
      await Deno.mkdir(out, { recursive: true });
      await Deno.writeTextFile(`${out}/index.html`, renderDashboard({ apiUrl, htmlUrl, workflow }));
      ctx.out(
        `Wrote ${out}/index.html: it reads metrics.json and comments.json beside it when ` +
          `served over http(s), or connects live with a token.`,
      );
    },
  });

  const serve = defineCommand(ctx, {
    name: "serve",
    description: "Serve the dashboard live: one poll for every viewer with this server's token " +
      "(never sent to a browser), changes pushed with server-sent events.",
    options: DASHBOARD_SERVE_OPTIONS,
    action: async (values) => {
      const issue = values.issue as number;
      const portText = str(values.port) ?? ctx.env.PORT ?? "8080";
      const port = Number(portText);
      if (!/^\d+$/.test(portText) || port > 65535) {
        throw new UsageError(
          `Invalid port "${portText}" (${values.port ? "--port" : "PORT"}): use 0 to 65535.`,
        );
      }
      const host = str(values.host) ?? ctx.env.HOST ??
        (values.port === undefined && ctx.env.PORT ? "0.0.0.0" : "127.0.0.1");
      const pollMs = values.pollMs as number;
      const workflow = values.workflow as string;
      const conn = connect(values, ctx);
      const apiUrl = resolveApiUrl(str(values.apiUrl), ctx.env);
      const htmlUrl = ctx.env.GITHUB_SERVER_URL || "https://github.com";
      const self = str(values.self) ?? (await conn.github.identity())?.login ?? null;
      const source = new LiveSource({
        apiUrl,
        htmlUrl,
        repo: conn.fullName,
        issue,
        token: conn.token,
        self,
        allow: conn.allow,
        workflow,
        source: "serve",
        tokenKind: values.tokenKind ? conn.tokenKind : null,
        fetch: (input, init) => fetch(input, init),
        now: () => Date.now(),
      });
      let lastNotice: string | null = null;
      const server = new DashboardServer({
        source,
        apiUrl,
        htmlUrl,
        workflow,
        pollMs,
        onPoll: (_result, snapshot) => {
          if (snapshot.notice !== lastNotice && snapshot.notice) ctx.err(snapshot.notice);
          lastNotice = snapshot.notice;
        },
      });
      let http: Deno.HttpServer;
      try {
        http = Deno.serve({
          port,
          hostname: host,
          signal: ctx.signal,
          onListen: ({ hostname, port }) => {
            const shown = hostname.includes(":") ? `[${hostname}]` : hostname;
            ctx.out(
              `Dashboard for ${conn.fullName}#${issue} on http://${shown}:${port}/ ` +
                `(trusting ${self}; polls every ${pollMs / 1000} s while someone watches)`,
            );
          },
        }, (req) => server.handle(req));
      } catch (error) {
        if (error instanceof Deno.errors.AddrInUse) {
          throw new UsageError(
            `Cannot listen on ${host}:${port}: the port is in use. Pick another --port.`,
          );
        }
        throw error;
      }
      ctx.signal.addEventListener("abort", () => server.close(), { once: true });
      await http.finished;
      server.close();
    },
  });

  return new Command("dashboard")
    .description("The single-file dashboard: build it, or serve it live.")
    .addCommand(build)
    .addCommand(serve) as unknown as Command;
}

async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new UsageError(`"${path}" is not JSON: write it with p2p-dev aggregate or demo.`);
  }
}
