// Runs the workers' intake forwarder in the test process, with the real Dispatcher and BullMQ
// queues on a prefix, so a test of the webhook server (SLIPWAY_ROLE=server) can look at the jobs
// its deliveries become. `stop()` closes everything it opened.
import { randomBytes } from "node:crypto";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { pino } from "pino";
import { CancelBus } from "../../src/queue/cancel-bus.ts";
import { DeployStore } from "../../src/state/deploy-store.ts";
import { Dispatcher, type Queues } from "../../src/queue/dispatcher.ts";
import { startForwarder } from "../../src/queue/forwarder.ts";
import { IntakeStream } from "../../src/queue/intake-stream.ts";
import { APPLY_QUEUE, EVENT_QUEUE, PLAN_QUEUE } from "../../src/queue/jobs.ts";
import { PullHeadStore } from "../../src/state/pull-head-store.ts";
import { TEST_REDIS_URL } from "./redis.ts";
import { queueKeyPrefix } from "../../src/queue/key-scheme.ts";

export interface IntakeForwarding {
  queues: Queues;
  /** Entries still in the intake stream (not yet forwarded). */
  stream: IntakeStream;
  /** Resolves once every entry appended so far has become jobs. */
  drained(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function forwardIntake(prefix: string, url = TEST_REDIS_URL): Promise<IntakeForwarding> {
  const redis = new Redis(url, { maxRetriesPerRequest: null });
  const reader = new Redis(url, { maxRetriesPerRequest: null });
  const queues: Queues = {
    plans: new Queue(PLAN_QUEUE, { connection: redis, prefix: queueKeyPrefix(prefix) }),
    events: new Queue(EVENT_QUEUE, { connection: redis, prefix: queueKeyPrefix(prefix) }),
    applies: new Queue(APPLY_QUEUE, { connection: redis, prefix: queueKeyPrefix(prefix) }),
  };
  const dispatcher = new Dispatcher(queues, new PullHeadStore(redis, prefix), new CancelBus(undefined, prefix), new DeployStore(redis, prefix));
  const stream = new IntakeStream(redis, prefix, reader);
  const forwarder = startForwarder({
    stream,
    jobs: dispatcher,
    consumer: `test-${randomBytes(3).toString("hex")}`,
    log: pino({ level: "silent" }),
    interruptRead: () => reader.disconnect(),
    blockMs: 200,
  });
  return {
    queues,
    stream,
    async drained(timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while ((await stream.entries()).length > 0) {
        if (Date.now() > deadline) throw new Error("the intake stream was not forwarded in time");
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop() {
      await forwarder.close();
      for (const q of Object.values(queues)) await q.close();
      redis.disconnect();
    },
  };
}
