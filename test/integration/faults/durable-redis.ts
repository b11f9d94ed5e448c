// A redis-server of the test's own that keeps its data across a stop and a start (append-only
// file, fsync on every write), as a production Redis for queues is configured. Stopping the
// support's private Redis (no persistence) would lose every queued job by design, which says
// nothing about Slipway; this one tests what Slipway does when Redis goes away and comes back.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { freePort } from "../../support/private-redis.ts";
import { stopChild } from "../../support/slipway-process.ts";

export interface DurableRedis {
  url: string;
  port: number;
  /** SIGTERM: Redis writes its append-only file and exits; clients see refused connections. */
  stop(): Promise<void>;
  /** Starts again on the same port with the same data; resolves once it answers PING. */
  start(): Promise<void>;
  /** Stops it and deletes its data directory. */
  remove(): Promise<void>;
}

export async function startDurableRedis(): Promise<DurableRedis> {
  const port = await freePort();
  const dir = await mkdtemp(path.join(tmpdir(), "slipway-durable-redis-"));
  let child: ChildProcess | undefined;

  const start = async () => {
    const args = ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "yes", "--appendfsync", "always"];
    child = spawn("redis-server", args, { stdio: "ignore" });
    const probe = new Redis({ port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on("error", () => {});
    const deadline = Date.now() + 10_000;
    try {
      for (;;) {
        try {
          await probe.connect();
          // PING answers while the append-only file is still loading; wait for the data.
          const info = await probe.info("persistence");
          if (/loading:0/.test(info)) return;
        } catch {
          probe.disconnect();
        }
        if (Date.now() > deadline) throw new Error(`durable redis-server on ${port} did not start`);
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      probe.disconnect();
    }
  };
  const stop = async () => {
    if (child) await stopChild(child, 5000);
  };

  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    start,
    stop,
    async remove() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
