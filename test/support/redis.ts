// Redis for tests: the machine's Redis on 127.0.0.1:6379, a unique key prefix per test, and
// cleanup of exactly the keys that prefix owns.
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";

export const TEST_REDIS_URL = process.env.SLIPWAY_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

export function uniquePrefix(label = "t"): string {
  return `slipway-test-${label}-${randomBytes(4).toString("hex")}`;
}

export async function deleteKeysWithPrefix(prefix: string, url = TEST_REDIS_URL): Promise<number> {
  const redis = new Redis(url, { maxRetriesPerRequest: 2 });
  try {
    let deleted = 0;
    // `{prefix}:…` are the queues' and the intake's keys (src/queue/key-scheme.ts).
    for (const pattern of [`${prefix}:*`, `{${prefix}}:*`]) {
      let cursor = "0";
      do {
        const [next, keys] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 1000);
        cursor = next;
        if (keys.length > 0) deleted += await redis.del(...keys);
      } while (cursor !== "0");
    }
    return deleted;
  } finally {
    redis.disconnect();
  }
}
