// Graceful shutdown (SPEC §10), with Slipway as real processes stopped by real signals: deliveries
// that arrive meanwhile get 503, a running apply finishes within the grace (or, once the grace has
// run out, is ended and reported interrupted), and a running plan is put back and finished by
// another worker. Steps wait on files the test writes, never on a fixed sleep.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { startGitHubSimulator, type GitHubSimulator } from "../support/github-simulator/index.ts";
import { deleteKeysWithPrefix, uniquePrefix } from "../support/redis.ts";
import { waitFor } from "../support/scenario/wait-for.ts";
import { startSlipwayProcess, type SlipwayProcess, type StartOptions } from "../support/slipway-process.ts";
import { descendantsOf, groupRunning } from "../integration/faults/process-tree.ts";
import { STICKY, keepLogs } from "./change-control-helpers.ts";

let sim: GitHubSimulator;
let app: Parameters<typeof startSlipwayProcess>[0];
const processes: SlipwayProcess[] = [];
const prefixes: string[] = [];
const worlds: string[] = [];
/** Step process groups a failed test might leave behind: ended in after(). */
const stepGroups: number[] = [];

async function start(opts: StartOptions): Promise<SlipwayProcess> {
  const p = await startSlipwayProcess(app, opts);
  processes.push(p);
  return p;
}

async function newWorld(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "slipway-world-"));
  worlds.push(dir);
  return dir;
}

/** The first step (argv matching `pattern`) running under one of `workers`, and which one. */
async function stepUnder(workers: SlipwayProcess[], pattern: RegExp, what: string) {
  const found = await waitFor(
    async () => {
      for (const w of workers) {
        const step = (await descendantsOf(w.pid)).find((p) => pattern.test(p.cmd));
        if (step) return { worker: w, step };
      }
      return null;
    },
    { timeoutMs: 30_000, what },
  );
  stepGroups.push(found.step.pgid);
  return found;
}

