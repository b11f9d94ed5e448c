// Metrics recorded in several processes are summed in Redis and served by one registry, together
// with gauges read at scrape time from BullMQ and the lock store.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { pino } from "pino";
import { RedisLockStore } from "../../../src/locks/redis-lock-store.ts";
import { MetricsRecorder } from "../../../src/metrics/recorder.ts";
import { createMetricsRegistry } from "../../../src/metrics/registry.ts";
import { readQueueCounts } from "../../../src/queue/queue-counts.ts";
import { MetricStore } from "../../../src/state/metric-store.ts";
import { parseProm, valueOf } from "../../support/prom-text.ts";
import { TEST_REDIS_URL, deleteKeysWithPrefix, uniquePrefix } from "../../support/redis.ts";
import { queueKeyPrefix } from "../../../src/queue/key-scheme.ts";

const prefix = uniquePrefix("metrics");
const log = pino({ level: "silent" });
let redis: Redis;
let queue: Queue;

before(() => {
  redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
  queue = new Queue("plans", { connection: redis, prefix: queueKeyPrefix(prefix) });
});
after(async () => {
  await queue.close();
  await deleteKeysWithPrefix(prefix);
  redis.disconnect();
});

test("two processes' records are summed; gauges come from the queues and the locks", async () => {
  const store = new MetricStore(redis, prefix);
  const server = new MetricsRecorder(store, log, 60_000);
  const worker = new MetricsRecorder(store, log, 60_000);
  server.delivery("pull_request", 202, 0.004);
  server.delivery("pull_request", 401, 0.0005);
  server.delivery("made_up_event", 400, 0.0005);
  worker.job("plan", "succeeded", 1.2);
  worker.job("plan", "failed", 42);
  worker.githubRequest(7, { method: "POST", url: "/repos/{owner}/{repo}/check-runs", status: 201, headers: { "x-ratelimit-remaining": "4990" } });
  worker.githubRequest(7, { method: "GET", url: "https://ghe.example/api/v3/repositories/9/issues?page=2", status: 200 });
  // Not the installation's core limit: the app's own (JWT) call, and the search limit.
  worker.githubRequest(7, {
    method: "POST",
    url: "/app/installations/{installation_id}/access_tokens",
    status: 201,
    headers: { "x-ratelimit-remaining": "10" },
  });
  worker.githubRequest(7, { method: "GET", url: "/search/issues", status: 200, headers: { "x-ratelimit-remaining": "29", "x-ratelimit-resource": "search" } });
  worker.deploy("production", "success");
  worker.drift("acme/infra", "network", true);
  worker.drift("acme/infra", "dns", true);
  worker.lockRenewalFailures(2);
  await worker.close(); // the worker's totals reach Redis; the server's go at scrape time

  const locks = new RedisLockStore(redis, prefix);
  await locks.tryAcquire({ owner: "acme", repo: "infra", project: "network" }, { pull: 1, since: 1 });
  await locks.tryAcquire({ owner: "acme", repo: "other", project: "dns" }, { pull: 2, since: 1 });
  await locks.tryAcquire({ owner: "acme", repo: "other", project: "dns" }, { pull: 2, since: 1 }); // re-entrant
  await queue.add("x", {}, { timestamp: Date.now() - 10_000 });
  await queue.add("x", {});

  const endpoint = createMetricsRegistry({ store, recorder: server, queues: () => readQueueCounts([queue]), locksHeld: () => locks.countHeld() });
  const m = parseProm(await endpoint.scrape());
  await server.close();

  assert.equal(valueOf(m, "slipway_webhook_deliveries_total", { event: "pull_request", outcome: "accepted" }), 1);
  assert.equal(valueOf(m, "slipway_webhook_deliveries_total", { event: "pull_request", outcome: "rejected" }), 1);
  assert.equal(valueOf(m, "slipway_webhook_deliveries_total", { event: "other", outcome: "rejected" }), 1);
  assert.equal(valueOf(m, "slipway_webhook_ack_seconds_count"), 3);
  assert.equal(valueOf(m, "slipway_webhook_ack_seconds_bucket", { le: "0.001" }), 2);
  assert.equal(valueOf(m, "slipway_webhook_ack_seconds_bucket", { le: "0.005" }), 3);
  assert.equal(valueOf(m, "slipway_webhook_ack_seconds_bucket", { le: "+Inf" }), 3);
  assert.equal(valueOf(m, "slipway_jobs_total", { kind: "plan" }), 2);
  assert.equal(valueOf(m, "slipway_job_duration_seconds_bucket", { kind: "plan", le: "2.5" }), 1);
  assert.equal(valueOf(m, "slipway_job_duration_seconds_bucket", { kind: "plan", le: "+Inf" }), 2);
  assert.ok(Math.abs(valueOf(m, "slipway_job_duration_seconds_sum", { kind: "plan" }) - 43.2) < 1e-9);
  assert.equal(valueOf(m, "slipway_github_requests_total", { method: "POST", route: "/repos/{owner}/{repo}/check-runs", status: "201" }), 1);
  assert.equal(valueOf(m, "slipway_github_requests_total", { method: "GET", route: "/repositories/{id}/issues", status: "200" }), 1);
  assert.equal(valueOf(m, "slipway_github_rate_limit_remaining", { installation: "7" }), 4990);
  assert.equal(valueOf(m, "slipway_deploys_total", { environment: "production", outcome: "success" }), 1);
  assert.equal(valueOf(m, "slipway_drift_projects"), 2);
  assert.equal(valueOf(m, "slipway_job_lock_renewal_failures_total"), 2);
  assert.equal(valueOf(m, "slipway_locks_held"), 2);
  assert.equal(valueOf(m, "slipway_queue_jobs", { queue: "plans", state: "waiting" }), 2);
  const age = valueOf(m, "slipway_queue_oldest_waiting_seconds", { queue: "plans" });
  assert.ok(age >= 10, `the oldest waiting job is the one added 10 s in the past: ${age}`);
  assert.ok(valueOf(m, "process_cpu_user_seconds_total") > 0, "Node's process metrics are there");
});

test("locks taken before the index existed are counted once indexed", async () => {
  const locks = new RedisLockStore(redis, prefix);
  const before = await locks.countHeld();
  await locks.tryAcquire({ owner: "old", repo: "repo", project: "a" }, { pull: 5, since: 1 });
  await redis.srem(`${prefix}:locks:repos`, "old/repo"); // as if taken by a version without the index
  assert.equal(await locks.countHeld(), before);
  assert.equal(await locks.indexExisting(), 1);
  assert.equal(await locks.countHeld(), before + 1);
  assert.equal(await locks.indexExisting(), 0, "nothing new the second time");
  await locks.release({ owner: "old", repo: "repo", project: "a" }, 5);
});

test("a drift that is gone leaves the gauge; a lock released leaves the count", async () => {
  const store = new MetricStore(redis, prefix);
  const r = new MetricsRecorder(store, log, 60_000);
  r.drift("acme/infra", "network", false);
  const locks = new RedisLockStore(redis, prefix);
  await locks.release({ owner: "acme", repo: "infra", project: "network" }, 1);
  const endpoint = createMetricsRegistry({ store, recorder: r, queues: async () => [], locksHeld: () => locks.countHeld() });
  const m = parseProm(await endpoint.scrape());
  await r.close();
  assert.equal(valueOf(m, "slipway_drift_projects"), 1);
  assert.equal(valueOf(m, "slipway_locks_held"), 1);
});
