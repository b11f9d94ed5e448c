// Fault test: a plan whose last attempt throws. BullMQ tries a plan twice; after the second
// failure nothing would close the checks it opened or tell the pull request, so the worker that
// saw it fail must: the checks end as failed with a safe reason and how to run it again, the pull
// request gets one comment (also when it failed before opening any check: a head that cannot be
// fetched), the audit trail records a `plan` event with outcome `error`, and the run's log ends.
// GitHub is made to fail with the simulator's fault injection (failRequests).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startE2E, type E2E } from "../support/e2e.ts";
import type { PullInfo } from "../support/scenario/scenario.ts";
import { waitFor } from "../support/scenario/wait-for.ts";
import { eventsUntil, openSse, type SseConnection } from "../support/sse-client.ts";
import { BOT, STICKY, keepLogs } from "./change-control-helpers.ts";

const TOKEN = "e2e-plan-failed-token-0123456789";
const auth = { authorization: `Bearer ${TOKEN}` };
let e2e: E2E;
const connections: SseConnection[] = [];
const healed: (() => void)[] = [];

type Json = Record<string, any>;

async function auditPlans(repo: string, pull: number): Promise<Json[]> {
  const res = await fetch(`${e2e.slipway.url}/api/v1/audit?repo=${repo}&kind=plan`, { headers: auth });
  assert.equal(res.status, 200);
  return ((await res.json()) as { events: Json[] }).events.filter((e) => e.pull === pull);
}

/** The run's log, streamed to its end (bounded): its lines. */
async function logUntilEnd(repo: string, pr: PullInfo): Promise<string[]> {
  const runId = `plan/${repo}/${pr.number}/${pr.headSha}`;
  const sse = await openSse(`${e2e.slipway.url}/api/v1/runs/${encodeURIComponent(runId)}/log`, auth);
  connections.push(sse);
  assert.equal(sse.status, 200);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`the log of ${runId} did not end`)), 30_000)));
  try {
    const events = await Promise.race([eventsUntil(sse, (e) => e.event === "end"), late]);
    return events.filter((e) => e.event === "message").map((e) => JSON.parse(e.data).line as string);
  } finally {
    clearTimeout(timer);
  }
}

/** Slipway's own comments on the pull request, the sticky plan comment left out. */
const botComments = (repo: string, pr: PullInfo) => e2e.gh.comments(repo, pr.number).filter((c) => c.user.login === BOT && !String(c.body).includes(STICKY));

