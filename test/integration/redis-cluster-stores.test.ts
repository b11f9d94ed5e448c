// The stores' multi-key operations on a real 3-master Redis Cluster: each MULTI, pipeline and Lua
// script touches keys of one hash tag (src/queue/key-scheme.ts), and listings SCAN every master.
// Without the tags these fail with CROSSSLOT (or ioredis refuses the pipeline).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Intent } from "../../src/domain/intent.ts";
import { RedisLockStore } from "../../src/locks/redis-lock-store.ts";
import { CancelBus } from "../../src/queue/cancel-bus.ts";
import { IntakeStream } from "../../src/queue/intake-stream.ts";
import { PullHeadStore } from "../../src/state/pull-head-store.ts";
import { DeployStore } from "../../src/state/deploy-store.ts";
import { emptyDeltas, MetricStore } from "../../src/state/metric-store.ts";
import { uniquePrefix } from "../support/redis.ts";
import { clusterForTests } from "../support/redis-topology.ts";
import { runLockStoreContract } from "./locks/lock-store-contract.ts";

const { connect } = clusterForTests();

// The whole cluster goes when the file ends: nothing to clean per store.
runLockStoreContract("redis cluster", async () => {
  const prefix = uniquePrefix("locks");
  return { store: new RedisLockStore(connect(), prefix), another: () => new RedisLockStore(connect(), prefix), cleanup: async () => {} };
});

describe("stores on a Redis Cluster", { timeout: 60_000 }, () => {
  test("locks of repositories on different masters are all counted and listed", async () => {
    const redis = connect();
    const prefix = uniquePrefix("locks");
    const slots = await redis.cluster("SLOTS");
    const masterOf = async (repo: string) => {
      const slot = Number(await redis.cluster("KEYSLOT", `{${repo}}`));
      return slots.find(([from, to]) => slot >= from && slot <= to)![2]![1];
    };
    const repos: string[] = [];
    const masters = new Set<number>();
    for (let i = 0; masters.size < 3; i++) {
      const master = await masterOf(`acme/repo-${i}`);
      if (!masters.has(master)) repos.push(`repo-${i}`);
      masters.add(master);
    }
    const locks = new RedisLockStore(redis, prefix);
    for (const [i, name] of repos.entries()) await locks.tryAcquire({ owner: "acme", repo: name, project: "app" }, { pull: i + 1, since: 1 });
    assert.equal(await locks.countHeld(), 3);
    assert.deepEqual(await locks.lockedRepos(), repos.map((r) => `acme/${r}`).sort());
    assert.deepEqual(await locks.releaseAll({ owner: "acme", repo: repos[0]! }, 1), ["app"]);
    assert.equal(await locks.countHeld(), 2);
  });

  test("the intake stream: append, count failed tries, set aside a dead letter, acknowledge", async () => {
    const redis = connect();
    const stream = new IntakeStream(redis, uniquePrefix("intake"));
    await stream.ensureGroup();
    const intent = { kind: "plan", deliveryId: "d-1" } as unknown as Intent;
    await Promise.all([stream.dispatch(intent), stream.dispatch({ ...intent, deliveryId: "d-2" } as Intent)]);
    const [entry] = await stream.readNew("c1", 10, 100);
    assert.equal(entry?.intents?.length, 2, "deliveries of one turn share one entry");
    assert.equal(await stream.failedTry(entry.id), 1);
    await stream.deadLetter(entry, "boom");
    assert.deepEqual(
      (await stream.deadLetters()).map((d) => [d.entry, d.error]),
      [[entry.id, "boom"]],
    );
    assert.deepEqual(await stream.entries(), [], "it left the intake stream");
  });

  test("a merge queue group: an attempt after the group is gone is refused, and what it attempted is reported", async () => {
    const store = new DeployStore(connect(), uniquePrefix("deploys"));
    assert.equal(await store.recordQueueAttempt("acme/app", "sha1", "staging"), true);
    assert.deepEqual(await store.markQueueGroupGone("acme/app", "sha1", "left the queue"), ["staging"]);
    assert.equal(await store.recordQueueAttempt("acme/app", "sha1", "production"), false);
  });

  test("a new head recorded on one node reaches a worker subscribed through another (pub/sub from Lua)", async () => {
    const prefix = uniquePrefix("heads");
    const bus = new CancelBus(connect(), prefix);
    let hear: (notice: { pull: string; headSha: string }) => void = () => {};
    const heard = new Promise<{ pull: string; headSha: string }>((resolve) => (hear = resolve));
    await bus.onHead((notice) => hear(notice)); // resolves once subscribed
    const heads = new PullHeadStore(connect(), prefix);
    assert.equal(await heads.record("acme/app#7", "bbb", 2000, bus.noticeOf("acme/app#7", "bbb")), "bbb");
    assert.deepEqual(await heard, { pull: "acme/app#7", headSha: "bbb" });
  });

  test("metric totals: one pipeline in, one pipeline out", async () => {
    const store = new MetricStore(connect(), uniquePrefix("metrics"));
    const deltas = emptyDeltas();
    deltas.counters.set("jobs|plan|succeeded", 2);
    deltas.histogramSums.set("ack|sum", 0.25);
    deltas.gauges.set("queue|plans", 3);
    deltas.drift.set('["acme/app","staging"]', true);
    await store.add(deltas);
    const read = await store.read();
    assert.deepEqual(
      [read.counters, read.histograms, read.gauges, read.driftedProjects],
      [{ "jobs|plan|succeeded": "2" }, { "ack|sum": "0.25" }, { "queue|plans": "3" }, 1],
    );
  });
});
