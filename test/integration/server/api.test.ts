// /api/v1 on a real Redis: bearer auth, the audit trail as JSON pages and as CSV/NDJSON exports,
// locks (and their release through a job), runs from BullMQ, environments from the deploy store,
// and hostile query values answered with a 400 naming the parameter — never a 500.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Queue } from "bullmq";
import Fastify, { type FastifyInstance } from "fastify";
import { Redis } from "ioredis";
import pino from "pino";
import type { AuditEvent } from "../../../src/audit/event.ts";
import type { UnlockIntent } from "../../../src/domain/intent.ts";
import { RedisLockStore } from "../../../src/locks/redis-lock-store.ts";
import { API_PREFIX, apiRoutes } from "../../../src/server/api/api-routes.ts";
import { ReadModel } from "../../../src/server/read-model.ts";
import { AuditStore } from "../../../src/state/audit-store.ts";
import { DeployStore } from "../../../src/state/deploy-store.ts";
import { IntakeStream } from "../../../src/queue/intake-stream.ts";
import { TEST_REDIS_URL, deleteKeysWithPrefix, uniquePrefix } from "../../support/redis.ts";
import { queueKeyPrefix } from "../../../src/queue/key-scheme.ts";

const TOKEN = "test-api-token-0123456789";
const prefix = uniquePrefix("api");
const SHA = "d".repeat(40);
let redis: Redis;
let app: FastifyInstance;
let queue: Queue;
let audit: AuditStore;
const unlocks: UnlockIntent[] = [];

async function build(token: string | undefined): Promise<FastifyInstance> {
  const f = Fastify();
  const locks = new RedisLockStore(redis, prefix);
  const deploys = new DeployStore(redis, prefix);
  const read = new ReadModel({ audit, locks, deploys, queues: [queue], unlock: async (i) => void unlocks.push(i), intake: new IntakeStream(redis, prefix) });
  await f.register(apiRoutes({ read, log: pino({ level: "silent" }), ...(token ? { token } : {}) }), { prefix: API_PREFIX });
  return f;
}

const get = (url: string, headers: Record<string, string> = {}) =>
  app.inject({ method: "GET", url, headers: { authorization: `Bearer ${TOKEN}`, ...headers } });

before(async () => {
  redis = new Redis(TEST_REDIS_URL);
  audit = new AuditStore(redis, prefix, { retentionMs: 24 * 3600 * 1000, maxEvents: 10_000 });
  queue = new Queue("plans", { connection: redis, prefix: queueKeyPrefix(prefix) });
  app = await build(TOKEN);
  for (let i = 1; i <= 12; i++) {
    await audit.append({
      kind: i % 4 ? "plan" : "apply",
      actor: i % 2 ? "alice" : "carol",
      repo: i % 3 ? "acme/app" : "acme/web",
      pull: i,
      sha: SHA,
      via: "comment",
    });
  }
  await audit.append({ kind: "command.refused", actor: "mallory", repo: "acme/app", reason: '=HYPERLINK("http://evil")', via: "comment" });
  const locks = new RedisLockStore(redis, prefix);
  await locks.tryAcquire({ owner: "acme", repo: "app", project: "network/staging" }, { pull: 7, headSha: SHA, author: "alice", since: 1_700_000_000_000 });
  const deploys = new DeployStore(redis, prefix);
  await deploys.create("acme/app", SHA, {
    sha: SHA,
    pullNumber: 7,
    projects: [
      { name: "staging", environment: "staging", dependsOn: [] },
      { name: "production", environment: "production", dependsOn: ["staging"] },
    ],
    environments: {
      staging: { name: "staging", deploymentId: 1, state: "success" },
      production: { name: "production", deploymentId: 2, state: "waiting", reason: "manual: waits for /apply production" },
    },
    results: { staging: { project: "staging", dir: "staging", environment: "staging", status: "changes", output: "", truncated: false, durationMs: 5 } },
  });
  await queue.add(
    "plan",
    { kind: "plan", trigger: "autoplan", pull: { repo: { owner: "acme", name: "app", installationId: 1 }, number: 7, headSha: SHA } },
    { jobId: "p1" },
  );
});

after(async () => {
  await app.close();
  await queue.close();
  await deleteKeysWithPrefix(prefix);
  redis.disconnect();
});

