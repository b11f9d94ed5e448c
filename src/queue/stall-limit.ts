// A job whose workers kept dying under it. BullMQ counts each time a job's lock expires while it
// is active (it "stalled"); past maxStalledCount it marks the job, and the next worker to fetch it
// fails it at once without running it. Nothing else tells the pull request or ends the run's log,
// so the worker that fails it must (queue/workers.ts).

/** The reason BullMQ (6.x, moveStalledJobsToWait) fails such a job with, as an UnrecoverableError. */
export const STALLED_TOO_OFTEN = "job stalled more than allowable limit";

/**
 * How many times the job's workers stopped, if that is why it failed; undefined for any other
 * failure. Matched by name and message: the error is BullMQ's, made from a field in Redis.
 */
export function workerStops(job: { stalledCounter: number }, err: { name: string; message: string }): number | undefined {
  if (err.name !== "UnrecoverableError" || err.message !== STALLED_TOO_OFTEN) return undefined;
  return Math.max(1, job.stalledCounter);
}
