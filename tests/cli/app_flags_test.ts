import assert from "node:assert/strict";
import { runCli } from "./_run.ts";

const ENV = { GITHUB_REPOSITORY: "o/r" };

Deno.test("GitHub App flags: a key without an App id, an App id without a key, a bad id or an unreadable key file is one usage line, exit code 2", async () => {
  const cases: [string[], Record<string, string>, RegExp][] = [
    [["--private-key", "k.pem"], {}, /A private key needs its App: pass --app-id ID/],
    [["--app-id", "12"], {}, /Missing the App's private key: pass --private-key FILE/],
    [["--app-id", "twelve", "--private-key", "k.pem"], {}, /Invalid --app-id "twelve"/],
    [
      ["--app-id", "12", "--private-key", "/nonexistent/key.pem"],
      {},
      /Cannot read the App's private key "\/nonexistent\/key\.pem"/,
    ],
    [[], {
      P2P_APP_ID: "12",
      P2P_APP_INSTALLATION_ID: "x",
      P2P_APP_PRIVATE_KEY: "-----BEGIN RSA PRIVATE KEY-----\\nMII\\n-----END RSA PRIVATE KEY-----",
    }, /Invalid --installation-id "x"/],
  ];
  for (const [flags, env, error] of cases) {
    const r = await runCli(["state", "--issue", "1", ...flags], { ...ENV, ...env });
    assert.equal(r.code, 2, `${flags.join(" ")}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.match(r.stderr, error);
  }
});

Deno.test("GitHub App flags: a file without a PEM key is refused, and with an App no token is needed", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const notKey = `${dir}/notes.txt`;
    await Deno.writeTextFile(notKey, "hello");
    const r = await runCli(
      ["state", "--issue", "1", "--app-id", "12", "--private-key", notKey],
      ENV,
    );
    assert.equal(r.code, 2);
    assert.match(r.stderr, /holds no PEM private key/);
    // No GITHUB_TOKEN: the App needs none, so the error is about reaching GitHub, not the token.
    const key = `${dir}/app.pem`;
    await Deno.writeTextFile(
      key,
      "-----BEGIN RSA PRIVATE KEY-----\nMII\n-----END RSA PRIVATE KEY-----\n",
    );
    const s = await runCli(
      [
        "state",
        "--issue",
        "1",
        "--app-id",
        "12",
        "--private-key",
        key,
        "--api-url",
        "http://127.0.0.1:9",
      ],
      ENV,
    );
    assert.doesNotMatch(s.stderr, /Missing GitHub token/);
    assert.notEqual(s.code, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
