// The webhook server as GitHub sees it: a child process running `src/main.ts` with SLIPWAY_ROLE=server.
import assert from "node:assert/strict";
import { generateKeyPairSync, randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import { after, before, describe, test } from "node:test";
import { sign } from "@octokit/webhooks-methods";
import { forwardIntake, type IntakeForwarding } from "../../support/intake-forwarding.ts";
import { startPrivateRedis, type PrivateRedis } from "../../support/private-redis.ts";
import { startSlipwayProcess, type SlipwayProcess } from "../../support/slipway-process.ts";

const require = createRequire(import.meta.url);
const examples = require("@octokit/webhooks-examples/api.github.com/index.json") as { name: string; examples: Record<string, any>[] }[];
const SECRET = "intake-test-secret";
const privateKey = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();
const app = { gheHost: "127.0.0.1:9", appId: 1, privateKey, webhookSecret: SECRET };

function openedPayload(): Record<string, any> {
  const x = examples.find((e) => e.name === "pull_request")!.examples.find((e) => e.action === "opened")!;
  return { ...structuredClone(x), installation: { id: 7 } };
}

async function deliver(url: string, event: string, body: string, opts: { id?: string; secret?: string } = {}) {
  const res = await fetch(`${url}/api/github/webhooks`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-github-event": event,
      "x-github-delivery": opts.id ?? randomUUID(),
      "x-hub-signature-256": await sign(opts.secret ?? SECRET, body),
    },
    body,
  });
  return { status: res.status, text: await res.text() };
}

describe("webhook intake", () => {
  let slipway: SlipwayProcess;
  // The workers' side of intake: what the server appended becomes jobs.
  let forwarding: IntakeForwarding;

  before(async () => {
    slipway = await startSlipwayProcess(app, { role: "server" });
    forwarding = await forwardIntake(slipway.prefix);
  });
  after(async () => {
    await forwarding?.stop();
    await slipway?.stop();
  });

  test("health and readiness answer 200", async () => {
    assert.equal((await fetch(`${slipway.url}/healthz`)).status, 200);
    assert.equal((await fetch(`${slipway.url}/readyz`)).status, 200);
  });

  test("a signed pull_request.opened is enqueued once, even when delivered twice", async () => {
    const body = JSON.stringify(openedPayload());
    const id = randomUUID();
    const first = await deliver(slipway.url, "pull_request", body, { id });
    const again = await deliver(slipway.url, "pull_request", body, { id });
    assert.equal(first.status, 200, first.text);
    assert.equal(again.status, 200, again.text);
    await forwarding.drained();
    const jobs = await forwarding.queues.plans.getJobs(["waiting", "active", "delayed", "completed", "failed"]);
    assert.equal(jobs.length, 1);
    const p = openedPayload().pull_request;
    assert.equal(jobs[0]!.id, `plan/Codertocat/Hello-World/${p.number}/${p.head.sha}`);
    assert.equal(jobs[0]!.data.deliveryId, id);
  });

  test("a bad signature or a body that is not JSON gets 4xx and enqueues nothing", async () => {
    const before = await forwarding.queues.plans.count();
    const wrong = await deliver(slipway.url, "pull_request", JSON.stringify({ ...openedPayload(), number: 999 }), { secret: "not-the-secret" });
    assert.ok(wrong.status >= 400 && wrong.status < 500, `bad signature → ${wrong.status}`);
    const garbage = await deliver(slipway.url, "pull_request", "{not json");
    assert.equal(garbage.status, 400);
    const unsigned = await fetch(`${slipway.url}/api/github/webhooks`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-github-event": "push", "x-github-delivery": "x" },
      body: "{}",
    });
    assert.ok(unsigned.status >= 400 && unsigned.status < 500);
    await forwarding.drained();
    assert.equal(await forwarding.queues.plans.count(), before);
  });

  test("events Slipway does not handle still get 2xx", async () => {
    const star = examples.find((e) => e.name === "star")!.examples[0]!;
    const res = await deliver(slipway.url, "star", JSON.stringify(star));
    assert.equal(res.status, 200);
  });
});

describe("webhook intake without Redis", () => {
  let redisServer: PrivateRedis;
  let slipway: SlipwayProcess;

  before(async () => {
    redisServer = await startPrivateRedis();
    slipway = await startSlipwayProcess(app, { role: "server", redisUrl: redisServer.url });
  });
  after(async () => {
    await slipway?.stop().catch(() => {});
    await redisServer?.stop();
  });

  test("answers 503 (so GitHub records a failed delivery) and recovers when Redis is back", async () => {
    const body = JSON.stringify(openedPayload());
    assert.equal((await deliver(slipway.url, "pull_request", body)).status, 200);
    await redisServer.stop();
    const down = await deliver(slipway.url, "pull_request", body);
    assert.equal(down.status, 503, down.text);
    assert.equal((await fetch(`${slipway.url}/readyz`)).status, 503);
    assert.equal((await fetch(`${slipway.url}/healthz`)).status, 200, "the process still serves");
    await redisServer.start();
    const deadline = Date.now() + 10_000;
    let status = 0;
    while (Date.now() < deadline && status !== 200) {
      status = (await deliver(slipway.url, "pull_request", body)).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(status, 200, "accepted again once Redis answers");
    assert.equal((await fetch(`${slipway.url}/readyz`)).status, 200);
  });
});
