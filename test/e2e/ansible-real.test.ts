// The built-in ansible workflow end to end, with the real ansible-playbook: a pull request's plan
// is `ansible-playbook --check --diff` and its sticky comment shows ansible's diff and recap; the
// merge applies it; a hand edit of a managed file is found by the drift job and repaired
// (`drift.remediate`); `/rollback` opens a revert pull request whose merge restores the old
// content. The playbook (test/fixtures/ansible-repo) manages files under a temporary directory on
// localhost, named by SLIPWAY_ANSIBLE_WORLD. Skipped without ansible (.ci/run installs it).
//
// The tests run in order on one repository: each starts from the world the one before left.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { APPLY_QUEUE } from "../../src/queue/jobs.ts";
import { startE2E, type E2E } from "../support/e2e.ts";
import { TEST_REDIS_URL } from "../support/redis.ts";
import type { PullInfo } from "../support/scenario/scenario.ts";
import { waitFor } from "../support/scenario/wait-for.ts";
import { queueKeyPrefix } from "../../src/queue/key-scheme.ts";

const hasAnsible = spawnSync("ansible-playbook", ["--version"], { stdio: "ignore" }).status === 0;
const STICKY = "<!-- slipway:sticky -->";

let e2e: E2E;
let world: string;
let redis: Redis;
let applies: Queue;
let info: { owner: string; name: string; installationId: number; fullName: string };
let repo: string;
let merged: PullInfo;
let driftRuns = 0;

const readWorld = (file: string) => readFile(path.join(world, file), "utf8").catch(() => undefined);
const lastStatus = (environment: string) => {
  const deployment = e2e.gh
    .deployments(repo)
    .filter((d) => d.environment === environment)
    .at(-1);
  return deployment ? e2e.gh.deploymentStatuses(repo, deployment.id).at(-1)?.state : undefined;
};

/** Runs the drift job now, as its schedule would (as drift.test.ts does). */
async function runDrift(): Promise<void> {
  const id = `ansible-drift-${++driftRuns}`;
  const job = await applies.add(
    "drift",
    { kind: "drift", deliveryId: id, repo: { owner: info.owner, name: info.name, installationId: info.installationId }, branch: "main" },
    { jobId: `drift/${info.owner}/${info.name}/${id}` },
  );
  await waitFor(async () => ["completed", "failed"].includes(await job.getState()), { timeoutMs: 120_000, what: "the drift run" });
  assert.equal(await job.getState(), "completed", (await applies.getJob(job.id!))?.failedReason);
}

async function planned(pr: PullInfo) {
  return waitFor(() => e2e.gh.checkRuns(repo, { headSha: pr.headSha, name: "slipway/plan: web" }).find((c) => c.status === "completed"), {
    timeoutMs: 120_000,
    what: "the plan of web",
  });
}

const stickyOf = (pr: PullInfo) =>
  waitFor(() => e2e.gh.comments(repo, pr.number).find((c) => c.body.includes(STICKY) && /changed=\d+/.test(c.body)), {
    timeoutMs: 120_000,
    what: "the sticky comment with ansible's recap",
  });

