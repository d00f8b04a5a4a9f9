/**
 * Building the single-file bundle in tests (`deno bundle`, the stand-in for
 * `deno compile`, which cannot fetch its runtime here).
 *
 * @module
 */

const ROOT = new URL("..", import.meta.url).pathname;

/**
 * What building needs from the environment besides PATH and HOME: the proxy
 * and certificate settings Deno's npm resolution reads (a TLS-intercepting
 * proxy needs its CA), and every `DENO_*` variable (cache, TLS store).
 *
 * @example
 * ```ts
 * new Deno.Command(Deno.execPath(), { args: ["bundle", "src/main.ts"], env: buildEnv(), clearEnv: true });
 * ```
 */
export function buildEnv(
  from: Record<string, string> = Deno.env.toObject(),
): Record<string, string> {
  const keep =
    /^(DENO_.*|NODE_EXTRA_CA_CERTS|SSL_CERT_(FILE|DIR)|(HTTPS?|ALL|NO)_PROXY|(https?|all|no)_proxy|NPM_CONFIG_REGISTRY|npm_config_registry)$/;
  const env: Record<string, string> = {
    PATH: from.PATH ?? "",
    HOME: from.HOME ?? "/tmp",
  };
  for (const [key, value] of Object.entries(from)) {
    if (keep.test(key)) env[key] = value;
  }
  return env;
}

/**
 * Bundles `src/main.ts` into `output` (one self-contained JavaScript file).
 *
 * @example
 * ```ts
 * await bundleTo("/tmp/p2p-dev.js");
 * ```
 */
export async function bundleTo(output: string): Promise<void> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["bundle", "--quiet", "--output", output, "src/main.ts"],
    env: buildEnv(),
    clearEnv: true,
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (out.code !== 0) {
    throw new Error(`deno bundle failed (${out.code}): ${new TextDecoder().decode(out.stderr)}`);
  }
}
