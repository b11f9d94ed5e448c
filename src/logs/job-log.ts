// Opens the log of the run a BullMQ job is, around the job: its id is the job id (what
// GET /api/v1/runs lists), its meta comes from the job's data, and it ends with the job unless
// the job fails and will be tried again (the next attempt appends to the same log); a last
// attempt that fails says why before the end.
import type { RedisConnection } from "../queue/redis.ts";
import type { Logger } from "pino";
import { failureReason } from "../domain/failure-reason.ts";
import { runSubject } from "../queue/run-list.ts";
import { stoppedForShutdown } from "../queue/shutdown.ts";
import { withRunLog } from "./run-log-context.ts";
import { runLogUrl } from "./run-log-url.ts";
import { RedisRunLogWriter } from "./run-log-writer.ts";
import type { RunLogMeta } from "./run-log.ts";

/** What a worker knows of the job it runs. */
export interface RunJobRef {
  id: string;
  name: string;
  /** This attempt, from 1 (a restart after a stalled worker counts too). */
  attempt: number;
  /** Attempts the job may make in all. */
  attempts: number;
  /**
   * Attempts that ended (failed) before this one; BullMQ retries a failure while this + 1 is
   * under `attempts`. Not `attempt - 1`: a restart after a stalled worker is started, not made.
   */
  attemptsMade?: number;
}

export interface RunLogTarget {
  redis: RedisConnection;
  prefix: string;
  log: Logger;
  /** SLIPWAY_PUBLIC_URL: comments and check runs link to the run's page there. */
  publicUrl?: string;
}

/**
 * Runs `run` with the log open. `signal` is the job's: a job stopped by a shutdown goes back to
 * the queue (queue/workers.ts), so its log goes on with the next run rather than ending.
 */
export async function runWithLog<T>(target: RunLogTarget, job: RunJobRef, data: unknown, run: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  const writer = new RedisRunLogWriter(target.redis, target.prefix, metaOf(job, data), {
    attempt: job.attempt,
    log: target.log,
    ...(target.publicUrl ? { url: runLogUrl(target.publicUrl, job.id) } : {}),
  });
  let retried = false;
  try {
    return await withRunLog(writer, run);
  } catch (err) {
    retried = (job.attemptsMade ?? job.attempt - 1) + 1 < job.attempts || (signal !== undefined && stoppedForShutdown(signal));
    // The last attempt says why, in safe words: one that printed nothing would leave no log at all.
    if (!retried) writer.line(failedLine(err));
    throw err;
  } finally {
    await writer.end({ marker: !retried });
  }
}

/**
 * The log of a job whose worker died mid-way and that is not run again (an apply; a plan or event
 * whose workers died `stops` times): it says so and ends, so that clients streaming it stop waiting.
 * Never throws.
 */
export async function endInterruptedLog(target: RunLogTarget, job: RunJobRef, data: unknown, stops?: number): Promise<void> {
  const writer = new RedisRunLogWriter(target.redis, target.prefix, metaOf(job, data), { log: target.log });
  writer.line(interruptedLine(stops));
  await writer.end();
}

/** The last line of a run whose last attempt failed. */
export function failedLine(err: unknown): string {
  return `slipway: this run failed: ${failureReason(err)}; it is not tried again (the worker's log has the details)`;
}

/** The last line of such a log. */
export function interruptedLine(stops?: number): string {
  if (stops === undefined) return "slipway: the worker running this stopped before it finished; it is not run again (see the pull request)";
  return `slipway: the worker running this stopped ${stops} time${stops === 1 ? "" : "s"} before it finished; it is not tried again`;
}

function metaOf(job: RunJobRef, data: unknown): RunLogMeta {
  const subject = runSubject(data);
  return { runId: job.id, repo: subject.repo ?? "", kind: job.name, startedAt: new Date().toISOString(), ...subject };
}
