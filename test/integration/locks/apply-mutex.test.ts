// The apply mutex across real processes: two workers never apply one project at the same time,
// a long apply keeps its mutex through the heartbeat, and a killed worker's mutex expires.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { acquireMutex, applyMutexKey, withApplyMutex } from "../../../src/locks/apply-mutex.ts";
import { deleteKeysWithPrefix, TEST_REDIS_URL, uniquePrefix } from "../../support/redis.ts";
import { stopChild } from "../../support/slipway-process.ts";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "../../..");
const CHILD = path.join(HERE, "apply-mutex-child.ts");

const prefix = uniquePrefix("locks");
const project = (name: string) => ({ owner: "acme", repo: "infra", project: name });
let redis: Redis;
let tmp: string;
const children: ChildProcess[] = [];

function startChild(job: object): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ["--import", "tsx", CHILD, JSON.stringify(job)], { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
  children.push(child);
  let output = "";
  child.stdout!.on("data", (b: Buffer) => (output += b.toString()));
  child.stderr!.on("data", (b: Buffer) => (output += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function waitForOutput(run: ReturnType<typeof startChild>, pattern: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = pattern.exec(run.output());
    if (m) return m;
    if (Date.now() > deadline || run.child.exitCode !== null) throw new Error(`child did not print ${pattern}:\n${run.output()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no result in ${ms} ms`)), ms)));
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

before(async () => {
  redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 2 });
  tmp = await mkdtemp(path.join(tmpdir(), "slipway-apply-mutex-"));
});

after(async () => {
  await Promise.all(children.map((c) => stopChild(c, 2000)));
  await redis.quit();
  await deleteKeysWithPrefix(prefix);
  await rm(tmp, { recursive: true, force: true });
});

describe("apply mutex in one process", () => {
  test("a second apply is refused and told who holds the mutex; release lets it in", async () => {
    const p = project("one");
    const first = await acquireMutex(redis, applyMutexKey(prefix, p), { ttlMs: 5000 });
    assert.ok(first.acquired);
    const second = await acquireMutex(redis, applyMutexKey(prefix, p), { ttlMs: 5000 });
    assert.deepEqual(second, { acquired: false, holderToken: first.token });
    assert.match(first.token, new RegExp(`:${process.pid}:`), "the token names the holding process");
    await first.release();
    const third = await acquireMutex(redis, applyMutexKey(prefix, p), { ttlMs: 5000 });
    assert.ok(third.acquired);
    await third.release();
    assert.equal(await redis.exists(applyMutexKey(prefix, p)), 0);
  });

  test("other projects, and the same project name in another repository, are independent", async () => {
    const a = await acquireMutex(redis, applyMutexKey(prefix, project("net")), { ttlMs: 5000 });
    const b = await acquireMutex(redis, applyMutexKey(prefix, project("db")), { ttlMs: 5000 });
    const c = await acquireMutex(redis, applyMutexKey(prefix, { owner: "acme", repo: "other", project: "net" }), { ttlMs: 5000 });
    assert.ok(a.acquired && b.acquired && c.acquired);
    await Promise.all([a.release(), b.release(), c.release()]);
  });

  test("withApplyMutex waits within its bound, and releases even when the apply throws", async () => {
    const p = project("waiting");
    const holder = await acquireMutex(redis, applyMutexKey(prefix, p), { ttlMs: 5000 });
    assert.ok(holder.acquired);
    const impatient = await withApplyMutex(redis, prefix, p, async () => "ran", { waitMs: 150, pollMs: 20 });
    assert.deepEqual(impatient, { acquired: false, holderToken: holder.token });
    setTimeout(() => void holder.release(), 200);
    const patient = await withApplyMutex(redis, prefix, p, async () => "ran", { waitMs: 3000, pollMs: 20 });
    assert.deepEqual(patient, { acquired: true, value: "ran" });
    await assert.rejects(
      withApplyMutex(redis, prefix, p, async () => Promise.reject(new Error("apply failed"))),
      /apply failed/,
    );
    assert.equal(await redis.exists(applyMutexKey(prefix, p)), 0, "released after the throw");
  });

  test("a holder whose mutex expired learns it was lost and cannot release the new holder's mutex", async () => {
    const p = project("expired");
    const stale = await acquireMutex(redis, applyMutexKey(prefix, p), { ttlMs: 5000, renewEveryMs: 30 });
    assert.ok(stale.acquired);
    await redis.del(applyMutexKey(prefix, p)); // as if this process had stalled past the TTL
    const fresh = await acquireMutex(redis, applyMutexKey(prefix, p), { ttlMs: 5000 });
    assert.ok(fresh.acquired);
    const lost = await withTimeout(new Promise<boolean>((resolve) => stale.lost.addEventListener("abort", () => resolve(true))), 2000, "lost signal");
    assert.equal(lost, true);
    await stale.release();
    assert.equal(await redis.get(applyMutexKey(prefix, p)), fresh.token);
    await fresh.release();
  });
});

