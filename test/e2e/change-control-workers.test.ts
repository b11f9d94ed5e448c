// Applies across workers: one webhook server and two worker processes share a queue; two `/apply`
// for one project must not run at the same time, and the approved plan is applied once.
import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { after, before, describe, test } from "node:test";
import { startGitHubSimulator, type GitHubSimulator } from "../support/github-simulator/index.ts";
import { waitIdle } from "../support/idle.ts";
import { deleteKeysWithPrefix, uniquePrefix } from "../support/redis.ts";
import type { PullInfo } from "../support/scenario/scenario.ts";
import { startSlipwayProcess, type SlipwayProcess } from "../support/slipway-process.ts";
import {
  addPeople,
  applyRecords,
  approvalIs,
  checkText,
  keepLogs,
  makeWorldDir,
  newestCheck,
  newGatedRepo,
  planned,
  waitForCheck,
} from "./change-control-helpers.ts";

let sim: GitHubSimulator | undefined;
let worldDir: string | undefined;
const prefix = uniquePrefix("cc-workers");
const processes: SlipwayProcess[] = [];

describe("applies across two workers", () => {
  before(async () => {
    worldDir = await makeWorldDir();
    sim = await startGitHubSimulator();
    const app = { gheHost: sim.host, appId: sim.appId, privateKey: sim.privateKey, webhookSecret: sim.webhookSecret };
    const env = { SLIPWAY_WORLD_DIR: worldDir };
    // Pushed one at a time, so `after` stops whatever did start if a later start fails.
    processes.push(await startSlipwayProcess(app, { role: "server", prefix, env }));
    // Concurrency 1: a worker busy with the first apply leaves the second to the other worker.
    processes.push(await startSlipwayProcess(app, { role: "worker", prefix, env, concurrency: 1 }));
    processes.push(await startSlipwayProcess(app, { role: "worker", prefix, env, concurrency: 1 }));
    sim.setWebhookTarget(`${processes[0]!.url}/api/github/webhooks`);
    addPeople(sim.scenario);
  });
  after(async () => {
    await keepLogs(
      "cc-workers",
      processes.map((p) => p.logs()),
    );
    for (const p of processes) await p.stop();
    await sim?.stop();
    await deleteKeysWithPrefix(prefix);
    if (worldDir) await rm(worldDir, { recursive: true, force: true });
  });

  test("two /apply for one project run it once, never two at a time", async () => {
    const gh = sim!.scenario;
    const repo = await newGatedRepo(gh, "cc-workers");
    const pr: PullInfo = await gh.openPullRequest({ repo, author: "alice", branch: "twice", files: { "app/desired.txt": "applied once\n" } });
    await planned(gh, pr, "app");
    await gh.comment(pr, "carol", "/approve");
    await approvalIs(gh, pr, "success", "carol's approval");

    // Back to back: each comment returns once the server has answered its webhook.
    await gh.comment(pr, "alice", "/apply");
    await gh.comment(pr, "alice", "/apply");
    await waitForCheck(gh, pr, "slipway/apply: app", (c) => c.conclusion === "success", "an apply to succeed");
    // Both /apply jobs done (a wrong second run included: apply.sh takes 1 s) before reading the records.
    await waitIdle({ sim: sim!, prefix });

    const records = await applyRecords(worldDir!);
    const lines = records.map((r) => `${r.phase} ${r.project} ${r.sha.slice(0, 7)} ${r.at}`).join("\n");
    // Overlap first: two runs at once is the worse failure, and its message should say so.
    const app = records.filter((r) => r.project === "app");
    for (let i = 0; i + 1 < app.length; i += 2) {
      assert.equal(app[i]!.phase, "start", `runs overlapped:\n${lines}`);
      assert.equal(app[i + 1]!.phase, "end", `runs overlapped:\n${lines}`);
    }
    const mine = app.filter((r) => r.sha === pr.headSha);
    assert.deepEqual(
      mine.map((r) => r.phase),
      ["start", "end"],
      `apply.sh ran once for the head:\n${lines}`,
    );
    const current = newestCheck(gh, repo, pr.headSha, "slipway/apply: app")!;
    assert.equal(current.conclusion, "success", `the second /apply does not leave the PR looking failed:\n${checkText(current)}`);
  });
});
