// GET /api/v1/runs/:id/log over real HTTP and a real Redis: Server-Sent Events whose ids resume
// a stream after a disconnect (Last-Event-ID), an `end` event that closes it, heartbeats, the
// whole log as text, 404 for an unknown run, 401 without the token; and the SSE handler mounted
// on its own, as the console mounts it behind its session check.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Queue } from "bullmq";
import Fastify, { type FastifyInstance } from "fastify";
import { Redis } from "ioredis";
import pino from "pino";
import { RedisRunLogReader } from "../../../src/logs/redis-run-log-reader.ts";
import { RedisRunLogWriter } from "../../../src/logs/run-log-writer.ts";
import { StreamWaiter } from "../../../src/logs/stream-waiter.ts";
import { API_PREFIX, apiRoutes } from "../../../src/server/api/api-routes.ts";
import { streamRunLog } from "../../../src/server/api/run-log-route.ts";
import { queueKeyPrefix } from "../../../src/queue/key-scheme.ts";
import { findRun, isUnderway } from "../../../src/queue/run-list.ts";
import type { ReadModel } from "../../../src/server/read-model.ts";
import { eventsUntil, openSse } from "../../support/sse-client.ts";
import { TEST_REDIS_URL, deleteKeysWithPrefix, uniquePrefix } from "../../support/redis.ts";

const TOKEN = "test-run-log-token-0123456789";
const auth = { authorization: `Bearer ${TOKEN}` };
const prefix = uniquePrefix("logroute");
let redis: Redis;
let waiter: StreamWaiter;
let reader: RedisRunLogReader;
let app: FastifyInstance;
let base: string;
let queue: Queue;

const writerFor = (runId: string) =>
  new RedisRunLogWriter(redis, prefix, { runId, repo: "acme/infra", pull: 3, kind: "plan", startedAt: new Date().toISOString() });
const logUrl = (runId: string) => `${base}${API_PREFIX}/runs/${encodeURIComponent(runId)}/log`;

/** Resolves once no read is waiting on Redis any more (the server's loop ended). */
async function noReadWaiting(): Promise<void> {
  while (waiter.waitingCount > 0) await new Promise((r) => setImmediate(r));
}

before(async () => {
  redis = new Redis(TEST_REDIS_URL);
  waiter = new StreamWaiter(new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null }), redis);
  reader = new RedisRunLogReader(redis, prefix, waiter);
  app = Fastify();
  const read = { runs: async () => [], run: async () => undefined } as unknown as ReadModel;
  await app.register(apiRoutes({ read, log: pino({ level: "silent" }), token: TOKEN, runLogs: reader }), { prefix: API_PREFIX });
  // The console's own mount of the same stream (its session check would sit in front).
  app.get("/console/runs/:id/log", (req, reply) => streamRunLog(req, reply, reader, (req.params as { id: string }).id, { heartbeatMs: 50 }));
  // As the console mounts it for a run the queues know that may not have printed yet.
  queue = new Queue("plans", { connection: redis, prefix: queueKeyPrefix(prefix) });
  app.get("/queued/runs/:id/log", (req, reply) => {
    const id = (req.params as { id: string }).id;
    return streamRunLog(req, reply, reader, id, { heartbeatMs: 50, underway: async () => isUnderway(await findRun([queue], id)) });
  });
  base = await app.listen({ port: 0, host: "127.0.0.1" });
});

after(async () => {
  await app.close();
  await queue.close();
  waiter.close();
  await deleteKeysWithPrefix(prefix);
  redis.disconnect();
});

