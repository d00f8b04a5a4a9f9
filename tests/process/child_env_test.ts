import assert from "node:assert/strict";
import { childEnv, parsePassEnv, secretValues } from "../../src/process/child_env.ts";

/** A node's environment in GitHub Actions behind a TLS-intercepting proxy, with every credential set. */
const NODE_ENV: Record<string, string> = {
  PATH: "/usr/local/bin:/usr/bin:/bin",
  HOME: "/home/runner",
  USER: "runner",
  LANG: "C.UTF-8",
  LC_ALL: "C.UTF-8",
  TMPDIR: "/tmp/runner",
  CI: "true",
  HTTPS_PROXY: "http://proxy.internal:3128",
  no_proxy: "localhost,127.0.0.1",
  NODE_EXTRA_CA_CERTS: "/etc/ssl/proxy-ca.pem",
  SSL_CERT_FILE: "/etc/ssl/certs/ca-certificates.crt",
  DENO_DIR: "/home/runner/.cache/deno",
  DENO_AUTH_TOKENS: "secret@registry.example.com",
  npm_config_registry: "https://registry.npmjs.org/",
  NPM_CONFIG__AUTH: "dXNlcjpwYXNz",
  GITHUB_TOKEN: "ghs_16C7e42F292c6912E7710c838347Ae178B4a",
  GH_TOKEN: "ghp_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
  P2P_SECRET: "swarm-hmac-secret",
  P2P_ALLOW: "alice",
  P2P_APP_PRIVATE_KEY: "-----BEGIN RSA PRIVATE KEY-----\nMII\n-----END RSA PRIVATE KEY-----",
  GITHUB_APP_PRIVATE_KEY: "-----BEGIN RSA PRIVATE KEY-----\nMII\n-----END RSA PRIVATE KEY-----",
  ACTIONS_RUNTIME_TOKEN: "eyJ0eXAi.runtime",
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: "oidc-request-token",
  ACTIONS_ID_TOKEN_REQUEST_URL: "https://pipelines.actions.githubusercontent.com/oidc",
  GITHUB_REPOSITORY: "octo/app",
  AWS_SECRET_ACCESS_KEY: "aws-secret",
  ANTHROPIC_API_KEY: "sk-ant-api03-key",
  ANTHROPIC_BASE_URL: "https://gateway.internal",
  CLAUDE_CODE_MAX_OUTPUT_TOKENS: "8000",
  DISABLE_TELEMETRY: "1",
  NPM_TOKEN: "npm_abcdefghijklmnopqrstuvwxyz0123456789",
};

const NEVER = [
  "GITHUB_TOKEN",
  "GH_TOKEN",
  "P2P_SECRET",
  "P2P_ALLOW",
  "P2P_APP_PRIVATE_KEY",
  "GITHUB_APP_PRIVATE_KEY",
  "ACTIONS_RUNTIME_TOKEN",
  "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
  "ACTIONS_ID_TOKEN_REQUEST_URL",
  "DENO_AUTH_TOKENS",
  "NPM_CONFIG__AUTH",
  "AWS_SECRET_ACCESS_KEY",
  "NPM_TOKEN",
];

Deno.test("a task's environment: what programs and proxies need, no credential of the node", () => {
  const env = childEnv(NODE_ENV);
  assert.deepEqual(Object.keys(env).sort(), [
    "CI",
    "DENO_DIR",
    "HOME",
    "HTTPS_PROXY",
    "LANG",
    "LC_ALL",
    "NODE_EXTRA_CA_CERTS",
    "PATH",
    "SSL_CERT_FILE",
    "TMPDIR",
    "USER",
    "no_proxy",
    "npm_config_registry",
  ]);
  for (const name of NEVER) assert.equal(env[name], undefined, name);
  // Not even the agent's key: a task command is not the agent.
  assert.equal(env.ANTHROPIC_API_KEY, undefined);
});

Deno.test("Claude Code also gets its own key and settings, and still no credential of the node", () => {
  const env = childEnv(NODE_ENV, { agent: "claude" });
  for (const name of NEVER) assert.equal(env[name], undefined, name);
  assert.equal(env.ANTHROPIC_API_KEY, NODE_ENV.ANTHROPIC_API_KEY);
  assert.equal(env.ANTHROPIC_BASE_URL, NODE_ENV.ANTHROPIC_BASE_URL);
  assert.equal(env.CLAUDE_CODE_MAX_OUTPUT_TOKENS, "8000");
  assert.equal(env.DISABLE_TELEMETRY, "1");
  assert.equal(env.HTTPS_PROXY, NODE_ENV.HTTPS_PROXY);
  // AWS credentials only when Claude Code is told to use Bedrock.
  const bedrock = childEnv({ ...NODE_ENV, CLAUDE_CODE_USE_BEDROCK: "1" }, { agent: "claude" });
  assert.equal(bedrock.AWS_SECRET_ACCESS_KEY, "aws-secret");
});

Deno.test("--pass-env opts in by exact name or prefix, GITHUB_TOKEN included", () => {
  const env = childEnv(NODE_ENV, { passEnv: ["NPM_TOKEN", "GITHUB_*", "P2P_ALLOW"] });
  assert.equal(env.NPM_TOKEN, NODE_ENV.NPM_TOKEN);
  assert.equal(env.GITHUB_TOKEN, NODE_ENV.GITHUB_TOKEN);
  assert.equal(env.GITHUB_REPOSITORY, "octo/app");
  assert.equal(env.P2P_ALLOW, "alice");
  assert.equal(env.P2P_SECRET, undefined);
  assert.equal(env.GH_TOKEN, undefined);
});

Deno.test("parsePassEnv reads flags and P2P_PASS_ENV, and refuses what is not a name", () => {
  assert.deepEqual(parsePassEnv(["A", "B_*"], "C, D\nA"), ["A", "B_*", "C", "D"]);
  assert.deepEqual(parsePassEnv([], undefined), []);
  assert.throws(() => parsePassEnv(["A=1"]), {
    message:
      'Invalid environment variable name "A=1" to pass to tasks: use a name such as NPM_TOKEN, or a prefix such as MY_APP_*.',
  });
});

Deno.test("secretValues lists the values a child gets whose names name secrets", () => {
  assert.deepEqual(
    secretValues(childEnv(NODE_ENV, { agent: "claude", passEnv: ["NPM_TOKEN"] })).sort(),
    [NODE_ENV.ANTHROPIC_API_KEY, NODE_ENV.NPM_TOKEN].sort(),
  );
});
