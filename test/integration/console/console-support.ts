// An in-process console for integration tests: real Redis (own prefix), the GitHub simulator
// for sign-in and the user's repositories, and a clock the test moves (sessions, access cache).
import { queueKeyPrefix } from "../../../src/queue/key-scheme.ts";
import { Queue } from "bullmq";
import Fastify, { type FastifyInstance, type LightMyRequestResponse } from "fastify";
import { Redis } from "ioredis";
import pino from "pino";
import { RedisRunLogReader } from "../../../src/logs/redis-run-log-reader.ts";
import { StreamWaiter } from "../../../src/logs/stream-waiter.ts";
import { QueueConsoleActions } from "../../../src/console/actions.ts";
import { ConsoleServer } from "../../../src/console/console-server.ts";
import { RedisAuditRecorder } from "../../../src/audit/recorder.ts";
import type { UnlockIntent } from "../../../src/domain/intent.ts";
import { RedisLockStore } from "../../../src/locks/redis-lock-store.ts";
import { IntakeStream } from "../../../src/queue/intake-stream.ts";
import { API_PREFIX, apiRoutes } from "../../../src/server/api/api-routes.ts";
import { ReadModel } from "../../../src/server/read-model.ts";
import { AuditStore } from "../../../src/state/audit-store.ts";
import { ConsoleStore } from "../../../src/state/console-store.ts";
import { DeployStore } from "../../../src/state/deploy-store.ts";
import type { GitHubSimulator } from "../../support/github-simulator/index.ts";
import { TEST_REDIS_URL, deleteKeysWithPrefix, uniquePrefix } from "../../support/redis.ts";

export const PUBLIC_URL = "http://console.test";
export const API_TOKEN = "api-token-0123456789abcdef";
export const SECRET = "a-session-secret-of-more-than-32-characters";

export interface TestConsole {
  app: FastifyInstance;
  redis: Redis;
  prefix: string;
  queue: Queue;
  audit: AuditStore;
  locks: RedisLockStore;
  deploys: DeployStore;
  unlocks: UnlockIntent[];
  comments: { repo: string; pull: number; body: string }[];
  clock: { now: number };
  close(): Promise<void>;
}

export async function startConsole(sim: GitHubSimulator, opts: { secret?: string; enabled?: boolean; prefix?: string } = {}): Promise<TestConsole> {
  const prefix = opts.prefix ?? uniquePrefix("console");
  const redis = new Redis(TEST_REDIS_URL);
  const audit = new AuditStore(redis, prefix, { retentionMs: 24 * 3600 * 1000, maxEvents: 10_000 });
  const locks = new RedisLockStore(redis, prefix);
  const deploys = new DeployStore(redis, prefix);
  const queue = new Queue("plans", { connection: redis, prefix: queueKeyPrefix(prefix) });
  const unlocks: UnlockIntent[] = [];
  const comments: TestConsole["comments"] = [];
  const clock = { now: Date.now() };
  const log = pino({ level: "silent" });
  const read = new ReadModel({ audit, locks, deploys, queues: [queue], unlock: async (i) => void unlocks.push(i), intake: new IntakeStream(redis, prefix) });
  const actions = new QueueConsoleActions({
    read,
    queues: [queue],
    audit: new RedisAuditRecorder(audit, (t) => t, log),
    comment: async (repo, pull, body) => void comments.push({ repo: `${repo.owner}/${repo.name}`, pull, body }),
    log,
  });
  const waiter = new StreamWaiter(new Redis(TEST_REDIS_URL), redis);
  const logs = new RedisRunLogReader(redis, prefix, waiter);
  const consoleServer = new ConsoleServer({
    ...(opts.enabled === false ? {} : { settings: { clientId: sim.clientId, clientSecret: sim.clientSecret, sessionSecret: opts.secret ?? SECRET } }),
    publicUrl: PUBLIC_URL,
    githubBaseUrl: sim.baseUrl,
    apiBaseUrl: sim.apiUrl,
    store: new ConsoleStore(redis, prefix),
    read,
    actions,
    logs,
    log,
    now: () => clock.now,
  });
  const app = Fastify();
  await consoleServer.register(app);
  await app.register(apiRoutes({ read, log, token: API_TOKEN, runLogs: logs, session: consoleServer.sessionAccess }), { prefix: API_PREFIX });
  return {
    app,
    redis,
    prefix,
    queue,
    audit,
    locks,
    deploys,
    unlocks,
    comments,
    clock,
    async close() {
      await app.close();
      waiter.close();
      await queue.close();
      if (!opts.prefix) await deleteKeysWithPrefix(prefix);
      redis.disconnect();
    },
  };
}

/** The `name=value` pairs of a response's Set-Cookie headers, as a Cookie header. */
export function cookieOf(res: LightMyRequestResponse, previous = ""): string {
  const jar = new Map(
    previous
      .split("; ")
      .filter(Boolean)
      .map((p) => [p.split("=")[0]!, p] as const),
  );
  const set = res.headers["set-cookie"];
  for (const c of Array.isArray(set) ? set : set ? [set] : []) {
    const pair = c.split(";")[0]!;
    jar.set(pair.split("=")[0]!, pair);
  }
  return [...jar.values()].join("; ");
}

/** `/login` → the simulator's authorize page (as `login`) → `/login/callback`: the session cookie. */
export async function signIn(c: TestConsole, sim: GitHubSimulator, login: string): Promise<string> {
  const { cookie, callback } = await startSignIn(c, sim, login);
  const res = await c.app.inject({ method: "GET", url: callback, headers: { cookie } });
  if (res.statusCode !== 302 || res.headers.location !== "/") throw new Error(`sign-in failed: ${res.statusCode} ${String(res.headers.location)}`);
  return cookieOf(res, cookie);
}

/** The first half of a sign-in: the browser's cookie after /login, and the callback GitHub sends it to. */
export async function startSignIn(c: TestConsole, sim: GitHubSimulator, login: string): Promise<{ cookie: string; callback: string }> {
  const start = await c.app.inject({ method: "GET", url: "/login" });
  sim.signInAs(login);
  const authorize = await fetch(String(start.headers.location), { redirect: "manual" });
  const back = new URL(authorize.headers.get("location") ?? "http://invalid/");
  return { cookie: cookieOf(start), callback: `${back.pathname}${back.search}` };
}

export function csrfOf(html: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!m) throw new Error("no CSRF token on the page");
  return m[1]!;
}
