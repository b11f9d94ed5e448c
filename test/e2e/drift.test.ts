// Drift end to end: the schedule follows the default branch's config; a change made by hand in
// the world is found by the drift job (run on demand here) and reported in one issue, repaired by
// `/apply` on it, and repaired on its own with `drift.remediate: true`.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { APPLY_QUEUE, driftSchedulerId } from "../../src/queue/jobs.ts";
import { startE2E, type E2E } from "../support/e2e.ts";
import { TEST_REDIS_URL } from "../support/redis.ts";
import { waitFor } from "../support/scenario/wait-for.ts";
import { queueKeyPrefix } from "../../src/queue/key-scheme.ts";

let e2e: E2E;
let world: string;
let redis: Redis;
let applies: Queue;
let runs = 0;

const readWorld = (file: string) => readFile(path.join(world, file), "utf8").catch(() => undefined);
const driftIssues = (repo: string, state: "open" | "closed" | "all" = "open") => e2e.gh.issues(repo, { labels: ["drift"], state });

/** Runs the drift job now, as its schedule would. */
async function runDrift(repo: { owner: string; name: string; installationId: number }): Promise<void> {
  const id = `test-drift-${++runs}`;
  const job = await applies.add("drift", { kind: "drift", deliveryId: id, repo, branch: "main" }, { jobId: `drift/${repo.owner}/${repo.name}/${id}` });
  await waitFor(async () => ["completed", "failed"].includes(await job.getState()), { timeoutMs: 30_000, what: "the drift run" });
  assert.equal(await job.getState(), "completed", (await applies.getJob(job.id!))?.failedReason);
}

describe("drift", () => {
  before(async () => {
    world = await mkdtemp(path.join(tmpdir(), "slipway-world-"));
    e2e = await startE2E({ env: { SLIPWAY_WORLD_DIR: world } });
    for (const user of ["alice", "carol", "erin"]) e2e.gh.addUser(user, { permission: "write" });
    redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
    applies = new Queue(APPLY_QUEUE, { connection: redis, prefix: queueKeyPrefix(e2e.slipway.prefix) });
  });
  after(async () => {
    await applies?.close();
    redis?.disconnect();
    await e2e?.stop();
    await rm(world, { recursive: true, force: true });
  });

  test("a hand-made change is reported in one drift issue, and /apply on it by an approver repairs it", async () => {
    const info = await e2e.gh.createRepo({ owner: "acme", name: "drifting", fixture: "deploy-repo" });
    const repo = info.fullName;
    const config = (await e2e.gh.readFile(repo, "main", ".slipway.yml"))!;
    await e2e.gh.pushToDefaultBranch(repo, { ".slipway.yml": `${config}drift:\n  schedule: "*/30 * * * *"\n` });
    const scheduler = await waitFor(() => applies.getJobScheduler(driftSchedulerId(info)), { timeoutMs: 30_000, what: "the drift schedule" });
    assert.equal(scheduler.pattern, "*/30 * * * *");

    // The world as main describes it, then a change by hand in staging.
    await writeFile(path.join(world, "production.txt"), "v1\n");
    await writeFile(path.join(world, "staging.txt"), "edited by hand\n");
    await runDrift(info);
    const [issue, ...more] = driftIssues(repo);
    assert.ok(issue, "a drift issue is opened");
    assert.equal(more.length, 0, "only staging drifted");
    assert.match(issue.title, /staging/);
    assert.match(issue.body, /staging will become: v1/, "the issue shows the plan");

    await runDrift(info);
    assert.equal(driftIssues(repo, "all").length, 1, "a second run updates the same issue");

    const refused = await e2e.gh.comment({ repo, number: issue.number }, "erin", "/apply production");
    await waitFor(() => e2e.gh.comments(repo, issue.number).find((c) => c.id > refused.id && /only a bare `\/apply`/.test(c.body)), { what: "the refusal" });
    await e2e.gh.comment({ repo, number: issue.number }, "carol", "/apply");
    await waitFor(async () => (await readWorld("staging.txt")) === "v1\n", { timeoutMs: 30_000, what: "the drift repaired" });
    await waitFor(() => driftIssues(repo).length === 0, { what: "the issue closed" });
    assert.match(driftIssues(repo, "closed")[0]!.body, /repaired/);
  });

  test("with drift.remediate the drift job repairs the world by itself", async () => {
    const info = await e2e.gh.createRepo({ owner: "acme", name: "self-healing", fixture: "deploy-repo" });
    const repo = info.fullName;
    const config = (await e2e.gh.readFile(repo, "main", ".slipway.yml"))!;
    await e2e.gh.pushToDefaultBranch(repo, { ".slipway.yml": `${config}drift:\n  schedule: "0 * * * *"\n  remediate: true\n` });
    await writeFile(path.join(world, "production.txt"), "v1\n");
    await writeFile(path.join(world, "staging.txt"), "edited by hand again\n");
    await runDrift(info);
    assert.equal(await readWorld("staging.txt"), "v1\n");
    assert.equal(driftIssues(repo, "all").length, 0, "repaired, nothing left to report");
  });

  test("removing drift.schedule removes the schedule", async () => {
    const info = await e2e.gh.createRepo({ owner: "acme", name: "unscheduled", fixture: "deploy-repo" });
    const config = (await e2e.gh.readFile(info.fullName, "main", ".slipway.yml"))!;
    await e2e.gh.pushToDefaultBranch(info.fullName, { ".slipway.yml": `${config}drift:\n  schedule: "0 * * * *"\n` });
    await waitFor(() => applies.getJobScheduler(driftSchedulerId(info)), { timeoutMs: 30_000, what: "the schedule" });
    await e2e.gh.pushToDefaultBranch(info.fullName, { ".slipway.yml": config });
    await waitFor(async () => (await applies.getJobScheduler(driftSchedulerId(info))) === undefined, { timeoutMs: 30_000, what: "the schedule removed" });
  });

  test("every request Slipway made is one GitHub would accept", () => {
    assert.deepEqual(e2e.sim.violations, []);
  });
});
