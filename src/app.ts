// Wires the parts for one process according to SLIPWAY_ROLE: the webhook server, the workers,
// or both. Everything shared between processes goes through Redis.
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { Queue } from "bullmq";
import type { Logger } from "pino";
import { Probot } from "probot";
import type { EventIntent, PlanIntent, WorldIntent } from "./domain/intent.ts";
import { AppGitHubClients } from "./github/octokit-github.ts";
import type { JobDeps } from "./jobs/deps.ts";
import { runApplyJob } from "./jobs/apply-job.ts";
import { runCommentJob } from "./jobs/comment-job.ts";
import { runDeployJob } from "./jobs/deploy-job.ts";
import { runDriftJob } from "./jobs/drift-job.ts";
import { reportInterrupted } from "./jobs/interrupted-job.ts";
import { runPlanJob } from "./jobs/plan-job.ts";
import { runPullClosedJob } from "./jobs/pull-closed-job.ts";
import { runReviewJob } from "./jobs/review-job.ts";
import { RedisLockStore } from "./locks/redis-lock-store.ts";
import { ApprovalStore } from "./state/approval-store.ts";
import { CancelBus } from "./queue/cancel-bus.ts";
import { DeployStore } from "./state/deploy-store.ts";
import { Dispatcher, type Queues } from "./queue/dispatcher.ts";
import { startForwarder } from "./queue/forwarder.ts";
import { IntakeStream } from "./queue/intake-stream.ts";
import { APPLY_QUEUE, EVENT_QUEUE, PLAN_QUEUE } from "./queue/jobs.ts";
import { OpenCheckStore } from "./state/open-check-store.ts";
import { PermissionCache } from "./state/permission-cache.ts";
import { PlanFileStore } from "./state/plan-file-store.ts";
import { PullHeadStore } from "./state/pull-head-store.ts";
import { PullPlanStore } from "./state/pull-plan-store.ts";
import { createRedis, redisAnswers } from "./queue/redis.ts";
import { StickyCommentStore } from "./state/sticky-comment-store.ts";
import { startWorkers } from "./queue/workers.ts";
import { intakeOctokit } from "./server/intake-octokit.ts";
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
  const queues: Queues = {
    plans: new Queue<PlanIntent>(PLAN_QUEUE, { connection: producer, prefix }),
    events: new Queue<EventIntent>(EVENT_QUEUE, { connection: producer, prefix }),
    applies: new Queue<WorldIntent>(APPLY_QUEUE, { connection: producer, prefix }),
  };
  for (const q of Object.values(queues)) q.on("error", () => {}); // surfaced per request as a 503
  const heads = new PullHeadStore(producer, prefix);
  const deploys = new DeployStore(producer, prefix);
  const dispatcher = new Dispatcher(queues, heads, new CancelBus(undefined, prefix), deploys);
  const closers: (() => Promise<unknown>)[] = [];
  let url: string | undefined;

  if (settings.role !== "worker") {
    const probot = new Probot({ appId: app.appId, privateKey: app.privateKey, secret: app.webhookSecret, baseUrl: settings.apiBaseUrl, log: log.child({ name: "probot" }), Octokit: intakeOctokit });
    const server = await buildServer({ probot, sink: new IntakeStream(producer, prefix), log, ready: () => redisAnswers(producer) });
    url = await server.listen({ port: settings.port, host: settings.host });
    log.info({ url }, "webhook server listening");
    closers.push(() => server.close());
  }

  if (settings.role !== "server") {
    const workerConnection = createRedis(settings.redisUrl, "worker");
    const subscriber = createRedis(settings.redisUrl, "subscriber");
    const workspaces = new Workspaces({ dataDir: settings.dataDir, gitBaseUrl: settings.githubBaseUrl });
    // Worktrees of a worker that was killed; a day is far longer than any job may run.
    await workspaces.removeStale(24 * 3600 * 1000);
    const deps: JobDeps = {
      github: new AppGitHubClients(app, settings.apiBaseUrl, log, settings.githubThrottle),
      workspaces,
      dispatcher,
      heads,
      sticky: new StickyCommentStore(producer, prefix),
      plans: new PullPlanStore(producer, prefix),
      approvals: new ApprovalStore(producer, prefix),
      people: new PermissionCache(producer, prefix),
      locks: new RedisLockStore(producer, prefix),
      planFiles: new PlanFileStore(producer, prefix),
      deploys,
      openChecks: new OpenCheckStore(producer, prefix),
      redis: producer,
      prefix,
      dataDir: settings.dataDir,
      stepEnv: settings.stepEnv,
      secretEnvNames: settings.secretEnvNames,
      stepTimeoutMs: settings.stepTimeoutMs,
      jobLockMs: settings.jobLockMs,
      log,
    };
    // Intents from the webhook servers become jobs here; it stops before the workers do.
    const intakeReader = createRedis(settings.redisUrl, "worker");
    const forwarder = startForwarder({
      stream: new IntakeStream(workerConnection, prefix, intakeReader),
      jobs: dispatcher,
      consumer: `${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`,
      log,
      interruptRead: () => intakeReader.disconnect(),
    });
    closers.push(() => forwarder.close());
    const workers = await startWorkers({
      connection: workerConnection,
      prefix,
      concurrency: settings.concurrency,
      lockMs: settings.jobLockMs,
      cancel: new CancelBus(subscriber, prefix),
      processors: {
        plan: (intent, signal) => runPlanJob(intent, deps, signal),
        event: (intent) => {
          switch (intent.kind) {
            case "comment":
              return runCommentJob(intent, deps);
            case "review":
              return runReviewJob(intent, deps);
            case "pull_closed":
              return runPullClosedJob(intent, deps);
          }
        },
        apply: (intent) => (intent.kind === "deploy" ? runDeployJob(intent, deps) : intent.kind === "drift" ? runDriftJob(intent, deps) : runApplyJob(intent, deps)),
        interrupted: (intent) => reportInterrupted(intent, deps),
      },
      onFailed: (queue, job, err) => log.error({ queue, job: job?.id, delivery: (job?.data as { deliveryId?: string } | undefined)?.deliveryId, err: err.message }, "job failed"),
    });
    log.info({ concurrency: settings.concurrency }, "workers started");
    closers.push(
      ...workers.map((w) => () => w.close()),
      async () => subscriber.quit(),
      async () => workerConnection.quit(),
    );
  }

  closers.push(...Object.values(queues).map((q) => () => q.close()));
  return {
    url,
    async close() {
      for (const close of closers) await close().catch((err: Error) => log.warn({ err: err.message }, "error while closing"));
      await producer.quit().catch(() => {});
    },
  };
}
