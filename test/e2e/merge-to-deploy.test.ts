// Merge to deploy end to end: the merge applies staging, production waits for `/apply production`
// by an approver, deployments carry the status sequence, and the world ends as main says.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { startE2E, type E2E } from "../support/e2e.ts";
import type { PullInfo } from "../support/scenario/scenario.ts";
import { waitFor } from "../support/scenario/wait-for.ts";

let e2e: E2E;
let world: string;
let repoCount = 0;

const readWorld = (file: string) => readFile(path.join(world, file), "utf8").catch(() => undefined);
const applies = async () => ((await readWorld("applies.log")) ?? "").split("\n").filter(Boolean);

async function newRepo(): Promise<string> {
  const name = `deploy-${++repoCount}`;
  await e2e.gh.createRepo({ owner: "acme", name, fixture: "deploy-repo" });
  return `acme/${name}`;
}

function statuses(repo: string, environment: string): string[] {
  const deployment = e2e.gh.deployments(repo).find((d) => d.environment === environment);
  return deployment ? e2e.gh.deploymentStatuses(repo, deployment.id).map((s) => s.state) : [];
}

async function plannedAndApproved(repo: string, files: Record<string, string>, approver = "carol"): Promise<PullInfo> {
  const pr = await e2e.gh.openPullRequest({ repo, author: "alice", branch: `change-${Date.now()}`, files });
  await waitFor(
    () =>
      e2e.gh.checkRuns(repo, { headSha: pr.headSha }).filter((c) => c.name.startsWith("slipway/plan: ") && c.status === "completed").length ===
      Object.keys(files).length,
    {
      timeoutMs: 30_000,
      what: "the plans",
    },
  );
  if (approver) {
    await e2e.gh.comment(pr, approver, "/approve");
    await waitFor(() => e2e.gh.checkRuns(repo, { headSha: pr.headSha, name: "slipway/approval" }).at(-1)?.conclusion === "success", {
      timeoutMs: 30_000,
      what: "approval",
    });
  }
  return pr;
}

