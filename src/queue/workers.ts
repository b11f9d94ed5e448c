// BullMQ workers of one process: plans (cancellable by a newer head), events (comments, reviews,
// closed pull requests) and applies (never retried: an interrupted apply is for a human to judge).
// Which job runs is the route table's business (jobs/routes.ts): a worker only hands it the intent.
// On shutdown, running plans are stopped and put back; the rest run to the end (queue/shutdown.ts).
// A plan or event whose workers died under it more often than BullMQ allows is failed unrun by
// the next worker, which reports it (queue/stall-limit.ts); so is a plan or event whose last
// attempt threw, by the worker it threw on (queue/final-failure.ts).
import { Job, WaitingError, Worker } from "bullmq";
import type { RedisConnection } from "./redis.ts";
import type { Logger } from "pino";
import type { EventIntent, JobIntent, PlanIntent, WorldIntent } from "../domain/intent.ts";
import { pullKey } from "../domain/types.ts";
import type { RunJobRef } from "../logs/job-log.ts";
import type { CancelBus } from "./cancel-bus.ts";
import { APPLY_QUEUE, EVENT_QUEUE, PLAN_QUEUE } from "./jobs.ts";
import { shutdownReason, stoppedForShutdown, treatmentOnShutdown, type RunningJob } from "./shutdown.ts";
import { queueKeyPrefix } from "./key-scheme.ts";
import { finalFailure } from "./final-failure.ts";

export interface Processors {
  run: (intent: JobIntent, signal: AbortSignal, job: RunJobRef) => Promise<unknown>;
  /** An apply or deploy whose worker died mid-way: reported, never run again on its own. */
  interrupted: (intent: WorldIntent, job: RunJobRef) => Promise<unknown>;
  /** A plan or event that BullMQ failed without running it: its workers stopped `stops` times under it. */
  stalledOut: (intent: PlanIntent | EventIntent, job: RunJobRef, stops: number) => Promise<unknown>;
  /** A plan or event whose last attempt threw `err`: failed for good, nobody else reports it. */
  failed: (intent: PlanIntent | EventIntent, job: RunJobRef, err: Error) => Promise<unknown>;
}

/** Counters an operator wants to see (and metrics will read). */
export interface WorkerEvents {
  lockRenewalFailures: number;
}

interface Running {
  pull: string;
  headSha: string;
  controller: AbortController;
}

export async function startWorkers(opts: {
  connection: RedisConnection;
  prefix: string;
  concurrency: number;
  lockMs: number;
  cancel: CancelBus;
  processors: Processors;
  log: Logger;
}): Promise<{ workers: Worker[]; events: WorkerEvents; stopPlans: () => void; running: () => RunningJob[] }> {
  const running = new Set<Running>();
  const stoppable = new ShutdownAware();
  const stopListening = await opts.cancel.onHead(({ pull, headSha }) => {
    for (const r of running) if (r.pull === pull && r.headSha !== headSha) r.controller.abort();
  });
  // The stalled check runs as often as a lock lasts: a dead worker's job is noticed within ~2 locks.
  const common = {
    connection: opts.connection,
    prefix: queueKeyPrefix(opts.prefix),
    concurrency: opts.concurrency,
    lockDuration: opts.lockMs,
    stalledInterval: opts.lockMs,
  };
  const never = new AbortController().signal;
  const plans = new Worker<PlanIntent>(
    PLAN_QUEUE,
    stoppable.processor<PlanIntent>(async (job, shutdown) => {
      const entry: Running = { pull: pullKey(job.data.pull), headSha: job.data.pull.headSha, controller: new AbortController() };
      running.add(entry);
      try {
        return await opts.processors.run(job.data, AbortSignal.any([shutdown, entry.controller.signal]), jobRef(job));
      } finally {
        running.delete(entry);
      }
    }),
    common,
  );
  // Never aborted: a shutdown gives these the grace (queue/shutdown.ts).
  const runToEnd = stoppable.processor<JobIntent>((job) => opts.processors.run(job.data, never, jobRef(job)));
  const events = new Worker<JobIntent>(EVENT_QUEUE, runToEnd, common);
  // maxStalledCount 0: a worker that dies mid-apply leaves the job failed, not re-run elsewhere.
  const applies = new Worker<WorldIntent>(APPLY_QUEUE, runToEnd, { ...common, maxStalledCount: 0 });
  applies.on("stalled", (jobId) => {
    // With maxStalledCount 0 BullMQ has failed the job; whoever notices reports it.
    void Job.fromId<WorldIntent>(applies, jobId)
      .then((job) => (job ? opts.processors.interrupted(job.data, jobRef(job)) : undefined))
      .catch((err: Error) => opts.log.error({ queue: APPLY_QUEUE, job: jobId, err: err.message }, "reporting an interrupted job failed"));
  });
  // Applies are left out: with maxStalledCount 0 their first stall is reported (above).
  for (const w of [plans, events] as Worker<PlanIntent | EventIntent>[]) reportGivenUp(w, opts.processors, opts.log);
  const counters: WorkerEvents = { lockRenewalFailures: 0 };
  const workers = [plans, events, applies] as Worker[];
  for (const w of workers) watch(w, opts.log, counters);
  plans.on("closed", stopListening);
  return { workers, events: counters, stopPlans: () => stoppable.stop(), running: () => stoppable.running() };
}

