// The merge queue end to end (SPEC §11), with the simulator playing GitHub's queue: a group's
// commit gets Slipway's plan and approval checks, so they can be required without stalling the
// queue; with `apply: in_merge_queue` the group is applied at its commit and merged only if it
// applied, exactly once; a group that applied and left the queue unmerged is reported.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { startE2E, type E2E } from "../support/e2e.ts";
import type { PullInfo } from "../support/scenario/scenario.ts";
import { waitFor } from "../support/scenario/wait-for.ts";
import { applyRecords, botReplies, checkText, keepLogs } from "./change-control-helpers.ts";

let e2e: E2E;
let world: string;
let repoCount = 0;
const WAIT = { timeoutMs: 60_000 };

const readWorld = (file: string) => readFile(path.join(world, file), "utf8").catch(() => undefined);

const BASE_CONFIG = `version: 1
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
environments:
  production:
    approvals: 1
    approvers: ["carol"]
    manual: true
workflows:
  world:
    plan: [{run: "sh ../plan.sh"}]
    apply: [{run: "sh ../apply.sh"}]
`;

/** A repo from the deploy fixture, each project in its own world files (one world dir, repo-named projects would clash). */
async function newRepo(mode: "after_merge" | "in_merge_queue", requiredChecks: string[], extraConfig = ""): Promise<string> {
  const name = `queue-${++repoCount}`;
  await e2e.gh.createRepo({ owner: "acme", name, fixture: "deploy-repo", files: { ".slipway.yml": `apply: ${mode}\n${BASE_CONFIG}${extraConfig}` } });
  const repo = `acme/${name}`;
  e2e.gh.setMergeQueue(repo, requiredChecks);
  return repo;
}

async function planned(repo: string, branch: string, files: Record<string, string>): Promise<PullInfo> {
  const pr = await e2e.gh.openPullRequest({ repo, author: "alice", branch, files });
  const projects = new Set(Object.keys(files).map((f) => f.split("/")[0]!));
  await waitFor(
    () =>
      [...projects].every((p) => e2e.gh.checkRuns(repo, { headSha: pr.headSha, name: `slipway/plan: ${p}` }).at(-1)?.status === "completed") ? true : null,
    { ...WAIT, what: "the pull request's plans" },
  );
  return pr;
}

async function approved(pr: PullInfo): Promise<void> {
  await e2e.gh.comment(pr, "carol", "/approve");
  await waitFor(() => e2e.gh.checkRuns(pr.repo, { headSha: pr.headSha, name: "slipway/approval" }).at(-1)?.conclusion === "success" || null, {
    ...WAIT,
    what: "the pull request approved",
  });
}

const entryOf = (repo: string, pull: number) => e2e.gh.mergeQueue(repo).find((e) => e.pulls.includes(pull));

function queueEnded(repo: string, pull: number, state: "merged" | "dequeued"): Promise<true> {
  return waitFor(() => entryOf(repo, pull)?.state === state || null, { ...WAIT, what: `#${pull} ${state} by the queue` });
}

/** The newest completed check of a name on a commit. */
function completedCheck(repo: string, sha: string, name: string): Promise<Record<string, any>> {
  return waitFor(
    () => {
      const c = e2e.gh.checkRuns(repo, { headSha: sha, name }).at(-1);
      return c?.status === "completed" ? c : null;
    },
    { ...WAIT, what: `${name} on ${sha.slice(0, 7)}` },
  );
}

/** Where in the webhook sequence the base branch moved (the queue's `push`). */
function pushIndex(repo: string, sha: string): number {
  return e2e.sim.deliveries.findIndex((d) => d.event === "push" && (d.payload.repository as any)?.full_name === repo && d.payload.after === sha);
}

/** Where Slipway created its first `slipway/apply` check for the repository (the echo of its write). */
function firstApplyCheckIndex(repo: string): number {
  return e2e.sim.deliveries.findIndex(
    (d) =>
      d.event === "check_run" && (d.payload.repository as any)?.full_name === repo && String((d.payload.check_run as any)?.name).startsWith("slipway/apply: "),
  );
}

