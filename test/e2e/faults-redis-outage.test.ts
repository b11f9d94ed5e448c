// Fault test: Redis stops while Slipway (role all) is planning, and comes back. While it is away,
// webhooks that need it get 503 (GitHub records a failed delivery) and /readyz says 503; once it
// is back, the running plan finishes, the queued one runs, the refused delivery redelivered is
// planned — each exactly once.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startGitHubSimulator, type GitHubSimulator } from "../support/github-simulator/index.ts";
import { waitIdle } from "../support/idle.ts";
import type { PullInfo } from "../support/scenario/scenario.ts";
import { waitFor } from "../support/scenario/wait-for.ts";
import { startSlipwayProcess, type SlipwayProcess } from "../support/slipway-process.ts";
import { startDurableRedis, type DurableRedis } from "../integration/faults/durable-redis.ts";
import { STICKY, keepLogs } from "./change-control-helpers.ts";

type Json = Record<string, any>;

let redis: DurableRedis | undefined;
let sim: GitHubSimulator | undefined;
let slipway: SlipwayProcess | undefined;

const status = async (route: string) => (await fetch(`${slipway!.url}${route}`, { signal: AbortSignal.timeout(5000) })).status;
const planChecks = (pr: PullInfo, project: string) => sim!.scenario.checkRuns(pr.repo, { headSha: pr.headSha, name: `slipway/plan: ${project}` });
const stickies = (pr: PullInfo) => sim!.scenario.comments(pr.repo, pr.number).filter((c: Json) => String(c.body).includes(STICKY));

function openedDelivery(pr: PullInfo) {
  return sim!.deliveries.find(
    (d) =>
      d.event === "pull_request" &&
      d.action === "opened" &&
      !d.redelivery &&
      (d.payload as Json).pull_request.number === pr.number &&
      (d.payload as Json).repository.full_name === pr.repo,
  );
}

/** The plan of `project` on the head completed with changes; waits at most `timeoutMs`. */
function planSucceeded(pr: PullInfo, project: string, timeoutMs: number): Promise<Json> {
  return waitFor(() => planChecks(pr, project).find((c) => c.status === "completed"), {
    timeoutMs,
    what: `the plan of ${project} on ${pr.repo}#${pr.number}`,
  }).then((c) => {
    assert.equal(c.conclusion, "success", `${pr.repo}#${pr.number} ${project}: ${c.output?.title} ${c.output?.summary}`);
    return c;
  });
}

describe("Redis stopped mid-run", () => {
  before(async () => {
    redis = await startDurableRedis();
    sim = await startGitHubSimulator();
    const app = { gheHost: sim.host, appId: sim.appId, privateKey: sim.privateKey, webhookSecret: sim.webhookSecret };
    // Concurrency 1: the slow plan holds the only slot, so the next pull request waits in the queue.
    slipway = await startSlipwayProcess(app, { role: "all", redisUrl: redis.url, concurrency: 1 });
    sim.setWebhookTarget(`${slipway.url}/api/github/webhooks`);
    sim.scenario.addUser("alice", { permission: "write" });
  });
  after(async () => {
    await keepLogs("faults-redis-outage", [slipway?.logs() ?? ""]);
    await slipway?.stop();
    await sim?.stop();
    await redis?.remove(); // its keys go with its data directory
  });

  test("503 while Redis is away; afterwards no job is lost and none runs twice", async (t) => {
    const gh = sim!.scenario;
    await gh.createRepo({ owner: "acme", name: "outage", fixture: "two-projects" });
    await gh.createRepo({ owner: "acme", name: "outage-redelivered", fixture: "two-projects" });

    // Running when Redis stops: its plan step sleeps 20 s.
    const running = await gh.openPullRequest({ repo: "acme/outage", author: "alice", branch: "slow", files: { "alpha/desired.txt": "SLOW\n" } });
    await waitFor(() => planChecks(running, "alpha").find((c) => c.status === "in_progress"), { timeoutMs: 30_000, what: "the slow plan to start" });
    // Queued behind it (another project, so no lock stands in the way).
    const queued = await gh.openPullRequest({
      repo: "acme/outage",
      author: "alice",
      branch: "queued",
      files: { "beta/desired.txt": "queued before the outage\n" },
    });
    assert.equal(openedDelivery(queued)?.status, 200, "enqueued before the outage");

    await redis!.stop();
    const outageStarted = Date.now();
    await waitFor(async () => (await status("/readyz")) === 503, { timeoutMs: 10_000, what: "/readyz to say 503" });
    assert.equal(await status("/healthz"), 200, "the process still serves");
    const refused = await gh.openPullRequest({
      repo: "acme/outage-redelivered",
      author: "alice",
      branch: "during",
      files: { "alpha/desired.txt": "sent during the outage\n" },
    });
    const delivery = openedDelivery(refused)!;
    assert.equal(delivery.status, 503, `a delivery that cannot be enqueued is refused: ${delivery.status} ${delivery.responseBody}`);
    const help = await gh.comment(running, "alice", "/help");
    const helpDelivery = sim!.deliveries.find((d) => d.event === "issue_comment" && (d.payload as Json).comment.id === help.id)!;
    assert.equal(helpDelivery.status, 503, "a command comment is refused too");

    await new Promise((r) => setTimeout(r, 3000)); // a few seconds of outage, still within the slow plan
    await redis!.start();
    const outageMs = Date.now() - outageStarted;
    await waitFor(async () => (await status("/readyz")) === 200, { timeoutMs: 15_000, what: "/readyz to recover" });
    const again = await sim!.redeliver(delivery.id);
    assert.equal(again.status, 200, `redelivered once Redis is back: ${again.body}`);
    // Redelivered twice: GitHub's "Redeliver" may be clicked more than once.
    for (let i = 0; i < 2; i++) assert.equal((await sim!.redeliver(helpDelivery.id)).status, 200);

    // 20 s of plan step, then the queued and the redelivered plans.
    await planSucceeded(running, "alpha", 60_000);
    await planSucceeded(queued, "beta", 30_000);
    await planSucceeded(refused, "alpha", 30_000);
    await waitIdle({ sim: sim!, prefix: slipway!.prefix, redisUrl: redis!.url }); // a duplicate plan would have run by now

    for (const [pr, project] of [
      [running, "alpha"],
      [queued, "beta"],
      [refused, "alpha"],
    ] as const) {
      const checks = planChecks(pr, project);
      assert.deepEqual(
        checks.map((c) => `${c.status}/${c.conclusion}`),
        ["completed/success"],
        `${pr.repo}#${pr.number} planned once`,
      );
      assert.equal(stickies(pr).length, 1, `${pr.repo}#${pr.number}: one sticky comment`);
      assert.match(stickies(pr)[0]!.body, new RegExp(pr.headSha.slice(0, 7)), "the comment shows the head's plan");
    }
    const helpReplies = gh
      .comments(running.repo, running.number)
      .filter((c: Json) => c.id > help.id && /Slipway commands/.test(String(c.body)) && !String(c.body).includes(STICKY));
    assert.equal(helpReplies.length, 1, "the redelivered /help is answered once");
    assert.doesNotMatch(slipway!.logs(), /"msg":"job failed"/, "no job failed because of the outage");
    assert.deepEqual(sim!.violations, []);
    t.diagnostic(`Redis was away ${outageMs} ms`);
  });
});
