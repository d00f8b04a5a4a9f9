/**
 * scripts/install.sh, run by POSIX `sh` against the emulator's release
 * downloads (`/{owner}/{repo}/releases/download/{tag}/{name}` and
 * `/releases/latest/download/{name}`, as on github.com). The binary is the
 * bundle wrapped as an executable (tests/workflow/_release.ts).
 *
 * Every failure must say what went wrong and leave nothing behind: no
 * install directory, no binary, no temporary file.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { startEmulator } from "../../src/emulator/mod.ts";
import type { RunningEmulator } from "../../src/emulator/mod.ts";
import { VERSION } from "../../src/version.ts";
import {
  INSTALL_SH,
  localAsset,
  RELEASE_NAME,
  RELEASE_OWNER,
  releaseSeed,
  standInBinary,
} from "../workflow/_release.ts";

interface World {
  emu: RunningEmulator;
  tmp: string;
  releases: string;
}

async function world(): Promise<World> {
  const tmp = await Deno.realPath(await Deno.makeTempDir({ prefix: "p2p-dev-install-" }));
  const binary = await standInBinary(tmp);
  const emu = await startEmulator({
    port: 0,
    users: [{ login: RELEASE_OWNER, type: "Organization" }],
    repos: [{
      owner: RELEASE_OWNER,
      name: RELEASE_NAME,
      releases: [
        releaseSeed(binary, { tag: "v0.0.7", corrupt: [localAsset()] }),
        releaseSeed(binary, { tag: "v0.0.8", omit: [localAsset()] }),
        releaseSeed(binary),
        releaseSeed(binary, { tag: "v9.0.0-rc.1", prerelease: true, omit: [localAsset()] }),
      ],
    }],
  });
  return { emu, tmp, releases: `${emu.url}/${RELEASE_OWNER}/${RELEASE_NAME}/releases` };
}

interface Outcome {
  code: number;
  stderr: string;
  dir: string;
  /** What the temporary directory held afterwards (install.sh's own files). */
  leftovers: string[];
}

/** Runs install.sh with `sh`, a private TMPDIR and only PATH (plus `pathFirst`) and HOME. */
async function install(w: World, args: string[], pathFirst?: string): Promise<Outcome> {
  const run = await Deno.makeTempDir({ dir: w.tmp, prefix: "run-" });
  const scratch = join(run, "tmp");
  await Deno.mkdir(scratch);
  const dir = join(run, "bin");
  const path = (pathFirst ? `${pathFirst}:` : "") + (Deno.env.get("PATH") ?? "");
  const out = await new Deno.Command("sh", {
    args: [INSTALL_SH, "--base-url", w.releases, "--dir", dir, ...args],
    env: { PATH: path, HOME: run, TMPDIR: scratch, NO_COLOR: "1" },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const leftovers = [...Deno.readDirSync(scratch)].map((e) => e.name);
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr), dir, leftovers };
}

/** Downloads of every asset of every release so far. */
function downloads(w: World): number {
  const repo = w.emu.control.world.repo(RELEASE_OWNER, RELEASE_NAME)!;
  return repo.releases.flatMap((r) => r.assets).reduce((n, a) => n + a.downloadCount, 0);
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

async function versionOf(binary: string): Promise<string> {
  const out = await new Deno.Command(binary, {
    args: ["--version"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout).trim();
}

Deno.test({
  name: "install.sh installs a named version or the latest after checking SHA256SUMS, " +
    "and fails clearly leaving nothing on a checksum mismatch, an unknown platform or a " +
    "missing asset",
  sanitizeResources: false,
  async fn(t) {
    const w = await world();
    try {
      await t.step(
        "a named version with the right checksum installs and answers --version",
        async () => {
          const r = await install(w, ["--version", VERSION]);
          assert.equal(r.code, 0, r.stderr);
          assert.deepEqual([...Deno.readDirSync(r.dir)].map((e) => e.name), ["p2p-dev"]);
          assert.equal(await versionOf(join(r.dir, "p2p-dev")), VERSION);
          assert.match(
            r.stderr,
            new RegExp(`installed p2p-dev ${VERSION.replaceAll(".", "\\.")} `),
          );
          assert.deepEqual(r.leftovers, [], "the temporary directory is gone");
        },
      );

      await t.step("latest is the newest release that is not a prerelease", async () => {
        const r = await install(w, ["--version", "latest"]);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(await versionOf(join(r.dir, "p2p-dev")), VERSION);
        assert.deepEqual(r.leftovers, []);
      });

      await t.step("a checksum mismatch fails and installs nothing", async () => {
        const r = await install(w, ["--version", "0.0.7"]);
        assert.equal(r.code, 1);
        assert.match(
          r.stderr,
          new RegExp(
            `checksum mismatch for ${localAsset()}: SHA256SUMS says 0{64}, the download is [0-9a-f]{64}\\. Nothing was installed\\.`,
          ),
        );
        assert.equal(await exists(r.dir), false, "no install directory");
        assert.deepEqual(r.leftovers, [], "no temporary file");
      });

      await t.step(
        "a release without this platform's asset fails and installs nothing",
        async () => {
          const r = await install(w, ["--version", "v0.0.8"]);
          assert.equal(r.code, 1);
          assert.match(
            r.stderr,
            /cannot download .*\/download\/v0\.0\.8\/p2p-dev-[\w-]+: the release has no asset for [\w-]+\. Nothing was installed\./,
          );
          assert.equal(await exists(r.dir), false);
          assert.deepEqual(r.leftovers, []);
        },
      );

      await t.step("a release that does not exist fails and installs nothing", async () => {
        const r = await install(w, ["--version", "3.2.1"]);
        assert.equal(r.code, 1);
        assert.match(
          r.stderr,
          /cannot download .*\/v3\.2\.1\/SHA256SUMS: is p2p-dev 3\.2\.1 released\?/,
        );
        assert.equal(await exists(r.dir), false);
        assert.deepEqual(r.leftovers, []);
      });

      await t.step("an unknown platform fails before downloading anything", async () => {
        const fake = join(w.tmp, "plan9");
        await Deno.mkdir(fake);
        await Deno.writeTextFile(
          join(fake, "uname"),
          '#!/bin/sh\ncase "$1" in -m) echo mips ;; *) echo Plan9 ;; esac\n',
        );
        await Deno.chmod(join(fake, "uname"), 0o755);
        const before = downloads(w);
        const r = await install(w, ["--version", VERSION], fake);
        assert.equal(r.code, 1);
        assert.match(
          r.stderr,
          /no p2p-dev release binary for this platform \(uname -s: Plan9, uname -m: mips\)\..*Nothing was installed\./,
        );
        assert.equal(await exists(r.dir), false);
        assert.deepEqual(r.leftovers, []);
        assert.equal(downloads(w), before, "nothing was downloaded");
      });

      await t.step("another platform's binary installs with --target and is not run", async () => {
        const r = await install(w, ["--version", VERSION, "--target", "x86_64-pc-windows-msvc"]);
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual([...Deno.readDirSync(r.dir)].map((e) => e.name), ["p2p-dev.exe"]);
      });

      await t.step("a wrong flag is a usage error (exit 2) that says what to pass", async () => {
        const r = await install(w, ["--versoin", "1"]);
        assert.equal(r.code, 2);
        assert.match(r.stderr, /unknown argument "--versoin"/);
        assert.match(r.stderr, /usage: install\.sh/);
        assert.equal(await exists(r.dir), false);
      });
    } finally {
      await w.emu.close();
      await Deno.remove(w.tmp, { recursive: true });
    }
  },
});
