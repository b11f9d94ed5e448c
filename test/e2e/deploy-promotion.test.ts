// Promotion: an environment's deployment turns `success` as soon as its own projects are applied,
// while a later environment is still applying (SPEC §7) — GitHub's environments page must not
// show staging as still running while production deploys.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { startE2E, type E2E } from "../support/e2e.ts";
import { waitFor } from "../support/scenario/wait-for.ts";

let e2e: E2E;
let world: string;

// Production applies on its own after staging (no approvals, not manual).
const AUTOMATIC = `version: 1
projects:
  - name: staging
    dir: staging
    workflow: world
    environment: staging
  - name: production
    dir: production
    workflow: world
    environment: production
    depends_on: [staging]
workflows:
  world:
    plan: [{run: "sh ../plan.sh"}]
    apply: [{run: "sh ../apply.sh"}]
`;

function statuses(repo: string, environment: string): string[] {
  const deployment = e2e.gh.deployments(repo).find((d) => d.environment === environment);
  return deployment ? e2e.gh.deploymentStatuses(repo, deployment.id).map((s) => s.state) : [];
}

describe("promotion", () => {
  before(async () => {
    world = await mkdtemp(path.join(tmpdir(), "slipway-world-"));
    e2e = await startE2E({ env: { SLIPWAY_WORLD_DIR: world } });
    e2e.gh.addUser("alice", { permission: "write" });
  });
  after(async () => {
    await e2e?.stop();
    await rm(world, { recursive: true, force: true });
  });

  test("staging's deployment is success while production is still applying", async () => {
    await e2e.gh.createRepo({ owner: "acme", name: "promote", fixture: "deploy-repo", files: { ".slipway.yml": AUTOMATIC } });
    const repo = "acme/promote";
    const pr = await e2e.gh.openPullRequest({
      repo,
      author: "alice",
      branch: "both",
      files: { "staging/desired.txt": "v2\n", "production/desired.txt": "v2 HOLD\n" },
    });
    await waitFor(
      () => e2e.gh.checkRuns(repo, { headSha: pr.headSha }).filter((c) => c.name.startsWith("slipway/plan: ") && c.status === "completed").length === 2,
      { timeoutMs: 30_000, what: "the plans" },
    );
    await e2e.gh.merge(pr, "alice");

    await waitFor(() => statuses(repo, "production").includes("in_progress"), { timeoutMs: 30_000, what: "production applying" });
    assert.deepEqual(statuses(repo, "staging"), ["queued", "in_progress", "success"], "staging is done: its deployment says so before production finishes");
    assert.deepEqual(statuses(repo, "production"), ["queued", "in_progress"]);

    await writeFile(path.join(world, "release-production"), "");
    await waitFor(() => statuses(repo, "production").at(-1) === "success", { timeoutMs: 30_000, what: "production deployed" });
    assert.deepEqual(statuses(repo, "staging"), ["queued", "in_progress", "success"], "nothing more is posted on staging");
    assert.deepEqual(e2e.sim.violations, []);
  });
});
