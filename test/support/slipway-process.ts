// Starts Slipway as a child process (`node --import tsx src/main.ts`, what `npm start` runs)
// and stops it by pid. The environment is exactly SPEC.md §2's settings.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { RedisTarget } from "../../src/settings.ts";
import { TEST_REDIS_URL, deleteKeysWithPrefix, uniquePrefix } from "./redis.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export interface SlipwayAppCredentials {
  /** `127.0.0.1:PORT` of the GitHub simulator. */
  gheHost: string;
  appId: number;
  privateKey: string;
  webhookSecret: string;
}

export interface SlipwayProcess {
  url: string;
  pid: number;
  prefix: string;
  dataDir: string;
  /** The REDIS_URL it was given. */
  redisUrl: string;
  /** The Cluster or Sentinel it was given instead (StartOptions.redis). */
  redis?: RedisTarget;
  /** Everything the process printed, for assertions and for debugging a failed test. */
  logs(): string;
  /** Resolves when the process has exited, however it was stopped. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(): Promise<void>;
}

export interface StartOptions {
  role?: "all" | "server" | "worker";
  concurrency?: number;
  env?: Record<string, string>;
  /** Share a queue prefix (several processes of one installation); default: a new one. */
  prefix?: string;
  dataDir?: string;
  redisUrl?: string;
  /** A Cluster or Sentinel instead of REDIS_URL (test/support/redis-topology.ts): its settings and where it is. */
  redis?: { env: Record<string, string>; target: RedisTarget };
}

export async function startSlipwayProcess(app: SlipwayAppCredentials, opts: StartOptions = {}): Promise<SlipwayProcess> {
  const prefix = opts.prefix ?? uniquePrefix("app");
  const ownsDataDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? (await mkdtemp(path.join(tmpdir(), "slipway-data-")));
  const role = opts.role ?? "all";
  const redisUrl = opts.redisUrl ?? TEST_REDIS_URL;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? "/root",
    APP_ID: String(app.appId),
    PRIVATE_KEY: app.privateKey,
    WEBHOOK_SECRET: app.webhookSecret,
    GHE_HOST: app.gheHost,
    GHE_PROTOCOL: "http",
    ...(opts.redis ? opts.redis.env : { REDIS_URL: redisUrl }),
    PORT: "0",
    HOST: "127.0.0.1",
    SLIPWAY_ROLE: role,
    SLIPWAY_CONCURRENCY: String(opts.concurrency ?? 2),
    SLIPWAY_DATA_DIR: dataDir,
    SLIPWAY_QUEUE_PREFIX: prefix,
    LOG_LEVEL: "info",
    // Off unless a test asks for it (test/e2e/redelivery.test.ts): a scan of the delivery log at
    // start would add API calls and redeliveries to tests that count them.
    SLIPWAY_REDELIVERY_INTERVAL_SECONDS: "0",
    ...opts.env,
  };
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  let output = "";
  child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (output += d.toString()));

  const cleanUp = async () => {
    if (opts.prefix === undefined) await deleteKeysWithPrefix(prefix);
    if (ownsDataDir) await rm(dataDir, { recursive: true, force: true });
  };
  let url = "";
  try {
    if (role === "worker") await waitForLine(child, () => output, /workers started/);
    else url = await waitForListening(child, () => output);
  } catch (err) {
    // waitForLine has stopped the child; what it created goes too.
    await cleanUp();
    throw err;
  }

  return {
    url,
    pid: child.pid!,
    prefix,
    dataDir,
    redisUrl,
    ...(opts.redis ? { redis: opts.redis.target } : {}),
    logs: () => output,
    exited,
    async stop() {
      await stopChild(child);
      await cleanUp();
    },
  };
}

async function waitForListening(child: ChildProcess, output: () => string): Promise<string> {
  const line = await waitForLine(child, output, /"url":"(http:\/\/[^"]+)".*webhook server listening/);
  return line[1]!;
}

async function waitForLine(child: ChildProcess, output: () => string, pattern: RegExp, timeoutMs = 20_000): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const m = output().match(pattern);
    if (m) return m;
    if (child.exitCode !== null) throw new Error(`slipway exited with ${child.exitCode} before starting:\n${output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  await stopChild(child);
  throw new Error(`slipway did not print ${pattern} within ${timeoutMs} ms:\n${output()}`);
}

/** SIGTERM, then SIGKILL if it has not exited after a grace period: never leave it running. */
export async function stopChild(child: ChildProcess, graceMs = 8000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}
