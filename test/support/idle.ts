// Waiting until nothing is left to happen: the end-to-end tests' replacement for "sleep and hope".
// The system is idle when
//   (a) the GitHub simulator has no request in progress and no webhook queued or in flight,
//   (b) Slipway's intake stream is empty, with no entry pending in the forwarders' group, and
//   (c) no BullMQ queue of the prefix has a waiting, active, delayed, prioritized, paused or
//       waiting-children job,
// and that holds on two checks in a row with no progress in between (no request, no delivery, no
// intake append, no job event). One check is not enough: it reads the simulator and Redis at
// different moments, and work moves between them (a finishing job's last write is echoed as a
// webhook; a job enqueues another, as a released lock re-plans the waiting pull request). Each
// hand-over is gapless — a delivery stays in flight until Slipway has appended its intent, an
// intake entry stays until its jobs are added, a job stays active until its GitHub writes are
// answered and their echoes queued — so work that exists is seen by one of the checks, and work
// that moved between them changed a progress mark.
//
// So after `waitIdle` everything the test's actions would cause has happened: a test may then
// assert that something did NOT happen (no second apply, no reply).
//
// What it cannot see: work Slipway does outside a job. The one case is an apply whose worker died:
// BullMQ fails it on the stalled check and the survivor reports it from that event (workers.ts);
// tests of it wait for the report itself. Step processes orphaned by a killed worker are not
// Slipway's work either: a test that cares waits for them (see deploy-interrupted.test.ts).
import { QueueKeys } from "bullmq";
import { Cluster, Redis } from "ioredis";
import type { RedisConnection } from "../../src/queue/redis.ts";
import type { RedisTarget } from "../../src/settings.ts";
import { FORWARDER_GROUP } from "../../src/queue/intake-stream.ts";
import { intakeKey, queueKeyPrefix } from "../../src/queue/key-scheme.ts";
import { APPLY_QUEUE, EVENT_QUEUE, PLAN_QUEUE } from "../../src/queue/jobs.ts";
import type { SimActivity } from "./github-simulator/index.ts";
import { TEST_REDIS_URL } from "./redis.ts";

export interface IdleTarget {
  sim: { activity(): SimActivity };
  /** SLIPWAY_QUEUE_PREFIX of the Slipway process(es): several processes of one installation share it. */
  prefix: string;
  /** Where their Redis is; default the test Redis. */
  redisUrl?: string;
  /** A Cluster or Sentinel instead (test/support/redis-topology.ts). */
  redis?: RedisTarget;
}

export interface IdleOptions {
  /** Fail after this long, naming what was still busy; default 60 s. */
  timeoutMs?: number;
  /** Between checks; default 50 ms. */
  intervalMs?: number;
}

const QUEUES = [PLAN_QUEUE, EVENT_QUEUE, APPLY_QUEUE];
/** States that mean a job has yet to run or is running. Completed and failed jobs are done. */
const LIST_STATES = ["wait", "active", "paused"] as const;
const ZSET_STATES = ["prioritized", "waiting-children"] as const;

interface Check {
  /** What is busy, one phrase each; empty when idle. */
  busy: string[];
  /** Marks of progress: equal on two checks means nothing moved in between. */
  progress: string;
}

/** Resolves once the simulator and the Slipway processes of `target.prefix` are idle (see above). */
export async function waitIdle(target: IdleTarget, opts: IdleOptions = {}): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const intervalMs = opts.intervalMs ?? 50;
  const redis = connect(target);
  redis.on("error", () => {}); // a failed command rejects; without a listener ioredis also prints it
  const deadline = Date.now() + timeoutMs;
  let previous: Check | undefined;
  try {
    await redis.connect();
    for (;;) {
      const check = await checkOnce(target, redis);
      if (check.busy.length === 0 && previous?.busy.length === 0 && previous.progress === check.progress) return;
      if (Date.now() >= deadline) {
        const why = check.busy.length > 0 ? check.busy.join("; ") : "still moving between checks (progress marks changed)";
        throw new Error(`not idle after ${timeoutMs} ms: ${why}`);
      }
      previous = check;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  } finally {
    redis.disconnect();
  }
}

function connect(target: IdleTarget): RedisConnection {
  const t = target.redis;
  if (t?.kind === "cluster") return new Cluster(t.nodes, { lazyConnect: true, redisOptions: { maxRetriesPerRequest: 1 } });
  if (t?.kind === "sentinel") return new Redis({ sentinels: t.sentinels, name: t.name, maxRetriesPerRequest: 1, lazyConnect: true });
  return new Redis(target.redisUrl ?? TEST_REDIS_URL, { maxRetriesPerRequest: 1, lazyConnect: true });
}

