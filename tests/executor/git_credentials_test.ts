import assert from "node:assert/strict";
import { join } from "node:path";
import { clearRepoCredentials } from "../../src/executor/delivery.ts";
import {
  extraHeaderKey,
  gitAuthEnv,
  gitServerUrl,
  persistedCredentials,
  remoteUrlCredentials,
  removePersistedCredentials,
} from "../../src/executor/git_credentials.ts";
import { startEmulator } from "../../src/emulator/mod.ts";
import { GIT_ENV, gitIn, setupRemote, tempDir } from "./helpers.ts";

Deno.test("the git server of an API URL: github.com, GHE.com, GHES, the emulator, or GITHUB_SERVER_URL", () => {
  assert.equal(gitServerUrl("https://api.github.com"), "https://github.com");
  assert.equal(gitServerUrl("https://api.github.com/"), "https://github.com");
  assert.equal(gitServerUrl("https://api.octo.ghe.com"), "https://octo.ghe.com");
  assert.equal(gitServerUrl("https://ghes.example/api/v3"), "https://ghes.example");
  assert.equal(gitServerUrl("http://127.0.0.1:4010"), "http://127.0.0.1:4010");
  assert.equal(
    gitServerUrl("https://api.github.com", "https://github.example/"),
    "https://github.example",
  );
  assert.equal(extraHeaderKey("https://github.com"), "http.https://github.com/.extraheader");
});

Deno.test("the token goes to git as environment settings after those already there, a reset first", () => {
  const env = gitAuthEnv("https://github.com", "ghs_abc", 2);
  assert.deepEqual(env, {
    GIT_CONFIG_COUNT: "4",
    GIT_CONFIG_KEY_2: "http.https://github.com/.extraheader",
    GIT_CONFIG_VALUE_2: "",
    GIT_CONFIG_KEY_3: "http.https://github.com/.extraheader",
    GIT_CONFIG_VALUE_3: `AUTHORIZATION: basic ${btoa("x-access-token:ghs_abc")}`,
  });
});

Deno.test({
  name: "a push with the node's token goes through over a checkout that still holds another " +
    "Authorization header for the server (the empty value drops it: no duplicate header)",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using tmp = await tempDir();
    const { bare } = await setupRemote(tmp.path);
    const emulator = await startEmulator({
      port: 0,
      users: [{ login: "cred-org", type: "Organization" }, { login: "cred-bot", type: "Bot" }],
      tokens: [{
        token: "ghs_cred_good",
        login: "cred-bot",
        kind: "actions",
        repos: ["cred-org/r"],
      }],
      repos: [{ owner: "cred-org", name: "r", gitDir: bare }],
    });
    try {
      const clone = join(tmp.path, "http-clone");
      await gitIn(tmp.path, "clone", "--quiet", `${emulator.url}/cred-org/r.git`, clone);
      await gitIn(
        clone,
        "config",
        extraHeaderKey(emulator.url),
        `AUTHORIZATION: basic ${btoa("x-access-token:ghs_stale_token")}`,
      );
      const push = async (env: Record<string, string>) =>
        await new Deno.Command("git", {
          args: ["push", "--quiet", "origin", "HEAD:refs/heads/pushed"],
          cwd: clone,
          env: { ...GIT_ENV, ...env },
          stdin: "null",
          stdout: "piped",
          stderr: "piped",
        }).output();
      const stale = await push({});
      assert.notEqual(stale.code, 0, "the stored header alone is refused");
      const ok = await push(gitAuthEnv(emulator.url, "ghs_cred_good"));
      assert.equal(ok.code, 0, new TextDecoder().decode(ok.stderr));
      const posts = emulator.control.requestLog().filter((e) =>
        e.operation === "git/receive-pack" && e.method === "POST"
      );
      assert.deepEqual(posts.map((e) => [e.login, e.status]), [["cred-bot", 200]]);
    } finally {
      await emulator.close();
    }
  },
});

Deno.test("stored Authorization headers are removed from the repository's files and the files they include; other headers and the user's global configuration stay", async () => {
  await using tmp = await tempDir();
  const { clone } = await setupRemote(tmp.path);
  const included = join(tmp.path, "git-credentials-1.config");
  await Deno.writeTextFile(
    included,
    '[http "https://github.com/"]\n\textraheader = AUTHORIZATION: basic c2VjcmV0\n' +
      "\textraheader = X-Trace: 1\n",
  );
  const global = join(tmp.path, "global.gitconfig");
  await Deno.writeTextFile(global, "[http]\n\textraheader = Authorization: Bearer mine\n");
  const env = { ...GIT_ENV, GIT_CONFIG_GLOBAL: global };
  const g = (...args: string[]) =>
    new Deno.Command("git", { args, cwd: clone, env, stdout: "piped", stderr: "piped" }).output();
  await g("config", `includeIf.gitdir:${clone}/.git.path`, included);
  await g("config", "--add", "http.extraheader", "authorization: token ghp_local");
  await g("config", "--add", "http.https://github.com/o/r.extraheader", "X-Keep: yes");

  const found = await persistedCredentials(clone, { env });
  assert.deepEqual(found.map((f) => [f.file, f.key]).sort(), [
    [join(clone, ".git", "config"), "http.extraheader"],
    [included, "http.https://github.com/.extraheader"],
  ]);
  const removed = await removePersistedCredentials(clone, { env });
  assert.equal(removed.length, 2);
  assert.deepEqual(await persistedCredentials(clone, { env }), []);
  const left = new TextDecoder().decode(
    (await g("config", "--includes", "--get-regexp", "extraheader")).stdout,
  );
  assert.match(left, /X-Trace: 1/);
  assert.match(left, /X-Keep: yes/);
  assert.match(left, /Authorization: Bearer mine/, "the global file is the user's: untouched");
  assert.doesNotMatch(await Deno.readTextFile(included), /AUTHORIZATION/);
  assert.doesNotMatch(await Deno.readTextFile(join(clone, ".git", "config")), /ghp_local/);
});

Deno.test("a remote URL with a password or token in it is refused by name, never shown", async () => {
  await using tmp = await tempDir();
  const { clone } = await setupRemote(tmp.path);
  const set = (name: string, url: string) => gitIn(clone, "remote", "add", name, url);
  await set("plain", "https://github.com/o/r.git");
  await set("user", "https://someone@github.com/o/r.git");
  await set("ssh", "git@github.com:o/r.git");
  assert.deepEqual(await remoteUrlCredentials(clone), []);
  await set("pass", "https://x-access-token:ghs_secretvalue@github.com/o/r.git");
  await set("tok", "https://ghp_0123456789abcdefghijklmnopqrstuvwxyz@github.com/o/r.git");
  assert.deepEqual((await remoteUrlCredentials(clone)).sort(), ["pass", "tok"]);
  await assert.rejects(
    () => clearRepoCredentials({ repoDir: clone, gitEnv: GIT_ENV }),
    (error: Error) => {
      assert.match(error.message, /remote "pass", "tok"/);
      assert.match(error.message, /git remote set-url/);
      assert.doesNotMatch(error.message, /ghs_secretvalue|ghp_0123/);
      return true;
    },
  );
});
