import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { startEmulator } from "../../src/emulator/mod.ts";
import type { RunningEmulator } from "../../src/emulator/mod.ts";
import { appTokenSource } from "../../src/github/app_token.ts";
import { createGitHub } from "../../src/github/octokit.ts";

const OWNER = "app-org";
const REPO = "svc";
const APP_ID = 4242;
const SLUG = "swarm-app";
const INSTALLATION = 777;

/** An RSA key pair as GitHub hands it out (PKCS#1 private key) and its public half (SPKI). */
function keys(): { privateKey: string; publicKey: string } {
  return generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
  });
}

const KEYS = keys();

async function world(tokenTtlMs = 3_600_000): Promise<RunningEmulator> {
  return await startEmulator({
    port: 0,
    users: [{ login: OWNER, type: "Organization" }, { login: "octo-admin", token: "ghp_admin" }],
    repos: [{
      owner: OWNER,
      name: REPO,
      permissions: { "octo-admin": "admin" },
      issues: [{ title: "Work", author: "octo-admin" }],
    }],
    apps: [{
      id: APP_ID,
      slug: SLUG,
      owner: OWNER,
      publicKey: KEYS.publicKey,
      installations: [{ id: INSTALLATION, account: OWNER, repos: [`${OWNER}/${REPO}`] }],
      tokenTtlMs,
    }],
  });
}

function minted(emulator: RunningEmulator): number {
  return emulator.control.requestLog().filter((e) =>
    e.method === "POST" && e.path === `/app/installations/${INSTALLATION}/access_tokens` &&
    e.status === 201
  ).length;
}

Deno.test("a GitHub App's id and key mint an installation token for the repository's installation: it writes as <slug>[bot] (a Bot), named by GraphQL's viewer", async () => {
  const emulator = await world();
  try {
    const source = appTokenSource({ appId: APP_ID, privateKey: KEYS.privateKey }, {
      owner: OWNER,
      repo: REPO,
      baseUrl: emulator.url,
    });
    const gh = createGitHub({
      tokenSource: source,
      owner: OWNER,
      repo: REPO,
      baseUrl: emulator.url,
    });
    const me = await gh.identity();
    assert.deepEqual(me?.login, `${SLUG}[bot]`);
    assert.equal(me?.type, "Bot");
    const c = await gh.createComment(1, "hello n-1", "n-1");
    assert.equal(c.author, `${SLUG}[bot]`);
    assert.equal(c.authorType, "Bot");
    const log = emulator.control.requestLog();
    assert.ok(
      log.some((e) => e.path === `/repos/${OWNER}/${REPO}/installation` && e.status === 200),
    );
    // GraphQL named the bot; no REST request was spent on GET /user, which refuses it.
    assert.ok(log.some((e) => e.path === "/graphql" && e.status === 200));
    assert.ok(!log.some((e) => e.path === "/user"));
    assert.equal(minted(emulator), 1);
    assert.equal(source.minted(), 1);
  } finally {
    await emulator.close();
  }
});

Deno.test("installation tokens are renewed before they expire, and at once when GitHub refuses one", async () => {
  const emulator = await world(60_000);
  try {
    // The client's clock follows emulated time, so expiry can be tested without waiting.
    let skew = 0;
    const source = appTokenSource({
      appId: APP_ID,
      privateKey: KEYS.privateKey,
      installationId: INSTALLATION,
    }, {
      owner: OWNER,
      repo: REPO,
      baseUrl: emulator.url,
      now: () => emulator.control.now() - skew,
    });
    const gh = createGitHub({
      tokenSource: source,
      owner: OWNER,
      repo: REPO,
      baseUrl: emulator.url,
    });
    await gh.getIssue(1);
    await gh.getIssue(1);
    assert.equal(minted(emulator), 1, "one token serves while it is fresh");
    // 50 s of a 60 s token: inside the renewal margin (a quarter of its life).
    emulator.control.advance(50_000);
    await gh.getIssue(1);
    assert.equal(minted(emulator), 2, "renewed before it expired");
    assert.ok(!emulator.control.requestLog().some((e) => e.status === 401));
    // A client whose clock is behind keeps a token GitHub already expired:
    // the 401 makes it mint a new one and the call succeeds.
    skew = 61_000;
    emulator.control.advance(61_000);
    await gh.getIssue(1);
    assert.equal(minted(emulator), 3);
    assert.equal(emulator.control.requestLog().filter((e) => e.status === 401).length, 1);
  } finally {
    await emulator.close();
  }
});

Deno.test("the emulator checks App JWTs as GitHub does: another key, a JWT on other endpoints, an installation token on App endpoints and expired tokens are refused", async () => {
  const emulator = await world(60_000);
  try {
    const other = keys();
    const wrong = appTokenSource({ appId: APP_ID, privateKey: other.privateKey }, {
      owner: OWNER,
      repo: REPO,
      baseUrl: emulator.url,
    });
    await assert.rejects(wrong.token(), /A JSON web token could not be decoded|Cannot find/);
    const source = appTokenSource({
      appId: APP_ID,
      privateKey: KEYS.privateKey,
      installationId: INSTALLATION,
    }, { owner: OWNER, repo: REPO, baseUrl: emulator.url });
    const token = await source.token();
    assert.match(token, /^ghs_/);
    const get = (path: string, auth: string) =>
      fetch(`${emulator.url}${path}`, { headers: { authorization: auth } }).then(async (r) => ({
        status: r.status,
        body: await r.json(),
      }));
    // An installation token is not the App.
    assert.equal((await get("/app", `token ${token}`)).status, 401);
    // Its bot may read the repository it is installed on.
    assert.equal((await get(`/repos/${OWNER}/${REPO}/issues/1`, `token ${token}`)).status, 200);
    emulator.control.advance(60_000);
    const expired = await get(`/repos/${OWNER}/${REPO}/issues/1`, `token ${token}`);
    assert.equal(expired.status, 401);
    assert.equal(expired.body.message, "Bad credentials");
  } finally {
    await emulator.close();
  }
});
