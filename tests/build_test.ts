/**
 * The environment tests build the bundle with: `deno bundle` resolves npm
 * packages over the network, so it keeps what Deno's networking reads (a
 * TLS-intercepting proxy's CA, the proxy itself, Deno's own settings) and
 * nothing else. With only PATH and HOME, `deno bundle` on an empty cache
 * behind such a proxy fails with `invalid peer certificate: UnknownIssuer`.
 */
import assert from "node:assert/strict";
import { buildEnv } from "./_build.ts";

Deno.test("building keeps the certificate, proxy and DENO_* variables networking needs, and drops the rest", () => {
  const networking = {
    NODE_EXTRA_CA_CERTS: "/etc/ssl/proxy-ca.pem",
    SSL_CERT_FILE: "/etc/ssl/cert.pem",
    DENO_CERT: "/etc/ssl/proxy-ca.pem",
    DENO_TLS_CA_STORE: "system",
    DENO_DIR: "/cache/deno",
    HTTPS_PROXY: "http://proxy:3128",
    https_proxy: "http://proxy:3128",
    HTTP_PROXY: "http://proxy:3128",
    NO_PROXY: "127.0.0.1,localhost",
    NPM_CONFIG_REGISTRY: "https://registry.example/",
  };
  const env = buildEnv({
    PATH: "/usr/bin",
    HOME: "/home/ci",
    ...networking,
    GITHUB_TOKEN: "ghp_secret",
    P2P_SECRET: "s3cret",
    ANTHROPIC_API_KEY: "sk-ant",
  });
  assert.deepEqual(env, { PATH: "/usr/bin", HOME: "/home/ci", ...networking });
});
