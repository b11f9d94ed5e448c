// Fault test: the worker running a plan is SIGKILLed. One webhook server and two workers share a
// queue; the plan's step sleeps 20 s. Once BullMQ's lock of the dead worker's job expires (30 s by
// default) the other worker must run the job again, and the pull request must end with one
// correct result: a completed plan check and one sticky comment showing it.
// Then the worker running an apply is SIGKILLed: its step's process group must end with it (the
// step's watchdog, runner/step-watchdog.ts) before the apply is reported interrupted.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { startGitHubSimulator, type GitHubSimulator } from "../support/github-simulator/index.ts";
import { waitIdle } from "../support/idle.ts";
import { deleteKeysWithPrefix, uniquePrefix } from "../support/redis.ts";
import { waitFor } from "../support/scenario/wait-for.ts";
import { startSlipwayProcess, type SlipwayProcess } from "../support/slipway-process.ts";
import { descendantsOf, groupRunning } from "../integration/faults/process-tree.ts";
import { STICKY, keepLogs } from "./change-control-helpers.ts";

type Json = Record<string, any>;

const prefix = uniquePrefix("faults-kill");
let sim: GitHubSimulator | undefined;
const processes: SlipwayProcess[] = [];
/** Process groups of steps whose worker the test kills: their watchdogs end them; the test makes sure. */
const orphanGroups: number[] = [];
let world: string;
let app: Parameters<typeof startSlipwayProcess>[0];
/** SLIPWAY_JOB_LOCK_SECONDS of every process here. */
const LOCK_SECONDS = 5;
let env: Record<string, string>;

