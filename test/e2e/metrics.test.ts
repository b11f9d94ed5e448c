// GET /metrics of a running Slipway against the GitHub simulator: behind its token, moving when a
// pull request is planned, and with as many series after a hundred pull requests as after fifty.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { APPLY_QUEUE } from "../../src/queue/jobs.ts";
import { startE2E, type E2E } from "../support/e2e.ts";
import { parseProm, seriesKeys, valueOf, type Sample } from "../support/prom-text.ts";
import { TEST_REDIS_URL } from "../support/redis.ts";
import type { PullInfo } from "../support/scenario/scenario.ts";
import { queueKeyPrefix } from "../../src/queue/key-scheme.ts";

const TOKEN = "metrics-token-for-the-e2e-test-0001";
/** The only label names Slipway's own metrics may carry: none of them names a PR, SHA, user, delivery or URL. */
const ALLOWED_LABELS = new Set(["event", "outcome", "kind", "method", "route", "status", "installation", "environment", "queue", "state", "le"]);
let e2e: E2E;
let world: string;

/** `null`: no Authorization header at all. */
async function scrape(auth: string | null = `Bearer ${TOKEN}`): Promise<Response> {
  return fetch(`${e2e.slipway.url}/metrics`, auth === null ? {} : { headers: { authorization: auth } });
}

async function metrics(): Promise<Sample[]> {
  const res = await scrape();
  assert.equal(res.status, 200, await res.clone().text());
  assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  return parseProm(await res.text());
}

/** One project per pull request, its plan step `true`: the cheapest full plan. */
function repoFiles(projects: number): Record<string, string> {
  const names = Array.from({ length: projects }, (_, i) => `p${i}`);
  const yaml = [
    "version: 1",
    "projects:",
    ...names.flatMap((p) => [`  - name: ${p}`, `    dir: ${p}`, "    workflow: quick"]),
    "workflows:",
    "  quick:",
    '    plan: [{run: "true"}]',
    "",
  ].join("\n");
  return { ".slipway.yml": yaml, ...Object.fromEntries(names.map((p) => [`${p}/main.tf`, `# ${p}\n`])) };
}

async function openPulls(repo: string, from: number, to: number): Promise<PullInfo[]> {
  const out: PullInfo[] = [];
  let next = from;
  // A few at a time: the simulator serialises one repository's git writes anyway.
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < to) {
        const i = next++;
        out.push(await e2e.gh.openPullRequest({ repo, author: "alice", branch: `change-${i}`, files: { [`p${i}/main.tf`]: `# p${i} v2\n` } }));
      }
    }),
  );
  return out;
}

