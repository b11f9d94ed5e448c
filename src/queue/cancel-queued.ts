// Removes a job that is still waiting for a worker. A job that has started is left alone: a
// running plan is stopped by a newer head, and an apply is never cut short from outside.
import type { Queue } from "bullmq";

const NOT_STARTED = new Set(["waiting", "delayed", "prioritized", "waiting-children"]);

export async function cancelQueuedJob(queues: Queue[], id: string): Promise<boolean> {
  for (const queue of queues) {
    const job = await queue.getJob(id);
    if (!job) continue;
    if (!NOT_STARTED.has(await job.getState())) return false;
    // remove() refuses a job a worker has just locked: then it runs, and this says so.
    try {
      await job.remove();
      return true;
    } catch {
      return false;
    }
  }
  return false;
}