/** Bounded: fails the test if the process does not exit within `timeoutMs`. */
async function exitOf(p: SlipwayProcess, timeoutMs: number, what: string) {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: did not exit within ${timeoutMs} ms`)), timeoutMs)));
  try {
    return await Promise.race([p.exited, late]);
  } finally {
    clearTimeout(timer);
  }
}

describe("graceful shutdown", () => {
  before(async () => {
    sim = await startGitHubSimulator();
    app = { gheHost: sim.host, appId: sim.appId, privateKey: sim.privateKey, webhookSecret: sim.webhookSecret };
    for (const user of ["alice", "carol"]) sim.scenario.addUser(user, { permission: "write" });
  });
  after(async () => {
    for (const pgid of stepGroups) {
      try {
        process.kill(-pgid, "SIGKILL");
      } catch {
        // already ended
      }
    }
    if (process.env.CC_E2E_LOG_DIR)
      await keepLogs(
        "shutdown-graceful",
        processes.map((p) => p.logs()),
      );
    for (const p of processes) await p.stop();
    await sim?.stop();
    for (const prefix of prefixes) await deleteKeysWithPrefix(prefix);
    for (const dir of worlds) await rm(dir, { recursive: true, force: true });
  });

  test("SIGTERM during an apply: deliveries get 503 meanwhile, the apply finishes, the deployment succeeds, and the process exits 0", async () => {
    const world = await newWorld();
    const slipway = await start({ role: "all", env: { SLIPWAY_WORLD_DIR: world, SLIPWAY_SHUTDOWN_GRACE_SECONDS: "120" } });
    sim.setWebhookTarget(`${slipway.url}/api/github/webhooks`);
    const gh = sim.scenario;
    const repo = "acme/graceful-apply";
    await gh.createRepo({ owner: "acme", name: "graceful-apply", fixture: "deploy-repo" });
    // HOLD: apply.sh waits until the test writes release-staging into the world.
    const pr = await gh.openPullRequest({ repo, author: "alice", branch: "held", files: { "staging/desired.txt": "HOLD\n" } });
    await waitFor(() => gh.checkRuns(repo, { headSha: pr.headSha, name: "slipway/plan: staging" }).find((c) => c.status === "completed"), {
      timeoutMs: 30_000,
      what: "the plan",
    });
    await gh.merge(pr, "alice");
    const staging = () => gh.deployments(repo).find((d) => d.environment === "staging");
    const { step } = await stepUnder([slipway], /apply\.sh/, "the apply step running");

    process.kill(slipway.pid, "SIGTERM");
    // Readiness fails first: a load balancer or Kubernetes stops sending deliveries here.
    await waitFor(async () => (await fetch(`${slipway.url}/readyz`)).status === 503, { what: "/readyz to answer 503 once the shutdown began" });

    // GitHub records a failed delivery (for redelivery to fetch back) instead of a lost intent.
    const before = sim.deliveries.length;
    await gh.comment(pr, "alice", "/plan");
    const turnedAway = await waitFor(() => sim.deliveries.slice(before).find((d) => d.event === "issue_comment" && (d.status !== 0 || d.error)), {
      what: "the delivery during the shutdown answered",
    });
    assert.equal(turnedAway.status, 503, `a delivery during the shutdown: ${turnedAway.error ?? turnedAway.responseBody}`);
    assert.equal(await groupRunning(step.pgid), true, "the apply goes on");
    // A second signal does not cut the grace short: it says so, and the apply still goes on.
    process.kill(slipway.pid, "SIGTERM");
    await waitFor(() => /still shutting down: running jobs get up to \d+ s more/.test(slipway.logs()), { what: "the second signal answered in the log" });
    assert.equal(await groupRunning(step.pgid), true, "the apply goes on after a second signal");

    await writeFile(path.join(world, "release-staging"), "");
    const exit = await exitOf(slipway, 120_000, "Slipway, once its apply finished");
    assert.deepEqual(exit, { code: 0, signal: null }, "exits 0");
    assert.equal(gh.deploymentStatuses(repo, staging()!.id).at(-1)?.state, "success", "the deployment succeeded");
    assert.equal(await readFile(path.join(world, "staging.txt"), "utf8"), "HOLD\n", "the world was changed once, fully");
    assert.equal(await groupRunning(step.pgid), false);
    assert.deepEqual(sim.violations, []);
  });

  test("SIGTERM during a plan: the plan is put back and finished by another worker, never shown as failed", async () => {
    const world = await newWorld();
    const prefix = uniquePrefix("shutdown-plan");
    prefixes.push(prefix);
    const env = { SLIPWAY_WORLD_DIR: world };
    const server = await start({ role: "server", prefix, env });
    const first = await start({ role: "worker", prefix, env, concurrency: 1 });
    sim.setWebhookTarget(`${server.url}/api/github/webhooks`);
    const gh = sim.scenario;
    const repo = "acme/graceful-plan";
    await gh.createRepo({ owner: "acme", name: "graceful-plan", fixture: "held-plan-repo" });
    // held-plan-repo's plan.sh waits until the test writes release-<sha> into the world.
    const pr = await gh.openPullRequest({ repo, author: "alice", branch: "held", files: { "app/desired.txt": "held plan\n" } });
    const checks = () => gh.checkRuns(repo, { headSha: pr.headSha, name: "slipway/plan: app" });
    const { step } = await stepUnder([first], /plan\.sh/, "the plan step running on the first worker");
    // Started only now, so that the plan can only have gone to the first one.
    const second = await start({ role: "worker", prefix, env, concurrency: 1 });

    process.kill(first.pid, "SIGTERM");
    const exit = await exitOf(first, 30_000, "the first worker, with only a plan running");
    assert.deepEqual(exit, { code: 0, signal: null }, "exits 0 without waiting for the plan");
    assert.equal(await groupRunning(step.pgid), false, "its plan step was ended");

    await stepUnder([second], /plan\.sh/, "the plan running again on the second worker");
    await writeFile(path.join(world, `release-${pr.headSha}`), "");
    const done = await waitFor(
      () => {
        const newest = checks().at(-1);
        return newest?.status === "completed" ? newest : null;
      },
      { timeoutMs: 60_000, what: "the plan finished by the second worker" },
    );
    assert.equal(done.conclusion, "success", `${done.output?.title}\n${done.output?.summary}`);
    const shown = checks().filter((c) => c.status === "completed" && c.conclusion !== "success");
    assert.deepEqual(
      shown.map((c) => `${c.conclusion}: ${c.output?.title}`),
      checks().length > 1 ? ["neutral: Interrupted"] : [],
      "the stopped run's check says interrupted, not failed",
    );
    assert.deepEqual(
      checks()
        .filter((c) => c.status !== "completed")
        .map((c) => c.id),
      [],
      "no check left spinning",
    );
    const sticky = await waitFor(() => gh.comments(repo, pr.number).find((c) => String(c.body).includes(STICKY) && /held plan/.test(c.body)), {
      what: "the sticky comment with the plan",
    });
    assert.match(sticky.body, new RegExp(pr.headSha.slice(0, 7)), "it shows the head's plan");
    assert.deepEqual(sim.violations, []);
  });

  test("an apply still running when the grace runs out is ended and reported interrupted, and the process exits 0", async () => {
    const world = await newWorld();
    const prefix = uniquePrefix("shutdown-grace");
    prefixes.push(prefix);
    const env = { SLIPWAY_WORLD_DIR: world, SLIPWAY_JOB_LOCK_SECONDS: "3" };
    const server = await start({ role: "server", prefix, env });
    const first = await start({ role: "worker", prefix, env: { ...env, SLIPWAY_SHUTDOWN_GRACE_SECONDS: "2" }, concurrency: 1 });
    sim.setWebhookTarget(`${server.url}/api/github/webhooks`);
    const gh = sim.scenario;
    const repo = "acme/grace-over";
    await gh.createRepo({ owner: "acme", name: "grace-over", fixture: "deploy-repo" });
    const pr = await gh.openPullRequest({ repo, author: "alice", branch: "held", files: { "staging/desired.txt": "HOLD\n" } });
    await waitFor(() => gh.checkRuns(repo, { headSha: pr.headSha, name: "slipway/plan: staging" }).find((c) => c.status === "completed"), {
      timeoutMs: 30_000,
      what: "the plan",
    });
    const { mergeCommitSha } = await gh.merge(pr, "alice");
    const staging = () => gh.deployments(repo).find((d) => d.environment === "staging");
    const { step } = await stepUnder([first], /apply\.sh/, "the apply step running on the first worker");
    // The one that notices the cut-short apply, as it would a killed worker's.
    await start({ role: "worker", prefix, env, concurrency: 1 });

    process.kill(first.pid, "SIGTERM");
    const exit = await exitOf(first, 30_000, "the first worker, after its grace");
    assert.deepEqual(exit, { code: 0, signal: null });
    await waitFor(async () => !(await groupRunning(step.pgid)), { timeoutMs: 8_000, what: "the apply step ended (job lock + 5 s)" });
    const errored = await waitFor(() => gh.deploymentStatuses(repo, staging()!.id).find((s) => s.state === "error"), {
      timeoutMs: 30_000,
      what: "the deployment marked interrupted",
    });
    assert.match(errored.description, /interrupted, not re-run automatically/);
    assert.equal(await groupRunning(step.pgid), false, "an apply reported interrupted is not running");
    const applies = (await readFile(path.join(world, "applies.log"), "utf8").catch(() => "")).split("\n").filter((l) => l.endsWith(mergeCommitSha));
    assert.deepEqual(applies, [], "never finished, never re-run");
    assert.deepEqual(sim.violations, []);
  });
});
