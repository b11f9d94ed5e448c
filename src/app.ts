// Wires the parts for one process according to SLIPWAY_ROLE: the webhook server, the workers,
// or both. Everything shared between processes goes through Redis.
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { Probot } from "probot";
import { AuditExporter } from "./audit/exporter.ts";
import { noAudit, RedisAuditRecorder, type AuditRecorder } from "./audit/recorder.ts";
import type { EventIntent, PlanIntent, WorldIntent } from "./domain/intent.ts";
import { AppGitHubClients } from "./github/octokit-github.ts";
import type { JobDeps } from "./jobs/deps.ts";
import { reportInterrupted } from "./jobs/interrupted-job.ts";
import { runJob } from "./jobs/routes.ts";
import { RedisLockStore } from "./locks/redis-lock-store.ts";
import { MetricsRecorder, noMetrics, type JobOutcome, type Metrics } from "./metrics/recorder.ts";
import { createMetricsRegistry } from "./metrics/registry.ts";
import { CancelBus } from "./queue/cancel-bus.ts";
import { Dispatcher, type Queues } from "./queue/dispatcher.ts";
import { startForwarder } from "./queue/forwarder.ts";
import { IntakeStream } from "./queue/intake-stream.ts";
import { readQueueCounts } from "./queue/queue-counts.ts";
import { APPLY_QUEUE, EVENT_QUEUE, PLAN_QUEUE } from "./queue/jobs.ts";
import { createRedis, redisAnswers } from "./queue/redis.ts";
import { startWorkers } from "./queue/workers.ts";
import { buildServer } from "./server/build-server.ts";
import { ReadModel } from "./server/read-model.ts";
import { intakeOctokit } from "./server/intake-octokit.ts";
import type { GitHubAppCredentials, Settings } from "./settings.ts";
import { ApprovalStore } from "./state/approval-store.ts";
import { DeployStore } from "./state/deploy-store.ts";
import { DriftRepairStore } from "./state/drift-repair-store.ts";
import { MetricStore } from "./state/metric-store.ts";
import { OpenCheckStore } from "./state/open-check-store.ts";
import { PermissionCache } from "./state/permission-cache.ts";
import { PlanFileStore } from "./state/plan-file-store.ts";
import { PullHeadStore } from "./state/pull-head-store.ts";
import { PullPlanStore } from "./state/pull-plan-store.ts";
import { AuditStore } from "./state/audit-store.ts";
import { createRedactor, secretValues } from "./runner/redact.ts";
import { StickyCommentStore } from "./state/sticky-comment-store.ts";
import { Workspaces } from "./workspace/workspaces.ts";

export interface RunningSlipway {
  /** `http://host:port` of the webhook server, when this process serves. */
  url?: string;
  close(): Promise<void>;
}

type Closer = () => Promise<unknown>;

interface Shared {
  settings: Settings;
  app: GitHubAppCredentials;
  log: Logger;
  producer: Redis;
  dispatcher: Dispatcher;
  heads: PullHeadStore;
  deploys: DeployStore;
  audit: AuditStore;
  queues: Queues;
  metrics: { store: MetricStore; recorder: Metrics };
  /** The one recorder of this process's jobs: noAudit with SLIPWAY_AUDIT=off. */
  auditRecorder: AuditRecorder;
}

