// A worker stand-in for apply-mutex.test.ts, run as its own process (`node --import tsx`).
// argv[2] is a JSON job:
//   contend: take the project's apply mutex `iterations` times, hold it `holdMs` each, and append
//            one JSON line {asked, start, end} per hold to `outFile`. It prints "ready" and
//            starts on a line from stdin, so both processes contend from the same moment.
//   hold:    take the mutex, print "acquired <token>", and hold it until killed.
import { appendFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { Redis } from "ioredis";
import { acquireMutex, applyMutexKey } from "../../../src/locks/apply-mutex.ts";

interface Job {
  mode: "contend" | "hold";
  url: string;
  prefix: string;
  project: { owner: string; repo: string; project: string };
  ttlMs: number;
  renewEveryMs: number;
  outFile?: string;
  iterations?: number;
  holdMs?: number;
}

const job = JSON.parse(process.argv[2] ?? "{}") as Job;
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const redis = new Redis(job.url, { maxRetriesPerRequest: 2 });

if (job.mode === "hold") {
  const mutex = await acquireMutex(redis, applyMutexKey(job.prefix, job.project), { ttlMs: job.ttlMs, renewEveryMs: job.renewEveryMs });
  if (!mutex.acquired) {
    console.log(`refused ${mutex.holderToken}`);
    process.exit(3);
  }
  console.log(`acquired ${mutex.token}`);
  setInterval(() => {}, 60_000); // the heartbeat timer is unref'd: keep the process alive until killed
} else {
  await redis.ping();
  console.log("ready");
  await new Promise((resolve) => process.stdin.once("data", resolve));
  process.stdin.pause();
  for (let i = 0; i < (job.iterations ?? 1); i++) {
    const asked = now();
    const mutex = await acquireMutex(redis, applyMutexKey(job.prefix, job.project), {
      ttlMs: job.ttlMs,
      renewEveryMs: job.renewEveryMs,
      waitMs: 60_000,
      pollMs: 5,
    });
    if (!mutex.acquired) throw new Error(`gave up waiting; held by ${mutex.holderToken}`);
    const start = now();
    await sleep(job.holdMs ?? 0);
    const end = now();
    if (mutex.lost.aborted) throw new Error("lost the mutex while holding it");
    appendFileSync(job.outFile!, `${JSON.stringify({ asked, start, end })}\n`);
    await mutex.release();
  }
  await redis.quit();
}
