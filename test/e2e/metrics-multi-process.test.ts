// Metrics across processes: a job run by a worker process (no HTTP server of its own) shows in
// the /metrics of every webhook server of the installation, with the same totals.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startGitHubSimulator, type GitHubSimulator } from "../support/github-simulator/index.ts";
import { waitIdle } from "../support/idle.ts";
import { parseProm, valueOf } from "../support/prom-text.ts";
import { deleteKeysWithPrefix, uniquePrefix } from "../support/redis.ts";
import { waitFor } from "../support/scenario/wait-for.ts";
import { startSlipwayProcess, type SlipwayProcess } from "../support/slipway-process.ts";

let sim: GitHubSimulator | undefined;
const prefix = uniquePrefix("metrics-multi");
const processes: SlipwayProcess[] = [];

async function scrape(p: SlipwayProcess) {
  const res = await fetch(`${p.url}/metrics`);
  assert.equal(res.status, 200);
  return parseProm(await res.text());
}

describe("metrics of a multi-process installation", () => {
  before(async () => {
    sim = await startGitHubSimulator();
    const app = { gheHost: sim.host, appId: sim.appId, privateKey: sim.privateKey, webhookSecret: sim.webhookSecret };
    processes.push(await startSlipwayProcess(app, { role: "server", prefix }));
    processes.push(await startSlipwayProcess(app, { role: "server", prefix }));
    processes.push(await startSlipwayProcess(app, { role: "worker", prefix }));
    sim.setWebhookTarget(`${processes[0]!.url}/api/github/webhooks`);
    sim.scenario.addUser("alice", { permission: "write" });
  });
  after(async () => {
    for (const p of processes) await p.stop();
    await sim?.stop();
    await deleteKeysWithPrefix(prefix);
  });

  test("a plan run by the worker shows on both servers: jobs, durations, GitHub requests", async () => {
    const gh = sim!.scenario;
    await gh.createRepo({ owner: "acme", name: "infra", fixture: "two-projects" });
    await gh.openPullRequest({ repo: "acme/infra", author: "alice", branch: "one", files: { "alpha/desired.txt": "v2\n" } });
    await waitIdle({ sim: sim!, prefix });
    const [server, other] = [processes[0]!, processes[1]!];
    // The worker sends its totals to Redis once a second: wait for them, not for a fixed time.
    const m = await waitFor(
      async () => {
        const s = await scrape(server);
        return valueOf(s, "slipway_jobs_total", { kind: "plan", outcome: "succeeded" }) === 1 ? s : null;
      },
      { what: "the worker's plan in the server's metrics" },
    );
    assert.equal(valueOf(m, "slipway_job_duration_seconds_count", { kind: "plan" }), 1);
    assert.ok(valueOf(m, "slipway_github_requests_total", { method: "POST", route: "/repos/{owner}/{repo}/check-runs" }) >= 1);
    assert.ok(valueOf(m, "slipway_webhook_deliveries_total", { event: "pull_request", outcome: "accepted" }) >= 1, "deliveries, recorded by this server");
    const o = await scrape(other);
    for (const name of ["slipway_jobs_total", "slipway_github_requests_total", "slipway_webhook_deliveries_total"]) {
      assert.equal(valueOf(o, name), valueOf(m, name), `${name}: the other server serves the same totals`);
    }
  });
});
