// The audit store on a real Redis: newest first, filters, cursor paging, retention by age and
// the hard cap, and the recorder's redaction (a secret value never reaches Redis).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Redis } from "ioredis";
import pino from "pino";
import type { AuditInput } from "../../../src/audit/event.ts";
import { RedisAuditRecorder } from "../../../src/audit/recorder.ts";
import { createRedactor, secretValues } from "../../../src/runner/redact.ts";
import { AuditStore } from "../../../src/state/audit-store.ts";
import { TEST_REDIS_URL, deleteKeysWithPrefix, uniquePrefix } from "../../support/redis.ts";

const prefix = uniquePrefix("audit");
const DAY = 24 * 3600 * 1000;
let redis: Redis;

const input = (a: Partial<AuditInput> = {}): AuditInput => ({ kind: "plan", actor: "alice", repo: "acme/app", via: "push", ...a });

before(() => {
  redis = new Redis(TEST_REDIS_URL);
});
after(async () => {
  await deleteKeysWithPrefix(prefix);
  redis.disconnect();
});

test("events come back newest first, with ids that increase and at read from the id", async () => {
  const store = new AuditStore(redis, `${prefix}:order`, { retentionMs: DAY, maxEvents: 1000 });
  const written = [];
  for (let i = 0; i < 5; i++) written.push(await store.append(input({ pull: i + 1 })));
  const ids = written.map((e) => e.id);
  assert.deepEqual([...ids].sort(compareIds), ids, "ids increase");
  const page = await store.page({}, 10);
  assert.deepEqual(
    page.events.map((e) => e.pull),
    [5, 4, 3, 2, 1],
  );
  assert.equal(page.nextCursor, undefined, "nothing older");
  assert.deepEqual(Object.keys(page.events[0]!), ["id", "at", "kind", "actor", "repo", "pull", "via"], "absent fields omitted, documented order");
  assert.ok(Math.abs(Date.parse(page.events[0]!.at) - Date.now()) < 60_000);
});

test("filters by repository (any case), actor, kind and time; the cursor pages without overlap", async () => {
  const store = new AuditStore(redis, `${prefix}:filter`, { retentionMs: DAY, maxEvents: 1000 });
  for (let i = 0; i < 30; i++) {
    await store.append(input({ repo: i % 2 ? "acme/app" : "acme/web", actor: i % 3 ? "alice" : "carol", kind: i % 5 ? "plan" : "apply", pull: i }));
  }
  const app = await store.page({ repo: "ACME/App" }, 100);
  assert.equal(app.events.length, 15);
  assert.ok(app.events.every((e) => e.repo === "acme/app"));
  const carolApplies = await store.page({ actor: "Carol", kind: "apply" }, 100);
  assert.deepEqual(
    carolApplies.events.map((e) => e.pull),
    [15, 0],
  );

  const seen: number[] = [];
  let before: string | undefined;
  for (let pages = 0; pages < 10; pages++) {
    const page = await store.page({ repo: "acme/web", ...(before ? { before } : {}) }, 4);
    seen.push(...page.events.map((e) => e.pull!));
    if (!page.nextCursor) break;
    before = page.nextCursor;
  }
  assert.deepEqual(seen, [28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0]);

  const all = (await store.page({}, 100)).events;
  const middle = all[10]!;
  const since = (await store.page({ since: Date.parse(middle.at) }, 100)).events;
  assert.ok(since.every((e) => Date.parse(e.at) >= Date.parse(middle.at)));
  const until = (await store.page({ until: Date.parse(middle.at) }, 100)).events;
  assert.ok(until.every((e) => Date.parse(e.at) <= Date.parse(middle.at)));
  assert.ok(until.some((e) => e.id === middle.id));
});

test("export reads every matching event across pages", async () => {
  const store = new AuditStore(redis, `${prefix}:all`, { retentionMs: DAY, maxEvents: 10_000 });
  for (let i = 0; i < 1200; i++) await store.append(input({ pull: i }));
  let count = 0;
  let last = Infinity;
  for await (const e of store.all({})) {
    assert.ok(e.pull! < last, "newest first, no duplicates");
    last = e.pull!;
    count++;
  }
  assert.equal(count, 1200);
});

test("events past the retention are not read, and are trimmed on later writes", async () => {
  const store = new AuditStore(redis, `${prefix}:retention`, { retentionMs: 1000, maxEvents: 100_000 });
  for (let i = 0; i < 250; i++) await store.append(input({ pull: i }));
  await new Promise((r) => setTimeout(r, 1100));
  await store.append(input({ pull: 999 }));
  assert.deepEqual(
    (await store.page({}, 100)).events.map((e) => e.pull),
    [999],
  );
  // Whole stream nodes (100 entries by default) go at once: the first two are gone.
  assert.ok((await redis.xlen(`${prefix}:retention:{audit}:all`)) <= 100);
});

test("the hard cap bounds each stream whatever the age", async () => {
  const store = new AuditStore(redis, `${prefix}:cap`, { retentionMs: DAY, maxEvents: 200 });
  for (let i = 0; i < 1000; i++) await store.append(input({ pull: i }));
  const length = await redis.xlen(`${prefix}:cap:{audit}:all`);
  assert.ok(length >= 200 && length <= 300, `about 200 kept, got ${length}`);
  assert.ok((await redis.xlen(`${prefix}:cap:{audit}:repo:acme/app`)) <= 300);
});

test("the recorder redacts secret values from every text field before Redis sees them", async () => {
  const store = new AuditStore(redis, `${prefix}:redact`, { retentionMs: DAY, maxEvents: 1000 });
  const secret = "hunter2-very-secret-value";
  const redact = createRedactor(secretValues({ DEPLOY_TOKEN: secret, PATH: "/bin" }, []));
  const recorder = new RedisAuditRecorder(store, redact, pino({ level: "silent" }));
  await recorder.record(input({ reason: `step failed: curl -H "Authorization: ${secret}"\nline two ${secret}`, outcome: `error ${secret}` }));
  const raw = JSON.stringify([
    await redis.xrange(`${prefix}:redact:{audit}:all`, "-", "+"),
    await redis.xrange(`${prefix}:redact:{audit}:repo:acme/app`, "-", "+"),
  ]);
  assert.match(raw, /\*\*\*/, "the event is there, redacted");
  assert.ok(!raw.includes(secret), "the secret never reaches Redis");
  const [event] = (await store.page({}, 1)).events;
  assert.equal(event!.reason, 'step failed: curl -H "Authorization: ***"\nline two ***');
  assert.equal(event!.outcome, "error ***");
});

test("a recorder whose Redis fails logs the event instead of failing the job", async () => {
  const lines: string[] = [];
  const log = pino({ level: "error" }, { write: (l: string) => lines.push(l) });
  const broken = { append: async () => Promise.reject(new Error("connection lost")) };
  await new RedisAuditRecorder(broken, (l) => l, log).record(input({ pull: 7 }));
  assert.match(lines.join(""), /audit event not recorded/);
  assert.match(lines.join(""), /"pull":7/);
});

function compareIds(a: string, b: string): number {
  const [am, as] = a.split("-").map(Number) as [number, number];
  const [bm, bs] = b.split("-").map(Number) as [number, number];
  return am - bm || as - bs;
}