async function checkOnce(target: IdleTarget, redis: RedisConnection): Promise<Check> {
  // The simulator is read before and after Redis: a request or delivery that started meanwhile
  // changes its counters, so this check does not count as stable.
  const simBefore = target.sim.activity();
  const redisCheck = await checkRedis(target.prefix, redis);
  const sim = target.sim.activity();
  const busy: string[] = [];
  if (sim.requestsInFlight.length > 0)
    busy.push(`simulator: ${sim.requestsInFlight.length} request(s) in progress (${sim.requestsInFlight.slice(0, 5).join(", ")})`);
  if (sim.deliveriesPending > 0) busy.push(`simulator: ${sim.deliveriesPending} webhook delivery(ies) queued or in flight`);
  busy.push(...redisCheck.busy);
  const simProgress = (a: SimActivity) => `${a.requests}/${a.deliveries}`;
  return { busy, progress: `${simProgress(simBefore)} ${simProgress(sim)} ${redisCheck.progress}` };
}

/** One MULTI, so the intake stream and the queues are read at one instant. */
async function checkRedis(prefix: string, redis: RedisConnection): Promise<Check> {
  // One hash tag for both (src/queue/key-scheme.ts), so this MULTI also runs on a Redis Cluster.
  const intake = intakeKey(prefix);
  const keys = new QueueKeys(queueKeyPrefix(prefix));
  const multi = redis.multi().xinfo("STREAM", intake).xpending(intake, FORWARDER_GROUP);
  for (const q of QUEUES) {
    const k = keys.getKeys(q);
    for (const s of LIST_STATES) multi.llen(k[s]!);
    for (const s of ZSET_STATES) multi.zcard(k[s]!);
    multi.zrange(k.delayed!, "0", "-1");
    multi.xinfo("STREAM", k.events!);
  }
  const replies = (await multi.exec()) ?? [];
  let at = 0;
  const next = () => replies[at++]!;
  const busy: string[] = [];
  const progress: string[] = [];

  const [streamErr, streamInfo] = next();
  const [pendingErr, pendingInfo] = next();
  if (streamErr || pendingErr) {
    // The forwarders create both when they start; missing means none has, or the key moved in src/.
    busy.push(`intake: stream ${intake} or its group ${FORWARDER_GROUP} missing (${(streamErr ?? pendingErr)!.message})`);
  } else {
    const length = Number(field(streamInfo, "length"));
    const pending = Number((pendingInfo as [number, ...unknown[]])[0]);
    if (length > 0 || pending > 0) busy.push(`intake: ${length} entr(ies) not yet forwarded, ${pending} pending in a forwarder`);
    progress.push(String(field(streamInfo, "last-generated-id")));
  }

  for (const q of QUEUES) {
    const counts: string[] = [];
    for (const s of [...LIST_STATES, ...ZSET_STATES]) {
      const [err, n] = next();
      if (err) throw err;
      if (Number(n) > 0) counts.push(`${n} ${s}`);
    }
    const [delayedErr, delayedIds] = next();
    if (delayedErr) throw delayedErr;
    const delayed = await withoutSchedulerJobs(redis, keys.getKeys(q)[""]!, delayedIds as string[]);
    if (delayed.length > 0) counts.push(`${delayed.length} delayed (${delayed.slice(0, 3).join(", ")})`);
    if (counts.length > 0) busy.push(`${q}: ${counts.join(", ")}`);
    // A queue's event stream gets an entry on every job added, started, finished or retried; it
    // does not exist before the queue's first job.
    const [eventsErr, eventsInfo] = next();
    progress.push(eventsErr ? "-" : String(field(eventsInfo, "last-generated-id")));
  }
  return { busy, progress: progress.join(" ") };
}

/**
 * A job scheduler (the drift cron, dispatcher.ts `scheduleDrift`) always keeps its next run as a
 * delayed job, hours ahead: counting it would keep the system busy forever. Such jobs carry the
 * scheduler's id (`rjk`, BullMQ's repeatJobKey) and are left out by design. A scheduled run that
 * fires during a test is an ordinary waiting/active job and counts; so does a job delayed by a
 * retry's backoff.
 */
async function withoutSchedulerJobs(redis: RedisConnection, jobKeyPrefix: string, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const id of ids) pipeline.hget(`${jobKeyPrefix}${id}`, "rjk");
  const rjks = (await pipeline.exec()) ?? [];
  return ids.filter((_, i) => !rjks[i]?.[1]);
}

/** A field of a flat [name, value, name, value…] Redis reply (XINFO). */
function field(reply: unknown, name: string): unknown {
  const list = reply as unknown[];
  const i = list.indexOf(name);
  return i >= 0 && i % 2 === 0 ? list[i + 1] : undefined;
}
