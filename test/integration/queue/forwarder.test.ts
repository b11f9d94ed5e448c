// The intake stream and its forwarder, against the real Redis: what the webhook server appends
// becomes BullMQ jobs exactly once, in order, also when a forwarder dies or Redis fails mid-way.
import assert from "node:assert/strict";
import { after, afterEach, before, test } from "node:test";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { pino } from "pino";
import type { CommentIntent, Intent, PlanIntent } from "../../../src/domain/intent.ts";
import { CancelBus } from "../../../src/queue/cancel-bus.ts";
import { DeployStore } from "../../../src/state/deploy-store.ts";
import { Dispatcher, type Queues } from "../../../src/queue/dispatcher.ts";
import { startForwarder, type Forwarder, type ForwarderOptions } from "../../../src/queue/forwarder.ts";
import { IntakeStream } from "../../../src/queue/intake-stream.ts";
import { APPLY_QUEUE, EVENT_QUEUE, PLAN_QUEUE } from "../../../src/queue/jobs.ts";
import { PullHeadStore } from "../../../src/state/pull-head-store.ts";
import { TEST_REDIS_URL, deleteKeysWithPrefix, uniquePrefix } from "../../support/redis.ts";
import { intakeKey, queueKeyPrefix } from "../../../src/queue/key-scheme.ts";

const repo = { owner: "acme", name: "infra", installationId: 1 };
const plan = (number: number, headSha: string, updatedAt: number): PlanIntent => ({
  kind: "plan",
  deliveryId: `d-${number}-${headSha}`,
  trigger: "autoplan",
  pull: { repo, number, headSha, headRef: "b", baseRef: "main", author: "alice", baseSha: "base", draft: false, fromFork: false, updatedAt },
});
const comment = (id: number): CommentIntent => ({ kind: "comment", deliveryId: `c-${id}`, repo, pullNumber: 1, commentId: id, user: "alice", body: "/plan" });

let redis: Redis;
let prefix: string;
let queues: Queues;
let dispatcher: Dispatcher;
const open: { close(): Promise<void> | void }[] = [];

before(() => {
  redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
});
after(() => redis.disconnect());
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
  await deleteKeysWithPrefix(prefix);
});

function setUp() {
  prefix = uniquePrefix("intake");
  queues = {
    plans: new Queue(PLAN_QUEUE, { connection: redis, prefix: queueKeyPrefix(prefix) }),
    events: new Queue(EVENT_QUEUE, { connection: redis, prefix: queueKeyPrefix(prefix) }),
    applies: new Queue(APPLY_QUEUE, { connection: redis, prefix: queueKeyPrefix(prefix) }),
  };
  open.push(...Object.values(queues));
  dispatcher = new Dispatcher(queues, new PullHeadStore(redis, prefix), new CancelBus(undefined, prefix), new DeployStore(redis, prefix));
  return new IntakeStream(redis, prefix);
}

/** The name of a forwarder's reader connection in CLIENT LIST. */
const readerName = (consumer: string) => `${prefix}-reader-${consumer}`;

function forwarder(opts: Partial<ForwarderOptions> & { consumer: string }): Forwarder {
  const reader = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null, connectionName: readerName(opts.consumer) });
  const f = startForwarder({
    stream: new IntakeStream(redis, prefix, reader),
    jobs: dispatcher,
    log: pino({ level: "silent" }),
    interruptRead: () => reader.disconnect(),
    blockMs: 100,
    ...opts,
  });
  open.push(f);
  return f;
}

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const jobIds = async (q: Queue) => (await q.getJobs(["waiting", "active", "delayed", "completed", "failed"])).map((j) => j.id).sort();

test("intents appended in one turn share one entry; a forwarder makes each a job once, and empties the stream", async () => {
  const stream = setUp();
  const intents: Intent[] = [plan(1, "aaa", 1), comment(10), plan(2, "bbb", 1), plan(1, "aaa", 1)];
  await Promise.all(intents.map((i) => stream.dispatch(i)));
  const entries = await stream.entries();
  assert.equal(entries.length, 1, "one XADD for deliveries that arrived together");
  assert.deepEqual(entries[0]!.intents, intents);

  forwarder({ consumer: "one" });
  await until("the stream to empty", async () => (await stream.entries()).length === 0);
  assert.deepEqual(await jobIds(queues.plans), ["plan/acme/infra/1/aaa", "plan/acme/infra/2/bbb"], "the repeated delivery adds nothing");
  assert.deepEqual(await jobIds(queues.events), ["comment/c-10"]);
  assert.equal(await new PullHeadStore(redis, prefix).latest("acme/infra#1"), "aaa", "the head is recorded on the way");
});

test("entries a forwarder took and never acknowledged (it died) are taken over by another", async () => {
  const stream = setUp();
  await stream.dispatch(plan(3, "ccc", 1));
  await stream.dispatch(plan(4, "ddd", 1));
  await stream.ensureGroup();
  // A forwarder that reads and dies before adding the jobs.
  const taken = await stream.readNew("dead", 10, 100);
  assert.equal(taken.length, 2);
  assert.equal((await jobIds(queues.plans)).length, 0);

  forwarder({ consumer: "alive", claimIdleMs: 300, forgetConsumerMs: 300 });
  await until("the dead forwarder's entries to become jobs", async () => (await jobIds(queues.plans)).length === 2);
  assert.deepEqual(await jobIds(queues.plans), ["plan/acme/infra/3/ccc", "plan/acme/infra/4/ddd"]);
  await until("the stream to empty", async () => (await stream.entries()).length === 0);
  const names = await until("the dead forwarder to be forgotten", async () => {
    const n = (await stream.consumers()).map((c) => c.name);
    return !n.includes("dead") && n;
  });
  assert.deepEqual(names, ["alive"]);
});

