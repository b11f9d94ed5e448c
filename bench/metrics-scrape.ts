// metrics_scrape: GET /metrics of a webhook server while the queues hold 10,000 jobs, added
// straight into BullMQ under the bench's prefix (Slipway runs SLIPWAY_ROLE=server, so no worker
// takes them), with locks held in 50 repositories and a few hundred recorded series. Sequential
// scrapes after a warm-up; latency from sending the request to the last byte of the answer.
import { loadavg } from "node:os";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { pino } from "pino";
import { RedisLockStore } from "../src/locks/redis-lock-store.ts";
import { MetricsRecorder } from "../src/metrics/recorder.ts";
import { APPLY_QUEUE, EVENT_QUEUE, PLAN_QUEUE } from "../src/queue/jobs.ts";
import { MetricStore } from "../src/state/metric-store.ts";
import { TEST_REDIS_URL } from "../test/support/redis.ts";
import { startBenchStack } from "./lib/bench-stack.ts";
import { median, ms, percentile, progress, round } from "./lib/stats.ts";
import type { Bench, BenchResult } from "./lib/types.ts";
import { queueKeyPrefix } from "../src/queue/key-scheme.ts";

const JOBS = 10_000;
const SCRAPES = 300;
const WARMUP = 20;
const GOAL_MS = 50;

async function fillQueues(prefix: string): Promise<Record<string, number>> {
  const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
  const queues = [PLAN_QUEUE, EVENT_QUEUE, APPLY_QUEUE].map((name) => new Queue(name, { connection: redis, prefix: queueKeyPrefix(prefix) }));
  try {
    // Mostly waiting, some delayed: the states a backlog is made of.
    const spread = { [PLAN_QUEUE]: 0.6, [EVENT_QUEUE]: 0.3, [APPLY_QUEUE]: 0.1 };
    for (const q of queues) {
      const n = Math.round(JOBS * spread[q.name as keyof typeof spread]);
      for (let i = 0; i < n; i += 500) {
        const batch = Array.from({ length: Math.min(500, n - i) }, (_, j) => ({
          name: "bench",
          data: { kind: "plan", n: i + j },
          opts: (i + j) % 10 === 0 ? { delay: 3_600_000 } : {},
        }));
        await q.addBulk(batch);
      }
    }
    const locks = new RedisLockStore(redis, prefix);
    for (let r = 0; r < 50; r++) {
      for (let p = 0; p < 4; p++) await locks.tryAcquire({ owner: "acme", repo: `infra-${r}`, project: `p${p}` }, { pull: r * 10 + p + 1, since: Date.now() });
    }
    // Series as a busy installation has them: every job kind and outcome, 60 routes, 20 installations, 10 environments.
    const recorder = new MetricsRecorder(new MetricStore(redis, prefix), pino({ level: "silent" }), 3_600_000);
    for (const kind of ["plan", "comment", "review", "pull_closed", "deploy", "apply", "drift"])
      for (const outcome of ["succeeded", "failed", "cancelled", "interrupted"] as const) recorder.job(kind, outcome, Math.random() * 100);
    for (let r = 0; r < 60; r++)
      for (const status of [200, 201, 404])
        recorder.githubRequest(r % 20, {
          method: "POST",
          url: `/repos/{owner}/{repo}/thing-${String.fromCharCode(97 + (r % 26))}${r}`,
          status,
          headers: { "x-ratelimit-remaining": "4000" },
        });
    for (let e = 0; e < 10; e++) for (const outcome of ["success", "failure"]) recorder.deploy(`env-${e}`, outcome);
    await recorder.close();
    const counts: Record<string, number> = {};
    for (const q of queues) counts[q.name] = Object.values(await q.getJobCounts("waiting", "delayed")).reduce((a, b) => a + b, 0);
    return counts;
  } finally {
    await Promise.all(queues.map((q) => q.close()));
    redis.disconnect();
  }
}

async function run(): Promise<BenchResult> {
  const stack = await startBenchStack("metrics-scrape");
  try {
    const counts = await fillQueues(stack.prefix);
    progress("metrics_scrape", `queues filled: ${JSON.stringify(counts)}`);
    const slipway = await stack.slipway({ role: "server" });
    const load = loadavg()[0]!.toFixed(1);
    const url = `${slipway.url}/metrics`;
    let bytes = 0;
    let series = 0;
    const times: number[] = [];
    for (let i = 0; i < WARMUP + SCRAPES; i++) {
      const t0 = performance.now();
      const res = await fetch(url);
      const text = await res.text();
      const t = performance.now() - t0;
      if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}: ${text.slice(0, 200)}`);
      if (i >= WARMUP) times.push(t);
      bytes = text.length;
      series = text.split("\n").filter((l) => l !== "" && !l.startsWith("#")).length;
      if (i === 0 && !/slipway_queue_jobs\{queue="plans",state="waiting"\} [1-9]/.test(text)) throw new Error("the scrape does not show the waiting jobs");
    }
    const p50 = round(median(times), 1);
    const p99 = round(percentile(times, 99), 1);
    return {
      headline: { metrics_scrape_ms: p99 },
      goals: [{ what: `GET /metrics p99 with ${JOBS.toLocaleString("en")} jobs queued`, target: `≤ ${GOAL_MS} ms`, value: ms(p99), met: p99 <= GOAL_MS }],
      table: {
        title: "metrics_scrape: GET /metrics with a 10,000-job backlog",
        headers: ["jobs queued", "scrapes", "p50", "p99", "max", "samples per scrape", "bytes"],
        rows: [[JOBS, SCRAPES, ms(p50), ms(p99), ms(percentile(times, 100)), series, bytes]],
        notes: [
          "One webhook server (SLIPWAY_ROLE=server), scraped sequentially after 20 warm-up scrapes; each reads BullMQ's counts",
          "(3 queues), the oldest waiting job, the lock index (50 repositories, 200 locks) and the summed series in Redis.",
          `Load average when it started: ${load} on this machine (work other than the benchmark's shows here and in p99).`,
        ],
      },
      detail: { load_average: Number(load), jobs: counts, scrapes: SCRAPES, p50_ms: p50, p99_ms: p99, samples: series, bytes },
    };
  } finally {
    await stack.stop();
  }
}

export const metricsScrape: Bench = {
  name: "metrics_scrape",
  summary: "GET /metrics latency (p50/p99) with 10,000 jobs in the queues",
  run,
};
