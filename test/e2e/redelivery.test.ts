// Missed webhooks are fetched back (SPEC §10). GitHub does not retry a failed delivery: what was
// opened, commented and merged while Slipway was down (connection refused) or while its Redis was
// (503) is asked for again from the App's delivery log — once per delivery, by one process among
// several, and nothing is done twice.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, afterEach, describe, test } from "node:test";
import { Redis } from "ioredis";
import { startGitHubSimulator, type Delivery, type GitHubSimulator } from "../support/github-simulator/index.ts";
import { startWebhookReceiver } from "../support/github-simulator/webhook-receiver.ts";
import { waitIdle } from "../support/idle.ts";
import { freePort } from "../support/private-redis.ts";
import { deleteKeysWithPrefix, TEST_REDIS_URL, uniquePrefix } from "../support/redis.ts";
import type { PullInfo } from "../support/scenario/scenario.ts";
import { waitFor } from "../support/scenario/wait-for.ts";
import { startSlipwayProcess, type SlipwayProcess, type StartOptions } from "../support/slipway-process.ts";
import { startDurableRedis, type DurableRedis } from "../integration/faults/durable-redis.ts";
import { keepLogs } from "./change-control-helpers.ts";

type Json = Record<string, any>;

const API_TOKEN = "redelivery-test-api-token";
/** Short, so the test sees a scan at start and another soon after. */
const INTERVAL_SECONDS = "2";

let sim: GitHubSimulator | undefined;
let processes: SlipwayProcess[] = [];
let redis: DurableRedis | undefined;
let world: string | undefined;
const prefixes: string[] = [];

afterEach(async (t) => {
  await keepLogs(
    `redelivery-${t.name.slice(0, 40).replace(/\W+/g, "-")}`,
    processes.map((p) => p.logs()),
  );
  for (const p of processes) await p.stop();
  processes = [];
  await sim?.stop();
  sim = undefined;
  await redis?.remove();
  redis = undefined;
  if (world) await rm(world, { recursive: true, force: true });
  world = undefined;
});
after(async () => {
  for (const prefix of prefixes) await deleteKeysWithPrefix(prefix);
});

/** A simulator whose webhooks go to a port where nothing listens yet: every delivery is refused. */
async function simulatorWithSlipwayDown(): Promise<{ port: number }> {
  sim = await startGitHubSimulator();
  const port = await freePort();
  sim.setWebhookTarget(`http://127.0.0.1:${port}/api/github/webhooks`);
  for (const user of ["alice", "carol"]) sim.scenario.addUser(user, { permission: "write" });
  return { port };
}

async function startSlipway(opts: StartOptions & { port?: number }): Promise<SlipwayProcess> {
  const app = { gheHost: sim!.host, appId: sim!.appId, privateKey: sim!.privateKey, webhookSecret: sim!.webhookSecret };
  const env: Record<string, string> = {
    SLIPWAY_REDELIVERY_INTERVAL_SECONDS: INTERVAL_SECONDS,
    SLIPWAY_API_TOKEN: API_TOKEN,
    ...(world ? { SLIPWAY_WORLD_DIR: world } : {}),
    ...(opts.port ? { PORT: String(opts.port) } : {}),
    ...opts.env,
  };
  const p = await startSlipwayProcess(app, { ...opts, env });
  processes.push(p);
  return p;
}

const attemptsOf = (guid: string) => sim!.deliveries.filter((d) => d.id === guid && d.attempted);
const redelivered = (guid: string) => attemptsOf(guid).filter((d) => d.redelivery);
const planChecks = (pr: PullInfo, project: string) => sim!.scenario.checkRuns(pr.repo, { headSha: pr.headSha, name: `slipway/plan: ${project}` });

function deliveryOf(pr: PullInfo, event: string, action?: string): Delivery {
  const found = sim!.deliveries.find(
    (d) =>
      !d.redelivery &&
      d.event === event &&
      (action === undefined || d.action === action) &&
      (d.payload as Json).repository?.full_name === pr.repo &&
      ((d.payload as Json).pull_request?.number ?? (d.payload as Json).issue?.number) === pr.number,
  );
  assert.ok(found, `a ${event}.${action} delivery of ${pr.repo}#${pr.number}`);
  return found;
}

/** The scan is over once it left its checkpoint for the next one. */
async function scanFinished(prefix: string, redisUrl = TEST_REDIS_URL): Promise<void> {
  const r = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    await waitFor(async () => (await r.get(`${prefix}:{redelivery}:checkpoint`)) !== null, { timeoutMs: 60_000, what: "a complete redelivery scan" });
  } finally {
    r.disconnect();
  }
}

async function auditOf(slipway: SlipwayProcess): Promise<Json[]> {
  const res = await fetch(`${slipway.url}/api/v1/audit?kind=webhook.redelivered&limit=100`, { headers: { authorization: `Bearer ${API_TOKEN}` } });
  assert.equal(res.status, 200);
  return ((await res.json()) as { events: Json[] }).events;
}

const stagingApplies = async () =>
  (await readFile(path.join(world!, "applies.log"), "utf8").catch(() => "")).split("\n").filter((l) => l.startsWith("applied staging"));