test("a Redis failure part-way through a batch: the entry is forwarded again whole, and the repeat adds no job", async () => {
  const stream = setUp();
  await Promise.all([plan(5, "eee", 1), plan(6, "fff", 1), plan(7, "ggg", 1)].map((i) => stream.dispatch(i)));
  let calls = 0;
  const seen: string[] = [];
  const flaky = {
    async dispatch(intent: Intent) {
      if (++calls === 2) throw new Error("Connection is closed.");
      seen.push((intent as PlanIntent).pull.headSha);
      await dispatcher.dispatch(intent);
    },
  };
  forwarder({ consumer: "flaky", jobs: flaky });
  await until("the stream to empty", async () => (await stream.entries()).length === 0, 15_000);
  assert.deepEqual(await jobIds(queues.plans), ["plan/acme/infra/5/eee", "plan/acme/infra/6/fff", "plan/acme/infra/7/ggg"]);
  assert.deepEqual(seen, ["eee", "eee", "fff", "ggg"], "the entry is retried whole; the job id absorbs the repeat");
});

test("an entry that keeps failing while Redis answers is set aside after 5 tries; the entries behind it go through", async () => {
  const stream = setUp();
  await stream.dispatch(plan(20, "poison", 1));
  await stream.dispatch(plan(21, "fine", 1));
  let poisonTries = 0;
  const picky = {
    async dispatch(intent: Intent) {
      if ((intent as PlanIntent).pull.headSha === "poison") {
        poisonTries++;
        throw new Error("job options rejected");
      }
      await dispatcher.dispatch(intent);
    },
  };
  let setAside = 0;
  forwarder({ consumer: "picky", jobs: picky, onDeadLetter: () => setAside++ });
  await until("the stream to empty", async () => (await stream.entries()).length === 0, 30_000);
  assert.equal(poisonTries, 5);
  assert.equal(setAside, 1);
  assert.deepEqual(await jobIds(queues.plans), ["plan/acme/infra/21/fine"], "the entry behind it became its job");
  const dead = await stream.deadLetters();
  assert.equal(dead.length, 1);
  assert.equal(dead[0]!.error, "job options rejected");
  assert.equal((JSON.parse(dead[0]!.intents) as PlanIntent[])[0]!.pull.headSha, "poison", "the intents are kept for a human");
});

test("while Redis is away no entry is blamed: failures are not counted as tries", async () => {
  const stream = setUp();
  await stream.dispatch(plan(22, "later", 1));
  let calls = 0;
  const down = {
    async dispatch(intent: Intent) {
      if (++calls <= 7) throw new Error("Connection is closed.");
      await dispatcher.dispatch(intent);
    },
  };
  // Redis "answers" only once the outage is over: the same check the forwarder makes.
  const real = stream.answers.bind(stream);
  stream.answers = async () => calls > 7 && (await real());
  forwarder({ consumer: "outage", jobs: down, stream });
  await until("the stream to empty", async () => (await stream.entries()).length === 0, 30_000);
  assert.deepEqual(await jobIds(queues.plans), ["plan/acme/infra/22/later"], "forwarded once Redis was back, more than 5 failures later");
  assert.deepEqual(await stream.deadLetters(), []);
});

test("an entry that is not a list of intents is dropped without holding up the others", async () => {
  const stream = setUp();
  await stream.ensureGroup();
  await redis.xadd(intakeKey(prefix), "*", "intents", "{not json");
  await redis.xadd(intakeKey(prefix), "*", "something", "else");
  await stream.dispatch(plan(8, "hhh", 1));
  forwarder({ consumer: "one" });
  await until("the stream to empty", async () => (await stream.entries()).length === 0);
  assert.deepEqual(await jobIds(queues.plans), ["plan/acme/infra/8/hhh"]);
});

/** Clients of that name, with their flags and current command, from CLIENT LIST. */
async function clientsNamed(name: string): Promise<{ flags: string; cmd: string }[]> {
  const list = (await redis.client("LIST")) as string;
  return list
    .split("\n")
    .map((line) =>
      Object.fromEntries(
        line
          .trim()
          .split(" ")
          .map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
      ),
    )
    .filter((c) => c.name === name)
    .map((c) => ({ flags: String(c.flags), cmd: String(c.cmd) }));
}

// BLOCK 0 waits for an entry forever: only interrupting the read lets close() return (a
// regression fails at the test's timeout).
test("closing a forwarder ends its blocking read at once and forgets it", { timeout: 30_000 }, async () => {
  const stream = setUp();
  const f = forwarder({ consumer: "closing", blockMs: 0 });
  const name = readerName("closing");
  await until("the forwarder's blocking read", async () => (await clientsNamed(name)).some((c) => c.cmd === "xreadgroup" && c.flags.includes("b")));
  await f.close();
  await until("the reader connection to close", async () => (await clientsNamed(name)).length === 0);
  assert.deepEqual(await stream.consumers(), []);
});
