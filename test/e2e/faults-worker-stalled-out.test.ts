// Fault test: the workers running a plan are SIGKILLed twice in a row. BullMQ re-runs a stalled
// plan once (maxStalledCount 1); after the second stall the next worker fails the job without
// running it. That worker must say so: the plan's open check completes as failed with why, the
// pull request is told how to run it again, the run's log ends (a streaming client gets `end`
// instead of heartbeats forever) and the plan is counted interrupted.
// One webhook server, then one worker at a time: each new worker notices the dead one's job.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { startGitHubSimulator, type GitHubSimulator } from "../support/github-simulator/index.ts";
import { parseProm, valueOf } from "../support/prom-text.ts";
import { deleteKeysWithPrefix, uniquePrefix } from "../support/redis.ts";
import { waitFor } from "../support/scenario/wait-for.ts";
import { eventsUntil, openSse, type SseConnection } from "../support/sse-client.ts";
import { startSlipwayProcess, type SlipwayProcess } from "../support/slipway-process.ts";
import { descendantsOf } from "../integration/faults/process-tree.ts";
import { keepLogs } from "./change-control-helpers.ts";

const TOKEN = "e2e-stalled-out-token-0123456789";
const auth = { authorization: `Bearer ${TOKEN}` };
/** SLIPWAY_JOB_LOCK_SECONDS (the minimum): a dead worker's job is noticed within ~2 locks. */
const LOCK_SECONDS = 2;
const CONFIG = `version: 1
projects:
  - name: app
    dir: app
    workflow: held
workflows:
  held:
    plan: [{run: ["sh", "plan.sh"], timeout_seconds: 600}]
`;
// Prints a line, then blocks far longer than the test: only a killed worker ends it.
const PLAN = `echo "planning app"\nsleep 599\n`;

const prefix = uniquePrefix("stalled-out");
let sim: GitHubSimulator | undefined;
let app: Parameters<typeof startSlipwayProcess>[0];
let env: Record<string, string>;
let world: string;
const processes: SlipwayProcess[] = [];
/** Process groups of the steps of killed workers: their watchdogs end them; the test makes sure. */
const stepGroups: number[] = [];
let sse: SseConnection | undefined;

const startWorker = async () => {
  const w = await startSlipwayProcess(app, { role: "worker", prefix, concurrency: 1, env });
  processes.push(w);
  return w;
};

/** Waits until `worker` runs the plan step, then SIGKILLs it and waits for it to be gone. */
async function killWhilePlanning(worker: SlipwayProcess): Promise<void> {
  const steps = await waitFor(
    async () => {
      const found = (await descendantsOf(worker.pid)).filter((p) => /^sleep 599\b/.test(p.cmd));
      return found.length > 0 ? found : null;
    },
    { timeoutMs: 60_000, intervalMs: 100, what: `worker ${worker.pid} running the plan step` },
  );
  stepGroups.push(...new Set(steps.map((s) => s.pgid).filter((g) => g > 1 && g !== process.pid)));
  process.kill(worker.pid, "SIGKILL");
  await worker.exited;
}

async function scrape() {
  const res = await fetch(`${processes[0]!.url}/metrics`);
  assert.equal(res.status, 200);
  return parseProm(await res.text());
}

