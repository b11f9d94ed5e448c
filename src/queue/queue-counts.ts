// What the queues hold right now, for the metrics: BullMQ's counts per state (each a ZCARD or
// LLEN inside one script: constant time, however many jobs wait) and the age of the oldest
// waiting job (one more read of the list's far end).
import type { Queue } from "bullmq";
import type { QueueCounts } from "../metrics/registry.ts";

const STATES = ["waiting", "active", "delayed", "prioritized", "waiting-children", "failed", "completed"] as const;

export async function readQueueCounts(queues: Queue[]): Promise<QueueCounts[]> {
  return Promise.all(
    queues.map(async (q) => {
      const [counts, oldest] = await Promise.all([q.getJobCounts(...STATES), q.getJobs(["wait"], 0, 0, true)]);
      const at = oldest[0]?.timestamp;
      return { queue: q.name, counts, ...(at !== undefined ? { oldestWaitingAt: at } : {}) };
    }),
  );
}
