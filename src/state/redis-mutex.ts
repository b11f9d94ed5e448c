// A short mutex in Redis: SET NX PX to take it, compare-and-delete to release. It expires on its
// own, so a dead worker never blocks others for longer than `ttlMs`; holders do a few calls only.
import { randomUUID } from "node:crypto";
import type { RedisConnection } from "../queue/redis.ts";

const RELEASE_IF_OWNER = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

export async function withRedisMutex<T>(redis: RedisConnection, key: string, fn: () => Promise<T>, { ttlMs = 30_000, waitMs = 30_000 } = {}): Promise<T> {
  const token = randomUUID();
  const deadline = Date.now() + waitMs;
  while ((await redis.set(key, token, "PX", ttlMs, "NX")) !== "OK") {
    if (Date.now() > deadline) throw new Error(`${key} stayed locked for ${waitMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
  try {
    return await fn();
  } finally {
    await redis.eval(RELEASE_IF_OWNER, 1, key, token);
  }
}