describe("merge queue", () => {
  before(async () => {
    world = await mkdtemp(path.join(tmpdir(), "slipway-world-"));
    e2e = await startE2E({ env: { SLIPWAY_WORLD_DIR: world } });
    for (const user of ["alice", "carol"]) e2e.gh.addUser(user, { permission: "write" });
  });
  after(async () => {
    if (e2e) await keepLogs("merge-queue", [e2e.slipway.logs()]);
    await e2e?.stop();
    await rm(world, { recursive: true, force: true });
  });

  test("after_merge: with the plan and approval checks required, an approved pull request is merged by the queue, and applied only once it landed", async () => {
    const repo = await newRepo("after_merge", ["slipway/plan: staging", "slipway/plan: production", "slipway/approval"]);
    const pr = await planned(repo, "approved", { "staging/desired.txt": "a1\n", "production/desired.txt": "a1\n" });
    await approved(pr);
    const group = await e2e.gh.enqueue(pr, "alice");
    assert.match(group.headRef, new RegExp(`^gh-readonly-queue/main/pr-${pr.number}-[0-9a-f]{40}$`));

    const approval = await completedCheck(repo, group.headSha, "slipway/approval");
    assert.equal(approval.conclusion, "success", checkText(approval));
    assert.equal((await completedCheck(repo, group.headSha, "slipway/plan: staging")).conclusion, "success");
    assert.equal((await completedCheck(repo, group.headSha, "slipway/plan: production")).conclusion, "success");
    await queueEnded(repo, pr.number, "merged");
    assert.equal(await e2e.gh.branchSha(repo, "main"), group.headSha, "main fast-forwarded to the group's commit");

    await waitFor(async () => ((await readWorld("staging.txt")) === "a1\n" ? true : null), { ...WAIT, what: "staging applied after the merge" });
    await e2e.idle();
    const push = pushIndex(repo, group.headSha);
    assert.ok(push >= 0, "the queue's push was sent");
    assert.ok(firstApplyCheckIndex(repo) > push, "no apply check before the queue's push: nothing applied before it landed");
    assert.deepEqual(
      (await applyRecords(world, group.headSha)).map((r) => r.project),
      ["staging"],
      "staging applied once at the merged commit; production (manual) waits",
    );
    assert.deepEqual(e2e.sim.violations, []);
  });

  test("after_merge: a project locked by a pull request outside the group fails the group's plan check", async () => {
    const repo = await newRepo("after_merge", ["slipway/plan: staging"]);
    const holder = await planned(repo, "holder", { "staging/desired.txt": "h1\n" });
    const queued = await planned(repo, "queued-behind", { "staging/notes.txt": "h2\n" });
    const group = await e2e.gh.enqueue(queued, "alice");
    const plan = await completedCheck(repo, group.headSha, "slipway/plan: staging");
    assert.equal(plan.conclusion, "failure");
    assert.match(checkText(plan), new RegExp(`locked by #${holder.number}`));
    await queueEnded(repo, queued.number, "dequeued");
  });

  test("after_merge: an unapproved pull request is taken out of the queue, main does not move, nothing is applied", async () => {
    const repo = await newRepo("after_merge", ["slipway/plan: staging", "slipway/plan: production", "slipway/approval"]);
    const pr = await planned(repo, "unapproved", { "staging/desired.txt": "u1\n", "production/desired.txt": "u1\n" });
    const mainBefore = await e2e.gh.branchSha(repo, "main");
    const group = await e2e.gh.enqueue(pr, "alice");

    const approval = await completedCheck(repo, group.headSha, "slipway/approval");
    assert.equal(approval.conclusion, "failure");
    assert.match(checkText(approval), new RegExp(`#${pr.number}`));
    await queueEnded(repo, pr.number, "dequeued");
    await e2e.idle();
    assert.equal(await e2e.gh.branchSha(repo, "main"), mainBefore, "main did not move");
    assert.equal((await e2e.gh.pull(pr)).merged, false);
    assert.deepEqual(await applyRecords(world, group.headSha), []);
    assert.equal(firstApplyCheckIndex(repo), -1, "no apply check at all");
  });

  test("in_merge_queue: an approved pull request is applied at the group's commit, then merged, and applied exactly once", async () => {
    const repo = await newRepo("in_merge_queue", [
      "slipway/plan: staging",
      "slipway/plan: production",
      "slipway/approval",
      "slipway/apply: staging",
      "slipway/apply: production",
    ]);
    const pr = await planned(repo, "queued", { "staging/desired.txt": "q1\n", "production/desired.txt": "q1\n" });
    await approved(pr);
    const group = await e2e.gh.enqueue(pr, "alice");

    const applyCheck = await completedCheck(repo, group.headSha, "slipway/apply: staging");
    assert.equal(applyCheck.conclusion, "success", checkText(applyCheck));
    const production = await completedCheck(repo, group.headSha, "slipway/apply: production");
    assert.equal(production.conclusion, "neutral", "production is manual: not applied in the queue");
    assert.match(checkText(production), /apply production/);
    await queueEnded(repo, pr.number, "merged");
    assert.equal(await e2e.gh.branchSha(repo, "main"), group.headSha);
    // The queue records the merge, then sends its webhooks: wait for the push to be sent.
    const push = await waitFor(() => (pushIndex(repo, group.headSha) >= 0 ? pushIndex(repo, group.headSha) : null), { ...WAIT, what: "the queue's push" });
    assert.ok(firstApplyCheckIndex(repo) < push, "applied before the queue merged it");

    // The push of the group's commit starts a deploy: staging is not applied again, production waits.
    await waitFor(() => e2e.gh.deployments(repo).find((d) => d.environment === "production") ?? null, { ...WAIT, what: "the production deployment" });
    await e2e.idle();
    assert.deepEqual(
      (await applyRecords(world, group.headSha)).map((r) => r.project),
      ["staging"],
      "staging applied exactly once in total",
    );
    assert.equal(await readWorld("staging.txt"), "q1\n");
    assert.equal(
      e2e.gh.deployments(repo).find((d) => d.environment === "staging"),
      undefined,
      "no second deploy of staging",
    );
    const prodStatuses = e2e.gh.deploymentStatuses(repo, e2e.gh.deployments(repo).find((d) => d.environment === "production")!.id);
    assert.deepEqual(
      prodStatuses.map((s) => s.state),
      ["queued"],
      "production waits for /apply production",
    );
    const comment = e2e.gh.comments(repo, pr.number).find((c) => String(c.body).includes("<!-- slipway:sticky -->"));
    assert.match(String(comment?.body), /Applied in the merge queue at [0-9a-f]{7}, before merging: `staging`/);
    assert.match(String(comment?.body), /production.*waiting/is);

    // The manual environment is released after merge, as with after_merge.
    await e2e.gh.comment(pr, "carol", "/apply production");
    await waitFor(async () => ((await readWorld("production.txt")) === "q1\n" ? true : null), { ...WAIT, what: "production applied on release" });
    await e2e.idle();
    assert.deepEqual(
      (await applyRecords(world, group.headSha)).map((r) => r.project),
      ["staging", "production"],
      "each project applied once at the group's commit",
    );
    assert.deepEqual(e2e.sim.violations, []);
  });

  test("in_merge_queue: checks required for a project the group does not change pass as neutral, so the queue does not stall", async () => {
    const every = ["slipway/plan: staging", "slipway/plan: production", "slipway/apply: staging", "slipway/apply: production", "slipway/approval"];
    const repo = await newRepo("in_merge_queue", every);
    const pr = await planned(repo, "staging-only", { "staging/desired.txt": "s1\n" });
    const group = await e2e.gh.enqueue(pr, "alice");
    await queueEnded(repo, pr.number, "merged");
    for (const name of ["slipway/plan: production", "slipway/apply: production"]) {
      const check = await completedCheck(repo, group.headSha, name);
      assert.equal(check.conclusion, "neutral", name);
      assert.match(checkText(check), /Not changed by this merge group/);
    }
    await e2e.idle();
    assert.deepEqual(
      (await applyRecords(world, group.headSha)).map((r) => r.project),
      ["staging"],
    );
  });

  test("in_merge_queue: a failed apply takes the pull request out of the queue, main does not move, the pull request says why", async () => {
    const repo = await newRepo("in_merge_queue", ["slipway/plan: staging", "slipway/approval", "slipway/apply: staging"]);
    const pr = await planned(repo, "failing", { "staging/desired.txt": "FAIL\n" });
    const mainBefore = await e2e.gh.branchSha(repo, "main");
    const group = await e2e.gh.enqueue(pr, "alice");

    const applyCheck = await completedCheck(repo, group.headSha, "slipway/apply: staging");
    assert.equal(applyCheck.conclusion, "failure");
    await queueEnded(repo, pr.number, "dequeued");
    const notice = await waitFor(() => botReplies(e2e.gh, pr).find((c) => /failed to apply in the merge queue/.test(c.body)) ?? null, {
      ...WAIT,
      what: "the failure on the pull request",
    });
    assert.match(notice.body, /apply failed: the API refused the change/);
    await e2e.idle();
    assert.equal(await e2e.gh.branchSha(repo, "main"), mainBefore, "main did not move");
    assert.equal((await e2e.gh.pull(pr)).merged, false);
  });

  test("in_merge_queue: a group of two pull requests is refused, saying to set the group size to 1", async () => {
    const repo = await newRepo("in_merge_queue", ["slipway/apply: staging"]);
    const first = await planned(repo, "first", { "staging/desired.txt": "g1\n" });
    const second = await planned(repo, "second", { "staging/notes.txt": "g2\n" });
    const group = await e2e.gh.enqueue([first, second], "alice");
    assert.match(group.headRef, new RegExp(`/pr-${second.number}-`));

    const applyCheck = await completedCheck(repo, group.headSha, "slipway/apply: staging");
    assert.equal(applyCheck.conclusion, "failure");
    assert.match(checkText(applyCheck), /2 pull requests/);
    // The second pull request was locked out of staging by the first at its own head; in their group, the lock is theirs.
    assert.equal(e2e.gh.checkRuns(repo, { headSha: second.headSha, name: "slipway/plan: staging" }).at(-1)?.conclusion, "failure");
    assert.equal((await completedCheck(repo, group.headSha, "slipway/plan: staging")).conclusion, "success");
    assert.match(checkText(applyCheck), /group size to 1/);
    await queueEnded(repo, first.number, "dequeued");
    await e2e.idle();
    assert.deepEqual(await applyRecords(world, group.headSha), [], "nothing applied");
  });

  test("in_merge_queue: a group that applied and is then dequeued tells the pull request and opens a drift issue", async () => {
    // A second required check nobody reports holds the group in the queue after its apply.
    const repo = await newRepo("in_merge_queue", ["slipway/apply: staging", "ci/slow"]);
    const pr = await planned(repo, "dequeued", { "staging/desired.txt": "d1\n" });
    const group = await e2e.gh.enqueue(pr, "alice");
    assert.equal((await completedCheck(repo, group.headSha, "slipway/apply: staging")).conclusion, "success");
    assert.equal(await readWorld("staging.txt"), "d1\n", "the world holds the group's change");

    await e2e.gh.dequeue(pr);
    const notice = await waitFor(() => botReplies(e2e.gh, pr).find((c) => /Applied, but not merged/.test(c.body)) ?? null, {
      ...WAIT,
      what: "the notice on the pull request",
    });
    assert.match(notice.body, /`staging`/);
    const issue = await waitFor(() => e2e.gh.issues(repo, { labels: ["drift"] }).find((i) => i.title === "Drift: staging") ?? null, {
      ...WAIT,
      what: "the drift issue of staging",
    });
    assert.match(issue.body, /Drift in `staging`/);
    await e2e.idle();
    assert.equal((await e2e.gh.pull(pr)).merged, false);
    assert.deepEqual(e2e.sim.violations, []);
  });

  test("in_merge_queue with drift.remediate: a dequeued group that applied is undone by applying the default branch again", async () => {
    const repo = await newRepo("in_merge_queue", ["slipway/apply: staging", "ci/slow"], "drift:\n  remediate: true\n");
    const pr = await planned(repo, "undone", { "staging/desired.txt": "r1\n" });
    const group = await e2e.gh.enqueue(pr, "alice");
    assert.equal((await completedCheck(repo, group.headSha, "slipway/apply: staging")).conclusion, "success");
    assert.equal(await readWorld("staging.txt"), "r1\n");
    const main = (await e2e.gh.branchSha(repo, "main"))!;

    await e2e.gh.dequeue(pr);
    await waitFor(async () => ((await readWorld("staging.txt")) === "v1\n" ? true : null), { ...WAIT, what: "staging back to main's desired state" });
    await e2e.idle();
    assert.deepEqual(
      (await applyRecords(world, main)).map((r) => r.project).filter((p) => p === "staging"),
      ["staging"],
      "main applied again, once",
    );
    assert.ok(botReplies(e2e.gh, pr).some((c) => /Applied, but not merged/.test(c.body)));
    assert.equal(
      e2e.gh.issues(repo, { labels: ["drift"] }).find((i) => i.title === "Drift: staging"),
      undefined,
      "repaired: no open drift issue",
    );
  });
});
