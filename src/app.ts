// Wires the parts for one process according to SLIPWAY_ROLE: the webhook server, the workers,
// or both. Everything shared between processes goes through Redis.
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { Queue } from "bullmq";
import type { RedisConnection } from "./queue/redis.ts";
import type { Logger } from "pino";
import { Probot } from "probot";
import { AuditExporter } from "./audit/exporter.ts";
import { noAudit, RedisAuditRecorder, type AuditRecorder } from "./audit/recorder.ts";
import type { EventIntent, PlanIntent, WorldIntent } from "./domain/intent.ts";
import { AppGitHubClients } from "./github/octokit-github.ts";
import { AppHookDeliveries } from "./github/app-hook-deliveries.ts";
import { HANDLED_EVENTS } from "./intake/intake.ts";
import { Redeliverer } from "./recovery/redeliverer.ts";
import { RedeliveryStore } from "./state/redelivery-store.ts";
import type { JobDeps } from "./jobs/deps.ts";
import { reportInterrupted } from "./jobs/interrupted-job.ts";
import { reportStalledOut } from "./jobs/stalled-out-job.ts";
import { reportFailedPlan } from "./jobs/failed-plan-job.ts";
import { reportFailedEvent } from "./jobs/failed-event-job.ts";
import { failureReason } from "./domain/failure-reason.ts";
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
import { queueKeyPrefix } from "./queue/key-scheme.ts";
import { appendReplicas, createRedis, redisAnswers } from "./queue/redis.ts";
import { drainWorkers } from "./queue/shutdown.ts";
import { startWorkers, type Processors } from "./queue/workers.ts";
import { QueueConsoleActions } from "./console/actions.ts";
import { ConsoleServer } from "./console/console-server.ts";
import { endInterruptedLog, runWithLog } from "./logs/job-log.ts";
import { RedisRunLogReader } from "./logs/redis-run-log-reader.ts";
import { StreamWaiter } from "./logs/stream-waiter.ts";
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
import { ConsoleStore } from "./state/console-store.ts";
import type { RunLogReader } from "./logs/run-log.ts";
import { createRedactor, secretValues } from "./runner/redact.ts";
import { StickyCommentStore } from "./state/sticky-comment-store.ts";
import { Workspaces } from "./workspace/workspaces.ts";

export interface RunningSlipway {
  /** `http://host:port` of the webhook server, when this process serves. */
  url?: string;
  close(): Promise<void>;
  /**
   * On SIGTERM/SIGINT (queue/shutdown.ts): deliveries get 503, plans go back to the queue, other
   * jobs get `graceMs` to finish. Closes everything and resolves `true` if they did; resolves
   * `false` when the grace ran out, for the caller to exit as a killed worker would.
   */
  shutdown(graceMs: number): Promise<boolean>;
}

type Closer = () => Promise<unknown>;

interface Shared {
  settings: Settings;
  app: GitHubAppCredentials;
  log: Logger;
  producer: RedisConnection;
  dispatcher: Dispatcher;
  heads: PullHeadStore;
  deploys: DeployStore;
  audit: AuditStore;
  queues: Queues;
  metrics: { store: MetricStore; recorder: Metrics };
  /** The one recorder of this process's jobs: noAudit with SLIPWAY_AUDIT=off. */
  auditRecorder: AuditRecorder;
  /** Set when shutdown begins: the server turns deliveries away from then on. */
  lifecycle: { stopping: boolean };
}

