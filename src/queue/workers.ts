// BullMQ workers of one process: plans (cancellable by a newer head), events (comments, reviews,
// closed pull requests) and applies (never retried: an interrupted apply is for a human to judge).
import { Job, Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { EventIntent, PlanIntent, WorldIntent } from "../domain/intent.ts";
import type { CancelBus } from "./cancel-bus.ts";
import { pullKey } from "../domain/types.ts";
import { APPLY_QUEUE, EVENT_QUEUE, PLAN_QUEUE } from "./jobs.ts";

export interface Processors {
  plan: (intent: PlanIntent, signal: AbortSignal) => Promise<unknown>;
  event: (intent: EventIntent) => Promise<unknown>;
  apply: (intent: WorldIntent) => Promise<unknown>;
  /** An apply or deploy whose worker died mid-way: reported, never run again on its own. */
  interrupted: (intent: WorldIntent) => Promise<unknown>;
}

interface Running {
  pull: string;
  headSha: string;
  controller: AbortController;
}

export async function startWorkers(opts: {
  connection: Redis;
  prefix: string;
  concurrency: number;
  lockMs: number;
  cancel: CancelBus;
  processors: Processors;
  onFailed: (queue: string, job: Job | undefined, err: Error) => void;
}): Promise<Worker[]> {
  const running = new Set<Running>();
  const stopListening = await opts.cancel.onHead(({ pull, headSha }) => {
    for (const r of running) if (r.pull === pull && r.headSha !== headSha) r.controller.abort();
  });
  // The stalled check runs as often as a lock lasts: a dead worker's job is noticed within ~2 locks.
  const common = { connection: opts.connection, prefix: opts.prefix, concurrency: opts.concurrency, lockDuration: opts.lockMs, stalledInterval: opts.lockMs };
  const plans = new Worker<PlanIntent>(
    PLAN_QUEUE,
    async (job) => {
      const entry: Running = { pull: pullKey(job.data.pull), headSha: job.data.pull.headSha, controller: new AbortController() };
      running.add(entry);
      try {
        return await opts.processors.plan(job.data, entry.controller.signal);
      } finally {
        running.delete(entry);
      }
    },
    common,
  );
  const events = new Worker<EventIntent>(EVENT_QUEUE, (job) => opts.processors.event(job.data), common);
  // maxStalledCount 0: a worker that dies mid-apply leaves the job failed, not re-run elsewhere.
  const applies = new Worker<WorldIntent>(APPLY_QUEUE, (job) => opts.processors.apply(job.data), { ...common, maxStalledCount: 0 });
  applies.on("stalled", (jobId) => {
    // With maxStalledCount 0 BullMQ has failed the job; whoever notices reports it.
    void Job.fromId<WorldIntent>(applies, jobId)
      .then((job) => (job ? opts.processors.interrupted(job.data) : undefined))
      .catch((err: Error) => opts.onFailed(APPLY_QUEUE, undefined, err));
  });
  const workers = [plans, events, applies] as Worker[];
  for (const w of workers) {
    w.on("failed", (job, err) => opts.onFailed(w.name, job, err));
    // Connection errors are retried by ioredis; without a listener BullMQ prints them raw.
    w.on("error", () => {});
  }
  plans.on("closed", stopListening);
  return workers;
}
