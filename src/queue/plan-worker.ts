// Runs plan jobs from the queue. Keeps an AbortController per running job so a supersede notice
// (a newer head of the same pull request, announced through Redis) stops the old plan here.
import { Worker, type Job } from "bullmq";
import type { Redis } from "ioredis";
import type { PlanIntent } from "../domain/intent.ts";
import type { CancelBus } from "./cancel-bus.ts";
import { PLAN_QUEUE, pullKey } from "./jobs.ts";

export type PlanProcessor = (intent: PlanIntent, signal: AbortSignal, job: Job<PlanIntent>) => Promise<unknown>;

interface Running {
  pull: string;
  headSha: string;
  controller: AbortController;
}

export async function startPlanWorker(opts: {
  connection: Redis;
  prefix: string;
  concurrency: number;
  cancel: CancelBus;
  process: PlanProcessor;
}): Promise<Worker<PlanIntent>> {
  const running = new Set<Running>();
  const stopListening = await opts.cancel.onHead(({ pull, headSha }) => {
    for (const r of running) if (r.pull === pull && r.headSha !== headSha) r.controller.abort();
  });
  const worker = new Worker<PlanIntent>(
    PLAN_QUEUE,
    async (job) => {
      const entry: Running = { pull: pullKey(job.data.pull), headSha: job.data.pull.headSha, controller: new AbortController() };
      running.add(entry);
      try {
        return await opts.process(job.data, entry.controller.signal, job);
      } finally {
        running.delete(entry);
      }
    },
    { connection: opts.connection, prefix: opts.prefix, concurrency: opts.concurrency, autorun: true },
  );
  worker.on("closed", stopListening);
  // Failures are recorded on the job; without a listener BullMQ would print them unformatted.
  worker.on("error", () => {});
  return worker;
}