export async function startSlipway(settings: Settings, app: GitHubAppCredentials, log: Logger): Promise<RunningSlipway> {
  const producer = createRedis(settings.redis, "producer", log);
  // It refuses commands until connected, and finding a Cluster's slots or Sentinel's primary
  // takes a moment longer than one Redis: the first writes (the lock index) wait for it.
  await redisAnswers(producer, 10_000);
  const prefix = settings.queuePrefix;
  const parts = redisParts(settings, log, producer);
  const queues = parts.queues;
  // Every process records into Redis; the webhook servers serve the sum (README, Operations).
  // Chosen once: with SLIPWAY_METRICS=off nothing is recorded or flushed.
  const metricStore = new MetricStore(producer, prefix);
  const metrics = { store: metricStore, recorder: settings.metricsEnabled ? new MetricsRecorder(metricStore, log) : noMetrics };
  const shared: Shared = { settings, app, log, metrics, ...parts, lifecycle: { stopping: false } };
  const closers: Closer[] = [];
  let url: string | undefined;
  if (settings.role !== "worker") {
    const server = await startServer(shared);
    url = server.url;
    closers.push(server.close);
  }
  let drain: (graceMs: number) => Promise<boolean> = async () => true;
  if (settings.role !== "server") {
    const workerSide = await startWorkerSide(shared);
    closers.push(...workerSide.closers);
    drain = workerSide.drain;
  }
  // Only a process whose webhook server already listens scans: a redelivery sent while no server
  // answers fails, and is not asked for twice. Stopped first, as soon as a shutdown begins.
  const stopRedelivery = settings.redeliveryIntervalMs > 0 && url !== undefined ? startRedeliverer(shared) : async () => {};
  closers.unshift(stopRedelivery);
  closers.push(...Object.values(queues).map((q) => () => q.close()));
  closers.push(() => metrics.recorder.close());
  return runningSlipway(shared, url, closers, async (graceMs) => {
    await stopRedelivery();
    return drain(graceMs);
  });
}

function runningSlipway(s: Shared, url: string | undefined, closers: Closer[], drain: (graceMs: number) => Promise<boolean>): RunningSlipway {
  const close = async () => {
    for (const close of closers) await close().catch((err: Error) => s.log.warn({ err: err.message }, "error while closing"));
    await s.producer.quit().catch(() => {});
  };
  return {
    url,
    close,
    async shutdown(graceMs) {
      s.lifecycle.stopping = true;
      const finished = await drain(graceMs);
      if (finished) await close();
      return finished;
    },
  };
}

type RedisParts = Pick<Shared, "producer" | "queues" | "heads" | "deploys" | "audit" | "auditRecorder" | "dispatcher">;

/**
 * The queues and stores over one connection: the webhook server's fails fast (a 503 while Redis
 * is away); the jobs' waits for Redis to come back, so a Sentinel failover or a Cluster
 * resharding mid-job delays the job's writes instead of failing the job.
 */
function redisParts(settings: Settings, log: Logger, redis: RedisConnection): RedisParts {
  const prefix = settings.queuePrefix;
  const queueOptions = { connection: redis, prefix: queueKeyPrefix(prefix) };
  const queues: Queues = {
    plans: new Queue<PlanIntent>(PLAN_QUEUE, queueOptions),
    events: new Queue<EventIntent>(EVENT_QUEUE, queueOptions),
    applies: new Queue<WorldIntent>(APPLY_QUEUE, queueOptions),
  };
  // Each failed command is reported where it is made (a 503, a failed job); the connection's own
  // trouble is logged once per outage by createRedis.
  for (const q of Object.values(queues)) q.on("error", (err: Error) => log.debug({ queue: q.name, err: err.message }, "queue error"));
  const heads = new PullHeadStore(redis, prefix);
  const deploys = new DeployStore(redis, prefix);
  // With SLIPWAY_AUDIT=off no event is written (README, Settings).
  const audit = new AuditStore(redis, prefix, settings.audit);
  const auditRecorder = settings.auditEnabled
    ? new RedisAuditRecorder(audit, createRedactor(secretValues(settings.stepEnv, settings.secretEnvNames)), log)
    : noAudit;
  const dispatcher = new Dispatcher(queues, heads, new CancelBus(undefined, prefix), deploys);
  return { producer: redis, queues, heads, deploys, audit, auditRecorder, dispatcher };
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
  const read = readModel(s, locks);
  // One blocking connection serves every client streaming a run's log from this server.
  const waiter = new StreamWaiter(createRedis(settings.redis, "worker", log), s.producer);
  const runLogs = new RedisRunLogReader(s.producer, settings.queuePrefix, waiter);
  const opsConsole = consoleServer(s, read, runLogs);
  const server = await buildServer({
    probot,
    console: opsConsole,
    sink: new IntakeStream(s.producer, settings.queuePrefix, s.producer, appendReplicas(settings.redis)),
    log,
    ready: () => redisAnswers(s.producer),
    // Metrics off: no /metrics route (404) and no timing of deliveries.
    ...(endpoint
      ? { metrics: { endpoint, token: settings.metricsToken, delivery: (event, status, seconds) => metrics.recorder.delivery(event, status, seconds) } }
      : {}),
    api: {
      read,
      log,
      auditEnabled: settings.auditEnabled,
      runLogs,
      ...(settings.apiToken ? { token: settings.apiToken } : {}),
      ...(opsConsole.enabled ? { session: opsConsole.sessionAccess } : {}),
    },
    stopping: () => s.lifecycle.stopping,
  });
  const url = await server.listen({ port: settings.port, host: settings.host });
  log.info({ url }, "webhook server listening");
  return {
    url,
    close: async () => {
      waiter.close();
      await server.close();
    },
  };
}

