import assert from "node:assert/strict";
import { test } from "node:test";
import type { Queue } from "bullmq";
import { listRuns } from "../../../src/queue/run-list.ts";
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
