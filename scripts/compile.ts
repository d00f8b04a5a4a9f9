/**
 * Cross-compiles the `p2p-dev` binary for every release target with
 * `deno compile`. It downloads each target's runtime, so it runs on GitHub's
 * runners (the release workflow), not on machines without that network.
 *
 * Usage: `deno task compile [--out dist] [--target TRIPLE ...]`
 *
 * @module
 */

/** Targets a release ships, as `deno compile --target` names them. */
export const TARGETS = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
  "x86_64-pc-windows-msvc",
] as const;

/**
 * The output file name of a target's binary.
 *
 * @example
 * ```ts
 * binaryName("x86_64-pc-windows-msvc"); // "p2p-dev-x86_64-pc-windows-msvc.exe"
 * ```
 */
export function binaryName(target: string): string {
  return `p2p-dev-${target}${target.includes("windows") ? ".exe" : ""}`;
}

async function main(args: string[]): Promise<number> {
  let out = "dist";
  const targets: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--out") out = args[++i] ?? out;
    else if (args[i] === "--target") targets.push(args[++i] ?? "");
    else {
      // deno-lint-ignore no-console
      console.error(`Unknown argument "${args[i]}": use --out DIR and --target TRIPLE.`);
      return 2;
    }
  }
  for (const target of targets.length ? targets : TARGETS) {
    const output = `${out}/${binaryName(target)}`;
    const status = await new Deno.Command(Deno.execPath(), {
      args: [
        "compile",
        "--allow-all",
        "--no-prompt",
        "--target",
        target,
        "--output",
        output,
        "src/main.ts",
      ],
      stdout: "inherit",
      stderr: "inherit",
    }).spawn().status;
    if (!status.success) return 1;
  }
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
