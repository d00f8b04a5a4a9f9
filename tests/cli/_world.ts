/**
 * A small emulated world for CLI tests: one repository with one issue, a bot
 * token for the swarm and a writer's token, and the environment a node gets.
 *
 * @module
 */
import { startEmulator } from "../../src/emulator/mod.ts";
import type { RunningEmulator } from "../../src/emulator/server.ts";

/** The swarm's token (the workflow's `GITHUB_TOKEN`). */
export const BOT_TOKEN = "ghs_cli_bot_token";
/** A person with write access. */
export const WRITER_TOKEN = "ghp_cli_writer_token";
/** Someone without access to the repository. */
export const STRANGER_TOKEN = "ghp_cli_stranger_token";

/** Fast timing for emulator runs (the CLI validates it). */
export const FAST = [
  "--settle-ms",
  "300",
  "--poll-ms",
  "200",
  "--poll-max-ms",
  "1000",
  "--renew-ms",
  "1000",
  "--lease-ms",
  "5000",
  "--election-timeout-ms",
  "4000",
  "--backoff-ms",
  "0",
  "--time-scale",
  "0.05",
];

/** An emulator, a temporary folder, and the environment of a node outside Actions. */
export interface World extends AsyncDisposable {
  emulator: RunningEmulator;
  dir: string;
  env: Record<string, string>;
}

/**
 * Starts a world whose repository `o/r` has issues with these bodies
 * (numbered from 1), all labelled `p2p-dev`.
 *
 * @example
 * ```ts
 * await using world = await startWorld(["- [ ] T1: one"]);
 * ```
 */
export async function startWorld(bodies: string[]): Promise<World> {
  const emulator = await startEmulator({
    port: 0,
    tokens: [{ token: BOT_TOKEN, login: "github-actions[bot]", kind: "actions", repos: ["o/r"] }],
    users: [
      { login: "o", token: "ghp_o" },
      { login: "writer", token: WRITER_TOKEN },
      { login: "stranger", token: STRANGER_TOKEN },
    ],
    repos: [{
      owner: "o",
      name: "r",
      permissions: { writer: "write" },
      labels: [{ name: "p2p-dev" }],
      issues: bodies.map((body, i) => ({
        title: `Issue ${i + 1}`,
        author: "o",
        body,
        labels: ["p2p-dev"],
      })),
    }],
  });
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "p2p-cli-" }));
  await Deno.mkdir(`${dir}/tmp`);
  return {
    emulator,
    dir,
    env: {
      GITHUB_TOKEN: BOT_TOKEN,
      GITHUB_REPOSITORY: "o/r",
      GITHUB_API_URL: emulator.url,
      // Temporary folders the node makes land here, where a test can look.
      TMPDIR: `${dir}/tmp`,
    },
    async [Symbol.asyncDispose]() {
      await emulator.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/**
 * `flags` (pairs of flag and value) without the named flags: for commands
 * that do not take them.
 *
 * @example
 * ```ts
 * without(FAST, ["--renew-ms"]);
 * ```
 */
export function without(flags: readonly string[], names: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < flags.length; i += 2) {
    if (!names.includes(flags[i]!)) out.push(flags[i]!, flags[i + 1]!);
  }
  return out;
}

/**
 * Posts a comment on issue `issue` with `token`, over HTTP like a person would.
 *
 * @example
 * ```ts
 * await comment(world, WRITER_TOKEN, 1, "/p2p-dev stop");
 * ```
 */
export async function comment(
  world: World,
  token: string,
  issue: number,
  body: string,
): Promise<number> {
  const res = await fetch(`${world.emulator.url}/repos/o/r/issues/${issue}/comments`, {
    method: "POST",
    headers: { authorization: `token ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ body }),
  });
  if (res.status !== 201) throw new Error(`comment: ${res.status} ${await res.text()}`);
  return (await res.json()).id;
}

/** The issue's comments as the emulator holds them. */
export function bodies(
  world: World,
  issue: number,
): { id: number; author: string; body: string }[] {
  return world.emulator.control.comments("o", "r", issue);
}
