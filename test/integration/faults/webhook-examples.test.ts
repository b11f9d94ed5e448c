// Fault tests of the webhook door: every example payload GitHub documents, correctly signed, and
// a hundred deliveries that are forged or broken. A webhook server must answer each without a
// 5xx, enqueue only what a signed delivery asks for, and keep serving.
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { createRequire } from "node:module";
import { after, before, describe, test } from "node:test";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { IntakeStream } from "../../../src/queue/intake-stream.ts";
import { APPLY_QUEUE, EVENT_QUEUE, PLAN_QUEUE } from "../../../src/queue/jobs.ts";
import { forwardIntake, type IntakeForwarding } from "../../support/intake-forwarding.ts";
import { TEST_REDIS_URL } from "../../support/redis.ts";
import { startSlipwayProcess, type SlipwayProcess } from "../../support/slipway-process.ts";
import { forgedDeliveries, openedPull, signedHeaders } from "./forged-deliveries.ts";
import { queueKeyPrefix } from "../../../src/queue/key-scheme.ts";

type Json = Record<string, any>;

const require = createRequire(import.meta.url);
const EXAMPLES = require("@octokit/webhooks-examples/api.github.com/index.json") as { name: string; examples: Json[] }[];
const SECRET = "faults-webhook-secret";
const privateKey = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();
// Nothing listens on port 9: a server that called GitHub in the request path would fail loudly.
const app = { gheHost: "127.0.0.1:9", appId: 1, privateKey, webhookSecret: SECRET };

interface Answer {
  status: number;
  text: string;
}

async function post(url: string, headers: Record<string, string>, body: string | Buffer): Promise<Answer> {
  const payload = typeof body === "string" ? body : new Uint8Array(body);
  const res = await fetch(`${url}/api/github/webhooks`, { method: "POST", headers, body: payload, signal: AbortSignal.timeout(15_000) });
  const text = await res.text();
  return { status: res.status, text: text.slice(0, 300) };
}

const signed = (event: string, body: string, secret = SECRET) => signedHeaders(event, body, secret);

/** Runs `fn` over `items` with at most `width` in flight, keeping the order of results. */
async function inBatches<T, R>(items: T[], width: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += width) out.push(...(await Promise.all(items.slice(i, i + width).map(fn))));
  return out;
}

