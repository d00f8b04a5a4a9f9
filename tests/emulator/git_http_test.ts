/**
 * Git over smart HTTP: a repository seeded with a bare repository is cloned
 * and pushed to over the emulator's port with the real `git`, under GitHub's
 * rules (anonymous reads of public repositories, pushes need write access
 * and `contents: write`, a bad token is 401, two Authorization headers 400).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { startEmulator } from "../../src/emulator/mod.ts";
import { GIT_ENV, makeBareRepo, sh } from "../e2e/_swarm.ts";

const OWNER = "git-org";
const WRITER = { login: "git-writer", token: "ghp_git_writer_token" };
const READER = { login: "git-reader", token: "ghp_git_reader_token" };

/** Basic credentials as actions/checkout puts them in `http.<server>/.extraheader`. */
function header(token: string): string {
  return `AUTHORIZATION: basic ${btoa(`x-access-token:${token}`)}`;
}

/** Runs git with `-c` settings; returns exit code and output (never throws). */
async function git(
  args: string[],
  cwd: string,
  config: Record<string, string> = {},
): Promise<{ code: number; out: string }> {
  const out = await new Deno.Command("git", {
    args: [...Object.entries(config).flatMap(([k, v]) => ["-c", `${k}=${v}`]), ...args],
    cwd,
    env: { ...GIT_ENV },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const d = new TextDecoder();
  return { code: out.code, out: d.decode(out.stdout) + d.decode(out.stderr) };
}

Deno.test({
  name: "emulator git smart HTTP: anonymous clone of a public repository, pushes only with a " +
    "token that may write contents, GitHub's answers otherwise, logged by login",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const tmp = await Deno.realPath(await Deno.makeTempDir({ prefix: "p2p-git-http-" }));
    const { bare: pub } = await makeBareRepo(join(tmp, "pub"));
    const { bare: priv } = await makeBareRepo(join(tmp, "priv"));
    const emulator = await startEmulator({
      port: 0,
      users: [
        { login: OWNER, type: "Organization" },
        { login: WRITER.login, token: WRITER.token },
        { login: READER.login, token: READER.token },
        { login: "github-actions[bot]", id: 41898282, type: "Bot" },
      ],
      tokens: [
        {
          token: "ghs_contents_read",
          login: "github-actions[bot]",
          kind: "actions",
          repos: [`${OWNER}/pub`],
          permissions: { contents: "read", issues: "write" },
        },
        {
          token: "ghs_contents_write",
          login: "github-actions[bot]",
          kind: "actions",
          repos: [`${OWNER}/pub`],
          permissions: { contents: "write" },
        },
      ],
      repos: [
        {
          owner: OWNER,
          name: "pub",
          gitDir: pub,
          permissions: { [WRITER.login]: "write", [READER.login]: "read" },
        },
        { owner: OWNER, name: "priv", private: true, gitDir: priv },
        { owner: OWNER, name: "nogit" },
      ],
    });
    try {
      const url = `${emulator.url}/${OWNER}/pub.git`;
      const scope = `http.${emulator.url}/.extraheader`;
      const clone = join(tmp, "clone");
      const cloned = await git(["clone", "--quiet", url, clone], tmp);
      assert.equal(cloned.code, 0, cloned.out);
      assert.equal(
        await sh("git", ["log", "-1", "--format=%s"], clone),
        "Initial commit",
      );
      await Deno.writeTextFile(join(clone, "a.txt"), "a\n");
      await sh("git", ["add", "a.txt"], clone);
      await sh("git", ["commit", "--quiet", "-m", "Add a"], clone);
      const push = (token?: string, extra: Record<string, string> = {}) =>
        git(
          ["push", "--quiet", "origin", "HEAD:refs/heads/topic"],
          clone,
          token === undefined ? extra : { [scope]: header(token), ...extra },
        );

      const anonymous = await push();
      assert.notEqual(anonymous.code, 0);
      assert.match(anonymous.out, /could not read Username|Authentication failed/);
      const bad = await push("ghp_not_a_token");
      assert.notEqual(bad.code, 0);
      assert.match(bad.out, /Invalid username or token|could not read Username/);
      const reader = await push(READER.token);
      assert.notEqual(reader.code, 0);
      assert.match(reader.out, /Permission to git-org\/pub\.git denied to git-reader\./);
      const readScope = await push("ghs_contents_read");
      assert.match(readScope.out, /denied to github-actions\[bot\]/, "contents: read cannot push");
      const twice = await git(["push", "--quiet", "origin", "HEAD:refs/heads/topic"], clone, {
        [scope]: header(WRITER.token),
        [`http.${url}.extraheader`]: header(WRITER.token),
      });
      assert.notEqual(twice.code, 0);
      assert.match(twice.out, /Duplicate header: "Authorization"|400/);
      assert.equal(emulator.control.requestLog().at(-1)!.status, 400, "GitHub refuses two headers");
      assert.equal(
        await sh("git", ["--git-dir", pub, "branch", "--list", "topic"]),
        "",
        "nothing was pushed yet",
      );

      const ok = await push("ghs_contents_write");
      assert.equal(ok.code, 0, ok.out);
      assert.equal(
        await sh("git", ["--git-dir", pub, "rev-parse", "refs/heads/topic"]),
        await sh("git", ["rev-parse", "HEAD"], clone),
      );
      const byWriter = await git(["push", "--quiet", "origin", "HEAD:refs/heads/w"], clone, {
        [scope]: header(WRITER.token),
      });
      assert.equal(byWriter.code, 0, byWriter.out);

      const hidden = await git(["ls-remote", `${emulator.url}/${OWNER}/priv.git`], tmp);
      assert.notEqual(hidden.code, 0, "a private repository asks for credentials");
      const strangerRead = await git(["ls-remote", `${emulator.url}/${OWNER}/priv.git`], tmp, {
        [scope]: header(READER.token),
      });
      assert.match(strangerRead.out, /Repository not found|not found/i);
      const noGit = await git(["ls-remote", `${emulator.url}/${OWNER}/nogit.git`], tmp);
      assert.notEqual(noGit.code, 0, "a repository without gitDir serves no git");

      const pushes = emulator.control.requestLog().filter((e) =>
        e.operation === "git/receive-pack" && e.method === "POST"
      );
      assert.deepEqual(
        pushes.map((e) => [e.login, e.status]),
        [["github-actions[bot]", 200], [WRITER.login, 200]],
        "only the admitted pushes reach receive-pack",
      );
      assert.ok(
        emulator.control.requestLog().every((e) => !e.operation?.startsWith("git/") || !e.counted),
        "git traffic does not count against the REST rate limit",
      );
    } finally {
      await emulator.close();
      await Deno.remove(tmp, { recursive: true });
    }
  },
});