/**
 * Carries out queue/shutdown.ts's decision per job: a job whose queue is put back on shutdown gets
 * a signal that the shutdown aborts, and goes back to waiting, for any worker to take, when it
 * stops for it (throws) — it has not failed. Every job is listed while it runs, for the shutdown's log.
 */
class ShutdownAware {
  private readonly stopping = new AbortController();
  /** Running jobs by `queue/id`: their queue, and the controller a shutdown aborts. */
  private readonly stoppers = new Map<string, { queue: string; controller: AbortController }>();

  processor<T extends JobIntent>(run: (job: Job<T>, shutdown: AbortSignal) => Promise<unknown>) {
    return async (job: Job<T>, token?: string): Promise<unknown> => {
      const id = `${job.queueName}/${job.id}`;
      const controller = new AbortController();
      // A job fetched just as the shutdown began goes back without starting.
      if (treatmentOnShutdown(job.queueName) === "requeue" && this.stopping.signal.aborted) controller.abort(this.stopping.signal.reason);
      this.stoppers.set(id, { queue: job.queueName, controller });
      try {
        // A job that finished despite the shutdown is done; one that stopped for it goes back.
        if (!controller.signal.aborted) return await run(job, controller.signal);
      } catch (err) {
        if (!stoppedForShutdown(controller.signal)) throw err;
      } finally {
        this.stoppers.delete(id);
      }
      await job.moveToWait(token);
      throw new WaitingError();
    };
  }

  stop(): void {
    this.stopping.abort(shutdownReason());
    for (const { queue, controller } of this.stoppers.values()) if (treatmentOnShutdown(queue) === "requeue") controller.abort(this.stopping.signal.reason);
  }

  running(): RunningJob[] {
    return [...this.stoppers.entries()].map(([id, { queue }]) => ({ queue, id: id.slice(queue.length + 1) }));
  }
}

function jobRef(job: Job): RunJobRef {
  return { id: job.id ?? "", name: job.name, attempt: Math.max(1, job.attemptsStarted), attempts: job.opts.attempts ?? 1, attemptsMade: job.attemptsMade };
}

/**
 * A job failed for good: BullMQ failed it unrun because its workers kept dying, or its last
 * attempt threw. The worker that saw it fail reports it; failures it retries are not final.
 */
function reportGivenUp(w: Worker<PlanIntent | EventIntent>, processors: Processors, log: Logger): void {
  w.on("failed", (job, err) => {
    const final = job ? finalFailure(job, err) : undefined;
    if (!job || !final) return;
    const intent = job.data;
    const report = final.kind === "stalled_out" ? processors.stalledOut(intent, jobRef(job), final.stops) : processors.failed(intent, jobRef(job), err);
    void report.catch((error: Error) =>
      log.error({ queue: w.name, job: job.id, err: error.message }, `reporting a job that ended for good (${final.kind}) failed`),
    );
  });
}

function watch(w: Worker, log: Logger, counters: WorkerEvents): void {
  w.on("failed", (job, err) => {
    const data = job?.data as { kind?: string; deliveryId?: string } | undefined;
    log.error({ queue: w.name, job: job?.id, kind: data?.kind, delivery: data?.deliveryId, attempt: job?.attemptsMade, err: err.message }, "job failed");
  });
  // A job whose lock could not be renewed may be taken by another worker as stalled and run twice.
  w.on("lockRenewalFailed", (jobIds) => {
    counters.lockRenewalFailures += jobIds.length;
    log.error({ queue: w.name, jobs: jobIds }, "could not renew job locks: another worker may run these jobs again");
  });
  // The rest are connection trouble (ioredis retries on its own); the renewal failures above are
  // also emitted here, already logged.
  w.on("error", (err) => {
    if (/could not renew lock/.test(err.message)) return;
    log.warn({ queue: w.name, err: err.message }, "worker error");
  });
}
