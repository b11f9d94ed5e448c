// Bearer token check for /api/v1. Both sides are hashed first, so the comparison is between
// equal-length digests and takes the same time whatever the token sent (timingSafeEqual would
// otherwise throw on a length mismatch, and an early length check leaks the length).
import { createHash, timingSafeEqual } from "node:crypto";

export function bearerAllowed(authorization: string | undefined, token: string | undefined): boolean {
  if (token === undefined || authorization === undefined) return false;
  const match = /^Bearer ([^\s]+)$/i.exec(authorization.trim());
  if (!match) return false;
  return timingSafeEqual(digest(match[1]!), digest(token));
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}
