// The audit webhook against a real local HTTP receiver: signed bodies, retried with backoff until
// a 2xx, in order per repository, nothing lost when the receiver is down (5xx, timeout, refused)
// or when the exporter itself stops and another one starts.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { Redis } from "ioredis";
import pino from "pino";
import type { AuditEvent, AuditInput } from "../../../src/audit/event.ts";
import { AuditExporter, SIGNATURE_HEADER } from "../../../src/audit/exporter.ts";
import { AuditStore } from "../../../src/state/audit-store.ts";
import { waitFor } from "../../support/scenario/wait-for.ts";
import { TEST_REDIS_URL, deleteKeysWithPrefix, uniquePrefix } from "../../support/redis.ts";

const SECRET = "receiver-shared-secret";
const root = uniquePrefix("auditexp");
const log = pino({ level: "silent" });
let redis: Redis;
let n = 0;

before(() => {
  redis = new Redis(TEST_REDIS_URL);
});
after(async () => {
  await deleteKeysWithPrefix(root);
  redis.disconnect();
});

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

/** A receiver that checks every signature and keeps what it acknowledged. */
async function receiver(port = 0, handle?: Handler) {
  const received: AuditEvent[] = [];
  const attempts: string[] = [];
  let badSignatures = 0;
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString("utf8")));
    req.on("end", () => {
      const expected = `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`;
      if (req.headers[SIGNATURE_HEADER] !== expected) badSignatures++;
      const event = JSON.parse(body) as AuditEvent;
      attempts.push(event.id);
      if (handle) return handle(req, res, body);
      received.push(event);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/audit`;
  return {
    url,
    port: (server.address() as AddressInfo).port,
    received,
    attempts,
    badSignatures: () => badSignatures,
    ok: (handleNext?: Handler) => (handle = handleNext),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

function setup() {
  const prefix = `${root}:${++n}`;
  const store = new AuditStore(redis, prefix, { retentionMs: 24 * 3600 * 1000, maxEvents: 10_000 });
  const exporter = (url: string, o: { timeoutMs?: number } = {}) =>
    new AuditExporter({ source: store, redis, prefix, url, secret: SECRET, log, pollMs: 50, minBackoffMs: 50, maxBackoffMs: 200, ...o }).start();
  const write = async (repo: string, count: number, from = 0) => {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) ids.push((await store.append(input(repo, from + i))).id);
    return ids;
  };
  return { store, exporter, write };
}

const input = (repo: string, pull: number): AuditInput => ({ kind: "plan", actor: "alice", repo, pull, via: "push" });

test("500s then 2xx: every event delivered once acknowledged, in order, signed", async () => {
  const { exporter, write } = setup();
  let failures = 0;
  const rx = await receiver(0, (_req, res) => {
    failures++;
    res.writeHead(500).end();
  });
  const ids = await write("acme/app", 5);
  const ex = exporter(rx.url);
  await waitFor(() => failures >= 3, { what: "retries" });
  rx.ok();
  await waitFor(() => rx.received.length === 5, { what: "delivery" });
  await ex.close();
  await rx.close();
  assert.deepEqual(
    rx.received.map((e) => e.id),
    ids,
  );
  assert.ok(
    rx.attempts.slice(0, 3).every((id) => id === ids[0]),
    "the first event is retried; nothing after it jumps the queue",
  );
  assert.equal(rx.badSignatures(), 0);
});

test("a receiver that times out is retried until it answers", async () => {
  const { exporter, write } = setup();
  let stalls = 0;
  const rx = await receiver(0, (_req, res) => {
    stalls++;
    setTimeout(() => res.writeHead(204).end(), 1000).unref();
  });
  const ids = await write("acme/slow", 3);
  const ex = exporter(rx.url, { timeoutMs: 100 });
  await waitFor(() => stalls >= 2, { what: "timed out attempts" });
  rx.ok();
  await waitFor(() => rx.received.length === 3, { what: "delivery" });
  await ex.close();
  await rx.close();
  assert.deepEqual(
    rx.received.map((e) => e.id),
    ids,
  );
});

test("unreachable (connection refused), then up: everything arrives in order", async () => {
  const { exporter, write } = setup();
  const probe = await receiver();
  const { port, url } = probe;
  await probe.close();
  const ids = await write("acme/down", 4);
  const ex = exporter(url);
  await new Promise((r) => setTimeout(r, 400));
  ids.push(...(await write("acme/down", 2, 4)));
  const rx = await receiver(port);
  await waitFor(() => rx.received.length === 6, { what: "delivery after the receiver came up" });
  await ex.close();
  await rx.close();
  assert.deepEqual(
    rx.received.map((e) => e.id),
    ids,
  );
});

test("an exporter that stops and another that starts lose nothing and keep the order per repository", async () => {
  const { exporter, write } = setup();
  let served = 0;
  const rx = await receiver();
  rx.ok((_req, res, body) => {
    served++;
    rx.received.push(JSON.parse(body) as AuditEvent);
    setTimeout(() => res.writeHead(200).end(), 5).unref();
  });
  const a = await write("acme/one", 20);
  const b = await write("acme/two", 20);
  const first = exporter(rx.url);
  await waitFor(() => served >= 5, { what: "some deliveries" });
  await first.close();
  const more = await write("acme/one", 5, 20);
  const second = exporter(rx.url);
  await waitFor(() => new Set(rx.received.map((e) => e.id)).size === 45, { what: "all delivered after the restart" });
  await second.close();
  await rx.close();
  const delivered = (repo: string) => dedupe(rx.received.filter((e) => e.repo === repo).map((e) => e.id));
  assert.deepEqual(delivered("acme/one"), [...a, ...more]);
  assert.deepEqual(delivered("acme/two"), b);
});

test("two exporters at once (two workers) still deliver each repository in order", async () => {
  const { exporter, write } = setup();
  const rx = await receiver();
  const ids = await write("acme/busy", 30);
  const one = exporter(rx.url);
  const two = exporter(rx.url);
  await waitFor(() => new Set(rx.received.map((e) => e.id)).size === 30, { what: "delivery" });
  await Promise.all([one.close(), two.close()]);
  await rx.close();
  assert.deepEqual(dedupe(rx.received.map((e) => e.id)), ids);
});

/** At least once: a receiver deduplicates on `id`, keeping the first arrival. */
function dedupe(ids: string[]): string[] {
  return [...new Set(ids)];
}