export async function startSlipway(settings: Settings, app: GitHubAppCredentials, log: Logger): Promise<RunningSlipway> {
  const producer = createRedis(settings.redisUrl, "producer", log);
  const prefix = settings.queuePrefix;
  const queues: Queues = {
    plans: new Queue<PlanIntent>(PLAN_QUEUE, { connection: producer, prefix }),
    events: new Queue<EventIntent>(EVENT_QUEUE, { connection: producer, prefix }),
    applies: new Queue<WorldIntent>(APPLY_QUEUE, { connection: producer, prefix }),
  };
  // Each failed command is reported where it is made (a 503, a failed job); the connection's own
  // trouble is logged once per outage by createRedis.
  for (const q of Object.values(queues)) q.on("error", (err: Error) => log.debug({ queue: q.name, err: err.message }, "queue error"));
  const heads = new PullHeadStore(producer, prefix);
  const deploys = new DeployStore(producer, prefix);
  // Every process records into Redis; the webhook servers serve the sum (README, Operations).
  // Chosen once: with SLIPWAY_METRICS=off nothing is recorded or flushed, and with
  // SLIPWAY_AUDIT=off no event is written (README, Settings).
  const metricStore = new MetricStore(producer, prefix);
  const metrics = { store: metricStore, recorder: settings.metricsEnabled ? new MetricsRecorder(metricStore, log) : noMetrics };
  const audit = new AuditStore(producer, prefix, settings.audit);
  const auditRecorder = settings.auditEnabled
    ? new RedisAuditRecorder(audit, createRedactor(secretValues(settings.stepEnv, settings.secretEnvNames)), log)
    : noAudit;
  const shared: Shared = {
    settings,
    app,
    log,
    producer,
    heads,
    deploys,
    audit,
    auditRecorder,
    queues,
    metrics,
    dispatcher: new Dispatcher(queues, heads, new CancelBus(undefined, prefix), deploys),
  };
  const closers: Closer[] = [];
  let url: string | undefined;
  if (settings.role !== "worker") {
    const server = await startServer(shared);
    url = server.url;
    closers.push(server.close);
  }
  if (settings.role !== "server") closers.push(...(await startWorkerSide(shared)));
  closers.push(...Object.values(queues).map((q) => () => q.close()));
  closers.push(() => metrics.recorder.close());
  return {
    url,
    async close() {
      for (const close of closers) await close().catch((err: Error) => log.warn({ err: err.message }, "error while closing"));
      await producer.quit().catch(() => {});
    },
  };
}

async function startServer(s: Shared): Promise<{ url: string; close: Closer }> {
  const { settings, app, log } = s;
  const probot = new Probot({
    appId: app.appId,
    privateKey: app.privateKey,
    secret: app.webhookSecret,
    baseUrl: settings.apiBaseUrl,
    log: log.child({ name: "probot" }),
    Octokit: intakeOctokit,
  });
  const locks = new RedisLockStore(s.producer, settings.queuePrefix);
  // Locks taken before the index existed count from here on; it does not hold up the start.
  void locks.indexExisting().catch((err: Error) => log.warn({ err: err.message }, "could not index existing locks for the metrics"));
  const metrics = s.metrics;
  const endpoint = settings.metricsEnabled
    ? createMetricsRegistry({
        store: metrics.store,
        recorder: metrics.recorder,
        queues: () => readQueueCounts(Object.values(s.queues)),
        locksHeld: () => locks.countHeld(),
      })
    : undefined;
  const read = new ReadModel({
    audit: s.audit,
    locks,
    deploys: s.deploys,
    queues: Object.values(s.queues),
    redact: createRedactor(secretValues(settings.stepEnv, settings.secretEnvNames)),
    unlock: (intent) => s.dispatcher.dispatch(intent),
    intake: new IntakeStream(s.producer, settings.queuePrefix),
  });
  const server = await buildServer({
    probot,
    sink: new IntakeStream(s.producer, settings.queuePrefix),
    log,
    ready: () => redisAnswers(s.producer),
    // Metrics off: no /metrics route (404) and no timing of deliveries.
    ...(endpoint
      ? { metrics: { endpoint, token: settings.metricsToken, delivery: (event, status, seconds) => metrics.recorder.delivery(event, status, seconds) } }
      : {}),
    api: { read, log, auditEnabled: settings.auditEnabled, ...(settings.apiToken ? { token: settings.apiToken } : {}) },
  });
  const url = await server.listen({ port: settings.port, host: settings.host });
  log.info({ url }, "webhook server listening");
  return { url, close: () => server.close() };
}

