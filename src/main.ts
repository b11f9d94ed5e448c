// Entry point: validate settings, check Redis, then run the roles asked for.
// Without GitHub App credentials it serves Probot's registration page instead (see README).
import { pino } from "pino";
import { run as runProbotSetup } from "probot";
import { startSlipway } from "./app.ts";
import { createRedis, redisAnswers } from "./queue/redis.ts";
import { stillWaitingMessage } from "./queue/shutdown.ts";
import { loadDotEnv, readSettings, type HostPort, type RedisTarget } from "./settings.ts";

async function main(): Promise<void> {
  loadDotEnv();
  const result = readSettings();
  if (!result.ok) {
    for (const problem of result.problems) console.error(`slipway: invalid setting: ${problem}`);
    process.exit(1);
  }
  const settings = result.settings;
  const log = pino({ level: settings.logLevel, base: { role: settings.role, pid: process.pid } });

  if (!settings.app) {
    log.warn("APP_ID, PRIVATE_KEY and WEBHOOK_SECRET are not set: serving the GitHub App registration page (app.yml)");
    await runProbotSetup(() => {});
    return;
  }

  const probe = createRedis(settings.redis, "producer");
  const reachable = await redisAnswers(probe, 3000);
  probe.disconnect();
  if (!reachable) {
    console.error(
      settings.redis.kind === "standalone"
        ? `slipway: Redis is not reachable at ${describe(settings.redis)}: start one (\`docker compose up -d redis\`, or \`redis-server\`) or set REDIS_URL`
        : `slipway: Redis is not reachable through ${describe(settings.redis)}: check that they run and that this machine reaches them`,
    );
    process.exit(1);
  }

  const slipway = await startSlipway(settings, settings.app, log);
  // Graceful shutdown, decided in queue/shutdown.ts. Exit 0 when it went as designed — also when
  // the grace ran out: the steps' watchdogs then end the steps, and the next worker reports the
  // applies interrupted. Non-zero only when the shutdown itself failed.
  let deadline: number | undefined;
  const stop = async (signal: string) => {
    if (deadline !== undefined) {
      log.warn({ signal }, stillWaitingMessage(deadline, Date.now()));
      return;
    }
    deadline = Date.now() + settings.shutdownGraceMs;
    log.info({ signal, graceSeconds: settings.shutdownGraceMs / 1000 }, "shutting down: taking no new delivery or job");
    try {
      const finished = await slipway.shutdown(settings.shutdownGraceMs);
      log.info({ finished }, finished ? "shut down: every job finished" : "shut down: exiting with the jobs above cut short");
      process.exit(0);
    } catch (err) {
      log.error({ err: (err as Error).message }, "shutdown failed");
      process.exit(1);
    }
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

function describe(target: RedisTarget): string {
  const list = (nodes: HostPort[]) => nodes.map((n) => `${n.host}:${n.port}`).join(",");
  if (target.kind === "cluster") return `the Cluster nodes ${list(target.nodes)} (REDIS_CLUSTER_NODES)`;
  if (target.kind === "sentinel") return `the primary "${target.name}" of the sentinels ${list(target.sentinels)} (REDIS_SENTINELS)`;
  return redactUrl(target.url);
}

/** A Redis URL may carry a password: never print it. */
function redactUrl(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, "//***@");
}

await main();