describe("ansible, for real", { skip: hasAnsible ? false : "ansible-playbook not installed" }, () => {
  before(async () => {
    world = await mkdtemp(path.join(tmpdir(), "slipway-ansible-world-"));
    e2e = await startE2E({ env: { SLIPWAY_ANSIBLE_WORLD: world } });
    for (const user of ["alice", "carol"]) e2e.gh.addUser(user, { permission: "write" });
    redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
    applies = new Queue(APPLY_QUEUE, { connection: redis, prefix: queueKeyPrefix(e2e.slipway.prefix) });
    info = await e2e.gh.createRepo({ owner: "acme", name: "web-config", fixture: "ansible-repo" });
    repo = info.fullName;
  });
  after(async () => {
    await applies?.close();
    redis?.disconnect();
    await e2e?.stop();
    await rm(world, { recursive: true, force: true });
  });

  test("a push to main deploys the playbook: the world is what main says", async () => {
    const config = (await e2e.gh.readFile(repo, "main", ".slipway.yml"))!;
    await e2e.gh.pushToDefaultBranch(repo, {
      ".slipway.yml": `${config}drift:\n  schedule: "0 * * * *"\n  remediate: true\n`,
      "web/NOTES.md": "Managed by Slipway.\n",
    });
    await waitFor(() => lastStatus("staging") === "success", { timeoutMs: 120_000, what: "the first deploy" });
    assert.equal(await readWorld("motd.txt"), "welcome, v1\n");
    assert.equal(await readWorld("conf.d/server.conf"), `listen 8080\nroot ${world}/htdocs\n`);
  });

  test("a pull request's plan is ansible's --check --diff: the sticky comment shows the diff and changed=2; the world is untouched", async () => {
    const site = (await e2e.gh.readFile(repo, "main", "web/site.yml"))!;
    const pr = await e2e.gh.openPullRequest({
      repo,
      author: "alice",
      branch: "motd-v2",
      files: { "web/files/motd.txt": "welcome, v2\n", "web/site.yml": site.replace("listen_port: 8080", "listen_port: 9090") },
    });
    const check = await planned(pr);
    assert.equal(check.conclusion, "success", check.output?.text);
    const sticky = await stickyOf(pr);
    assert.match(sticky.body, /ansible-playbook --check --diff site\.yml/);
    assert.match(sticky.body, /^-welcome, v1$/m);
    assert.match(sticky.body, /^\+welcome, v2$/m);
    assert.match(sticky.body, /^-listen 8080$/m);
    assert.match(sticky.body, /^\+listen 9090$/m);
    assert.match(sticky.body, /localhost +: ok=4 +changed=2 +unreachable=0 +failed=0/);
    assert.match(sticky.body, /~2/, "the table's change count is the recap's");
    assert.equal(await readWorld("motd.txt"), "welcome, v1\n", "--check changed nothing");

    await e2e.gh.merge(pr, "alice");
    merged = pr;
  });

  test("the merge applies it and the world matches", async () => {
    await waitFor(async () => (await readWorld("motd.txt")) === "welcome, v2\n", { timeoutMs: 120_000, what: "the merge applied" });
    await waitFor(() => lastStatus("staging") === "success", { timeoutMs: 120_000, what: "the deployment's success" });
    assert.equal(await readWorld("conf.d/server.conf"), `listen 9090\nroot ${world}/htdocs\n`);
  });

  test("a hand edit of a managed file is found by the drift job and repaired", async () => {
    await runDrift();
    assert.equal(e2e.gh.issues(repo, { labels: ["drift"], state: "all" }).length, 0, "no drift, nothing reported");

    await writeFile(path.join(world, "motd.txt"), "edited by hand\n");
    await runDrift();
    assert.equal(await readWorld("motd.txt"), "welcome, v2\n", "remediated");
    assert.equal(await readWorld("conf.d/server.conf"), `listen 9090\nroot ${world}/htdocs\n`);
    assert.equal(e2e.gh.issues(repo, { labels: ["drift"], state: "all" }).length, 0, "repaired, nothing left to report");
  });

  test("/rollback opens a revert pull request whose plan shows the way back and whose merge restores the old content", async () => {
    await e2e.gh.comment(merged, "alice", "/rollback");
    const link = await waitFor(
      () =>
        e2e.gh
          .comments(repo, merged.number)
          .map((c) => /Opened #(\d+) to revert/.exec(c.body))
          .find(Boolean),
      { timeoutMs: 60_000, what: "the link to the revert PR" },
    );
    const revert = await e2e.gh.pull({ repo, number: Number(link[1]) });
    const revertPr: PullInfo = { repo, number: revert.number, branch: revert.head.ref, headSha: revert.head.sha, baseSha: revert.base.sha, headRepo: repo };
    assert.equal(await e2e.gh.readFile(repo, revert.head.sha, "web/files/motd.txt"), "welcome, v1\n");

    assert.equal((await planned(revertPr)).conclusion, "success");
    const sticky = await stickyOf(revertPr);
    assert.match(sticky.body, /^-welcome, v2$/m);
    assert.match(sticky.body, /^\+welcome, v1$/m);
    assert.match(sticky.body, /changed=2 +unreachable=0 +failed=0/);

    await e2e.gh.merge(revertPr, "alice");
    await waitFor(async () => (await readWorld("motd.txt")) === "welcome, v1\n", { timeoutMs: 120_000, what: "the old content restored" });
    await waitFor(() => lastStatus("staging") === "success", { timeoutMs: 120_000, what: "the revert's deployment" });
    assert.equal(await readWorld("conf.d/server.conf"), `listen 8080\nroot ${world}/htdocs\n`);
  });

  test("every request Slipway made is one GitHub would accept", async () => {
    await e2e.idle();
    assert.deepEqual(e2e.sim.violations, []);
  });
});
