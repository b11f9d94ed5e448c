// Fault test: a comment command whose job fails on every attempt. BullMQ tries an event job three
// times; after the last failure nobody would answer the person who typed the command, so the
// worker that saw it fail replies once, on the pull request: the command, why in safe words (not
// GitHub's own), that it may have been carried out in part, and that commenting it again retries.
// No reply while retries remain; the audit trail records a `command.refused` with outcome `error`.
// GitHub is made to fail with the simulator's fault injection (failRequests).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startE2E, type E2E } from "../support/e2e.ts";
import { waitFor } from "../support/scenario/wait-for.ts";
import { botReplies, keepLogs } from "./change-control-helpers.ts";

const TOKEN = "e2e-command-failed-token-0123456789";
let e2e: E2E;
const healed: (() => void)[] = [];

/** The worker's "job failed" lines for comment jobs: one per failed attempt. */
const failedCommentAttempts = () =>
  e2e.slipway
    .logs()
    .split("\n")
    .filter((line) => line.includes('"msg":"job failed"') && line.includes('"kind":"comment"')).length;

describe("a comment command whose last attempt fails", () => {
  before(async () => {
    e2e = await startE2E({ env: { SLIPWAY_API_TOKEN: TOKEN } });
    e2e.gh.addUser("alice", { permission: "write" });
  });
  after(async () => {
    for (const heal of healed) heal();
    await keepLogs("faults-command-failed", [e2e?.slipway.logs() ?? ""]);
    await e2e?.stop();
  });

  test("/unlock while GitHub cannot say what the pull request is: one reply naming the command and a safe reason, after the last attempt; audited", async () => {
    const repo = "acme/command-failed";
    await e2e.gh.createRepo({ owner: "acme", name: "command-failed", fixture: "simple-repo" });
    const pr = await e2e.gh.openPullRequest({ repo, author: "alice", branch: "locked", files: { "app/desired.txt": "v2\n" } });
    await waitFor(() => e2e.gh.checkRuns(repo, { headSha: pr.headSha, name: "slipway/plan: app" }).find((c) => c.status === "completed"), {
      timeoutMs: 30_000,
      what: "the plan, which takes the lock of app",
    });
    await e2e.idle();
    // The comment job starts by reading the pull request: GitHub fails it, every time.
    healed.push(e2e.sim.failRequests(({ method, path }) => method === "GET" && path === `/api/v3/repos/${repo}/pulls/${pr.number}`, 404));
    const command = await e2e.gh.comment(pr, "alice", "Let go of it please\n/unlock app");

    const reply = await waitFor(() => botReplies(e2e.gh, pr, command.id)[0], { timeoutMs: 60_000, what: "a reply to /unlock" });
    assert.equal(
      reply.body,
      "Slipway could not complete `/unlock app`: a request to GitHub failed (HTTP 404) (the worker's log has the details), and it is not tried again. " +
        "It may have been carried out in part: check this pull request's checks and comments before you comment it again, which runs it again.\n",
    );
    // GitHub's own words stay in the worker's log.
    assert.doesNotMatch(reply.body, /simulated failure/);
    // Every attempt failed before the reply (the third is the last: queue/jobs.ts).
    await waitFor(() => failedCommentAttempts() >= 3 || undefined, { timeoutMs: 15_000, what: "three failed attempts logged" });
    await e2e.idle();
    assert.equal(failedCommentAttempts(), 3);
    assert.equal(botReplies(e2e.gh, pr, command.id).length, 1, "told once, not once per attempt");

    const res = await fetch(`${e2e.slipway.url}/api/v1/audit?repo=${repo}&kind=command.refused`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(res.status, 200);
    const events = ((await res.json()) as { events: Record<string, unknown>[] }).events;
    assert.equal(events.length, 1, JSON.stringify(events));
    assert.equal(events[0]!.actor, "alice");
    assert.equal(events[0]!.pull, pr.number);
    assert.equal(events[0]!.outcome, "error");
    assert.equal(events[0]!.reason, "/unlock app: a request to GitHub failed (HTTP 404)");
    assert.equal(events[0]!.via, "comment");
  });
});