describe("webhook faults: GitHub's example payloads and forged deliveries", () => {
  let slipway: SlipwayProcess;
  let redis: Redis;
  // The workers' side of intake: what the server appended becomes jobs. Started by the first
  // `jobCounts()`, so the first test sees what the request path alone did.
  let forwarding: IntakeForwarding | undefined;

  before(async () => {
    slipway = await startSlipwayProcess(app, { role: "server" });
    redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 2 });
  });
  after(async () => {
    await forwarding?.stop();
    redis?.disconnect();
    await slipway?.stop(); // deletes every key under the process's prefix
  });

  /** Jobs in each queue once everything appended so far is forwarded. */
  async function jobCounts(): Promise<Record<string, number>> {
    forwarding ??= await forwardIntake(slipway.prefix);
    await forwarding.drained();
    const counts: Record<string, number> = {};
    for (const q of Object.values(forwarding.queues)) {
      const c = await q.getJobCounts("waiting", "active", "delayed", "completed", "failed", "prioritized");
      counts[q.name] = Object.values(c as Record<string, number>).reduce((a, b) => a + b, 0);
    }
    return counts;
  }

  /**
   * Every key the process wrote but its metric totals: a forged delivery must not add or change
   * any. It is counted (slipway_webhook_deliveries_total, outcome 4xx), and the totals' first
   * flush, a second after the earlier tests' deliveries, may land at any moment.
   */
  async function keysUnderPrefix(): Promise<string[]> {
    const keys: string[] = [];
    // The queues and the intake stream are `{prefix}:…` (src/queue/key-scheme.ts).
    for (const pattern of [`${slipway.prefix}:*`, `${queueKeyPrefix(slipway.prefix)}:*`]) {
      let cursor = "0";
      do {
        const [next, batch] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 1000);
        cursor = next;
        keys.push(...batch);
      } while (cursor !== "0");
    }
    return keys.filter((k) => !k.startsWith(`${slipway.prefix}:{metrics}:`)).sort();
  }

  /** Jobs in any state, read without forwarding anything. */
  async function jobsMade(): Promise<number> {
    let total = 0;
    for (const name of [PLAN_QUEUE, EVENT_QUEUE, APPLY_QUEUE]) {
      const q = new Queue(name, { connection: redis, prefix: queueKeyPrefix(slipway.prefix), skipMetasUpdate: true });
      const c = await q.getJobCounts("waiting", "active", "delayed", "completed", "failed", "prioritized", "waiting-children");
      total += Object.values(c as Record<string, number>).reduce((a, b) => a + b, 0);
      await q.close();
    }
    return total;
  }

  test("every example payload of every event, correctly signed, is answered 2xx, and only appended in the request path", async () => {
    const deliveries = EXAMPLES.flatMap((e) =>
      e.examples.map((example, i) => {
        // An app's deliveries always name its installation; some examples come from repo hooks.
        const payload = example.installation ? example : { ...example, installation: { id: 4242 } };
        return { label: `${e.name}[${i}]${example.action ? `.${example.action}` : ""}`, event: e.name, body: JSON.stringify(payload) };
      }),
    );
    assert.ok(deliveries.length >= 300, `only ${deliveries.length} examples found`);
    const answers = await inBatches(deliveries, 8, async (d) => ({ ...d, answer: await post(slipway.url, await signed(d.event, d.body), d.body) }));

    const wrong = answers.filter((a) => a.answer.status < 200 || a.answer.status >= 300);
    assert.deepEqual(
      wrong.map((a) => `${a.label} → ${a.answer.status} ${a.answer.text}`),
      [],
      "SPEC §3: 2xx for every correctly signed delivery, also for events Slipway does not handle",
    );
    // The request path does no slow work (SPEC §1): every answer came while what it asked for
    // was only an entry in the intake stream; no job existed before a forwarder ran (none runs yet).
    assert.ok((await new IntakeStream(redis, slipway.prefix).entries()).length > 0, "the intents are in the intake stream");
    assert.equal(await jobsMade(), 0, "no job was made in the request path");

    // Not vacuous: the examples that ask for work did reach the queues.
    const counts = await jobCounts();
    assert.ok(counts[PLAN_QUEUE]! > 0, `pull_request examples enqueued plans: ${JSON.stringify(counts)}`);
    assert.ok(counts[EVENT_QUEUE]! > 0, `comment/review/closed examples enqueued events: ${JSON.stringify(counts)}`);

    assert.equal((await fetch(`${slipway.url}/healthz`)).status, 200, "still serving");
    assert.equal((await fetch(`${slipway.url}/readyz`)).status, 200);
    assert.doesNotMatch(slipway.logs(), /"level":(50|60)/, "no error or fatal line logged");
  });

  test("100 forged or broken deliveries get 4xx and change nothing in Redis", async () => {
    const opened = EXAMPLES.find((e) => e.name === "pull_request")!.examples.find((x) => x.action === "opened")!;
    const commentCreated = EXAMPLES.find((e) => e.name === "issue_comment")!.examples.find((x) => x.action === "created")!;
    const forged = await forgedDeliveries(SECRET, { opened, commentCreated });
    assert.equal(forged.length, 100);
    const keysBefore = await keysUnderPrefix();
    const countsBefore = await jobCounts();
    const answers = await inBatches(forged, 10, async (f) => ({ label: f.label, answer: await post(slipway.url, f.headers, f.body) }));

    const not4xx = answers.filter((a) => a.answer.status < 400 || a.answer.status >= 500);
    assert.deepEqual(
      not4xx.map((a) => `${a.label} → ${a.answer.status} ${a.answer.text}`),
      [],
      "SPEC §3: 4xx for a bad signature or body",
    );
    assert.deepEqual(await jobCounts(), countsBefore, "nothing enqueued");
    assert.deepEqual(await keysUnderPrefix(), keysBefore, "no key written under the prefix");
    assert.equal((await fetch(`${slipway.url}/healthz`)).status, 200, "still serving");
    // Still accepting real work after the flood.
    const body = JSON.stringify(openedPull(opened, 9999));
    assert.equal((await post(slipway.url, await signed("pull_request", body), body)).status, 200);
    assert.equal((await jobCounts())[PLAN_QUEUE], countsBefore[PLAN_QUEUE]! + 1, "and the genuine one is enqueued");
  });

  // Only a holder of the secret can send these, but SPEC §3 still wants a 4xx for a bad body:
  // a 5xx makes GitHub retry and marks the app as failing.
  test("correctly signed JSON that is not an object gets 4xx, not 5xx, and enqueues nothing", async () => {
    const countsBefore = await jobCounts();
    const bodies = ["null", "42", '"a string"', "true", "[]", "[{}]"];
    const answers = await Promise.all(bodies.map(async (body) => ({ body, answer: await post(slipway.url, await signed("pull_request", body), body) })));
    const not4xx = answers.filter((a) => a.answer.status < 400 || a.answer.status >= 500);
    assert.deepEqual(
      not4xx.map((a) => `${a.body} → ${a.answer.status} ${a.answer.text}`),
      [],
      "SPEC §3: 4xx for a bad body",
    );
    assert.deepEqual(await jobCounts(), countsBefore, "nothing enqueued");
    assert.equal((await fetch(`${slipway.url}/healthz`)).status, 200, "still serving");
  });
});