describe("GET /api/v1/runs/:id/log", () => {
  test("streams lines as events, resumes after Last-Event-ID, ends with an end event", async () => {
    const runId = "plan/acme/infra/3/0123abcd";
    const writer = writerFor(runId);
    writer.line("$ terraform plan", "net", "plan");
    writer.line("Plan: 1 to add", "net", "plan");
    await writer.flush();
    const first = await openSse(logUrl(runId), auth);
    assert.equal(first.status, 200);
    assert.match(String(first.headers["content-type"]), /^text\/event-stream/);
    assert.equal(first.headers["cache-control"], "no-cache");
    assert.equal(first.headers["x-accel-buffering"], "no");
    const seen = await eventsUntil(first, (e) => e.id === "1");
    assert.deepEqual(
      seen.filter((e) => e.event === "message").map((e) => [e.id, JSON.parse(e.data)]),
      [
        ["0", { line: "$ terraform plan", project: "net", phase: "plan" }],
        ["1", { line: "Plan: 1 to add", project: "net", phase: "plan" }],
      ],
    );
    first.close();
    await noReadWaiting();

    writer.line("<script>alert(1)</script>", "net", "plan");
    await writer.end();
    const again = await openSse(logUrl(runId), { ...auth, "last-event-id": "1" });
    const rest = await eventsUntil(again, (e) => e.event === "end");
    assert.deepEqual(
      rest.filter((e) => e.event === "message").map((e) => [e.id, JSON.parse(e.data).line]),
      [["2", "<script>alert(1)</script>"]],
    );
    assert.equal(await again.next(), undefined, "the stream closes after the end event");
  });

  test("a client that hangs up while the run is quiet ends the server's read", async () => {
    const runId = "plan/acme/infra/4/quiet";
    const writer = writerFor(runId);
    writer.line("working…");
    await writer.flush();
    const conn = await openSse(logUrl(runId), auth);
    await eventsUntil(conn, (e) => e.id === "0");
    while (waiter.waitingCount === 0) await new Promise((r) => setImmediate(r));
    conn.close();
    await noReadWaiting();
    assert.equal(waiter.waitingCount, 0);
    await writer.end();
  });

  test("a server shutting down ends its open streams, and its close does not wait on them", async () => {
    const ownWaiter = new StreamWaiter(new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null }), redis);
    const own = Fastify();
    const ownReader = new RedisRunLogReader(redis, prefix, ownWaiter);
    own.get("/log/:id", (req, reply) => streamRunLog(req, reply, ownReader, (req.params as { id: string }).id));
    const url = await own.listen({ port: 0, host: "127.0.0.1" });
    const runId = "plan/acme/infra/8/shutdown";
    const writer = writerFor(runId);
    writer.line("still running");
    await writer.flush();
    const conn = await openSse(`${url}/log/${encodeURIComponent(runId)}`);
    await eventsUntil(conn, (e) => e.id === "0");
    while (ownWaiter.waitingCount === 0) await new Promise((r) => setImmediate(r));
    ownWaiter.close();
    await own.close();
    const after: string[] = [];
    for (let e = await conn.next(); e; e = await conn.next()) after.push(e.event);
    assert.ok(!after.includes("end"), "no end event: the run goes on, the client resumes elsewhere");
    await writer.end();
  });

  test("a quiet stream gets heartbeat comments", async () => {
    const runId = "plan/acme/infra/5/heartbeat";
    const writer = writerFor(runId);
    writer.line("one line, then silence");
    await writer.flush();
    const conn = await openSse(`${base}/console/runs/${encodeURIComponent(runId)}/log`);
    const events = await eventsUntil(conn, (e) => e.event === "comment" && e.data === "heartbeat");
    assert.equal(events.filter((e) => e.event === "message").length, 1);
    conn.close();
    await writer.end();
  });

  test("without text/event-stream the whole log comes as text", async () => {
    const runId = "apply/acme/infra/6/cafe/delivery";
    const writer = writerFor(runId);
    for (let i = 0; i < 3000; i++) writer.line(`line ${i}`);
    await writer.end();
    const res = await fetch(logUrl(runId), { headers: auth });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/plain; charset=utf-8");
    assert.equal(await res.text(), Array.from({ length: 3000 }, (_, i) => `line ${i}\n`).join(""));
  });

  test("a queued run with no line yet streams from its first line; one that leaves the queue without printing ends", async () => {
    const runId = "plan/acme/infra/10/queued";
    await queue.add("plan", { kind: "plan", pull: { repo: { owner: "acme", name: "infra" }, number: 10 } }, { jobId: runId });
    const conn = await openSse(`${base}/queued/runs/${encodeURIComponent(runId)}/log`);
    assert.equal(conn.status, 200);
    await eventsUntil(conn, (e) => e.event === "comment");
    const writer = writerFor(runId);
    writer.line("first line, after the stream opened");
    await writer.end();
    const events = await eventsUntil(conn, (e) => e.event === "end");
    assert.deepEqual(
      events.filter((e) => e.event === "message").map((e) => JSON.parse(e.data).line),
      ["first line, after the stream opened"],
    );

    const silentId = "plan/acme/infra/11/silent";
    const job = await queue.add("plan", { kind: "plan" }, { jobId: silentId });
    const silent = await openSse(`${base}/queued/runs/${encodeURIComponent(silentId)}/log`);
    assert.equal(silent.status, 200);
    await eventsUntil(silent, (e) => e.event === "comment");
    await job.remove();
    const rest = await eventsUntil(silent, (e) => e.event === "end");
    assert.equal(rest.filter((e) => e.event === "message").length, 0);
    assert.equal(await silent.next(), undefined, "the stream closes");
    const gone = await fetch(`${base}/queued/runs/${encodeURIComponent(silentId)}/log`, { headers: { accept: "text/event-stream" } });
    assert.equal(gone.status, 404, "no queue and no log knows it any more");
  });

  test("an unknown run is a 404, a forged Last-Event-ID a 400, no token a 401", async () => {
    const unknown = await fetch(logUrl("plan/acme/infra/9/none"), { headers: { ...auth, accept: "text/event-stream" } });
    assert.equal(unknown.status, 404);
    assert.equal((await fetch(logUrl("plan/acme/infra/9/none"), { headers: auth })).status, 404);
    const runId = "plan/acme/infra/7/forged";
    const writer = writerFor(runId);
    writer.line("x");
    await writer.end();
    const forged = await fetch(logUrl(runId), { headers: { ...auth, accept: "text/event-stream", "last-event-id": "../../etc" } });
    assert.equal(forged.status, 400);
    assert.equal((await fetch(logUrl(runId))).status, 401);
    assert.equal((await fetch(logUrl(runId), { headers: { accept: "text/event-stream" } })).status, 401);
  });
});
