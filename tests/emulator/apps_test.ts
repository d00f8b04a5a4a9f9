import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { createAppAuth } from "@octokit/auth-app";
import { harness, rejection } from "./helpers.ts";

const KEYS = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  publicKeyEncoding: { type: "spki", format: "pem" },
  privateKeyEncoding: { type: "pkcs8", format: "pem" },
});

Deno.test("GitHub App endpoints answer as GitHub documents them: the App, its installation on a repository, a minted installation token that writes as <slug>[bot], refuses GET /user, answers GraphQL's viewer and expires", async () => {
  const h = await harness({
    users: [{ login: "acme", type: "Organization" }, { login: "admin", token: "ghp_admin" }],
    repos: [{
      owner: "acme",
      name: "api",
      permissions: { admin: "admin" },
      issues: [{ title: "Work", author: "admin" }],
    }],
    apps: [{
      id: 9001,
      slug: "acme-swarm",
      owner: "acme",
      publicKey: KEYS.publicKey,
      installations: [{ id: 12, account: "acme" }],
      tokenTtlMs: 30_000,
    }],
  });
  try {
    const auth = createAppAuth({ appId: 9001, privateKey: KEYS.privateKey });
    const jwt = (await auth({ type: "app" })).token;
    const asApp = h.octokit(jwt);
    const app = await asApp.rest.apps.getAuthenticated();
    assert.equal(app.data?.slug, "acme-swarm");
    const inst = await asApp.rest.apps.getRepoInstallation({ owner: "acme", repo: "api" });
    assert.equal(inst.data.id, 12);
    assert.equal(inst.data.app_slug, "acme-swarm");
    const minted = await asApp.rest.apps.createInstallationAccessToken({ installation_id: 12 });
    assert.equal(minted.status, 201);
    const token = minted.data.token;
    assert.match(token, /^ghs_/);
    assert.equal(Date.parse(minted.data.expires_at) - h.control.now() <= 30_000, true);

    const bot = h.octokit(token);
    assert.equal((await rejection(bot.rest.users.getAuthenticated())).status, 403);
    const viewer = await bot.graphql<{ viewer: { login: string; __typename: string } }>(
      "query { viewer { login databaseId __typename } }",
    );
    assert.deepEqual([viewer.viewer.login, viewer.viewer.__typename], ["acme-swarm[bot]", "Bot"]);
    const c = await bot.rest.issues.createComment({
      owner: "acme",
      repo: "api",
      issue_number: 1,
      body: "hello",
    });
    assert.equal(c.data.user?.login, "acme-swarm[bot]");
    assert.equal(c.data.user?.type, "Bot");
    // A JWT is the App on its own endpoints only; a token is not the App.
    assert.equal(
      (await rejection(asApp.rest.issues.get({ owner: "acme", repo: "api", issue_number: 1 })))
        .status,
      403,
    );
    assert.equal((await rejection(bot.rest.apps.getAuthenticated())).status, 401);
    // Another key's JWT does not verify.
    const other = generateKeyPairSync("rsa", {
      modulusLength: 2048,
      privateKeyEncoding: { type: "pkcs8", format: "pem" },
      publicKeyEncoding: { type: "spki", format: "pem" },
    });
    const forged = (await createAppAuth({ appId: 9001, privateKey: other.privateKey })({
      type: "app",
    })).token;
    assert.equal((await rejection(h.octokit(forged).rest.apps.getAuthenticated())).status, 401);
    // Installation tokens expire.
    h.control.advance(30_000);
    const expired = await rejection(
      bot.rest.issues.get({ owner: "acme", repo: "api", issue_number: 1 }),
    );
    assert.equal(expired.status, 401);
  } finally {
    await h.close();
  }
});
