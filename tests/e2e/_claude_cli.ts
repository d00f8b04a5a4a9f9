/**
 * The real Claude Code CLI for tests: a pinned `@anthropic-ai/claude-code`
 * installed from npm once into a cache folder
 * (`$XDG_CACHE_HOME/p2p-dev-tests/`, else `~/.cache/p2p-dev-tests/`), so a
 * machine downloads it once, not on every run. npm runs with this process's
 * environment, so proxy and CA settings (`HTTPS_PROXY`, `NODE_EXTRA_CA_CERTS`,
 * `npm_config_*`) apply.
 *
 * When npm is missing or the registry cannot be reached, the answer is a
 * reason to skip, which the test prints; any other failure throws.
 *
 * @module
 */
import { join } from "node:path";

/** The Claude Code version the end-to-end test runs. */
export const CLAUDE_CODE_VERSION = "2.1.332";

/** The npm package of Claude Code. */
export const CLAUDE_CODE_PACKAGE = "@anthropic-ai/claude-code";

/** A usable `claude`, or why there is none. */
export type ClaudeCli = { path: string; version: string } | { skip: string };

const decoder = new TextDecoder();

async function run(
  cmd: string,
  args: string[],
  timeoutMs: number,
  cwd?: string,
): Promise<{ code: number; out: string; err: string }> {
  try {
    const o = await new Deno.Command(cmd, {
      args,
      ...(cwd ? { cwd } : {}),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(timeoutMs),
    }).output();
    return { code: o.code, out: decoder.decode(o.stdout), err: decoder.decode(o.stderr) };
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw error;
    return { code: -1, out: "", err: error instanceof Error ? error.message : String(error) };
  }
}

/** The cache folder of this version. */
export function claudeCacheDir(version = CLAUDE_CODE_VERSION): string {
  const base = Deno.env.get("XDG_CACHE_HOME") ??
    join(Deno.env.get("HOME") ?? Deno.cwd(), ".cache");
  return join(base, "p2p-dev-tests", `claude-code-${version}`);
}

/** The native binary an install holds (the wrapper's postinstall copies it to `bin/`). */
async function binaryIn(dir: string, version: string): Promise<string | undefined> {
  const modules = join(dir, "node_modules");
  const candidates = [join(modules, ".bin", "claude")];
  try {
    for await (const e of Deno.readDir(join(modules, "@anthropic-ai"))) {
      if (e.name.startsWith("claude-code-")) {
        candidates.push(join(modules, "@anthropic-ai", e.name, "claude"));
      }
    }
  } catch {
    // No platform package: only the wrapper's bin.
  }
  for (const path of candidates) {
    const r = await run(path, ["--version"], 30_000).catch(() => undefined);
    if (r?.code === 0 && r.out.startsWith(version)) return path;
  }
  return undefined;
}

/**
 * Installs (once) and returns the pinned Claude Code CLI.
 *
 * @example
 * ```ts
 * const cli = await ensureClaudeCli();
 * if ("skip" in cli) console.warn(cli.skip);
 * ```
 */
export async function ensureClaudeCli(version = CLAUDE_CODE_VERSION): Promise<ClaudeCli> {
  const dir = claudeCacheDir(version);
  const cached = await binaryIn(dir, version);
  if (cached) return { path: cached, version };
  const spec = `${CLAUDE_CODE_PACKAGE}@${version}`;
  let probe;
  try {
    probe = await run("npm", ["view", spec, "version"], 60_000);
  } catch {
    return { skip: `npm is not installed, so ${spec} cannot be installed.` };
  }
  if (probe.code !== 0 || probe.out.trim() !== version) {
    const lines = (probe.err || probe.out).trim().split("\n").map((l) => l.trim());
    const why = lines.find((l) => /\b(code|errno) E[A-Z]+/.test(l)) ?? lines[0] ?? "no answer";
    return { skip: `the npm registry cannot be reached to install ${spec} (${why}).` };
  }
  await Deno.mkdir(join(dir, ".."), { recursive: true });
  const tmp = await Deno.makeTempDir({ dir: join(dir, ".."), prefix: `.install-${version}-` });
  try {
    await Deno.writeTextFile(join(tmp, "package.json"), '{"private":true}\n');
    const install = await run(
      "npm",
      [
        "install",
        "--no-audit",
        "--no-fund",
        "--no-save",
        "--no-package-lock",
        "--loglevel=error",
        spec,
      ],
      10 * 60_000,
      tmp,
    );
    if (install.code !== 0) {
      throw new Error(`npm install ${spec} failed (${install.code}): ${install.err.trim()}`);
    }
    if (!(await binaryIn(tmp, version))) {
      throw new Error(`npm installed ${spec} in ${tmp}, but no claude there prints ${version}.`);
    }
    if (!(await binaryIn(dir, version))) {
      await Deno.remove(dir, { recursive: true }).catch(() => {}); // a broken earlier install
      try {
        await Deno.rename(tmp, dir);
      } catch {
        // Another test process installed it meanwhile: use that one.
      }
    }
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
  const path = await binaryIn(dir, version);
  if (!path) throw new Error(`Claude Code ${version} is not usable in ${dir}.`);
  return { path, version };
}

/**
 * The environment the real CLI runs with in tests: its own empty
 * configuration folder (`CLAUDE_CONFIG_DIR`, so the user's `~/.claude` is
 * neither read nor written), the fake API, no update checks or telemetry.
 *
 * @example
 * ```ts
 * const env = claudeTestEnv(api.url, configDir);
 * ```
 */
export function claudeTestEnv(apiUrl: string, configDir: string): Record<string, string> {
  return {
    CLAUDE_CONFIG_DIR: configDir,
    ANTHROPIC_BASE_URL: apiUrl,
    ANTHROPIC_API_KEY: "sk-ant-fake-key-for-tests",
    DISABLE_AUTOUPDATER: "1",
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
  };
}