/** `promise`, or a failure naming `what` after `ms`. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)));
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

describe("a plan whose workers keep dying", () => {
  before(async () => {
    sim = await startGitHubSimulator();
    world = await mkdtemp(path.join(tmpdir(), "slipway-stalled-"));
    app = { gheHost: sim.host, appId: sim.appId, privateKey: sim.privateKey, webhookSecret: sim.webhookSecret };
    env = { SLIPWAY_JOB_LOCK_SECONDS: String(LOCK_SECONDS), SLIPWAY_API_TOKEN: TOKEN, SLIPWAY_WORLD_DIR: world };
    processes.push(await startSlipwayProcess(app, { role: "server", prefix, env }));
    sim.setWebhookTarget(`${processes[0]!.url}/api/github/webhooks`);
    sim.scenario.addUser("alice", { permission: "write" });
  });
  after(async () => {
    sse?.close();
    for (const pgid of stepGroups) {
      try {
        process.kill(-pgid, "SIGKILL");
      } catch {
        // already ended
      }
    }
    await keepLogs(
      "faults-worker-stalled-out",
      processes.map((p) => p.logs()),
    );
    for (const p of processes) await p.stop();
    await sim?.stop();
    await deleteKeysWithPrefix(prefix); // a shared prefix is not cleaned by stop()
    await rm(world, { recursive: true, force: true });
  });

  test("after the second dead worker, the next one fails the plan's check, tells the PR and ends the log", async () => {
    const gh = sim!.scenario;
    const info = await gh.createRepo({ owner: "acme", name: "stalled", files: { ".slipway.yml": CONFIG, "app/plan.sh": PLAN } });
    const repo = info.fullName;
    const first = await startWorker();
    const pr = await gh.openPullRequest({ repo, author: "alice", branch: "held", files: { "app/desired.txt": "v2\n" } });
    const checks = () => gh.checkRuns(repo, { headSha: pr.headSha, name: "slipway/plan: app" });

    await killWhilePlanning(first);
    // The next worker finds the job stalled once: it runs it again (its second start).
    const second = await startWorker();
    await killWhilePlanning(second);
    // A client streaming the run's log while nobody runs it any more.
    const runId = `plan/${repo}/${pr.number}/${pr.headSha}`;
    sse = await openSse(`${processes[0]!.url}/api/v1/runs/${encodeURIComponent(runId)}/log`, auth);
    assert.equal(sse.status, 200);
    const ended = eventsUntil(sse, (e) => e.event === "end");
    ended.catch(() => undefined); // awaited below, once the third worker has had its turn

    // Stalled twice: this one fails it without running it, and must say so.
    await startWorker();
    const failed = await waitFor(() => checks().find((c) => c.status === "completed" && c.conclusion === "failure"), {
      timeoutMs: 60_000,
      intervalMs: 100,
      what: "the plan's check completed as failed",
    });
    assert.match(failed.output.summary, /stopped 2 times/);
    assert.match(failed.output.summary, /`\/plan`/);
    assert.deepEqual(
      checks()
        .filter((c) => c.status !== "completed")
        .map((c) => c.id),
      [],
      "no check of the plan left in progress",
    );
    const told = await waitFor(() => gh.comments(repo, pr.number).find((c) => /could not finish/.test(String(c.body))), {
      timeoutMs: 15_000,
      what: "the pull request told",
    });
    assert.match(told.body, new RegExp(pr.headSha.slice(0, 7)));
    assert.match(told.body, /`app`/);
    assert.match(told.body, /`\/plan`/);

    const events = await within(ended, 30_000, "the run log's end event");
    const lines = events.filter((e) => e.event === "message").map((e) => JSON.parse(e.data).line as string);
    assert.ok(lines.includes("planning app"), lines.join("\n"));
    assert.equal(lines.at(-1), "slipway: the worker running this stopped 2 times before it finished; it is not tried again");

    // Audited like a finished plan: one `plan` event for its project, its outcome an error.
    const res = await fetch(`${processes[0]!.url}/api/v1/audit?repo=${repo}&kind=plan`, { headers: auth });
    assert.equal(res.status, 200);
    const audited = ((await res.json()) as { events: Record<string, unknown>[] }).events.filter((e) => e.pull === pr.number);
    assert.equal(audited.length, 1, JSON.stringify(audited));
    assert.equal(audited[0]!.project, "app");
    assert.equal(audited[0]!.outcome, "error");
    assert.match(String(audited[0]!.reason), /stopped 2 times/);

    // Counted once, as an apply cut short is (the killed attempts were never counted).
    const jobs = (m: Awaited<ReturnType<typeof scrape>>, outcome: string) => valueOf(m, "slipway_jobs_total", { kind: "plan", outcome });
    const metrics = await waitFor(
      async () => {
        const m = await scrape();
        return jobs(m, "interrupted") === 1 ? m : null;
      },
      { what: "the plan counted interrupted in the server's metrics (workers send totals every second)" },
    );
    assert.equal(jobs(metrics, "failed") + jobs(metrics, "succeeded"), 0);
    assert.deepEqual(sim!.violations, []);
  });
});
