/**
 * GitHub App authentication: an App signs a JSON Web Token (RS256) with its
 * private key and sends it as `Authorization: Bearer <jwt>` to its own
 * endpoints, which mint installation tokens. The emulator verifies the
 * signature with the App's public key and the claims as GitHub documents
 * them
 * (https://docs.github.com/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-json-web-token-jwt-for-a-github-app):
 * `iss` is the App's id, `iat` not in the future (60 s of clock drift
 * allowed), `exp` in the future and at most ten minutes ahead.
 *
 * @module
 */
import type { World } from "./state.ts";
import type { AppRecord } from "./types.ts";

/** What checking a JWT found. */
export type JwtCheck =
  | { ok: true; app: AppRecord }
  | { ok: false; message: string };

const DRIFT_S = 60;
const MAX_LIFETIME_S = 600;
const keys = new Map<string, Promise<CryptoKey>>();

/**
 * Whether a bearer credential has a JWT's shape (three base64url parts).
 *
 * @example
 * ```ts
 * looksLikeJwt("ghs_abc"); // false
 * ```
 */
export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);
}

/**
 * Verifies an App's JWT at emulated time `now` (epoch ms).
 *
 * @example
 * ```ts
 * const check = await verifyAppJwt(world, jwt, Date.now());
 * if (check.ok) console.log(check.app.slug);
 * ```
 */
export async function verifyAppJwt(world: World, jwt: string, now: number): Promise<JwtCheck> {
  const undecodable: JwtCheck = { ok: false, message: "A JSON web token could not be decoded" };
  const [h, p, s] = jwt.split(".");
  if (h === undefined || p === undefined || s === undefined) return undecodable;
  let header: { alg?: unknown };
  let claims: { iss?: unknown; iat?: unknown; exp?: unknown };
  try {
    header = JSON.parse(fromBase64Url(h, "text") as string);
    claims = JSON.parse(fromBase64Url(p, "text") as string);
  } catch {
    return undecodable;
  }
  if (header.alg !== "RS256") return undecodable;
  const app = world.app(Number(claims.iss));
  if (!app) return { ok: false, message: "Integration not found" };
  let valid = false;
  try {
    valid = await crypto.subtle.verify(
      "RSASSA-PKCS1-v1_5",
      await publicKey(app.publicKey),
      fromBase64Url(s, "bytes") as Uint8Array<ArrayBuffer>,
      new TextEncoder().encode(`${h}.${p}`),
    );
  } catch {
    valid = false;
  }
  if (!valid) return undecodable;
  const nowS = Math.floor(now / 1000);
  if (typeof claims.iat !== "number" || claims.iat > nowS + DRIFT_S) {
    return {
      ok: false,
      message:
        "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued",
    };
  }
  if (typeof claims.exp !== "number" || claims.exp <= nowS) {
    return {
      ok: false,
      message:
        "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires",
    };
  }
  if (claims.exp > nowS + MAX_LIFETIME_S + DRIFT_S) {
    return { ok: false, message: "'Expiration time' claim ('exp') is too far in the future" };
  }
  return { ok: true, app };
}

function publicKey(pem: string): Promise<CryptoKey> {
  let key = keys.get(pem);
  if (!key) {
    const body = pem.replace(/-----(BEGIN|END) PUBLIC KEY-----/g, "").replace(/\s+/g, "");
    const der = Uint8Array.from(atob(body), (c) => c.charCodeAt(0));
    key = crypto.subtle.importKey(
      "spki",
      der,
      { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
      false,
      ["verify"],
    );
    keys.set(pem, key);
  }
  return key;
}

function fromBase64Url(part: string, as: "text" | "bytes"): string | Uint8Array {
  const b64 = part.replace(/-/g, "+").replace(/_/g, "/").padEnd(
    Math.ceil(part.length / 4) * 4,
    "=",
  );
  const binary = atob(b64);
  if (as === "text") {
    return new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
  }
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}