describe("apply mutex across processes", () => {
  test("two worker processes never hold one project's mutex at the same time, even past the TTL", async () => {
    const iterations = 3;
    // Each hold (600 ms) is twice the TTL (300 ms): only the heartbeat keeps the mutex.
    const common = { mode: "contend", url: TEST_REDIS_URL, prefix, project: project("contended"), ttlMs: 300, renewEveryMs: 80, iterations, holdMs: 600 };
    const files = [path.join(tmp, "a.jsonl"), path.join(tmp, "b.jsonl")];
    const runs = files.map((outFile) => startChild({ ...common, outFile }));
    await withTimeout(Promise.all(runs.map((r) => waitForOutput(r, /^ready$/m))), 30_000, "workers ready");
    for (const r of runs) r.child.stdin!.end("go\n");
    const codes = await withTimeout(Promise.all(runs.map((r) => r.exited)), 60_000, "contending workers");
    assert.deepEqual(codes, [0, 0], runs.map((r) => r.output()).join("\n"));

    const intervals = (await Promise.all(files.map((f) => readFile(f, "utf8")))).flatMap((text, worker) =>
      text
        .trim()
        .split("\n")
        .map((line) => ({ worker, ...(JSON.parse(line) as { asked: number; start: number; end: number }) })),
    );
    assert.equal(intervals.length, 2 * iterations);
    intervals.sort((x, y) => x.start - y.start);
    for (let i = 1; i < intervals.length; i++) {
      const prev = intervals[i - 1]!;
      const next = intervals[i]!;
      assert.ok(next.start >= prev.end, `overlap: [${prev.start}, ${prev.end}] and [${next.start}, ${next.end}]`);
    }
    // One asked before the other released it, and got it only after: it waited for the other.
    const waitedForOther = intervals.some((x) => intervals.some((y) => y.worker !== x.worker && x.asked < y.end && y.end <= x.start));
    assert.ok(waitedForOther, `the processes really contended (one waited for the other): ${JSON.stringify(intervals)}`);
  });

  test("a SIGKILLed holder's mutex is freed by its TTL, not before", async () => {
    const ttlMs = 1500;
    const p = project("killed");
    const run = startChild({ mode: "hold", url: TEST_REDIS_URL, prefix, project: p, ttlMs, renewEveryMs: 200 });
    const token = (await waitForOutput(run, /acquired (\S+)/))[1]!;

    // Long past one TTL: the heartbeat is what keeps it held.
    await new Promise((r) => setTimeout(r, ttlMs + 500));
    assert.deepEqual(await acquireMutex(redis, applyMutexKey(prefix, p), { ttlMs }), { acquired: false, holderToken: token });

    run.child.kill("SIGKILL");
    await run.exited;
    const refusedRightAfter = await acquireMutex(redis, applyMutexKey(prefix, p), { ttlMs });
    assert.equal(refusedRightAfter.acquired, false, "the mutex outlives its holder until the TTL runs out");

    // Redis's clock decides, not ours: the instant the key expires, from its remaining TTL. Until
    // then every try is refused, the first try after it succeeds, and none succeeds before it.
    const redisNow = async () => {
      const [seconds, micros] = await redis.time();
      return Number(seconds) * 1000 + Number(micros) / 1000;
    };
    const [[, time], [, remaining]] = (await redis.multi().time().pttl(applyMutexKey(prefix, p)).exec()) as [[null, [string, string]], [null, number]];
    assert.ok(remaining > 0, `the mutex is still set, with its last TTL running (PTTL ${remaining})`);
    const expiresAt = Number(time[0]) * 1000 + Number(time[1]) / 1000 + remaining;
    const bound = Date.now() + ttlMs + 10_000; // a bound on the loop only, asserted on nothing
    let taken: Awaited<ReturnType<typeof acquireMutex>>;
    for (;;) {
      const triedAt = await redisNow();
      taken = await acquireMutex(redis, applyMutexKey(prefix, p), { ttlMs });
      if (taken.acquired) break;
      assert.equal(taken.holderToken, token, "held by the killed holder until then");
      // 1 ms: PTTL is rounded to whole milliseconds.
      assert.ok(triedAt <= expiresAt + 1, `refused after its TTL ran out (tried at ${triedAt}, expired at ${expiresAt}, Redis clock)`);
      if (Date.now() > bound) throw new Error("the mutex was never freed");
      await new Promise((r) => setTimeout(r, 20));
    }
    const takenAt = await redisNow();
    assert.ok(takenAt >= expiresAt - 1, `not freed before its TTL ran out (taken by ${takenAt}, expired at ${expiresAt}, Redis clock)`);
    await taken.release();
  });
});
