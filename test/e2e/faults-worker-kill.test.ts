// Fault test: the worker running a plan is SIGKILLed. One webhook server and two workers share a
// queue; the plan's step sleeps 20 s. Once BullMQ's lock of the dead worker's job expires (30 s by
// default) the other worker must run the job again, and the pull request must end with one
// correct result: a completed plan check and one sticky comment showing it.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startGitHubSimulator, type GitHubSimulator } from "../support/github-simulator/index.ts";
import { waitIdle } from "../support/idle.ts";
import { deleteKeysWithPrefix, uniquePrefix } from "../support/redis.ts";
import { waitFor } from "../support/scenario/wait-for.ts";
import { startSlipwayProcess, type SlipwayProcess } from "../support/slipway-process.ts";
import { descendantsOf } from "../integration/faults/process-tree.ts";
import { STICKY, keepLogs } from "./change-control-helpers.ts";

type Json = Record<string, any>;

const prefix = uniquePrefix("faults-kill");
let sim: GitHubSimulator | undefined;
const processes: SlipwayProcess[] = [];
/** Process groups of plan steps orphaned by the kill: ended by the test, not left to sleep. */
const orphanGroups: number[] = [];

describe("a worker killed mid-plan", () => {
  before(async () => {
    sim = await startGitHubSimulator();
    const app = { gheHost: sim.host, appId: sim.appId, privateKey: sim.privateKey, webhookSecret: sim.webhookSecret };
    // A 5 s job lock (default 30 s): the surviving worker notices the dead one within ~10 s.
    const env = { SLIPWAY_JOB_LOCK_SECONDS: "5" };
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
    // The step's group is not the worker's (it runs detached): the kill leaves it orphaned.
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
});
