// A worker killed in the middle of an apply: the deployment is marked interrupted, the apply is
// never re-run on its own, the project stays locked, and `/apply <environment>` runs it again —
// on the merged pull request, or on the release issue of a direct push.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { APPLY_QUEUE } from "../../src/queue/jobs.ts";
import { startGitHubSimulator, type GitHubSimulator } from "../support/github-simulator/index.ts";
import { waitIdle } from "../support/idle.ts";
import { TEST_REDIS_URL, deleteKeysWithPrefix, uniquePrefix } from "../support/redis.ts";
import { waitFor } from "../support/scenario/wait-for.ts";
import { startSlipwayProcess, type SlipwayProcess } from "../support/slipway-process.ts";
import { descendantsOf, liveInGroup } from "../integration/faults/process-tree.ts";
import { keepLogs } from "./change-control-helpers.ts";
import { queueKeyPrefix } from "../../src/queue/key-scheme.ts";

let sim: GitHubSimulator | undefined;
let world: string;
const prefix = uniquePrefix("interrupt");
const processes: SlipwayProcess[] = [];
/** Process group of the apply step the kill orphans (steps run detached, in a group of their own). */
let orphanGroup: number | undefined;
let app: Parameters<typeof startSlipwayProcess>[0];
let env: Record<string, string>;

const appliesOf = async (sha: string) => (await readFile(path.join(world, "applies.log"), "utf8").catch(() => "")).split("\n").filter((l) => l.endsWith(sha));

/** SIGKILLs the worker whose child is running an apply step, leaving the step's group orphaned (cleaned up in `after`). */
async function killWorkerRunningApply(what: string): Promise<{ pgid: number }> {
  const { running, step } = await waitFor(
    async () => {
      for (const w of processes.slice(1)) {
        const step = (await descendantsOf(w.pid)).find((p) => /apply\.sh/.test(p.cmd));
        if (step) return { running: w, step };
      }
      return null;
    },
    { timeoutMs: 30_000, what },
  );
  orphanGroup = step.pgid;
  process.kill(running.pid, "SIGKILL");
  return step;
}

