// Opens the log of the run a BullMQ job is, around the job: its id is the job id (what
// GET /api/v1/runs lists), its meta comes from the job's data, and it ends with the job unless
// the job fails and will be tried again (the next attempt appends to the same log).
import type { RedisConnection } from "../queue/redis.ts";
import type { Logger } from "pino";
import { runSubject } from "../queue/run-list.ts";
import { withRunLog } from "./run-log-context.ts";
import { RedisRunLogWriter } from "./run-log-writer.ts";

/** What a worker knows of the job it runs. */
export interface RunJobRef {
  id: string;
  name: string;
  /** This attempt, from 1 (a restart after a stalled worker counts too). */
  attempt: number;
  /** Attempts the job may make in all. */
  attempts: number;
}

export interface RunLogTarget {
  redis: RedisConnection;
  prefix: string;
  log: Logger;
}

export async function runWithLog<T>(target: RunLogTarget, job: RunJobRef, data: unknown, run: () => Promise<T>): Promise<T> {
  const subject = runSubject(data);
  const meta = { runId: job.id, repo: subject.repo ?? "", kind: job.name, startedAt: new Date().toISOString(), ...subject };
  const writer = new RedisRunLogWriter(target.redis, target.prefix, meta, { attempt: job.attempt, log: target.log });
  let retried = false;
  try {
    return await withRunLog(writer, run);
  } catch (err) {
    retried = job.attempt < job.attempts;
    throw err;
  } finally {
    await writer.end({ marker: !retried });
  }
}
