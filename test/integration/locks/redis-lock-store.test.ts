import { Redis } from "ioredis";
import { RedisLockStore } from "../../../src/locks/redis-lock-store.ts";
import { deleteKeysWithPrefix, TEST_REDIS_URL, uniquePrefix } from "../../support/redis.ts";
import { runLockStoreContract } from "./lock-store-contract.ts";

runLockStoreContract("redis", async () => {
  const prefix = uniquePrefix("locks");
  // Separate connections make the race test real: Redis, not one socket's ordering, decides.
  const connections: Redis[] = [];
  const open = () => {
    const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 2 });
    connections.push(redis);
    return new RedisLockStore(redis, prefix);
  };
  return {
    store: open(),
    another: open,
    async cleanup() {
      await Promise.all(connections.map((c) => c.quit()));
      await deleteKeysWithPrefix(prefix);
    },
  };
});