describe("a worker killed mid-job", () => {
  before(async () => {
    sim = await startGitHubSimulator();
    world = await mkdtemp(path.join(tmpdir(), "slipway-world-"));
    app = { gheHost: sim.host, appId: sim.appId, privateKey: sim.privateKey, webhookSecret: sim.webhookSecret };
    // A 5 s job lock (default 30 s): the surviving worker notices the dead one within ~10 s.
    env = { SLIPWAY_JOB_LOCK_SECONDS: String(LOCK_SECONDS), SLIPWAY_WORLD_DIR: world };
    processes.push(await startSlipwayProcess(app, { role: "server", prefix, env }));
    // Concurrency 1 each: the job cannot be picked up again by the worker that is busy with it.
    processes.push(await startSlipwayProcess(app, { role: "worker", prefix, concurrency: 1, env }));
    processes.push(await startSlipwayProcess(app, { role: "worker", prefix, concurrency: 1, env }));
    sim.setWebhookTarget(`${processes[0]!.url}/api/github/webhooks`);
    sim.scenario.addUser("alice", { permission: "write" });
  });
  after(async () => {
    for (const pgid of orphanGroups) {
      try {
        process.kill(-pgid, "SIGKILL");
      } catch {
        // already ended
      }
    }
    await keepLogs(
      "faults-worker-kill",
      processes.map((p) => p.logs()),
    );
    for (const p of processes) await p.stop();
    await sim?.stop();
    await deleteKeysWithPrefix(prefix); // a shared prefix is not cleaned by stop()
    await rm(world, { recursive: true, force: true });
  });

  test("the other worker runs the plan again and the PR ends with one correct result", async (t) => {
    const gh = sim!.scenario;
    await gh.createRepo({ owner: "acme", name: "worker-kill", fixture: "two-projects" });
    const pr = await gh.openPullRequest({ repo: "acme/worker-kill", author: "alice", branch: "slow", files: { "alpha/desired.txt": "SLOW\n" } });
    const alphaChecks = () => gh.checkRuns(pr.repo, { headSha: pr.headSha, name: "slipway/plan: alpha" });
    const killedCheck = await waitFor(() => alphaChecks().find((c) => c.status === "in_progress"), { timeoutMs: 30_000, what: "the slow plan to start" });

    // The plan step is a child process of the worker that runs it.
    const workers = processes.slice(1);
    const planStepsOf = async (w: SlipwayProcess) => (await descendantsOf(w.pid)).filter((p) => /^sleep 20\b/.test(p.cmd) || /plan\.sh/.test(p.cmd));
    const { victim, steps } = await waitFor(
      async () => {
        for (const w of workers) {
          const steps = await planStepsOf(w);
          if (steps.length > 0) return { victim: w, steps };
        }
        return null;
      },
      { timeoutMs: 10_000, what: "a worker running the plan step" },
    );
    const survivor = workers.find((w) => w !== victim)!;
    process.kill(victim.pid, "SIGKILL");
    const killedAt = Date.now();
    // The step's group is not the worker's (it runs detached): its watchdog ends it after the kill.
    orphanGroups.push(...new Set(steps.map((s) => s.pgid).filter((g) => g > 1 && g !== process.pid)));

    // Bounded at 90 s after the kill: ≤ 30 s lock expiry, ≤ 30 s to the next stalled-job check, 20 s step.
    const before = alphaChecks().length;
    await waitFor(() => alphaChecks().length > before, { timeoutMs: 70_000, intervalMs: 250, what: "the surviving worker to start the plan again" });
    const retriedAfterMs = Date.now() - killedAt;
    // The survivor runs it: the retried step (20 s of sleep) is its child.
    await waitFor(async () => (await planStepsOf(survivor)).length > 0, {
      timeoutMs: 20_000,
      intervalMs: 250,
      what: "the plan step running under the surviving worker",
    });
    const done = await waitFor(
      () => {
        const newest = alphaChecks().at(-1);
        return newest && newest.status === "completed" ? newest : null;
      },
      { timeoutMs: 90_000 - retriedAfterMs, intervalMs: 250, what: "the plan to be completed by the surviving worker" },
    );
    const doneAfterMs = Date.now() - killedAt;
    t.diagnostic(`after the SIGKILL: plan started again in ${(retriedAfterMs / 1000).toFixed(1)} s, completed in ${(doneAfterMs / 1000).toFixed(1)} s`);

    assert.equal(done.conclusion, "success", `${done.output?.title}\n${done.output?.summary}`);
    assert.match(done.output.text, /SLOW/, "the plan output of the head");
    assert.ok(done.id > killedCheck.id, "the result is the retry's check, not the killed worker's");
    const killedFinal = alphaChecks().find((c) => c.id === killedCheck.id)!;
    assert.notEqual(killedFinal.conclusion, "success", "the killed worker never finished it");
    const failed = alphaChecks().filter(
      (c) => c.status === "completed" && c.conclusion !== "success" && !(c.conclusion === "neutral" && c.output?.title === "Interrupted"),
    );
    assert.deepEqual(
      failed.map((c) => `${c.conclusion}: ${c.output?.title}`),
      [],
      "no failed or cancelled result shown for the head",
    );
    assert.deepEqual(
      alphaChecks()
        .filter((c) => c.status !== "completed")
        .map((c) => c.id),
      [],
      "the killed worker's check is closed, not left spinning",
    );

    await waitIdle({ sim: sim!, prefix }); // every job has ended: a duplicate comment would be there
    const comments = gh.comments(pr.repo, pr.number);
    const stickies = comments.filter((c: Json) => String(c.body).includes(STICKY));
    assert.equal(stickies.length, 1, "one sticky comment");
    assert.equal(comments.length, 1, "and no other comment");
    assert.match(stickies[0]!.body, new RegExp(pr.headSha.slice(0, 7)), "it names the head");
    assert.match(stickies[0]!.body, /SLOW/, "it shows the plan's output");
    assert.deepEqual(sim!.violations, []);
  });

  test("a worker killed mid-apply leaves no step process running, and the deployment says interrupted", async () => {
    const gh = sim!.scenario;
    // The test before killed one of the two workers: two alive again, one to kill and one to notice.
    processes.push(await startSlipwayProcess(app, { role: "worker", prefix, concurrency: 1, env }));
    await gh.createRepo({ owner: "acme", name: "killed-apply", fixture: "deploy-repo" });
    const repo = "acme/killed-apply";
    // HOLD: apply.sh waits (sleeping 0.1 s at a time, up to 2 minutes) for a file nobody writes.
    const pr = await gh.openPullRequest({ repo, author: "alice", branch: "held", files: { "staging/desired.txt": "HOLD\n" } });
    await waitFor(() => gh.checkRuns(repo, { headSha: pr.headSha, name: "slipway/plan: staging" }).find((c) => c.status === "completed"), {
      timeoutMs: 30_000,
      what: "the plan",
    });
    const { mergeCommitSha } = await gh.merge(pr, "alice");
    const live = processes.slice(1);
    const { victim, step } = await waitFor(
      async () => {
        for (const w of live) {
          const step = (await descendantsOf(w.pid)).find((p) => /apply\.sh/.test(p.cmd));
          if (step) return { victim: w, step };
        }
        return null;
      },
      { timeoutMs: 30_000, what: "a worker running the apply step" },
    );
    orphanGroups.push(step.pgid);
    process.kill(victim.pid, "SIGKILL");

    await waitFor(async () => !(await groupRunning(step.pgid)), {
      timeoutMs: (LOCK_SECONDS + 5) * 1000,
      intervalMs: 100,
      what: "no process of the apply step's group alive (job lock + 5 s)",
    });
    const staging = () => gh.deployments(repo).find((d) => d.environment === "staging");
    const errored = await waitFor(() => gh.deploymentStatuses(repo, staging()!.id).find((s) => s.state === "error"), {
      timeoutMs: 30_000,
      what: "the deployment marked interrupted",
    });
    assert.match(errored.description, /interrupted, not re-run automatically/);
    assert.equal(await groupRunning(step.pgid), false, "an apply reported interrupted is not running");
    await waitIdle({ sim: sim!, prefix });
    const applies = (await readFile(path.join(world, "applies.log"), "utf8").catch(() => "")).split("\n").filter((l) => l.endsWith(mergeCommitSha));
    assert.deepEqual(applies, [], "the apply was cut short and never re-run");
    assert.deepEqual(sim!.violations, []);
  });
});