const stagingIs = (content: string, what: string) =>
  waitFor(async () => (await readFile(path.join(world!, "staging.txt"), "utf8").catch(() => "")) === content, { timeoutMs: 60_000, what });

describe("missed webhooks are fetched back", () => {
  test("opened and /plan while Slipway was down: planned once started; merged while down again: deployed once", async () => {
    const { port } = await simulatorWithSlipwayDown();
    world = await mkdtemp(path.join(tmpdir(), "slipway-world-"));
    const prefix = uniquePrefix("redeliver");
    prefixes.push(prefix);
    const gh = sim!.scenario;
    await gh.createRepo({ owner: "acme", name: "missed", fixture: "deploy-repo" });
    const pr = await gh.openPullRequest({ repo: "acme/missed", author: "alice", branch: "v2", files: { "staging/desired.txt": "v2\n" } });
    await gh.comment(pr, "alice", "/plan");
    const missedFirst = [deliveryOf(pr, "pull_request", "opened"), deliveryOf(pr, "issue_comment", "created")];
    for (const d of missedFirst) assert.equal(d.status, 0, `${d.event}.${d.action} was refused: Slipway is down`);

    const first = await startSlipway({ port, prefix });
    await waitFor(() => planChecks(pr, "staging").filter((c) => c.status === "completed").length === 2, {
      timeoutMs: 60_000,
      what: "the plans of the opened pull request and of its /plan",
    });
    await waitIdle({ sim: sim!, prefix }); // a third plan would be on record by now
    assert.deepEqual(
      planChecks(pr, "staging").map((c) => c.conclusion),
      ["success", "success"],
      "planned once when opened and once for /plan: each delivery acted on once",
    );
    for (const d of missedFirst) assert.equal(redelivered(d.id).length, 1, `${d.event}.${d.action} redelivered once`);
    await first.stop();

    const { mergeCommitSha } = await gh.merge(pr, "alice");
    const merged = deliveryOf(pr, "pull_request", "closed");
    assert.equal(merged.status, 0, "the merge's delivery was refused: Slipway is down");
    await startSlipway({ port, prefix });
    await stagingIs("v2\n", "the merge deployed to staging");
    await waitIdle({ sim: sim!, prefix });
    assert.equal(redelivered(merged.id).length, 1, "the merge redelivered once");
    for (const d of missedFirst) assert.equal(redelivered(d.id).length, 1, "what the first start fetched back is not asked for again");
    assert.equal(planChecks(pr, "staging").length, 2, "no plan ran again");
    assert.equal(gh.deployments("acme/missed").filter((d) => d.environment === "staging").length, 1, "one staging deployment");
    assert.deepEqual(await stagingApplies(), [`applied staging ${mergeCommitSha}`], "the merge applied once");
    assert.deepEqual(sim!.violations, []);
  });

  test("opened, /plan and merged while down: planned once, deployed once, /plan answered once; a delivery answered elsewhere is left alone", async () => {
    const { port } = await simulatorWithSlipwayDown();
    world = await mkdtemp(path.join(tmpdir(), "slipway-world-"));
    const gh = sim!.scenario;
    await gh.createRepo({ owner: "acme", name: "missed", fixture: "deploy-repo" });
    const pr = await gh.openPullRequest({ repo: "acme/missed", author: "alice", branch: "v2", files: { "staging/desired.txt": "v2\n" } });
    const command = await gh.comment(pr, "alice", "/plan");
    const { mergeCommitSha } = await gh.merge(pr, "alice");
    // Another pull request whose opening did get an answer in the end (another server of the
    // installation answered a manual redelivery): it must not be asked for again.
    const answered = await gh.openPullRequest({ repo: "acme/missed", author: "alice", branch: "other", files: { "staging/desired.txt": "v3\n" } });
    const answeredOpened = deliveryOf(answered, "pull_request", "opened");
    const elsewhere = await startWebhookReceiver();
    sim!.setWebhookTarget(elsewhere.url);
    assert.equal((await sim!.redeliver(answeredOpened.id)).status, 202);
    sim!.setWebhookTarget(`http://127.0.0.1:${port}/api/github/webhooks`);
    await elsewhere.close();
    const missed = [deliveryOf(pr, "pull_request", "opened"), deliveryOf(pr, "issue_comment", "created"), deliveryOf(pr, "pull_request", "closed")];

    const slipway = await startSlipway({ port });
    prefixes.push(slipway.prefix);
    await scanFinished(slipway.prefix);
    await stagingIs("v2\n", "the merge deployed to staging");
    await waitIdle({ sim: sim!, prefix: slipway.prefix }); // a second apply or reply would be on record by now

    for (const d of missed) assert.equal(redelivered(d.id).length, 1, `${d.event}.${d.action} redelivered once`);
    assert.equal(redelivered(answeredOpened.id).length, 1, "the delivery answered elsewhere is not asked for again (its one redelivery is the manual one)");
    assert.deepEqual(planChecks(answered, "staging"), [], "so its pull request is not planned here");
    assert.equal(gh.deployments("acme/missed").filter((d) => d.environment === "staging").length, 1, "one staging deployment");
    assert.deepEqual(await stagingApplies(), [`applied staging ${mergeCommitSha}`], "the merge applied once");
    // Replayed after the merge, the opening still plans what the pull request changed (against
    // main as it was then); the /plan, refused on a merged pull request, gets its answer once.
    assert.deepEqual(
      planChecks(pr, "staging").map((c) => c.conclusion),
      ["success"],
      "planned once, though merged before its events came back",
    );
    const replies = gh
      .comments(pr.repo, pr.number)
      .filter((c: Json) => c.id > command.id && /merged/.test(String(c.body)) && !String(c.body).includes("slipway:sticky"));
    assert.equal(replies.length, 1, "the /plan is answered once");
    const events = await auditOf(slipway);
    for (const d of missed) assert.equal(events.filter((e) => e.delivery === d.id).length, 1, `one audit event for ${d.event}.${d.action}`);
    for (const e of events) {
      assert.equal(e.actor, "slipway");
      assert.equal(e.repo, "acme/missed");
    }
    assert.deepEqual(sim!.violations, []);
  });

  test("a delivery answered 503 while Redis was down is fetched back once Redis returns", async () => {
    redis = await startDurableRedis();
    sim = await startGitHubSimulator();
    sim.scenario.addUser("alice", { permission: "write" });
    const slipway = await startSlipway({ redisUrl: redis.url });
    sim.setWebhookTarget(`${slipway.url}/api/github/webhooks`);
    const gh = sim.scenario;
    await gh.createRepo({ owner: "acme", name: "outage", fixture: "simple-repo" });

    await redis.stop();
    await waitFor(async () => (await fetch(`${slipway.url}/readyz`)).status === 503, { timeoutMs: 10_000, what: "/readyz to say 503" });
    const pr = await gh.openPullRequest({ repo: "acme/outage", author: "alice", branch: "during", files: { "app/desired.txt": "replicas=3\n" } });
    const opened = deliveryOf(pr, "pull_request", "opened");
    assert.equal(opened.status, 503, "refused while Redis is away");
    await redis.start();

    await waitFor(() => planChecks(pr, "app").find((c) => c.status === "completed"), { timeoutMs: 60_000, what: "the plan of the refused pull request" });
    await waitIdle({ sim, prefix: slipway.prefix, redisUrl: redis.url });
    assert.deepEqual(
      planChecks(pr, "app").map((c) => c.conclusion),
      ["success"],
      "planned once",
    );
    assert.equal(redelivered(opened.id).length, 1, "redelivered once");
    const [event] = (await auditOf(slipway)).filter((e) => e.delivery === opened.id);
    assert.equal(event?.repo, "acme/outage");
    assert.equal(event?.pull, pr.number);
    assert.match(String(event?.reason), /pull_request\.opened .* never got a 2xx \(last answer: 503\)/);
    const metrics = await (await fetch(`${slipway.url}/metrics`)).text();
    assert.match(metrics, /^slipway_webhook_redeliveries_total\{outcome="requested"\} [1-9]/m);
    assert.deepEqual(sim.violations, []);
  });

  test("two servers sharing Redis: one scans (the lease), each missed delivery is asked for once; a worker-only process never scans", async () => {
    const { port } = await simulatorWithSlipwayDown();
    const gh = sim!.scenario;
    await gh.createRepo({ owner: "acme", name: "pair", fixture: "two-projects" });
    const pulls: PullInfo[] = [];
    for (const [i, project] of ["alpha", "beta"].entries()) {
      pulls.push(await gh.openPullRequest({ repo: "acme/pair", author: "alice", branch: `b${i}`, files: { [`${project}/desired.txt`]: `change ${i}\n` } }));
    }
    const opened = pulls.map((pr) => deliveryOf(pr, "pull_request", "opened"));
    const prefix = uniquePrefix("redeliver-pair");
    prefixes.push(prefix);
    // The simulator delivers to the first server's port: it listens before the second starts (in
    // production both sit behind the App's one webhook URL).
    const server = await startSlipway({ port, prefix });
    const [other, worker] = await Promise.all([startSlipway({ prefix }), startSlipway({ prefix, role: "worker" })]);
    await waitFor(() => opened.every((d) => redelivered(d.id).length > 0), { timeoutMs: 60_000, what: "every missed opening redelivered" });
    await scanFinished(prefix);
    await waitIdle({ sim: sim!, prefix });
    for (const d of opened) assert.equal(redelivered(d.id).length, 1, "asked for once, whichever process scanned");
    const scanners = [server, other, worker].filter((p) => p.logs().includes("this process scans GitHub's webhook delivery log"));
    assert.equal(scanners.length, 1, "one process holds the lease");
    assert.ok(!scanners.includes(worker), "a process without a webhook server does not scan");
    for (const [i, project] of ["alpha", "beta"].entries()) {
      assert.deepEqual(
        planChecks(pulls[i]!, project).map((c) => c.conclusion),
        ["success"],
        `${project}'s pull request planned once`,
      );
    }
    assert.deepEqual(sim!.violations, []);
  });
});