describe("GET /metrics", () => {
  before(async () => {
    world = await mkdtemp(path.join(tmpdir(), "slipway-world-"));
    e2e = await startE2E({ env: { SLIPWAY_METRICS_TOKEN: TOKEN, SLIPWAY_WORLD_DIR: world } });
    for (const user of ["alice", "carol"]) e2e.gh.addUser(user, { permission: "write" });
  });
  after(async () => {
    await e2e?.stop();
    await rm(world, { recursive: true, force: true });
  });

  test("the token is required when set: 401 without one or with a wrong one", async () => {
    for (const auth of [null, "Bearer wrong-token-of-some-length", `Basic ${TOKEN}`, `Bearer ${TOKEN}x`]) {
      const res = await scrape(auth);
      assert.equal(res.status, 401, `authorization ${auth ?? "(none)"}`);
      assert.doesNotMatch(await res.text(), /slipway_/);
    }
    assert.equal((await scrape()).status, 200);
  });

  test("a delivery with a bad signature counts as rejected, its made-up event name as other", async () => {
    const m0 = await metrics();
    const res = await fetch(`${e2e.slipway.url}/api/github/webhooks`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-github-event": "pull_request_4242",
        "x-github-delivery": "d-1",
        "x-hub-signature-256": `sha256=${"0".repeat(64)}`,
      },
      body: JSON.stringify({ action: "opened" }),
    });
    assert.ok(res.status >= 400 && res.status < 500, `answered ${res.status}`);
    await res.text();
    const m1 = await metrics();
    const rejected = (m: Sample[]) => valueOf(m, "slipway_webhook_deliveries_total", { event: "other", outcome: "rejected" });
    assert.equal(rejected(m1) - rejected(m0), 1);
  });

  test("a planned pull request moves deliveries, jobs, GitHub requests by path template and the queue gauges", async () => {
    await e2e.gh.createRepo({ owner: "acme", name: "moving", files: repoFiles(1) });
    await e2e.idle();
    const m0 = await metrics();
    const pr = await e2e.gh.openPullRequest({ repo: "acme/moving", author: "alice", branch: "one", files: { "p0/main.tf": "# v2\n" } });
    await e2e.idle();
    const m1 = await metrics();
    const moved = (name: string, labels: Record<string, string> = {}) => valueOf(m1, name, labels) - valueOf(m0, name, labels);

    assert.ok(moved("slipway_webhook_deliveries_total", { event: "pull_request", outcome: "accepted" }) >= 1, "the pull_request delivery");
    assert.ok(moved("slipway_webhook_ack_seconds_count") >= 1);
    assert.equal(moved("slipway_jobs_total", { kind: "plan", outcome: "succeeded" }), 1);
    assert.equal(moved("slipway_job_duration_seconds_count", { kind: "plan" }), 1);
    assert.ok(moved("slipway_github_requests_total", { method: "POST", route: "/repos/{owner}/{repo}/check-runs" }) >= 1, "check runs created");
    assert.ok(
      moved("slipway_github_requests_total", { method: "POST", route: "/repos/{owner}/{repo}/issues/{issue_number}/comments" }) >= 1,
      "the sticky comment",
    );
    assert.ok(valueOf(m1, "slipway_github_rate_limit_remaining") > 0, "the rate limit from GitHub's headers");
    assert.equal(moved("slipway_queue_jobs", { queue: "plans", state: "completed" }), 1);
    assert.equal(valueOf(m1, "slipway_queue_jobs", { queue: "plans", state: "waiting" }), 0);
    assert.equal(moved("slipway_locks_held"), 1, "the pull request holds its project's lock");
    for (const s of m1) {
      for (const v of Object.values(s.labels)) {
        assert.ok(!v.includes(pr.headSha) && !v.includes(pr.headSha.slice(0, 7)), `${s.name} carries the SHA`);
        assert.ok(!/alice|acme|moving/.test(v), `${s.name} carries a user or repository name: ${v}`);
      }
    }
  });

  test("a merge deploy moves the deploys by environment; a drift check sets the drifted projects", async () => {
    const info = await e2e.gh.createRepo({ owner: "acme", name: "deploying", fixture: "deploy-repo" });
    const repo = info.fullName;
    await e2e.idle();
    const m0 = await metrics();
    const pr = await e2e.gh.openPullRequest({ repo, author: "alice", branch: "stage-it", files: { "staging/desired.txt": "v2\n" } });
    await e2e.idle();
    await e2e.gh.comment(pr, "carol", "/approve");
    await e2e.idle();
    await e2e.gh.merge(pr, "alice");
    await e2e.idle();
    const m1 = await metrics();
    assert.equal(
      valueOf(m1, "slipway_deploys_total", { environment: "staging", outcome: "success" }) -
        valueOf(m0, "slipway_deploys_total", { environment: "staging", outcome: "success" }),
      1,
    );
    assert.equal(
      valueOf(m1, "slipway_jobs_total", { kind: "deploy", outcome: "succeeded" }) - valueOf(m0, "slipway_jobs_total", { kind: "deploy", outcome: "succeeded" }),
      1,
    );

    const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
    const applies = new Queue(APPLY_QUEUE, { connection: redis, prefix: queueKeyPrefix(e2e.slipway.prefix) });
    let runs = 0;
    const runDrift = async () => {
      const id = `metrics-drift-${++runs}`;
      await applies.add("drift", { kind: "drift", deliveryId: id, repo: info, branch: "main" }, { jobId: `drift/${repo}/${id}` });
      await e2e.idle();
    };
    try {
      await writeFile(path.join(world, "production.txt"), "v1\n");
      await writeFile(path.join(world, "staging.txt"), "edited by hand\n");
      await runDrift();
      const m2 = await metrics();
      assert.equal(valueOf(m2, "slipway_drift_projects"), 1, "staging drifted");
      assert.equal(valueOf(m2, "slipway_jobs_total", { kind: "drift", outcome: "succeeded" }), 1);
      await writeFile(path.join(world, "staging.txt"), "v2\n");
      await runDrift();
      assert.equal(valueOf(await metrics(), "slipway_drift_projects"), 0, "in sync again");
    } finally {
      await applies.close();
      redis.disconnect();
    }
  });

  test("series do not grow with traffic: as many after 100 pull requests as after 50", { timeout: 600_000 }, async () => {
    const N = 50;
    await e2e.gh.createRepo({ owner: "acme", name: "busy", files: repoFiles(2 * N + 1) });
    await openPulls("acme/busy", 2 * N, 2 * N + 1); // the first of its kind makes its series
    await e2e.idle({ timeoutMs: 120_000 });
    const before = await metrics();
    await openPulls("acme/busy", 0, N);
    await e2e.idle({ timeoutMs: 300_000 });
    const afterN = await metrics();
    await openPulls("acme/busy", N, 2 * N);
    await e2e.idle({ timeoutMs: 300_000 });
    const after2N = await metrics();

    assert.equal(
      valueOf(after2N, "slipway_jobs_total", { kind: "plan" }) - valueOf(before, "slipway_jobs_total", { kind: "plan" }),
      2 * N,
      "every PR was planned",
    );
    const [s0, s1, s2] = [before, afterN, after2N].map((m) => seriesKeys(m, "slipway_"));
    const added = (a: Set<string>, b: Set<string>) => [...b].filter((k) => !a.has(k));
    // A path met for the first time (a retried request, a status not seen before) may add a series
    // or two; a label per PR would add one per PR, 50 at each step.
    assert.ok(added(s0!, s1!).length <= 3, `new series after ${N} PRs: ${added(s0!, s1!).join(" ")}`);
    assert.ok(added(s1!, s2!).length <= 3, `new series after ${2 * N} PRs: ${added(s1!, s2!).join(" ")}`);
    for (const s of after2N.filter((x) => x.name.startsWith("slipway_"))) {
      for (const [k, v] of Object.entries(s.labels)) {
        assert.ok(ALLOWED_LABELS.has(k), `${s.name} has label ${k}`);
        assert.ok(!/^[0-9a-f]{40}$/.test(v) && !/https?:/.test(v) && !/[0-9a-f]{8}-[0-9a-f]{4}-/.test(v), `${s.name}{${k}="${v}"}`);
        if (k === "route") assert.doesNotMatch(v, /\d/, "a route holds no number");
      }
    }
  });
});
