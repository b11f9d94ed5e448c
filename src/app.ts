// Wires the parts for one process according to SLIPWAY_ROLE: the webhook server, the workers,
// or both. Everything shared between processes goes through Redis.
import { Queue, type Worker } from "bullmq";
import type { Logger } from "pino";
import { Probot } from "probot";
import type { PlanIntent } from "./domain/intent.ts";
import { AppGitHubClients } from "./github/octokit-github.ts";
import { runPlanJob } from "./jobs/plan-job.ts";
import { CancelBus } from "./queue/cancel-bus.ts";
import { Dispatcher } from "./queue/dispatcher.ts";
import { PLAN_QUEUE } from "./queue/jobs.ts";
import { startPlanWorker } from "./queue/plan-worker.ts";
import { PullHeadStore } from "./queue/pull-head-store.ts";
import { createRedis, redisAnswers } from "./queue/redis.ts";
import { StickyCommentStore } from "./queue/sticky-comment-store.ts";
import { buildServer } from "./server/build-server.ts";
import type { GitHubAppCredentials, Settings } from "./settings.ts";
import { Workspaces } from "./workspace/workspaces.ts";

export interface RunningSlipway {
  /** `http://host:port` of the webhook server, when this process serves. */
  url?: string;
  close(): Promise<void>;
}

export async function startSlipway(settings: Settings, app: GitHubAppCredentials, log: Logger): Promise<RunningSlipway> {
  const producer = createRedis(settings.redisUrl, "producer");
  const prefix = settings.queuePrefix;
  const heads = new PullHeadStore(producer, prefix);
  const probot = new Probot({ appId: app.appId, privateKey: app.privateKey, secret: app.webhookSecret, baseUrl: settings.apiBaseUrl, log: log.child({ name: "probot" }) });
  const closers: (() => Promise<unknown>)[] = [];
  let url: string | undefined;

  const serves = settings.role !== "worker";
  const works = settings.role !== "server";

  if (serves) {
    const plans = new Queue<PlanIntent>(PLAN_QUEUE, { connection: producer, prefix });
    plans.on("error", () => {}); // surfaced per request as a 503
    const dispatcher = new Dispatcher(plans, heads, new CancelBus(producer, undefined, prefix));
    const server = await buildServer({ probot, sink: dispatcher, log, ready: () => redisAnswers(producer) });
    url = await server.listen({ port: settings.port, host: settings.host });
    log.info({ url }, "webhook server listening");
    closers.push(() => server.close(), () => plans.close());
  }

  if (works) {
    const workerConnection = createRedis(settings.redisUrl, "worker");
    const subscriber = createRedis(settings.redisUrl, "subscriber");
    const cancel = new CancelBus(producer, subscriber, prefix);
    const workspaces = new Workspaces({ dataDir: settings.dataDir, gitBaseUrl: settings.githubBaseUrl });
    // Worktrees of a worker that was killed; a day is far longer than any job may run.
    await workspaces.removeStale(24 * 3600 * 1000);
    const deps = {
      github: new AppGitHubClients(app, settings.apiBaseUrl, log),
      workspaces,
      heads,
      sticky: new StickyCommentStore(producer, prefix),
      dataDir: settings.dataDir,
      stepEnv: settings.stepEnv,
      secretEnvNames: settings.secretEnvNames,
      stepTimeoutMs: settings.stepTimeoutMs,
      log,
    };
    const worker: Worker = await startPlanWorker({
      connection: workerConnection,
      prefix,
      concurrency: settings.concurrency,
      cancel,
      process: (intent, signal) => runPlanJob(intent, deps, signal),
    });
    worker.on("failed", (job, err) => log.error({ job: job?.id, err: err.message }, "plan job failed"));
    log.info({ concurrency: settings.concurrency }, "plan worker started");
    closers.push(
      () => worker.close(),
      async () => subscriber.quit(),
      async () => workerConnection.quit(),
    );
  }

  return {
    url,
    async close() {
      for (const close of closers) await close().catch((err: Error) => log.warn({ err: err.message }, "error while closing"));
      await producer.quit().catch(() => {});
    },
  };
}
