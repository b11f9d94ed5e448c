// Run logs on a real Redis: lines batched into few round trips, read back in order and resumed
// from any cursor, an end marker that ends readers' waits, one blocking connection for many
// waiting readers, the tail trimmed while the whole log stays readable (gzip), a retried run
// appending to its log, and a writer that keeps going while Redis is away.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { Redis } from "ioredis";
import pino from "pino";
import { endInterruptedLog, runWithLog } from "../../../src/logs/job-log.ts";
import { currentRunLog } from "../../../src/logs/run-log-context.ts";
import { SlipwayError } from "../../../src/domain/types.ts";
import { shutdownReason } from "../../../src/queue/shutdown.ts";
import { RedisRunLogReader, RunLogCursorError } from "../../../src/logs/redis-run-log-reader.ts";
import { RUN_LOG_TTL_SECONDS, runLogKeys } from "../../../src/logs/run-log-keys.ts";
import { RedisRunLogWriter } from "../../../src/logs/run-log-writer.ts";
import type { RunLogEntry, RunLogMeta } from "../../../src/logs/run-log.ts";
import { StreamWaiter } from "../../../src/logs/stream-waiter.ts";
import { freePort } from "../../support/private-redis.ts";
import { TEST_REDIS_URL, deleteKeysWithPrefix, uniquePrefix } from "../../support/redis.ts";

const prefix = uniquePrefix("runlog");
const waiterName = `slipway-test-waiter-${randomBytes(3).toString("hex")}`;
let redis: Redis;
let waiter: StreamWaiter;
let reader: RedisRunLogReader;

const meta = (runId: string): RunLogMeta => ({
  runId,
  repo: "acme/infra",
  pull: 7,
  pullTitle: "Add a queue",
  sha: "a".repeat(40),
  kind: "plan",
  startedAt: new Date().toISOString(),
});

async function readAll(runId: string, max = 1000): Promise<RunLogEntry[]> {
  const out: RunLogEntry[] = [];
  let cursor: string | undefined;
  for (;;) {
    const chunk = await reader.read(runId, cursor, { max, waitMs: 0 });
    out.push(...chunk.entries);
    if (chunk.entries.length === 0) return out;
    cursor = chunk.entries.at(-1)!.id;
  }
}

before(() => {
  redis = new Redis(TEST_REDIS_URL);
  waiter = new StreamWaiter(new Redis(TEST_REDIS_URL, { connectionName: waiterName, maxRetriesPerRequest: null }), redis);
  reader = new RedisRunLogReader(redis, prefix, waiter);
});

after(async () => {
  waiter.close();
  await deleteKeysWithPrefix(prefix);
  redis.disconnect();
});

