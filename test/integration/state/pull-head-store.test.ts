// The newest head of a pull request, as every process sees it through Redis.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Redis } from "ioredis";
import { PullHeadStore } from "../../../src/state/pull-head-store.ts";
import { TEST_REDIS_URL, deleteKeysWithPrefix, uniquePrefix } from "../../support/redis.ts";

const prefix = uniquePrefix("heads");
let redis: Redis;
let other: Redis;

before(() => {
  redis = new Redis(TEST_REDIS_URL);
  other = new Redis(TEST_REDIS_URL);
});
after(async () => {
  await deleteKeysWithPrefix(prefix);
  redis.disconnect();
  other.disconnect();
});

test("a newer head replaces the stored one; an older delivery arriving late does not", async () => {
  const heads = new PullHeadStore(redis, prefix);
  assert.equal(await heads.isCurrent("o/r#1", "aaa"), true, "an unknown pull request is not superseded");
  assert.equal(await heads.record("o/r#1", "aaa", 1000), "aaa");
  assert.equal(await heads.record("o/r#1", "bbb", 2000), "bbb");
  assert.equal(await heads.record("o/r#1", "aaa", 1000), "bbb", "the late, older head is refused");
  assert.equal(await heads.isCurrent("o/r#1", "aaa"), false);
  assert.equal(await heads.isCurrent("o/r#1", "bbb"), true);
});

test("another process sees the same head", async () => {
  await new PullHeadStore(redis, prefix).record("o/r#2", "ccc", 5);
  assert.equal(await new PullHeadStore(other, prefix).latest("o/r#2"), "ccc");
});

test("recording a current head tells subscribers in the same call; a refused older head tells nobody", async () => {
  const subscriber = new Redis(TEST_REDIS_URL);
  try {
    const channel = `${prefix}:notices`;
    const heard: string[] = [];
    subscriber.on("message", (_channel: string, message: string) => heard.push(message));
    await subscriber.subscribe(channel);
    const heads = new PullHeadStore(redis, prefix);
    await heads.record("o/r#3", "new", 2000, { channel, message: "new is current" });
    await heads.record("o/r#3", "old", 1000, { channel, message: "old is current" });
    await heads.record("o/r#3", "new", 2000, { channel, message: "redelivery of new" });
    const deadline = Date.now() + 5000;
    while (heard.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(heard, ["new is current", "redelivery of new"]);
  } finally {
    subscriber.disconnect();
  }
});
