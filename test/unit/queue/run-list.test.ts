import assert from "node:assert/strict";
import { test } from "node:test";
import type { Queue } from "bullmq";
import { listRuns, runView } from "../../../src/queue/run-list.ts";
import { createRedactor } from "../../../src/runner/redact.ts";

const jobs = [
  {
    id: "deploy/acme/app/abc",
    name: "deploy",
    data: {
      kind: "deploy",
      repo: { owner: "acme", name: "app", installationId: 1 },
      sha: "abc",
      pullNumber: 4,
      release: { environment: "production", by: "carol" },
    },
    timestamp: 1000,
    processedOn: 2000,
    finishedOn: 3000,
    failedReason: "git fetch https://x-access-token:ghs_secret123@github.com/acme/app.git failed\nDB_PASSWORD=hunter2hunter2",
  },
];
const queue = { getJobs: async (types: string[]) => (types.includes("failed") ? jobs : []) } as unknown as Queue;

test("a failed run says what failed without credentials or secret values", async () => {
  const [run] = await listRuns([queue], {}, createRedactor(["hunter2hunter2"]));
  assert.deepEqual(run, {
    id: "deploy/acme/app/abc",
    kind: "deploy",
    state: "failed",
    repo: "acme/app",
    pull: 4,
    sha: "abc",
    trigger: "release",
    requested_by: "carol",
    queued_at: new Date(1000).toISOString(),
    started_at: new Date(2000).toISOString(),
    finished_at: new Date(3000).toISOString(),
    outcome: { error: "git fetch https://***@github.com/acme/app.git failed\nDB_PASSWORD=***" },
  });
});

test("runs of other repositories or states are left out", async () => {
  assert.equal((await listRuns([queue], { repo: "acme/web" })).length, 0);
  assert.equal((await listRuns([queue], { state: "running" })).length, 0);
  assert.equal((await listRuns([queue], { repo: "ACME/app", state: "failed" })).length, 1);
});

const job = (name: string, data: Record<string, unknown>) => ({ id: `${name}/1`, name, data, timestamp: 1000 });

test("an unlock run says who released the lock and from where", () => {
  const unlock = runView(
    job("unlock", {
      kind: "unlock",
      deliveryId: "console-1",
      repo: { owner: "acme", name: "app" },
      pullNumber: 7,
      project: "network",
      by: "alice",
      via: "console",
    }),
    "queued",
  );
  assert.equal(unlock.requested_by, "alice");
  assert.equal(unlock.via, "console");
  assert.equal(unlock.repo, "acme/app");
  assert.equal(unlock.pull, 7);
  const byApi = runView(
    job("unlock", { kind: "unlock", repo: { owner: "acme", name: "app" }, pullNumber: 7, project: "network", by: "api", via: "api" }),
    "completed",
  );
  assert.deepEqual([byApi.requested_by, byApi.via], ["api", "api"]);
});

test("a comment's run names its author, via comment; a command's plan names who asked", () => {
  const comment = runView(job("comment", { kind: "comment", repo: { owner: "acme", name: "app" }, pullNumber: 7, user: "bob", body: "/apply" }), "running");
  assert.deepEqual([comment.requested_by, comment.via], ["bob", "comment"]);
  const plan = runView(
    job("plan", { kind: "plan", trigger: "command", requestedBy: "carol", pull: { repo: { owner: "acme", name: "app" }, number: 7 } }),
    "queued",
  );
  assert.deepEqual([plan.trigger, plan.requested_by, plan.via], ["command", "carol", undefined]);
});

test("the pull request's title comes from the job's data; jobs queued before titles were kept have none", () => {
  const withTitle = runView(job("plan", { kind: "plan", pull: { repo: { owner: "acme", name: "app" }, number: 7, title: "Resize the cluster" } }), "queued");
  assert.equal(withTitle.pull_title, "Resize the cluster");
  const deploy = runView(
    job("deploy", { kind: "deploy", repo: { owner: "acme", name: "app" }, sha: "abc", pullNumber: 4, pullTitle: "Add a queue" }),
    "running",
  );
  assert.equal(deploy.pull_title, "Add a queue");
  const old = runView(job("plan", { kind: "plan", pull: { repo: { owner: "acme", name: "app" }, number: 7 } }), "queued");
  assert.equal("pull_title" in old, false);
});
