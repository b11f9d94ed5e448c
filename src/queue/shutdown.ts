// Graceful shutdown (SPEC §10), the one place that decides what a running job gets when its
// process is told to stop (SIGTERM, SIGINT) and for how long. Pure decisions first; `drainWorkers`
// carries them out.
//
// - Plans change nothing: they are stopped at once (their step process groups ended) and put back
//   in the queue, so another worker — or this one after its restart — runs them again. A plan
//   stopped this way is neither failed nor shown as failed on the pull request.
// - Applies (and the deploy, drift and event jobs) may change the world: they get the grace to
//   finish. When it runs out the process exits as a killed worker would: its step watchdog
//   (runner/step-watchdog.ts) ends the steps' process groups, and the next worker to check for stalled
//   jobs reports the apply interrupted, exactly as for a worker that died.
import type { Worker } from "bullmq";
import type { Logger } from "pino";
import { PLAN_QUEUE } from "./jobs.ts";

/** The stable code of the abort reason of a job stopped for a shutdown (errors cross modules by code). */
export const SHUTDOWN_CODE = "shutdown";

export interface ShutdownReason extends Error {
  code: typeof SHUTDOWN_CODE;
}

export function shutdownReason(): ShutdownReason {
  return Object.assign(new Error("Slipway is shutting down: the job is put back in the queue"), { code: SHUTDOWN_CODE as typeof SHUTDOWN_CODE });
}

/** Whether a job's signal was aborted because its process is shutting down (not by a newer head). */
export function stoppedForShutdown(signal: AbortSignal): boolean {
  return signal.aborted && (signal.reason as { code?: unknown } | undefined)?.code === SHUTDOWN_CODE;
}

export type ShutdownTreatment = "requeue" | "finish_within_grace";

/** What a job of `queue` gets on shutdown. */
export function treatmentOnShutdown(queue: string): ShutdownTreatment {
  return queue === PLAN_QUEUE ? "requeue" : "finish_within_grace";
}

/**
 * A second SIGTERM or SIGINT while the grace runs: the shutdown goes on waiting (cutting an apply
 * short is what the grace exists to avoid), and says how to stop at once.
 */
export function stillWaitingMessage(deadline: number, now: number): string {
  const left = Math.max(0, Math.ceil((deadline - now) / 1000));
  return `still shutting down: running jobs get up to ${left} s more; SIGKILL stops at once (their steps are ended, applies reported interrupted)`;
}

export interface RunningJob {
  queue: string;
  id: string;
}

/** For the log: which running jobs the shutdown puts back and which it waits for. */
export function describeRunning(jobs: RunningJob[]): { putBack: string[]; waitingFor: string[] } {
  const name = (j: RunningJob) => `${j.queue}/${j.id}`;
  return {
    putBack: jobs.filter((j) => treatmentOnShutdown(j.queue) === "requeue").map(name),
    waitingFor: jobs.filter((j) => treatmentOnShutdown(j.queue) === "finish_within_grace").map(name),
  };
}

export interface DrainOptions {
  workers: Worker[];
  /** Stops the plans running in this process and turns away plans it has yet to start. */
  stopPlans: () => void;
  /** Jobs of this process still running, for the log. */
  running: () => RunningJob[];
  graceMs: number;
  log: Logger;
}

/** Takes no new job, stops the plans, and waits up to the grace for the rest: true if all finished. */
export async function drainWorkers(opts: DrainOptions): Promise<boolean> {
  // close() first: from then on BullMQ fetches no new job; it resolves once the active ones end.
  const closed = Promise.allSettled(opts.workers.map((w) => w.close()));
  opts.stopPlans();
  const running = describeRunning(opts.running());
  if (running.putBack.length > 0) opts.log.info({ jobs: running.putBack }, "stopping running plans: another worker runs them again");
  if (running.waitingFor.length > 0) opts.log.info({ jobs: running.waitingFor, graceSeconds: opts.graceMs / 1000 }, "waiting for running jobs to finish");
  let timer: NodeJS.Timeout | undefined;
  const graceOver = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), opts.graceMs)));
  let finished = await Promise.race([closed.then(() => true), graceOver]);
  clearTimeout(timer);
  // Nothing was running (a grace of 0, or the last job ended just now): only the closing was slow.
  if (!finished && opts.running().length === 0) finished = await closed.then(() => true);
  if (!finished)
    opts.log.warn({ jobs: describeRunning(opts.running()).waitingFor }, "the shutdown grace ran out: these jobs are ended and will be reported interrupted");
  return finished;
}