/** What the API and the console read (server/read-model.ts). */
function readModel(s: Shared, locks: RedisLockStore): ReadModel {
  const { settings } = s;
  return new ReadModel({
    audit: s.audit,
    locks,
    deploys: s.deploys,
    queues: Object.values(s.queues),
    redact: createRedactor(secretValues(settings.stepEnv, settings.secretEnvNames)),
    unlock: (intent) => s.dispatcher.dispatch(intent),
    intake: new IntakeStream(s.producer, settings.queuePrefix),
  });
}

/** The operations console (src/console/); with its settings unset it only says how to turn it on. */
function consoleServer(s: Shared, read: ReadModel, logs: RunLogReader): ConsoleServer {
  const { settings, log } = s;
  const github = new AppGitHubClients(s.app, settings.apiBaseUrl, log, settings.githubThrottle);
  const actions = new QueueConsoleActions({
    read,
    queues: Object.values(s.queues),
    audit: s.auditRecorder,
    comment: async (repo, pull, body) => {
      const installationId = await github.installationOf(repo.owner, repo.name);
      await (await github.forRepo({ ...repo, installationId })).createComment(pull, body);
    },
    log,
  });
  return new ConsoleServer({
    ...(settings.console ? { settings: settings.console } : {}),
    publicUrl: settings.publicUrl,
    githubBaseUrl: settings.githubBaseUrl,
    apiBaseUrl: settings.apiBaseUrl,
    store: new ConsoleStore(s.producer, settings.queuePrefix),
    read,
    actions,
    logs,
    log,
  });
}