async function startWorkerSide(s: Shared): Promise<Closer[]> {
  const { settings, log } = s;
  const workerConnection = createRedis(settings.redisUrl, "worker", log);
  const subscriber = createRedis(settings.redisUrl, "subscriber", log);
  const workspaces = new Workspaces({
    dataDir: settings.dataDir,
    gitBaseUrl: settings.githubBaseUrl,
    env: settings.stepEnv,
    warn: (message) => log.warn(message),
  });
  // Worktrees of a worker that was killed; a day is far longer than any job may run.
  await workspaces.removeStale(24 * 3600 * 1000);
  const deps = jobDeps(s, workspaces);
  // Intents from the webhook servers become jobs here; it stops before the workers do.
  const intakeReader = createRedis(settings.redisUrl, "worker", log);
  const forwarder = startForwarder({
    stream: new IntakeStream(workerConnection, settings.queuePrefix, intakeReader),
    jobs: s.dispatcher,
    consumer: `${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`,
    log,
    interruptRead: () => intakeReader.disconnect(),
    onDeadLetter: () => s.metrics.recorder.deadLetter(),
  });
  const { workers } = await startWorkers({
    connection: workerConnection,
    prefix: settings.queuePrefix,
    concurrency: settings.concurrency,
    lockMs: settings.jobLockMs,
    cancel: new CancelBus(subscriber, settings.queuePrefix),
    processors: {
      run: (intent, signal) => timed(s.metrics.recorder, intent.kind, signal, () => runJob(intent, deps, signal)),
      interrupted: (intent) => {
        s.metrics.recorder.job(intent.kind, "interrupted");
        return reportInterrupted(intent, deps);
      },
    },
    log,
  });
  for (const w of workers) w.on("lockRenewalFailed", (ids: string[]) => s.metrics.recorder.lockRenewalFailures(ids.length));
  log.info({ concurrency: settings.concurrency }, "workers started");
  const exporter =
    settings.auditEnabled && settings.audit.webhook
      ? new AuditExporter({ source: s.audit, redis: s.producer, prefix: settings.queuePrefix, ...settings.audit.webhook, log }).start()
      : undefined;
  return [
    async () => exporter?.close(),
    () => forwarder.close(),
    ...workers.map((w) => () => w.close()),
    async () => subscriber.quit(),
    async () => workerConnection.quit(),
  ];
}

/** A job's count and duration; a plan stopped for a newer head is `cancelled`, not failed. */
async function timed<T>(recorder: Metrics, kind: string, signal: AbortSignal, run: () => Promise<T>): Promise<T> {
  const started = process.hrtime.bigint();
  const done = (outcome: JobOutcome) => recorder.job(kind, outcome, Number(process.hrtime.bigint() - started) / 1e9);
  try {
    const result = await run();
    done(signal.aborted ? "cancelled" : "succeeded");
    return result;
  } catch (err) {
    done(signal.aborted ? "cancelled" : "failed");
    throw err;
  }
}

function jobDeps(s: Shared, workspaces: Workspaces): JobDeps {
  const { settings, producer } = s;
  const prefix = settings.queuePrefix;
  return {
    github: new AppGitHubClients(s.app, settings.apiBaseUrl, s.log, settings.githubThrottle, (installation, seen) =>
      s.metrics.recorder.githubRequest(installation, seen),
    ),
    workspaces,
    dispatcher: s.dispatcher,
    heads: s.heads,
    sticky: new StickyCommentStore(producer, prefix),
    plans: new PullPlanStore(producer, prefix),
    approvals: new ApprovalStore(producer, prefix),
    people: new PermissionCache(producer, prefix),
    locks: new RedisLockStore(producer, prefix),
    planFiles: new PlanFileStore(producer, prefix),
    deploys: s.deploys,
    openChecks: new OpenCheckStore(producer, prefix),
    driftRepairs: new DriftRepairStore(producer, prefix),
    audit: s.auditRecorder,
    redis: producer,
    prefix,
    dataDir: settings.dataDir,
    stepEnv: settings.stepEnv,
    secretEnvNames: settings.secretEnvNames,
    stepTimeoutMs: settings.stepTimeoutMs,
    jobLockMs: settings.jobLockMs,
    log: s.log,
    metrics: s.metrics.recorder,
  };
}
