// Redis connections, one factory for the three ways Slipway uses Redis.
import { Redis, type RedisOptions } from "ioredis";
import type { Logger } from "pino";

export type ConnectionUse =
  /** Webhook path: fail fast so the delivery gets a 503 instead of hanging while Redis is away. */
  | "producer"
  /** BullMQ workers block on Redis and must wait for it to come back (BullMQ requires this). */
  | "worker"
  /** Pub/sub needs its own connection; it reconnects on its own. */
  | "subscriber";

export function createRedis(url: string, use: ConnectionUse, log?: Logger): Redis {
  const base: RedisOptions = { lazyConnect: false, connectionName: `slipway-${use}` };
  const byUse: Record<ConnectionUse, RedisOptions> = {
    producer: { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2000, retryStrategy: (n) => Math.min(n * 200, 2000) },
    worker: { maxRetriesPerRequest: null, retryStrategy: (n) => Math.min(n * 200, 2000) },
    subscriber: { maxRetriesPerRequest: null, retryStrategy: (n) => Math.min(n * 200, 2000) },
  };
  const redis = new Redis(url, { ...base, ...byUse[use] });
  // An unhandled 'error' event would crash the process while Redis restarts. ioredis emits one
  // per reconnection attempt: an outage is logged once when it starts and once when it ends.
  let down = false;
  redis.on("error", (err) => {
    if (down) return;
    down = true;
    log?.warn({ connection: use, err: err.message }, "Redis connection lost: retrying");
  });
  redis.on("ready", () => {
    if (!down) return;
    down = false;
    log?.info({ connection: use }, "Redis connection back");
  });
  return redis;
}

/** True when Redis answers PING within `timeoutMs`, false otherwise. */
export async function redisAnswers(redis: Redis, timeoutMs = 1000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("timeout")), timeoutMs);
  });
  try {
    // A producer connection refuses commands until it is connected (no offline queue).
    if (redis.status !== "ready") await Promise.race([new Promise((resolve) => redis.once("ready", resolve)), timeout]);
    return (await Promise.race([redis.ping(), timeout])) === "PONG";
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