describe("run log", () => {
  test("a thousand lines printed at once take a handful of writes and read back in order", async () => {
    const runId = "plan/acme/infra/7/aaaa";
    const writer = new RedisRunLogWriter(redis, prefix, meta(runId));
    for (let i = 0; i < 1000; i++) writer.line(`line ${i}`, "net", "plan");
    await writer.end();
    assert.ok(writer.flushes <= 6, `1000 lines took ${writer.flushes} round trips`);
    const entries = await redis.xlen(runLogKeys(prefix, runId).lines);
    assert.ok(entries <= 6, `1000 lines made ${entries} stream entries`);
    const lines = await readAll(runId, 300);
    assert.deepEqual(
      lines.map((l) => l.line),
      Array.from({ length: 1000 }, (_, i) => `line ${i}`),
    );
    assert.deepEqual(lines[3], { id: "3", line: "line 3", project: "net", phase: "plan" });
    assert.deepEqual(await reader.meta(runId), {
      ...meta(runId),
      startedAt: (await reader.meta(runId))!.startedAt,
      endedAt: (await reader.meta(runId))!.endedAt,
    });
    assert.ok((await reader.meta(runId))!.endedAt);
  });

  test("a reader resumes after any cursor, and a cursor it never gave out is refused", async () => {
    const runId = "plan/acme/infra/8/bbbb";
    const writer = new RedisRunLogWriter(redis, prefix, meta(runId));
    for (let i = 0; i < 40; i++) writer.line(`l${i}`);
    await writer.end();
    const first = await reader.read(runId, undefined, { max: 10, waitMs: 0 });
    assert.equal(first.entries.length, 10);
    assert.equal(first.ended, false);
    const resumed = await reader.read(runId, first.entries.at(-1)!.id, { max: 100, waitMs: 0 });
    assert.deepEqual(
      resumed.entries.map((e) => e.line),
      Array.from({ length: 30 }, (_, i) => `l${i + 10}`),
    );
    assert.equal(resumed.ended, true);
    await assert.rejects(reader.read(runId, "12-0; DROP", { max: 1, waitMs: 0 }), RunLogCursorError);
  });

  test("a waiting reader gets a line as it is written, and the end marker ends its wait", async () => {
    const runId = "apply/acme/infra/9/cccc/d1";
    const writer = new RedisRunLogWriter(redis, prefix, meta(runId));
    writer.line("first");
    const firstRead = await reader.read(runId, undefined, { max: 10, waitMs: 30_000 });
    assert.deepEqual(
      firstRead.entries.map((e) => e.line),
      ["first"],
    );
    const waiting = reader.read(runId, "0", { max: 10, waitMs: 30_000 });
    writer.line("second");
    assert.deepEqual(
      (await waiting).entries.map((e) => e.line),
      ["second"],
    );
    const untilEnd = reader.read(runId, "1", { max: 10, waitMs: 30_000 });
    await writer.end();
    assert.deepEqual(await untilEnd, { entries: [], ended: true });
  });

  test("twenty readers waiting on twenty runs share one blocking connection", async () => {
    const runs = Array.from({ length: 20 }, (_, i) => `plan/acme/many/${i}/eeee`);
    const writers = runs.map((id) => new RedisRunLogWriter(redis, prefix, meta(id)));
    for (const w of writers) w.line("started");
    await Promise.all(runs.map((id) => reader.read(id, undefined, { max: 10, waitMs: 0 })));
    const waits = runs.map((id) => reader.read(id, "0", { max: 10, waitMs: 30_000 }));
    writers.forEach((w, i) => w.line(`next ${i}`));
    const got = await Promise.all(waits);
    assert.deepEqual(
      got.map((c) => c.entries.map((e) => e.line)),
      runs.map((_, i) => [`next ${i}`]),
    );
    const clients = (await redis.client("LIST")) as string;
    assert.equal(clients.split("\n").filter((l) => l.includes(`name=${waiterName} `)).length, 1);
    await Promise.all(writers.map((w) => w.end()));
  });

  test("a client that goes away stops waiting at once", async () => {
    const runId = "plan/acme/infra/10/ffff";
    const writer = new RedisRunLogWriter(redis, prefix, meta(runId));
    writer.line("only");
    await reader.read(runId, undefined, { max: 10, waitMs: 0 });
    const gone = new AbortController();
    const waiting = reader.read(runId, "0", { max: 10, waitMs: 600_000, signal: gone.signal });
    gone.abort();
    assert.deepEqual(await waiting, { entries: [], ended: false });
    await writer.end();
  });

  test("a long log keeps only a tail in the stream, the whole of it gzipped, for 14 days", async () => {
    const runId = "plan/acme/big/11/abab";
    const writer = new RedisRunLogWriter(redis, prefix, meta(runId), { memberBytes: 64 * 1024, maxQueuedBytes: 16 * 1024 * 1024 });
    const total = 40_000;
    for (let i = 0; i < total; i++) writer.line(`  # aws_instance.web[${i}] will be updated in-place ${i % 7 === 0 ? "~ tags" : ""}`);
    await writer.end();
    const keys = runLogKeys(prefix, runId);
    const streamBytes = Number(await redis.memory("USAGE", keys.lines));
    assert.ok(streamBytes < 200 * 1024, `the stream holds ${streamBytes} bytes`);
    const lines = await readAll(runId);
    assert.equal(lines.length, total);
    assert.equal(lines[12_345]!.line, "  # aws_instance.web[12345] will be updated in-place ");
    assert.equal(lines[12_345]!.id, "12345");
    // Resume in the middle of the archive.
    const mid = await reader.read(runId, "20000", { max: 2, waitMs: 0 });
    assert.deepEqual(
      mid.entries.map((e) => e.id),
      ["20001", "20002"],
    );
    for (const key of [keys.meta, keys.lines, keys.gz]) {
      const ttl = await redis.ttl(key);
      assert.ok(ttl > RUN_LOG_TTL_SECONDS - 60 && ttl <= RUN_LOG_TTL_SECONDS, `${key} expires in ${ttl}s`);
    }
  });

  test("a 50 MB log costs Redis a fraction of 50 MB, and reads back whole", async () => {
    const runId = "plan/acme/huge/12/cdcd";
    const writer = new RedisRunLogWriter(redis, prefix, meta(runId), { maxQueuedBytes: 256 * 1024 * 1024 });
    let bytes = 0;
    let n = 0;
    while (bytes < 50 * 1024 * 1024) {
      const line = `module.app.aws_security_group_rule.ingress["${n}-${randomBytes(4).toString("hex")}"]: Refreshing state... [id=sgrule-${n * 7919}]`;
      writer.line(line, "app", "plan");
      bytes += line.length + 1;
      n++;
    }
    await writer.end();
    const keys = runLogKeys(prefix, runId);
    let used = 0;
    for (const key of [keys.meta, keys.lines, keys.gz]) used += Number(await redis.memory("USAGE", key, "SAMPLES", 0));
    assert.ok(used < bytes / 4, `a ${bytes}-byte log uses ${used} bytes of Redis`);
    let count = 0;
    let cursor: string | undefined;
    let last = "";
    for (;;) {
      const chunk = await reader.read(runId, cursor, { max: 5000, waitMs: 0 });
      if (chunk.entries.length === 0) break;
      count += chunk.entries.length;
      last = chunk.entries.at(-1)!.line;
      cursor = chunk.entries.at(-1)!.id;
    }
    assert.equal(count, n);
    assert.match(last, new RegExp(`ingress\\["${n - 1}-`));
  });

  test("a retried run appends to its log after a line naming the attempt", async () => {
    const runId = "comment/delivery-13";
    const first = new RedisRunLogWriter(redis, prefix, meta(runId));
    first.line("attempt one output");
    await first.end({ marker: false });
    assert.equal((await reader.read(runId, undefined, { max: 10, waitMs: 0 })).ended, false);
    const second = new RedisRunLogWriter(redis, prefix, meta(runId), { attempt: 2 });
    second.line("attempt two output");
    await second.end();
    const chunk = await reader.read(runId, undefined, { max: 10, waitMs: 0 });
    assert.deepEqual(
      chunk.entries.map((e) => [e.id, e.line]),
      [
        ["0", "attempt one output"],
        ["1", "slipway: attempt 2 of this run"],
        ["2", "attempt two output"],
      ],
    );
    assert.equal(chunk.ended, true);
  });

  test("an apply whose worker died ends its log with a line saying so, releasing its readers", async () => {
    const runId = "apply/acme/infra/14/dead/d-9";
    const first = new RedisRunLogWriter(redis, prefix, meta(runId));
    first.line("Applying…");
    await first.flush(); // the worker dies here: no end
    const waiting = reader.read(runId, "0", { max: 10, waitMs: 600_000 });
    const job = { id: runId, name: "apply", attempt: 1, attempts: 1 };
    await endInterruptedLog({ redis, prefix, log: pino({ level: "silent" }) }, job, {
      pull: { repo: { owner: "acme", name: "infra" }, number: 14, headSha: "dead" },
    });
    const chunk = await waiting;
    assert.match(chunk.entries[0]!.line, /^slipway: the worker running this stopped before it finished/);
    // The line and the end may come in one read or two; either way the reader is not kept waiting.
    const after = chunk.ended ? chunk : await reader.read(runId, chunk.entries.at(-1)!.id, { max: 10, waitMs: 600_000 });
    assert.deepEqual(after.entries.slice(chunk.ended ? 1 : 0), []);
    assert.equal(after.ended, true);
  });

  test("a plan whose workers died twice: both attempts' lines, then one saying how often, then the end", async () => {
    const runId = "plan/acme/infra/15/twice";
    const first = new RedisRunLogWriter(redis, prefix, meta(runId));
    first.line("attempt one output");
    await first.flush(); // its worker dies here
    const second = new RedisRunLogWriter(redis, prefix, meta(runId), { attempt: 2 });
    second.line("attempt two output");
    await second.flush(); // and this one too
    const job = { id: runId, name: "plan", attempt: 3, attempts: 2 };
    await endInterruptedLog(
      { redis, prefix, log: pino({ level: "silent" }) },
      job,
      { pull: { repo: { owner: "acme", name: "infra" }, number: 15, headSha: "twice" } },
      2,
    );
    const entries = await readAll(runId);
    assert.deepEqual(
      entries.map((e) => e.line),
      [
        "attempt one output",
        "slipway: attempt 2 of this run",
        "attempt two output",
        "slipway: the worker running this stopped 2 times before it finished; it is not tried again",
      ],
    );
    assert.equal((await reader.read(runId, entries.at(-1)!.id, { max: 10, waitMs: 0 })).ended, true);
  });

  test("a run whose last attempt fails having printed nothing: its log says why, safely, and ends", async () => {
    const runId = "plan/acme/infra/16/failed";
    const target = { redis, prefix, log: pino({ level: "silent" }) };
    const data = { pull: { repo: { owner: "acme", name: "infra" }, number: 16, headSha: "failed" } };
    const secret = "https://x-access-token:ghs_secret0123@github.example/acme/infra.git";
    const fail = () => Promise.reject(new SlipwayError("head_not_fetched", `the commit could not be fetched: ${secret}`));
    // The first attempt is retried: no line of its own, no end.
    await assert.rejects(runWithLog(target, { id: runId, name: "plan", attempt: 1, attempts: 2 }, data, fail));
    assert.equal(await reader.meta(runId), undefined);
    await assert.rejects(runWithLog(target, { id: runId, name: "plan", attempt: 2, attempts: 2 }, data, fail));
    const entries = await readAll(runId);
    assert.deepEqual(
      entries.map((e) => e.line),
      [
        "slipway: attempt 2 of this run",
        "slipway: this run failed: the commit could not be fetched from GitHub; it is not tried again (the worker's log has the details)",
      ],
    );
    assert.equal((await reader.read(runId, entries.at(-1)!.id, { max: 10, waitMs: 0 })).ended, true);
  });

  test("a run restarted after its worker died that then fails is retried by BullMQ: its log does not end yet", async () => {
    const runId = "plan/acme/infra/18/stalled-then-failed";
    const target = { redis, prefix, log: pino({ level: "silent" }) };
    const run = async () => {
      currentRunLog()?.line("planning");
      throw new Error("GitHub answered 502");
    };
    // Started twice (the first worker died), no attempt made yet: BullMQ tries it once more.
    await assert.rejects(runWithLog(target, { id: runId, name: "plan", attempt: 2, attempts: 2, attemptsMade: 0 }, {}, run));
    const entries = await readAll(runId);
    assert.deepEqual(
      entries.map((e) => e.line),
      ["slipway: attempt 2 of this run", "planning"],
    );
    assert.equal((await reader.read(runId, entries.at(-1)!.id, { max: 10, waitMs: 0 })).ended, false);
  });

  test("a last attempt stopped by a shutdown goes back to the queue: its log neither fails nor ends", async () => {
    const runId = "plan/acme/infra/17/shutdown";
    const target = { redis, prefix, log: pino({ level: "silent" }) };
    const controller = new AbortController();
    controller.abort(shutdownReason());
    const run = async () => {
      currentRunLog()?.line("planning");
      throw controller.signal.reason;
    };
    await assert.rejects(runWithLog(target, { id: runId, name: "plan", attempt: 2, attempts: 2 }, {}, run, controller.signal));
    const entries = await readAll(runId);
    assert.deepEqual(
      entries.map((e) => e.line),
      ["slipway: attempt 2 of this run", "planning"],
    );
    assert.equal((await reader.read(runId, entries.at(-1)!.id, { max: 10, waitMs: 0 })).ended, false);
  });

  test("with Redis away the writer neither throws nor waits, and drops what does not fit", async () => {
    const port = await freePort();
    const away = new Redis({ port, host: "127.0.0.1", lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy: () => null });
    away.on("error", () => {});
    // 100 lines of `["line NN"]` and a newline: 12 bytes each.
    const writer = new RedisRunLogWriter(away, prefix, meta("plan/acme/away/1/x"), { maxQueuedBytes: 1200, endTimeoutMs: 300 });
    for (let i = 0; i < 1000; i++) writer.line(`line ${10 + (i % 90)}`);
    assert.equal(writer.droppedLines, 900);
    await writer.end();
    assert.equal(writer.flushes, 0);
    away.disconnect();
  });
});