describe("a worker killed mid-apply", () => {
  before(async () => {
    world = await mkdtemp(path.join(tmpdir(), "slipway-world-"));
    sim = await startGitHubSimulator();
    app = { gheHost: sim.host, appId: sim.appId, privateKey: sim.privateKey, webhookSecret: sim.webhookSecret };
    // A short job lock, so the surviving worker notices the dead one within seconds.
    env = { SLIPWAY_WORLD_DIR: world, SLIPWAY_JOB_LOCK_SECONDS: "3" };
    processes.push(await startSlipwayProcess(app, { role: "server", prefix, env }));
    processes.push(await startSlipwayProcess(app, { role: "worker", prefix, env, concurrency: 1 }));
    processes.push(await startSlipwayProcess(app, { role: "worker", prefix, env, concurrency: 1 }));
    sim.setWebhookTarget(`${processes[0]!.url}/api/github/webhooks`);
    for (const user of ["alice", "carol"]) sim.scenario.addUser(user, { permission: "write" });
  });
  after(async () => {
    // The test waits for the orphaned step to finish; if it failed before that, end the step here.
    if (orphanGroup !== undefined) {
      try {
        process.kill(-orphanGroup, "SIGKILL");
      } catch {
        // already ended
      }
    }
    if (process.env.CC_E2E_LOG_DIR)
      await keepLogs(
        "deploy-interrupted",
        processes.map((p) => p.logs()),
      );
    for (const p of processes) await p.stop();
    await sim?.stop();
    await deleteKeysWithPrefix(prefix);
    await rm(world, { recursive: true, force: true });
  });

  test("leaves the deployment interrupted, applies nothing twice, and waits for a human", async () => {
    const gh = sim!.scenario;
    await gh.createRepo({ owner: "acme", name: "killed", fixture: "deploy-repo" });
    const repo = "acme/killed";
    const pr = await gh.openPullRequest({ repo, author: "alice", branch: "slow", files: { "staging/desired.txt": "SLOW\n" } });
    await waitFor(() => gh.checkRuns(repo, { headSha: pr.headSha, name: "slipway/plan: staging" }).find((c) => c.status === "completed"), {
      timeoutMs: 30_000,
      what: "the plan",
    });
    const { mergeCommitSha } = await gh.merge(pr, "alice");

    const staging = () => gh.deployments(repo).find((d) => d.environment === "staging");
    await waitFor(() => staging() && gh.deploymentStatuses(repo, staging()!.id).some((s) => s.state === "in_progress"), {
      timeoutMs: 30_000,
      what: "the apply to start",
    });
    // The apply step is a child process of the worker that runs it.
    const step = await killWorkerRunningApply("a worker running the apply step");

    const errored = await waitFor(() => gh.deploymentStatuses(repo, staging()!.id).find((s) => s.state === "error"), {
      timeoutMs: 30_000,
      what: "the deployment marked interrupted",
    });
    assert.match(errored.description, /interrupted, not re-run automatically/);
    const comment = await waitFor(() => gh.comments(repo, pr.number).find((c) => /interrupted, not re-run automatically/.test(c.body)), {
      what: "the merged PR told",
    });
    assert.match(comment.body, /\/apply staging/);

    // The killed worker's step is ended by its watchdog (runner/step-watchdog.ts); nothing starts a
    // second one. Once the step has ended and every job is done, the record is final.
    await waitFor(async () => (await liveInGroup(step.pgid)).length === 0, { timeoutMs: 30_000, intervalMs: 250, what: "the orphaned apply step to end" });
    orphanGroup = undefined;
    await waitIdle({ sim: sim!, prefix });
    assert.ok((await appliesOf(mergeCommitSha)).length <= 1, "never re-run automatically");
    const other = await gh.openPullRequest({ repo, author: "alice", branch: "meanwhile", files: { "staging/desired.txt": "other\n" } });
    const locked = await waitFor(() => gh.checkRuns(repo, { headSha: other.headSha, name: "slipway/plan: staging" }).find((c) => c.status === "completed"), {
      timeoutMs: 30_000,
      what: "the other PR's plan",
    });
    assert.match(`${locked.output.title} ${locked.output.summary} ${locked.output.text}`, new RegExp(`locked by #${pr.number}`), "the project stays locked");

    // Released by a human: it runs again (its plan decides whether anything is left to change:
    // the killed worker's own step may have finished its one apply meanwhile).
    await gh.comment(pr, "carol", "/apply staging");
    await waitFor(() => gh.deploymentStatuses(repo, staging()!.id).at(-1)?.state === "success", {
      timeoutMs: 60_000,
      what: "the deployment success after the re-run",
    });
    assert.equal(await readFile(path.join(world, "staging.txt"), "utf8"), "SLOW\n", "the world matches main");
    assert.ok((await appliesOf(mergeCommitSha)).length <= 2, "at most the interrupted apply and the one a human asked for");
    const relocked = await gh.openPullRequest({ repo, author: "alice", branch: "after", files: { "staging/desired.txt": "after\n" } });
    const free = await waitFor(() => gh.checkRuns(repo, { headSha: relocked.headSha, name: "slipway/plan: staging" }).find((c) => c.status === "completed"), {
      timeoutMs: 30_000,
      what: "a later PR's plan",
    });
    assert.doesNotMatch(`${free.output.title} ${free.output.summary}`, new RegExp(`locked by #${pr.number}`), "the lock is released once the re-run succeeded");
    const replanned = await waitFor(
      () => gh.checkRuns(repo, { headSha: other.headSha, name: "slipway/plan: staging" }).filter((c) => c.status === "completed").length >= 2,
      { timeoutMs: 30_000, what: "the waiting PR planned again" },
    );
    assert.ok(replanned);
  });

  test("a merge queue group's apply cut short fails its check, takes the pull request out of the queue, and is never re-run", async () => {
    const gh = sim!.scenario;
    // The test before killed one of the two workers: two alive again, one to kill and one to notice.
    processes.push(await startSlipwayProcess(app, { role: "worker", prefix, env, concurrency: 1 }));
    const config = await readFile(path.join(import.meta.dirname, "../fixtures/deploy-repo/.slipway.yml"), "utf8");
    await gh.createRepo({ owner: "acme", name: "killed-in-queue", fixture: "deploy-repo", files: { ".slipway.yml": `apply: in_merge_queue\n${config}` } });
    const repo = "acme/killed-in-queue";
    gh.setMergeQueue(repo, ["slipway/apply: staging"]);
    const pr = await gh.openPullRequest({ repo, author: "alice", branch: "slow", files: { "staging/desired.txt": "SLOW, in the queue\n" } });
    await waitFor(() => gh.checkRuns(repo, { headSha: pr.headSha, name: "slipway/plan: staging" }).find((c) => c.status === "completed"), {
      timeoutMs: 30_000,
      what: "the plan",
    });
    // (The world of the test before holds "SLOW": this one differs from it, so it has changes.)
    const main = await gh.branchSha(repo, "main");
    const group = await gh.enqueue(pr, "alice");
    await waitFor(() => gh.checkRuns(repo, { headSha: group.headSha, name: "slipway/apply: staging" }).find((c) => c.status === "in_progress"), {
      timeoutMs: 30_000,
      what: "the group's apply to start",
    });
    const step = await killWorkerRunningApply("a worker running the group's apply step");

    const failed = await waitFor(
      () => {
        const c = gh.checkRuns(repo, { headSha: group.headSha, name: "slipway/apply: staging" }).at(-1);
        return c?.status === "completed" ? c : null;
      },
      { timeoutMs: 30_000, what: "the group's apply check completed" },
    );
    assert.equal(failed.conclusion, "failure");
    assert.match(failed.output.title, /interrupted, not re-run automatically/);
    await waitFor(() => gh.mergeQueue(repo).find((e) => e.pulls.includes(pr.number))?.state === "dequeued" || null, {
      timeoutMs: 30_000,
      what: "the pull request out of the queue",
    });
    await waitFor(() => gh.comments(repo, pr.number).find((c) => /was interrupted, not re-run automatically/.test(c.body)), { what: "the PR told" });
    await waitFor(() => gh.comments(repo, pr.number).find((c) => /Applied, but not merged/.test(c.body)), { what: "the world reported ahead of main" });

    await waitFor(async () => (await liveInGroup(step.pgid)).length === 0, { timeoutMs: 30_000, intervalMs: 250, what: "the orphaned apply step to end" });
    orphanGroup = undefined;
    await waitIdle({ sim: sim!, prefix });
    assert.ok((await appliesOf(group.headSha)).length <= 1, "never re-run automatically");
    assert.equal(await gh.branchSha(repo, "main"), main, "main did not move");
  });
  test("a drift repair cut short is said on its drift issue, and never re-run on its own", async () => {
    const gh = sim!.scenario;
    // Two workers alive again: one to kill, one to notice.
    processes.push(await startSlipwayProcess(app, { role: "worker", prefix, env, concurrency: 1 }));
    // A project of its own (the world is shared by this file's tests), repaired by drift on its own.
    const config = `version: 1
projects:
  - name: repairable
    dir: staging
    workflow: world
workflows:
  world:
    plan: [{run: "sh ../plan.sh"}]
    apply: [{run: "sh ../apply.sh"}]
drift:
  remediate: true
`;
    const info = await gh.createRepo({
      owner: "acme",
      name: "killed-repair",
      fixture: "deploy-repo",
      files: { ".slipway.yml": config, "staging/desired.txt": "SLOW, repaired\n" },
    });
    const repo = "acme/killed-repair";
    const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
    const applies = new Queue(APPLY_QUEUE, { connection: redis, prefix: queueKeyPrefix(prefix) });
    try {
      // Run the drift job now, as its schedule would.
      await applies.add("drift", { kind: "drift", deliveryId: "test-repair", repo: info, branch: "main" }, { jobId: `drift/acme/killed-repair/test-repair` });
      const step = await killWorkerRunningApply("a worker running the repair's apply step");

      const issue = await waitFor(() => gh.issues(repo, { labels: ["drift"], state: "open" })[0], { timeoutMs: 30_000, what: "the drift issue" });
      assert.match(issue.body, /The repair of `repairable` at [0-9a-f]{7} was interrupted, not re-run automatically/);
      assert.match(issue.body, /comments `\/apply` here to repair it again/);

      await waitFor(async () => (await liveInGroup(step.pgid)).length === 0, { timeoutMs: 30_000, intervalMs: 250, what: "the orphaned apply step to end" });
      orphanGroup = undefined;
      await waitIdle({ sim: sim!, prefix });
      const repairs = (await readFile(path.join(world, "applies.log"), "utf8").catch(() => "")).split("\n").filter((l) => l.startsWith("applied repairable "));
      assert.ok(repairs.length <= 1, "never re-run automatically");
      assert.equal(gh.issues(repo, { labels: ["drift"], state: "all" }).length, 1, "one issue says it");
    } finally {
      await applies.close();
      redis.disconnect();
    }
  });

  test("a direct push's deploy cut short opens its release issue, where `/apply <environment>` runs it again", async () => {
    const gh = sim!.scenario;
    // Two workers alive again: one to kill, one to notice.
    processes.push(await startSlipwayProcess(app, { role: "worker", prefix, env, concurrency: 1 }));
    await gh.createRepo({ owner: "acme", name: "killed-push", fixture: "deploy-repo" });
    const repo = "acme/killed-push";
    // Staging needs no approval: a push applies it at once. (Differs from the world the tests before left.)
    const { after: sha } = await gh.pushToDefaultBranch(repo, { "staging/desired.txt": "SLOW, pushed\n" });
    const staging = () => gh.deployments(repo).find((d) => d.environment === "staging" && d.sha === sha);
    await waitFor(() => staging() && gh.deploymentStatuses(repo, staging()!.id).some((s) => s.state === "in_progress"), {
      timeoutMs: 30_000,
      what: "the apply of the push to start",
    });
    const step = await killWorkerRunningApply("a worker running the push's apply step");

    // No pull request to tell: the release issue of the commit says it, and where to act.
    const issue = await waitFor(() => gh.issues(repo, { labels: ["release"], state: "open" })[0], { timeoutMs: 30_000, what: "the release issue" });
    assert.equal(issue.title, `Deploy of ${sha.slice(0, 7)} to staging waits for release`);
    assert.match(
      String(issue.body),
      /staging was interrupted, not re-run automatically while applying staging: an approver comments `\/apply staging` on the release issue of this commit to run it again/,
    );
    assert.match(String(issue.body), /the world may be half-changed/);
    assert.doesNotMatch(String(issue.body), /merged pull request/);
    assert.equal(gh.deploymentStatuses(repo, staging()!.id).at(-1)?.state, "error");

    await waitFor(async () => (await liveInGroup(step.pgid)).length === 0, { timeoutMs: 30_000, intervalMs: 250, what: "the orphaned apply step to end" });
    orphanGroup = undefined;
    await waitIdle({ sim: sim!, prefix });
    assert.ok((await appliesOf(sha)).length <= 1, "never re-run automatically");

    // Released there by a human, under the rules of any release: it runs again, and the issue closes.
    await gh.comment({ repo, number: Number(issue.number) }, "carol", "/apply staging");
    await waitFor(() => gh.deploymentStatuses(repo, staging()!.id).at(-1)?.state === "success", {
      timeoutMs: 60_000,
      what: "the deployment success after the re-run",
    });
    assert.equal(await readFile(path.join(world, "staging.txt"), "utf8"), "SLOW, pushed\n", "the world matches main");
    await waitFor(() => gh.issues(repo, { labels: ["release"], state: "closed" }).length === 1, { timeoutMs: 30_000, what: "the release issue closed" });
    assert.ok((await appliesOf(sha)).length <= 2, "at most the interrupted apply and the one a human asked for");
  });

  test("a direct push's deploy cut short while its release issue is open is told there, in a comment", async () => {
    const gh = sim!.scenario;
    processes.push(await startSlipwayProcess(app, { role: "worker", prefix, env, concurrency: 1 }));
    await gh.createRepo({ owner: "acme", name: "killed-push-waiting", fixture: "deploy-repo" });
    const repo = "acme/killed-push-waiting";
    // Production needs an approval, so the issue opens as the deploy starts; staging applies meanwhile.
    const { after: sha } = await gh.pushToDefaultBranch(repo, { "staging/desired.txt": "SLOW, pushed again\n", "production/desired.txt": "pushed\n" });
    const issue = await waitFor(() => gh.issues(repo, { labels: ["release"], state: "open" })[0], { timeoutMs: 30_000, what: "the release issue" });
    assert.equal(issue.title, `Deploy of ${sha.slice(0, 7)} to production waits for release`);
    const step = await killWorkerRunningApply("a worker running staging's apply step");

    const told = await waitFor(() => gh.comments(repo, Number(issue.number)).find((c) => /interrupted, not re-run automatically/.test(c.body)), {
      timeoutMs: 30_000,
      what: "the release issue told",
    });
    assert.match(told.body, new RegExp(`The deploy of ${sha.slice(0, 7)} was interrupted, not re-run automatically: the worker applying \`staging\` stopped`));
    assert.match(told.body, /`\/apply staging` on the release issue of this commit to run it again/);
    assert.equal(gh.issues(repo, { labels: ["release"], state: "all" }).length, 1, "one issue for the commit");

    await waitFor(async () => (await liveInGroup(step.pgid)).length === 0, { timeoutMs: 30_000, intervalMs: 250, what: "the orphaned apply step to end" });
    orphanGroup = undefined;
    await waitIdle({ sim: sim!, prefix });
    assert.ok((await appliesOf(sha)).length <= 1, "never re-run automatically");
  });
});