describe("merge to deploy", () => {
  before(async () => {
    world = await mkdtemp(path.join(tmpdir(), "slipway-world-"));
    e2e = await startE2E({ env: { SLIPWAY_WORLD_DIR: world } });
    for (const user of ["alice", "carol", "erin"]) e2e.gh.addUser(user, { permission: "write" });
  });
  after(async () => {
    await e2e?.stop();
    await rm(world, { recursive: true, force: true });
  });

  test("merge applies staging; production waits for /apply production by an approver", async () => {
    const repo = await newRepo();
    const pr = await plannedAndApproved(repo, { "staging/desired.txt": "v2\n", "production/desired.txt": "v2\n" });
    const { mergeCommitSha } = await e2e.gh.merge(pr, "alice");

    await waitFor(async () => (await readWorld("staging.txt")) === "v2\n", { timeoutMs: 30_000, what: "staging applied" });
    await waitFor(() => statuses(repo, "staging").at(-1) === "success", { timeoutMs: 30_000, what: "staging deployment success" });
    assert.deepEqual(statuses(repo, "staging"), ["queued", "in_progress", "success"]);
    assert.equal(await readWorld("production.txt"), undefined, "production untouched");
    assert.deepEqual(statuses(repo, "production"), ["queued"], "production waits, queued");
    const applyCheck = await waitFor(
      () => e2e.gh.checkRuns(repo, { headSha: mergeCommitSha, name: "slipway/apply: staging" }).find((c) => c.status === "completed"),
      { what: "apply check on the merge commit" },
    );
    assert.equal(applyCheck.conclusion, "success");
    const sticky = await waitFor(
      () => e2e.gh.comments(repo, pr.number).find((c) => c.body.includes("<!-- slipway:sticky -->") && /production.*waiting/is.test(c.body)),
      { what: "the merged PR's comment saying production waits" },
    );
    assert.match(sticky.body, /\/apply production/);

    const refused = await e2e.gh.comment(pr, "erin", "/apply production");
    await waitFor(() => e2e.gh.comments(repo, pr.number).find((c) => c.id > refused.id && /not an approver/i.test(c.body)), { what: "erin refused" });
    assert.equal(await readWorld("production.txt"), undefined, "still untouched after a refusal");

    await e2e.gh.comment(pr, "carol", "/apply production");
    await waitFor(async () => (await readWorld("production.txt")) === "v2\n", { timeoutMs: 30_000, what: "production applied" });
    await waitFor(() => statuses(repo, "production").at(-1) === "success", { what: "production deployment success" });
    assert.deepEqual(statuses(repo, "production"), ["queued", "in_progress", "success"]);
    assert.deepEqual(
      (await applies()).filter((l) => l.endsWith(mergeCommitSha)),
      [`applied staging ${mergeCommitSha}`, `applied production ${mergeCommitSha}`],
      "each applied once, at the merge commit, staging first",
    );
  });

  test("the same merge delivered twice applies once", async () => {
    const repo = await newRepo();
    const pr = await plannedAndApproved(repo, { "staging/desired.txt": "v3\n" });
    const { mergeCommitSha } = await e2e.gh.merge(pr, "alice");
    await waitFor(() => statuses(repo, "staging").at(-1) === "success", { timeoutMs: 30_000, what: "staging deployed" });
    for (const d of e2e.sim.deliveries.filter(
      (x) =>
        (x.event === "push" && (x.payload as any).after === mergeCommitSha) ||
        (x.event === "pull_request" &&
          x.action === "closed" &&
          (x.payload as any).pull_request.number === pr.number &&
          (x.payload as any).repository.full_name === repo),
    )) {
      assert.equal((await e2e.sim.redeliver(d.id)).status, 200);
    }
    await e2e.idle(); // every job of the redeliveries has ended: a second apply would be on record
    assert.equal((await applies()).filter((l) => l === `applied staging ${mergeCommitSha}`).length, 1);
    assert.equal(e2e.gh.deployments(repo).filter((d) => d.environment === "staging").length, 1, "one deployment per environment per deploy");
  });

  test("a merge without the approvals production requires leaves production waiting, and says why", async () => {
    const repo = await newRepo();
    const pr = await plannedAndApproved(repo, { "production/desired.txt": "unapproved\n" }, "");
    await e2e.gh.merge(pr, "alice", { bypassProtection: true });
    const comment = await waitFor(() => e2e.gh.comments(repo, pr.number).find((c) => /merged without the approvals/i.test(c.body)), {
      timeoutMs: 30_000,
      what: "the comment saying production waits",
    });
    assert.match(comment.body, /\/apply production/);
    assert.deepEqual(statuses(repo, "production"), ["queued"]);
    assert.notEqual(await readWorld("production.txt"), "unapproved\n");
  });

  test("an apply that fails marks the deployment failed and leaves production untouched", async () => {
    const repo = await newRepo();
    const pr = await plannedAndApproved(repo, { "staging/desired.txt": "FAIL\n", "production/desired.txt": "after-fail\n" });
    await e2e.gh.merge(pr, "alice");
    await waitFor(() => statuses(repo, "staging").at(-1) === "failure", { timeoutMs: 30_000, what: "staging deployment failure" });
    await e2e.gh.comment(pr, "carol", "/apply production");
    const comment = await waitFor(
      () => e2e.gh.comments(repo, pr.number).find((c) => c.body.includes("<!-- slipway:sticky -->") && /staging failed to apply/.test(c.body)),
      { timeoutMs: 30_000, what: "production not applied because staging failed" },
    );
    assert.ok(comment);
    assert.notEqual(await readWorld("production.txt"), "after-fail\n");
  });

  test("a direct push to the default branch deploys too; gated environments wait and say why", async () => {
    const repo = await newRepo();
    const { after: sha } = await e2e.gh.pushToDefaultBranch(repo, { "staging/desired.txt": "pushed\n", "production/desired.txt": "pushed\n" });
    await waitFor(async () => (await readWorld("staging.txt")) === "pushed\n", { timeoutMs: 30_000, what: "staging applied from a push" });
    await waitFor(() => statuses(repo, "staging").at(-1) === "success", { what: "staging deployment success" });
    assert.deepEqual(statuses(repo, "production"), ["queued"], "production waits: nobody approved a direct push");
    const production = e2e.gh.deployments(repo).find((d) => d.environment === "production")!;
    assert.equal(production.sha, sha);
    assert.match(e2e.gh.deploymentStatuses(repo, production.id)[0]!.description, /pushed straight to the default branch/);
    assert.notEqual(await readWorld("production.txt"), "pushed\n");
  });

  test("an older deploy still waiting when main moved on is skipped, never applied over the newer state", async () => {
    const repo = await newRepo();
    const first = await plannedAndApproved(repo, { "production/desired.txt": "older\n" });
    await e2e.gh.merge(first, "alice");
    await waitFor(() => statuses(repo, "production").length === 1, { timeoutMs: 30_000, what: "the first deploy waiting" });
    const second = await plannedAndApproved(repo, { "production/desired.txt": "newer\n" });
    await e2e.gh.merge(second, "alice");
    await waitFor(() => e2e.gh.deployments(repo).filter((d) => d.environment === "production").length === 2, {
      timeoutMs: 30_000,
      what: "the second deploy waiting",
    });

    await e2e.gh.comment(first, "carol", "/apply production");
    const older = e2e.gh.deployments(repo).filter((d) => d.environment === "production")[0]!;
    await waitFor(() => e2e.gh.deploymentStatuses(repo, older.id).at(-1)?.state === "inactive", { timeoutMs: 30_000, what: "the older deploy skipped" });
    assert.notEqual(await readWorld("production.txt"), "older\n");
    await e2e.gh.comment(second, "carol", "/apply production");
    await waitFor(async () => (await readWorld("production.txt")) === "newer\n", { timeoutMs: 30_000, what: "the newer deploy applied" });
  });

  test("/rollback opens a revert pull request whose merge restores the world", async () => {
    const repo = await newRepo();
    const pr = await plannedAndApproved(repo, { "staging/desired.txt": "rolled-forward\n" });
    await e2e.gh.merge(pr, "alice");
    await waitFor(async () => (await readWorld("staging.txt")) === "rolled-forward\n", { timeoutMs: 30_000, what: "staging applied" });

    await e2e.gh.comment(pr, "alice", "/rollback");
    const link = await waitFor(
      () =>
        e2e.gh
          .comments(repo, pr.number)
          .map((c) => /Opened #(\d+) to revert/.exec(c.body))
          .find(Boolean),
      { timeoutMs: 30_000, what: "the link to the revert PR" },
    );
    const revertNumber = Number(link[1]);
    const revert = await e2e.gh.pull({ repo, number: revertNumber });
    assert.match(revert.title, new RegExp(`Revert #${pr.number}`));
    assert.match(revert.body, new RegExp(`#${pr.number}`), "linked both ways");
    const revertPr: PullInfo = { repo, number: revertNumber, branch: revert.head.ref, headSha: revert.head.sha, baseSha: revert.base.sha, headRepo: repo };
    assert.equal(await e2e.gh.readFile(repo, revert.head.sha, "staging/desired.txt"), "v1\n", "a real git revert");

    await waitFor(() => e2e.gh.checkRuns(repo, { headSha: revertPr.headSha, name: "slipway/plan: staging" }).find((c) => c.status === "completed"), {
      timeoutMs: 30_000,
      what: "the revert PR planned",
    });
    await e2e.gh.comment(revertPr, "carol", "/approve");
    await waitFor(() => e2e.gh.checkRuns(repo, { headSha: revertPr.headSha, name: "slipway/approval" }).at(-1)?.conclusion === "success", {
      what: "the revert approved",
    });
    await e2e.gh.merge(revertPr, "alice");
    await waitFor(async () => (await readWorld("staging.txt")) === "v1\n", { timeoutMs: 30_000, what: "the world restored" });
  });

  test("on_apply_failure: revert_pr opens the revert pull request when the merge fails to apply", async () => {
    const repo = await newRepo();
    const config = (await e2e.gh.readFile(repo, "main", ".slipway.yml"))!;
    await e2e.gh.pushToDefaultBranch(repo, { ".slipway.yml": `${config.replace("version: 1\n", "version: 1\non_apply_failure: revert_pr\n")}` });
    const pr = await plannedAndApproved(repo, { "staging/desired.txt": "FAIL\n" });
    await e2e.gh.merge(pr, "alice");
    await waitFor(() => statuses(repo, "staging").at(-1) === "failure", { timeoutMs: 30_000, what: "the failed deployment" });
    const link = await waitFor(
      () =>
        e2e.gh
          .comments(repo, pr.number)
          .map((c) => /Opened #(\d+) to revert this pull request \(the merge failed to apply/.exec(c.body))
          .find(Boolean),
      { timeoutMs: 30_000, what: "the automatic revert PR" },
    );
    const revert = await e2e.gh.pull({ repo, number: Number(link[1]) });
    assert.equal(await e2e.gh.readFile(repo, revert.head.sha, "staging/desired.txt"), "v1\n");
  });

  test("every request Slipway made is one GitHub would accept", () => {
    assert.deepEqual(e2e.sim.violations, []);
  });
});
