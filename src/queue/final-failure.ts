// Which failures of a plan are final, and so must be reported by the worker that saw them: BullMQ
// emits `failed` after every failed attempt, but only the last one leaves the job failed for good
// (and its checks open, its pull request untold). Pure.
import { workerStops } from "./stall-limit.ts";

export type FinalFailure = { kind: "stalled_out"; stops: number } | { kind: "last_attempt" };

/**
 * Why the job is failed for good, or undefined while BullMQ will try it again. Read in the
 * `failed` event, where `attemptsMade` already counts the attempt that just failed.
 */
export function finalFailure(
  job: { attemptsMade: number; stalledCounter: number; opts: { attempts?: number } },
  err: { name: string; message: string },
): FinalFailure | undefined {
  const stops = workerStops(job, err);
  if (stops !== undefined) return { kind: "stalled_out", stops };
  return job.attemptsMade >= (job.opts.attempts ?? 1) ? { kind: "last_attempt" } : undefined;
}
