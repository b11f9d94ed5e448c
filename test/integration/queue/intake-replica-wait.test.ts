// Under Sentinel an intake append counts as done (and the webhook is answered 2xx) only once a
// replica has it: replication is asynchronous, and a failover promotes a replica.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Redis } from "ioredis";
import type { Intent } from "../../../src/domain/intent.ts";
import { IntakeStream } from "../../../src/queue/intake-stream.ts";
import { intakeKey } from "../../../src/queue/key-scheme.ts";
import { appendReplicas, createRedis, redisAnswers, type RedisConnection } from "../../../src/queue/redis.ts";
import { uniquePrefix } from "../../support/redis.ts";
import { startLoneRedis, startRedisSentinels, type RedisSentinels } from "../../support/redis-topology.ts";

const intent = { kind: "plan", deliveryId: "d-1" } as unknown as Intent;

describe("intake appends under Sentinel wait for a replica", { timeout: 60_000 }, () => {
  let sentinels: RedisSentinels;
  const connections: RedisConnection[] = [];
  before(async () => {
    sentinels = await startRedisSentinels();
  });
  after(async () => {
    for (const c of connections) c.disconnect();
    await sentinels?.stop();
  });

  test("the append is done once the replica holds the entry", async () => {
    assert.equal(appendReplicas(sentinels.target), 1);
    const producer = createRedis(sentinels.target, "producer");
    connections.push(producer);
    assert.ok(await redisAnswers(producer, 10_000));
    const prefix = uniquePrefix("intake");
    await new IntakeStream(producer, prefix, producer, appendReplicas(sentinels.target)).dispatch(intent);
    const [replicaPort] = await sentinels.replicaPorts();
    const replica = new Redis(replicaPort!, "127.0.0.1");
    connections.push(replica);
    assert.equal(await replica.xlen(intakeKey(prefix)), 1);
  });
});

test("with no replica to confirm it, the append is refused (the delivery gets a 503), not acknowledged", { timeout: 30_000 }, async () => {
  const lone = await startLoneRedis();
  const redis = createRedis(lone.url, "producer");
  try {
    assert.ok(await redisAnswers(redis, 5000));
    const stream = new IntakeStream(redis, uniquePrefix("intake"), redis, 1);
    await assert.rejects(stream.dispatch(intent), /reached 0 of 1 replica/);
  } finally {
    redis.disconnect();
    await lone.stop();
  }
});