describe("a plan whose last attempt fails", () => {
  before(async () => {
    e2e = await startE2E({ env: { SLIPWAY_API_TOKEN: TOKEN } });
    e2e.gh.addUser("alice", { permission: "write" });
  });
  after(async () => {
    for (const heal of healed) heal();
    for (const c of connections) c.close();
    await keepLogs("faults-plan-failed", [e2e?.slipway.logs() ?? ""]);
    await e2e?.stop();
  });

  test("after opening its checks (GitHub fails while it takes the project's lock): checks failed, PR told once, audited, log ended", async () => {
    const repo = "acme/plan-failed";
    await e2e.gh.createRepo({ owner: "acme", name: "plan-failed", fixture: "simple-repo" });
    // The first pull request plans and holds the lock of `app`.
    const holder = await e2e.gh.openPullRequest({ repo, author: "alice", branch: "holder", files: { "app/desired.txt": "v2\n" } });
    await waitFor(() => e2e.gh.checkRuns(repo, { headSha: holder.headSha, name: "slipway/plan: app" }).find((c) => c.status === "completed"), {
      timeoutMs: 30_000,
      what: "the holder's plan",
    });
    // The second one finds the lock taken and asks GitHub about its holder: GitHub fails, every time.
    healed.push(e2e.sim.failRequests(({ method, path }) => method === "GET" && path === `/api/v3/repos/${repo}/pulls/${holder.number}`, 404));
    const pr = await e2e.gh.openPullRequest({ repo, author: "alice", branch: "second", files: { "app/desired.txt": "v3\n" } });
    const checks = () => e2e.gh.checkRuns(repo, { headSha: pr.headSha, name: "slipway/plan: app" });

    const failed = await waitFor(() => checks().find((c) => c.status === "completed" && c.conclusion === "failure"), {
      timeoutMs: 60_000,
      what: "the plan's check completed as failed",
    });
    assert.equal(failed.output.title, "Not finished: the plan failed");
    assert.match(failed.output.summary, /a request to GitHub failed \(HTTP 404\)/);
    assert.match(failed.output.summary, /`\/plan`/);
    // The first attempt's check, closed by the second: it failed, its worker did not stop.
    const first = checks().find((c) => c.conclusion === "neutral");
    assert.equal(first?.output.title, "Interrupted");
    assert.match(first.output.summary, /did not finish \(its worker stopped, or it failed\)/);
    const told = await waitFor(() => botComments(repo, pr).find((c) => /failed/.test(String(c.body))), { timeoutMs: 15_000, what: "the pull request told" });
    assert.match(told.body, new RegExp(`The plan of \`app\` at ${pr.headSha.slice(0, 7)} failed: a request to GitHub failed \\(HTTP 404\\)`));
    assert.match(told.body, /`\/plan`/);
    // GitHub's own words stay in the worker's log.
    assert.doesNotMatch(told.body, /simulated failure/);

    const lines = await logUntilEnd(repo, pr);
    assert.equal(lines.at(-1), "slipway: this run failed: a request to GitHub failed (HTTP 404); it is not tried again (the worker's log has the details)");
    assert.ok(lines.includes("slipway: attempt 2 of this run"), lines.join("\n"));
    await e2e.idle();
    assert.deepEqual(
      checks()
        .filter((c) => c.status !== "completed")
        .map((c) => c.id),
      [],
      "no check of the plan left in progress",
    );
    assert.equal(botComments(repo, pr).filter((c) => /failed/.test(String(c.body))).length, 1, "told once");
    const events = await auditPlans(repo, pr.number);
    assert.equal(events.length, 1, JSON.stringify(events));
    assert.equal(events[0]!.project, "app");
    assert.equal(events[0]!.outcome, "error");
    assert.equal(events[0]!.sha, pr.headSha);
    assert.match(events[0]!.reason, /HTTP 404/);
  });

  test("before any check (its head cannot be fetched): the pull request is told why, once, and it is audited", async () => {
    const repo = "acme/plan-unfetchable";
    await e2e.gh.createRepo({ owner: "acme", name: "plan-unfetchable", fixture: "simple-repo" });
    healed.push(e2e.sim.failRequests(({ path }) => path.startsWith(`/${repo}.git/`), 502));
    const pr = await e2e.gh.openPullRequest({ repo, author: "alice", branch: "unfetchable", files: { "app/desired.txt": "v2\n" } });

    const told = await waitFor(() => botComments(repo, pr).find((c) => /could not plan/.test(String(c.body))), {
      timeoutMs: 60_000,
      what: "the pull request told",
    });
    assert.equal(
      told.body,
      `Slipway could not plan ${pr.headSha.slice(0, 7)}: the commit could not be fetched from GitHub (the worker's log has the details), and it is not tried again. Push a new commit or comment \`/plan\` to run it again.`,
    );
    const lines = await logUntilEnd(repo, pr);
    assert.deepEqual(lines, [
      "slipway: attempt 2 of this run",
      "slipway: this run failed: the commit could not be fetched from GitHub; it is not tried again (the worker's log has the details)",
    ]);
    await e2e.idle();
    assert.equal(botComments(repo, pr).filter((c) => /could not plan/.test(String(c.body))).length, 1, "told once");
    assert.deepEqual(e2e.gh.checkRuns(repo, { headSha: pr.headSha, name: "slipway/plan: app" }), [], "no check was opened");
    const events = await auditPlans(repo, pr.number);
    assert.equal(events.length, 1, JSON.stringify(events));
    assert.equal(events[0]!.project, undefined);
    assert.equal(events[0]!.outcome, "error");
    assert.equal(events[0]!.reason, "the commit could not be fetched from GitHub");
  });
});