describe("authentication", () => {
  test("a missing, wrong or malformed token gets 401 and no data", async () => {
    for (const authorization of [undefined, "Bearer wrong-token-0123456789", `Basic ${TOKEN}`, `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, "Bearer "]) {
      const res = await app.inject({ method: "GET", url: "/api/v1/audit", headers: authorization ? { authorization } : {} });
      assert.equal(res.statusCode, 401, String(authorization));
      assert.deepEqual(res.json(), { error: "unauthorized" });
    }
    const del = await app.inject({ method: "DELETE", url: "/api/v1/locks/acme/app/network/staging" });
    assert.equal(del.statusCode, 401);
    assert.equal(unlocks.length, 0);
  });

  test("with no token configured, every bearer gets 401", async () => {
    const closed = await build(undefined);
    for (const authorization of [`Bearer ${TOKEN}`, "Bearer undefined", "Bearer "]) {
      const res = await closed.inject({ method: "GET", url: "/api/v1/locks", headers: { authorization } });
      assert.equal(res.statusCode, 401);
    }
    await closed.close();
  });
});

describe("GET /api/v1/audit", () => {
  test("pages newest first with an opaque cursor, filtered by repo, actor and kind", async () => {
    const first = await get("/api/v1/audit?repo=acme/app&limit=3");
    assert.equal(first.statusCode, 200);
    const body = first.json() as { events: AuditEvent[]; next_cursor: string | null };
    assert.deepEqual(
      body.events.map((e) => e.kind),
      ["command.refused", "plan", "plan"],
    );
    assert.ok(body.next_cursor && !body.next_cursor.includes("-"), "opaque");
    const pulls: number[] = [];
    let cursor: string | null = body.next_cursor;
    while (cursor) {
      const page = (await get(`/api/v1/audit?repo=acme/app&limit=3&cursor=${cursor}`)).json() as { events: AuditEvent[]; next_cursor: string | null };
      pulls.push(...page.events.map((e) => e.pull!));
      cursor = page.next_cursor;
    }
    assert.deepEqual(pulls, [8, 7, 5, 4, 2, 1].slice(0));
    const carolApplies = (await get("/api/v1/audit?actor=carol&kind=apply")).json() as { events: AuditEvent[] };
    assert.deepEqual(
      carolApplies.events.map((e) => e.pull),
      [12, 8, 4],
    );
  });

  test("since and until bound the time", async () => {
    const future = (await get("/api/v1/audit?since=2999-01-01")).json() as { events: AuditEvent[] };
    assert.equal(future.events.length, 0);
    const past = (await get("/api/v1/audit?until=2000-01-01T00:00:00Z")).json() as { events: AuditEvent[] };
    assert.equal(past.events.length, 0);
    const now = (await get(`/api/v1/audit?since=2000-01-01&until=${new Date(Date.now() + 60_000).toISOString()}&limit=100`)).json() as { events: AuditEvent[] };
    assert.equal(now.events.length, 13);
  });

  test("Accept: text/csv exports the same filter, formulas neutralised", async () => {
    const res = await get("/api/v1/audit?repo=acme/app", { accept: "text/csv" });
    assert.equal(res.statusCode, 200);
    assert.match(res.headers["content-type"] as string, /^text\/csv/);
    const lines = res.body.trim().split("\n");
    assert.equal(lines[0], "id,at,kind,actor,repo,pull,sha,project,environment,outcome,reason,plan_digest,delivery,via");
    assert.equal(lines.length, 1 + 9);
    assert.ok(!/,=HYPERLINK/.test(res.body) && !/,"=HYPERLINK/.test(res.body), "a reason starting with = is not a formula");
  });

  test("Accept: application/x-ndjson exports one event per line", async () => {
    const res = await get("/api/v1/audit?kind=apply", { accept: "application/x-ndjson" });
    assert.equal(res.statusCode, 200);
    const events = res.body
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as AuditEvent);
    assert.deepEqual(
      events.map((e) => e.pull),
      [12, 8, 4],
    );
  });

  test("hostile values are a 400 naming the parameter, never a 500 nor a Redis error", async () => {
    const cases: [string, string][] = [
      ["limit=0", "limit"],
      ["limit=101", "limit"],
      ["limit=abc", "limit"],
      ["limit=1e2", "limit"],
      ["limit=-1", "limit"],
      ["cursor=0-0", "cursor"],
      ["cursor=%2B", "cursor"],
      ["cursor=-", "cursor"],
      ["cursor=*", "cursor"],
      [`cursor=${Buffer.from("0-0").toString("base64url")}`, "cursor"],
      [`cursor=${Buffer.from("(1-0").toString("base64url")}`, "cursor"],
      ["since=yesterday", "since"],
      ["since=2026-13-45", "since"],
      ["until=2026-02-30T25:61:00Z", "until"],
      ["since=2026-02-01&until=2026-01-01", "since"],
      ["repo=*", "repo"],
      ["repo=acme", "repo"],
      ["repo=acme/app/extra", "repo"],
      ["actor=*", "actor"],
      ["actor=a%0Db", "actor"],
      ["kind=*", "kind"],
      ["kind=plan&kind=apply", "kind"],
      ["bogus=1", "bogus"],
      [`repo=${"a".repeat(10_000)}/b`, "repo"],
      [`actor=${"x".repeat(8_000)}`, "actor"],
    ];
    for (const [query, param] of cases) {
      const res = await get(`/api/v1/audit?${query}`);
      assert.equal(res.statusCode, 400, query.slice(0, 60));
      const error = (res.json() as { error: string }).error;
      assert.match(error, new RegExp(`^${param}:`), `${query.slice(0, 60)} → ${error.slice(0, 200)}`);
      assert.doesNotMatch(error, /ERR|WRONGTYPE|Redis|stack/i);
    }
  });

  test("a 1 MB query string is refused by the HTTP layer (4xx), never a 500", async () => {
    const res = await get(`/api/v1/audit?actor=${"x".repeat(1024 * 1024)}`);
    assert.ok(res.statusCode >= 400 && res.statusCode < 500, String(res.statusCode));
  });
});

describe("locks, runs, environments", () => {
  test("GET /api/v1/locks lists every held lock, across repositories or for one", async () => {
    const all = (await get("/api/v1/locks")).json() as { locks: unknown[] };
    assert.deepEqual(all.locks, [
      { repo: "acme/app", project: "network/staging", pull: 7, head_sha: SHA, author: "alice", since: new Date(1_700_000_000_000).toISOString() },
    ]);
    assert.deepEqual(((await get("/api/v1/locks?repo=acme/web")).json() as { locks: unknown[] }).locks, []);
    assert.equal((await get("/api/v1/locks?repo=*")).statusCode, 400);
  });

  test("DELETE /api/v1/locks/OWNER/NAME/PROJECT asks a job to release it and tell the pull request", async () => {
    const missing = await app.inject({ method: "DELETE", url: "/api/v1/locks/acme/app/nope", headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(missing.statusCode, 404);
    const res = await app.inject({ method: "DELETE", url: "/api/v1/locks/acme/app/network/staging", headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(res.statusCode, 202);
    assert.equal(unlocks.length, 1);
    assert.deepEqual(
      { ...unlocks[0], deliveryId: "x" },
      {
        kind: "unlock",
        deliveryId: "x",
        repo: { owner: "acme", name: "app" },
        pullNumber: 7,
        project: "network/staging",
        by: "api",
        via: "api",
      },
    );
    const bad = await app.inject({ method: "DELETE", url: "/api/v1/locks/acme/app/a%20b", headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(bad.statusCode, 400);
    assert.match((bad.json() as { error: string }).error, /^project:/);
  });

  test("GET /api/v1/runs lists BullMQ's jobs with kind, repo, pull request, trigger and times", async () => {
    const body = (await get("/api/v1/runs?repo=acme/app")).json() as { runs: Record<string, unknown>[] };
    assert.equal(body.runs.length, 1);
    const run = body.runs[0]!;
    assert.equal(run.kind, "plan");
    assert.equal(run.state, "queued");
    assert.equal(run.repo, "acme/app");
    assert.equal(run.pull, 7);
    assert.equal(run.trigger, "autoplan");
    assert.ok(typeof run.queued_at === "string");
    assert.equal(((await get("/api/v1/runs?state=running")).json() as { runs: unknown[] }).runs.length, 0);
    assert.equal((await get("/api/v1/runs?state=everything")).statusCode, 400);
  });

  test("GET /api/v1/dead-letters lists intake entries set aside, newest first, with the error; a bad limit is a 400", async () => {
    const stream = new IntakeStream(redis, prefix);
    await stream.ensureGroup();
    await stream.dispatch({
      kind: "comment",
      deliveryId: "dl-1",
      repo: { owner: "acme", name: "infra", installationId: 1 },
      pullNumber: 3,
      commentId: 9,
      user: "alice",
      body: "/plan",
    });
    const [entry] = await stream.entries();
    await stream.deadLetter(entry!, "job options rejected");
    const res = await get("/api/v1/dead-letters");
    assert.equal(res.statusCode, 200);
    const body = res.json() as { dead_letters: { entry: string; intents: string; error: string }[] };
    assert.equal(body.dead_letters.length, 1);
    assert.equal(body.dead_letters[0]!.entry, entry!.id);
    assert.equal(body.dead_letters[0]!.error, "job options rejected");
    assert.match(body.dead_letters[0]!.intents, /"deliveryId":"dl-1"/);
    assert.deepEqual(await stream.entries(), [], "it left the intake stream");
    const bad = await get("/api/v1/dead-letters?limit=0");
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /limit/);
  });

  test("GET /api/v1/environments says what is applied where", async () => {
    const body = (await get("/api/v1/environments?repo=ACME/app")).json() as { environments: Record<string, unknown>[] };
    assert.deepEqual(body.environments, [
      {
        environment: "production",
        state: "waiting",
        sha: SHA,
        pull: 7,
        reason: "manual: waits for /apply production",
        projects: [{ name: "production", status: "pending" }],
      },
      { environment: "staging", state: "success", sha: SHA, pull: 7, projects: [{ name: "staging", status: "changes" }] },
    ]);
    assert.equal((await get("/api/v1/environments")).statusCode, 400, "repo is required");
  });
});
