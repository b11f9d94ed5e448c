// GitHub App credentials as GitHub checks them: RS256 app JWTs signed with the app's private key,
// and installation access tokens (`ghs_…`, one hour) minted from them.
import { createPublicKey, generateKeyPairSync, randomBytes, verify, type KeyObject } from "node:crypto";

export interface AppKeyPair {
  /** PKCS#1 PEM ("BEGIN RSA PRIVATE KEY"), the format GitHub hands out and Probot expects. */
  privateKeyPem: string;
  publicKey: KeyObject;
}

export function generateAppKeyPair(): AppKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return {
    privateKeyPem: privateKey.export({ type: "pkcs1", format: "pem" }).toString(),
    publicKey,
  };
}

export function publicKeyFromPem(pem: string): KeyObject {
  return createPublicKey(pem);
}

export type JwtCheck = { ok: true } | { ok: false; reason: string };

function b64urlJson(part: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(Buffer.from(part, "base64url").toString("utf8")) as unknown;
    return value && typeof value === "object" ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** GitHub accepts `iss` = app id (number or string) or client id; `exp` at most 10 minutes ahead. */
export function verifyAppJwt(token: string, publicKey: KeyObject, appId: number, clientId: string, nowMs = Date.now()): JwtCheck {
  const parts = token.split(".");
  if (parts.length !== 3) return { ok: false, reason: "not a JWT" };
  const [h, p, s] = parts as [string, string, string];
  const header = b64urlJson(h);
  const payload = b64urlJson(p);
  if (!header || !payload) return { ok: false, reason: "undecodable JWT" };
  if (header.alg !== "RS256") return { ok: false, reason: `alg ${String(header.alg)} is not RS256` };
  const valid = verify("RSA-SHA256", Buffer.from(`${h}.${p}`), publicKey, Buffer.from(s, "base64url"));
  if (!valid) return { ok: false, reason: "signature does not match the app's public key" };
  const now = Math.floor(nowMs / 1000);
  if (String(payload.iss) !== String(appId) && payload.iss !== clientId) return { ok: false, reason: "iss is not this app" };
  if (typeof payload.exp !== "number" || payload.exp <= now) return { ok: false, reason: "JWT expired" };
  if (payload.exp > now + 600 + 60) return { ok: false, reason: "exp is too far in the future" };
  if (typeof payload.iat === "number" && payload.iat > now + 60) return { ok: false, reason: "iat is in the future" };
  return { ok: true };
}

export interface InstallationToken {
  token: string;
  installationId: number;
  expiresAt: number;
}

export class TokenStore {
  private readonly tokens = new Map<string, InstallationToken>();

  issue(installationId: number, nowMs = Date.now()): InstallationToken {
    const token = `ghs_${randomBytes(18).toString("base64url").replace(/[-_]/g, "x").slice(0, 36)}`;
    const entry = { token, installationId, expiresAt: nowMs + 3600_000 };
    this.tokens.set(token, entry);
    return entry;
  }

  /** The installation a token belongs to, if it exists and has not expired. */
  check(token: string, nowMs = Date.now()): InstallationToken | undefined {
    const entry = this.tokens.get(token);
    return entry && entry.expiresAt > nowMs ? entry : undefined;
  }

  /** Tests use this to make a token stale without waiting an hour. */
  expire(token: string): void {
    const entry = this.tokens.get(token);
    if (entry) entry.expiresAt = 0;
  }
}
