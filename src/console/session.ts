// The console's session: an encrypted, authenticated cookie (@fastify/secure-session, libsodium's
// secretbox) that holds only a random session id — the GitHub token it stands for stays in Redis
// (state/console-store.ts). CSRF tokens are bound to that id, so a form from another site or
// another session is refused without any per-form storage.
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from "node:crypto";
import secureSession from "@fastify/secure-session";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { ConsoleSession, ConsoleStore } from "../state/console-store.ts";

export const SESSION_COOKIE = "slipway_session";
/** How long a sign-in lasts; GitHub's own user tokens last 8 hours too. */
export const SESSION_MS = 8 * 3600 * 1000;

declare module "@fastify/secure-session" {
  interface SessionData {
    sid: string;
    /** The `state` of a sign-in under way, bound to this browser. */
    state: string;
  }
}

export interface SignedIn extends ConsoleSession {
  sid: string;
  csrf: string;
}

export async function registerSession(fastify: FastifyInstance, sessionSecret: string, secure: boolean): Promise<void> {
  // A 32-byte key from the secret (HKDF): any string of 32+ characters makes a full-strength key.
  const key = Buffer.from(hkdfSync("sha256", sessionSecret, "slipway", "console session cookie", 32));
  await fastify.register(secureSession, {
    key,
    cookieName: SESSION_COOKIE,
    expiry: SESSION_MS / 1000,
    cookie: { path: "/", httpOnly: true, sameSite: "lax", secure },
  });
}

export function newId(): string {
  return randomBytes(24).toString("base64url");
}

export function csrfToken(sessionSecret: string, sid: string): string {
  return createHmac("sha256", sessionSecret).update(`csrf:${sid}`).digest("base64url");
}

export function sameToken(given: unknown, expected: string): boolean {
  if (typeof given !== "string") return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The signed-in person of this request, or undefined (no cookie, a cookie of another key, an expired or dropped session). */
export async function signedIn(req: FastifyRequest, store: ConsoleStore, sessionSecret: string, now: () => number): Promise<SignedIn | undefined> {
  const sid = req.session?.get("sid");
  if (typeof sid !== "string") return undefined;
  const session = await store.session(sid);
  if (!session || session.expiresAt <= now()) return undefined;
  return { ...session, sid, csrf: csrfToken(sessionSecret, sid) };
}