async function startWorkerSide(s: Shared): Promise<{ closers: Closer[]; drain: (graceMs: number) => Promise<boolean> }> {
  const { settings, log } = s;
  const workerConnection = createRedis(settings.redis, "worker", log);
  const subscriber = createRedis(settings.redis, "subscriber", log);
  const workspaces = new Workspaces({
    dataDir: settings.dataDir,
    gitBaseUrl: settings.githubBaseUrl,
    env: settings.stepEnv,
    warn: (message) => log.warn(message),
  });
  // Worktrees of a worker that was killed; a day is far longer than any job may run.
  await workspaces.removeStale(24 * 3600 * 1000);
  // Jobs and the forwarder write through the worker connection, which waits out an outage.
  const jobSide: Shared = { ...s, ...redisParts(settings, log, workerConnection) };
  const deps = jobDeps(jobSide, workspaces);
  // Intents from the webhook servers become jobs here; it stops before the workers do.
  const intakeReader = createRedis(settings.redis, "worker", log);
  const forwarder = startForwarder({
    stream: new IntakeStream(workerConnection, settings.queuePrefix, intakeReader),
    jobs: jobSide.dispatcher,
    consumer: `${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`,
    log,
    interruptRead: () => intakeReader.disconnect(),
    onDeadLetter: () => s.metrics.recorder.deadLetter(),
  });
  const { workers, stopPlans, running } = await startWorkers({
    connection: workerConnection,
    prefix: settings.queuePrefix,
    concurrency: settings.concurrency,
    lockMs: settings.jobLockMs,
    cancel: new CancelBus(subscriber, settings.queuePrefix),
    processors: jobProcessors(s, deps),
    log,
  });
  for (const w of workers) w.on("lockRenewalFailed", (ids: string[]) => s.metrics.recorder.lockRenewalFailures(ids.length));
  log.info({ concurrency: settings.concurrency }, "workers started");
  const exporter =
    settings.auditEnabled && settings.audit.webhook
      ? new AuditExporter({ source: s.audit, redis: s.producer, prefix: settings.queuePrefix, ...settings.audit.webhook, log }).start()
      : undefined;
  const closers: Closer[] = [
    async () => exporter?.close(),
    () => forwarder.close(),
    ...workers.map((w) => () => w.close()),
    ...Object.values(jobSide.queues).map((q) => () => q.close()),
    async () => subscriber.quit(),
    async () => workerConnection.quit(),
  ];
  // No new intent becomes a job here once the shutdown begins: the other workers' forwarders take them.
  const drain = async (graceMs: number) => {
    await forwarder.close();
    return drainWorkers({ workers, stopPlans, running, graceMs, log });
  };
  return { closers, drain };
}

/** What a worker does with a job: run it (timed, its output kept as the run's log), or report it interrupted, stalled out or failed for good. */
function jobProcessors(s: Shared, deps: JobDeps): Processors {
  const { settings, log } = s;
  const logs = { redis: s.producer, prefix: settings.queuePrefix, log };
  return {
    run: (intent, signal, job) =>
      timed(s.metrics.recorder, intent.kind, signal, () =>
        runWithLog({ ...logs, publicUrl: settings.publicUrl }, job, intent, () => runJob(intent, deps, signal), signal),
      ),
    interrupted: (intent, job) => {
      s.metrics.recorder.job(intent.kind, "interrupted");
      void endInterruptedLog(logs, job, intent);
      return reportInterrupted(intent, deps);
    },
    stalledOut: async (intent, job, stops) => {
      s.metrics.recorder.job(intent.kind, "interrupted");
      await endInterruptedLog(logs, job, intent, stops);
      return reportStalledOut(intent, stops, deps);
    },
    // Already counted failed, and its log ended, by `run` (its last attempt: logs/job-log.ts).
    failed: (intent, _job, err) => (intent.kind === "plan" ? reportFailedPlan(intent, err, deps) : reportFailedEvent(intent, failureReason(err), deps)),
  };
}

/** Missed webhooks (SPEC §10): every process runs one; a Redis lease picks the one that scans. */
function startRedeliverer(s: Shared): Closer {
  const { settings, log } = s;
  const redeliverer = new Redeliverer({
    log: new AppHookDeliveries({
      app: s.app,
      apiBaseUrl: settings.apiBaseUrl,
      log,
      throttle: settings.githubThrottle,
      observe: (installation, seen) => s.metrics.recorder.githubRequest(installation, seen),
    }),
    store: new RedeliveryStore(s.producer, settings.queuePrefix),
    audit: s.auditRecorder,
    count: (outcome) => s.metrics.recorder.redelivery(outcome),
    logger: log,
    intervalMs: settings.redeliveryIntervalMs,
    events: HANDLED_EVENTS,
  }).start();
  return () => redeliverer.close();
}

/** A job's count and duration; a plan stopped for a newer head or put back by a shutdown is `cancelled`, not failed. */
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
