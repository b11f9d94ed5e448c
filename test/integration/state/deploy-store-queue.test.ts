// What a merge queue group applied, as every worker sees it through Redis: the deploy of the
// merged commit skips it, a group that left the queue reports it, and a group gone is not applied.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Redis } from "ioredis";
import { DeployStore } from "../../../src/state/deploy-store.ts";
import { TEST_REDIS_URL, deleteKeysWithPrefix, uniquePrefix } from "../../support/redis.ts";

const prefix = uniquePrefix("queue-applied");
let redis: Redis;

before(() => {
  redis = new Redis(TEST_REDIS_URL);
});
after(async () => {
  await deleteKeysWithPrefix(prefix);
  redis.disconnect();
});

test("attempts and applies of a group are kept apart; only applies are skipped by the deploy", async () => {
  const store = new DeployStore(redis, prefix);
  assert.equal(await store.recordQueueAttempt("o/r", "sha1", "staging"), true);
  assert.equal(await store.recordQueueAttempt("o/r", "sha1", "network"), true);
  await store.recordQueueApplied("o/r", "sha1", "staging");
  assert.deepEqual(await store.queueApplied("o/r", "sha1"), ["staging"]);
  assert.deepEqual(await store.queueAttempted("o/r", "sha1"), ["network", "staging"]);
  assert.deepEqual(await store.queueApplied("o/r", "sha2"), [], "per commit");
});

test("once a group is gone, no apply of it starts, and what it attempted before is reported", async () => {
  const store = new DeployStore(redis, prefix);
  assert.equal(await store.recordQueueAttempt("o/r", "sha3", "staging"), true);
  assert.equal(await store.queueGroupGone("o/r", "sha3"), false);
  assert.deepEqual(await store.markQueueGroupGone("o/r", "sha3", "dequeued"), ["staging"]);
  assert.equal(await store.queueGroupGone("o/r", "sha3"), true);
  assert.equal(await store.recordQueueAttempt("o/r", "sha3", "production"), false, "refused after the group left");
  assert.deepEqual(await store.queueAttempted("o/r", "sha3"), ["staging"], "the refused attempt is not recorded");
});
