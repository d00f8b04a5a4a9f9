/**
 * A p2p-dev release as the release workflow publishes it, made locally: one
 * asset per target of scripts/compile.ts, `install.sh` and `SHA256SUMS`.
 *
 * `deno compile` cannot fetch its runtime here, so each binary is the
 * bundle (`deno bundle`) wrapped as an executable: a `#!/usr/bin/env -S deno
 * run` line in front of the bundled JavaScript. It runs the same code as the
 * compiled binary, with this machine's Deno.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { binaryName, TARGETS } from "../../scripts/compile.ts";
import type { ReleaseSeed } from "../../src/emulator/mod.ts";
import { RELEASE_REPO } from "../../src/workflow/template.ts";
import { VERSION } from "../../src/version.ts";
import { bundleTo } from "../_build.ts";

/** The repository scripts/install.sh downloads from, split. */
export const [RELEASE_OWNER, RELEASE_NAME] = RELEASE_REPO.split("/") as [string, string];

/** Path of scripts/install.sh. */
export const INSTALL_SH = new URL("../../scripts/install.sh", import.meta.url).pathname;

/**
 * The asset name scripts/install.sh picks on this machine.
 *
 * @example
 * ```ts
 * localAsset(); // "p2p-dev-x86_64-unknown-linux-gnu" on 64-bit x86 Linux
 * ```
 */
export function localAsset(): string {
  const arch = Deno.build.arch === "aarch64" ? "aarch64" : "x86_64";
  const os = Deno.build.os === "darwin" ? "apple-darwin" : "unknown-linux-gnu";
  return binaryName(`${arch}-${os}`);
}

/**
 * Builds the stand-in binary (the bundle behind a Deno shebang) in `dir`.
 *
 * @example
 * ```ts
 * const bytes = await standInBinary(tmp);
 * ```
 */
export async function standInBinary(dir: string): Promise<Uint8Array> {
  const js = join(dir, "p2p-dev.js");
  await bundleTo(js);
  const shebang = `#!/usr/bin/env -S ${Deno.execPath()} run --allow-all --no-prompt ` +
    `--no-config --no-remote --ext=js\n`;
  const bundle = await Deno.readFile(js);
  const bytes = new Uint8Array(shebang.length + bundle.length);
  bytes.set(new TextEncoder().encode(shebang), 0);
  bytes.set(bundle, shebang.length);
  return bytes;
}

let cached: Promise<Uint8Array> | undefined;

/**
 * The stand-in binary, built once per test process.
 *
 * @example
 * ```ts
 * const bytes = await releaseBinary();
 * ```
 */
export function releaseBinary(): Promise<Uint8Array> {
  cached ??= (async () => {
    const dir = await Deno.makeTempDir({ prefix: "p2p-dev-release-" });
    try {
      return await standInBinary(dir);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  })();
  return cached;
}

/**
 * `sha256sum`'s output for the files: `<hex>  <name>`, one a line, by name.
 *
 * @example
 * ```ts
 * sha256sums({ a: new Uint8Array() }); // "e3b0…b855  a\n"
 * sha256sums({ a: new Uint8Array() }, ["a"]); // "0000…0000  a\n" (a wrong checksum)
 * ```
 */
export function sha256sums(files: Record<string, Uint8Array>, wrong: string[] = []): string {
  return Object.keys(files).sort().map((name) => {
    const hash = wrong.includes(name)
      ? "0".repeat(64)
      : createHash("sha256").update(files[name]!).digest("hex");
    return `${hash}  ${name}\n`;
  }).join("");
}

/** How a test release differs from a good one. */
export interface ReleaseVariant {
  /** The tag (default `v` + this version). */
  tag?: string;
  /** Leave these asset names out. */
  omit?: string[];
  /** Replace the listed checksum of these assets with a wrong one. */
  corrupt?: string[];
  /** A prerelease is never the latest. */
  prerelease?: boolean;
}

/**
 * A release as the release workflow uploads it: every target's binary (all
 * the stand-in here), `install.sh` and `SHA256SUMS` over all of them.
 *
 * @example
 * ```ts
 * control.seed({ repos: [{ owner: RELEASE_OWNER, name: RELEASE_NAME, releases: [releaseSeed(binary)] }] });
 * ```
 */
export function releaseSeed(binary: Uint8Array, variant: ReleaseVariant = {}): ReleaseSeed {
  const files: Record<string, Uint8Array> = {};
  for (const target of TARGETS) files[binaryName(target)] = binary;
  files["install.sh"] = Deno.readFileSync(INSTALL_SH);
  const sums = sha256sums(files, variant.corrupt);
  const omit = new Set(variant.omit ?? []);
  const assets = Object.entries(files)
    .filter(([name]) => !omit.has(name))
    .map(([name, bytes]) => ({
      name,
      base64: btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join("")),
      contentType: "application/octet-stream",
    }));
  assets.push({
    name: "SHA256SUMS",
    base64: btoa(sums),
    contentType: "text/plain",
  });
  return {
    tag: variant.tag ?? `v${VERSION}`,
    author: RELEASE_OWNER,
    name: `p2p-dev ${variant.tag ?? `v${VERSION}`}`,
    prerelease: variant.prerelease ?? false,
    assets,
  };
}
