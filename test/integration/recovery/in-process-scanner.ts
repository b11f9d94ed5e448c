// A Redeliverer in the test's own process, against the GitHub simulator and real Redis, with its
// log lines and counts kept for assertions. Each has a Redis connection of its own, so a test can
// cut one off as if its process had died.
import { Writable } from "node:stream";
import { Redis } from "ioredis";
import { pino } from "pino";
import { noAudit } from "../../../src/audit/recorder.ts";
import { AppHookDeliveries } from "../../../src/github/app-hook-deliveries.ts";
import { HANDLED_EVENTS } from "../../../src/intake/intake.ts";
import { Redeliverer, type RedeliveryOutcome } from "../../../src/recovery/redeliverer.ts";
import { RedeliveryStore } from "../../../src/state/redelivery-store.ts";
import type { GitHubSimulator } from "../../support/github-simulator/index.ts";
import { TEST_REDIS_URL } from "../../support/redis.ts";

export interface InProcessScanner {
  redeliverer: Redeliverer;
  redis: Redis;
  lines: string[];
  counts: RedeliveryOutcome[];
  close(): Promise<void>;
}

export function startScanner(sim: GitHubSimulator, prefix: string, opts: { name: string; intervalMs: number; leaseMs?: number }): InProcessScanner {
  const lines: string[] = [];
  const counts: RedeliveryOutcome[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const logger = pino({ level: "info", base: { name: opts.name } }, sink);
  const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
  redis.on("error", () => {});
  const app = { appId: sim.appId, privateKey: sim.privateKey, webhookSecret: sim.webhookSecret };
  const redeliverer = new Redeliverer({
    log: new AppHookDeliveries({ app, apiBaseUrl: sim.apiUrl, log: logger, throttle: false }),
    store: new RedeliveryStore(redis, prefix),
    audit: noAudit,
    count: (outcome) => counts.push(outcome),
    logger,
    intervalMs: opts.intervalMs,
    events: HANDLED_EVENTS,
    ...(opts.leaseMs ? { leaseMs: opts.leaseMs } : {}),
  }).start();
  return {
    redeliverer,
    redis,
    lines,
    counts,
    async close() {
      await redeliverer.close();
      redis.disconnect();
    },
  };
}
