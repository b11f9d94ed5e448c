// Redis connections, one factory for the three ways Slipway uses Redis, on each topology
// Slipway runs on: one Redis (REDIS_URL), a Redis Cluster (REDIS_CLUSTER_NODES) or a primary
// behind Sentinel (REDIS_SENTINELS). Every process gets its connections here.
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from "ioredis";
import type { Logger } from "pino";
import type { RedisTarget } from "../settings.ts";

/** What every store, lock and queue is given: one Redis (standalone or Sentinel-managed) or a Cluster. */
export type RedisConnection = Redis | Cluster;

export type ConnectionUse =
  /** Webhook path: fail fast so the delivery gets a 503 instead of hanging while Redis is away. */
  | "producer"
  /** BullMQ workers block on Redis and must wait for it to come back (BullMQ requires this). */
  | "worker"
  /** Pub/sub needs its own connection; it reconnects on its own. */
  | "subscriber";

const retry = (n: number) => Math.min(n * 200, 2000);

const BY_USE: Record<ConnectionUse, RedisOptions> = {
  producer: { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2000 },
  worker: { maxRetriesPerRequest: null },
  subscriber: { maxRetriesPerRequest: null },
};

/** `target` may be a REDIS_URL (tests, tools) or the settings' topology. */
export function createRedis(target: string | RedisTarget, use: ConnectionUse, log?: Logger): RedisConnection {
  const t: RedisTarget = typeof target === "string" ? { kind: "standalone", url: target } : target;
  const redis = connect(t, use);
  // An unhandled 'error' event would crash the process while Redis restarts. ioredis emits one
  // per reconnection attempt: an outage is logged once when it starts and once when it ends.
  let down = false;
  redis.on("error", (err: Error) => {
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

function connect(t: RedisTarget, use: ConnectionUse): RedisConnection {
  const common: RedisOptions = { lazyConnect: false, connectionName: `slipway-${use}`, ...BY_USE[use] };
  if (t.kind === "standalone") return new Redis(t.url, { ...common, retryStrategy: retry });
  if (t.kind === "sentinel") {
    return new Redis({
      ...common,
      sentinels: t.sentinels,
      name: t.name,
      ...(t.password !== undefined ? { password: t.password } : {}),
      ...(t.sentinelPassword !== undefined ? { sentinelPassword: t.sentinelPassword } : {}),
      // Asks the sentinels again after every lost connection, so a failover is followed within
      // one retry. Not ioredis' failoverDetector: its disconnect on +switch-master can land while
      // a reconnection is asking the sentinels, and that connection then ends for good.
      retryStrategy: retry,
      sentinelRetryStrategy: retry,
    });
  }
  const { enableOfflineQueue, ...redisOptions } = common;
  const options: ClusterOptions = {
    redisOptions: { ...redisOptions, ...(t.password !== undefined ? { password: t.password } : {}) },
    clusterRetryStrategy: retry,
    // Reads go to masters too: a replica may lag behind the write a job just made.
    scaleReads: "master",
    ...(enableOfflineQueue !== undefined ? { enableOfflineQueue } : {}),
  };
  return new Cluster(t.nodes, options);
}

/**
 * Replicas an intake append waits for (WAIT) before the webhook is answered. Under Sentinel a
 * failover promotes a replica, and replication is asynchronous: without the wait, an intent
 * acknowledged to GitHub could exist only on the primary that was lost.
 */
export function appendReplicas(target: RedisTarget): number {
  return target.kind === "sentinel" ? 1 : 0;
}

/**
 * Every key matching `pattern`, in batches: a SCAN of each master on a Cluster (each holds only
 * its own slots), of the one Redis otherwise. For listings, never on a job's path.
 */
export async function* scanKeys(redis: RedisConnection, pattern: string): AsyncGenerator<string[]> {
  const nodes = redis.isCluster ? (redis as Cluster).nodes("master") : [redis as Redis];
  for (const node of nodes) {
    let cursor = "0";
    do {
      const [next, keys] = await node.scan(cursor, "MATCH", pattern, "COUNT", 1000);
      cursor = next;
      if (keys.length > 0) yield keys;
    } while (cursor !== "0");
  }
}

/** True when Redis answers PING within `timeoutMs`, false otherwise. */
export async function redisAnswers(redis: RedisConnection, timeoutMs = 1000): Promise<boolean> {
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
