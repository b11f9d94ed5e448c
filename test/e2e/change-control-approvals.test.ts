// Approvals end to end: who counts, reviews as approvals, and what a push does to them.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { PullInfo } from "../support/scenario/scenario.ts";
import { approvalIs, botReplies, checkText, eyesOn, hasEyes, newestCheck, planned, startGated, waitForCheck, type Gated } from "./change-control-helpers.ts";

let g: Gated;

async function openAppPr(branch: string, repo?: string): Promise<PullInfo> {
  const pr = await g.gh.openPullRequest({ repo: repo ?? (await g.newRepo()), author: "alice", branch, files: { "app/desired.txt": `${branch}\n` } });
  await planned(g.gh, pr, "app");
  return pr;
}

/** Waits for Slipway to answer a command one way or the other: 👀 or a reply. */
async function answered(pr: PullInfo, user: string, body: string): Promise<void> {
  const command = await g.gh.comment(pr, user, body);
  await g.gh.waitFor(() => hasEyes(g.gh, command.id) || botReplies(g.gh, pr, command.id).length > 0, {
    timeoutMs: 30_000,
    what: `an answer to ${user}'s ${body}`,
  });
}

const MISSING = /production\D{0,20}0\s*(of|\/)\s*1/i;

describe("approvals", () => {
  before(async () => {
    g = await startGated("cc-approvals");
  });
  after(async () => {
    await g?.stop();
  });

  test("a new PR touching a gated environment shows what approval is missing", async () => {
    const pr = await openAppPr("missing");
    const check = await approvalIs(g.gh, pr, "failure", "the approval check to say what is missing");
    assert.match(checkText(check), MISSING, checkText(check));
  });

  test("the author's /approve does not count, nor an unlisted writer's; a listed approver's does; /approve cancel withdraws it", async () => {
    const pr = await openAppPr("who-counts");
    await g.gh.comment(pr, "alice", "/approve");
    const byAuthor = await waitForCheck(g.gh, pr, "slipway/approval", (c) => /alice/.test(checkText(c)), "the approval check to name the ignored author");
    const ignored = checkText(byAuthor);
    assert.equal(byAuthor.conclusion, "failure", ignored);
    assert.match(ignored, /author/i, `says why alice does not count:\n${ignored}`);
    assert.match(ignored, MISSING);

    await answered(pr, "erin", "/approve");
    await g.e2e.idle();
    const afterErin = newestCheck(g.gh, pr.repo, pr.headSha, "slipway/approval")!;
    assert.equal(afterErin.conclusion, "failure", `erin is not an approver:\n${checkText(afterErin)}`);

    const byCarol = await g.gh.comment(pr, "carol", "/approve");
    await eyesOn(g.gh, byCarol);
    const approved = await approvalIs(g.gh, pr, "success", "carol's approval");
    assert.match(checkText(approved), /carol/, "names who approved");

    await g.gh.comment(pr, "carol", "/approve cancel");
    const withdrawn = await approvalIs(g.gh, pr, "failure", "carol's withdrawal");
    assert.match(checkText(withdrawn), MISSING);
  });

  test("a member of an approver team approves with a review; requesting changes withdraws it", async () => {
    const pr = await openAppPr("team-review");
    await approvalIs(g.gh, pr, "failure", "the initial approval check");
    await g.gh.review(pr, "dave", "APPROVED");
    const approved = await approvalIs(g.gh, pr, "success", "dave's review to count");
    assert.match(checkText(approved), /dave/);
    await g.gh.review(pr, "dave", "CHANGES_REQUESTED", "wait, not yet");
    const withdrawn = await approvalIs(g.gh, pr, "failure", "dave's requested changes to withdraw it");
    assert.match(checkText(withdrawn), MISSING);
  });

  test("a push invalidates approvals until the new head is approved", async () => {
    const pr = await openAppPr("push-invalidates");
    await g.gh.comment(pr, "carol", "/approve");
    await approvalIs(g.gh, pr, "success", "carol's approval");
    const pushed = await g.gh.pushToPullRequest(pr, { "app/desired.txt": "something else\n" });
    const next: PullInfo = { ...pr, headSha: pushed.headSha };
    await planned(g.gh, next, "app");
    await g.e2e.idle();
    const stale = await approvalIs(g.gh, next, "failure", "the new head to need approval again");
    assert.match(checkText(stale), MISSING);
    await g.gh.comment(next, "carol", "/approve");
    const again = await approvalIs(g.gh, next, "success", "carol's approval of the new head");
    assert.match(checkText(again), /carol/);
  });

  test("with approvals_survive: same_plan, a README-only push keeps approvals and a plan change drops them", async () => {
    const repo = await g.newRepo();
    const config = (await g.gh.readFile(repo, "main", ".slipway.yml"))!.replace("apply: before_merge\n", "apply: before_merge\napprovals_survive: same_plan\n");
    assert.match(config, /approvals_survive: same_plan/);
    await g.gh.pushToDefaultBranch(repo, { ".slipway.yml": config }); // gates come from the base branch
    const pr = await openAppPr("same-plan", repo);
    await g.gh.comment(pr, "carol", "/approve");
    await approvalIs(g.gh, pr, "success", "carol's approval");

    const docs = await g.gh.pushToPullRequest(pr, { "app/README.md": "only words change\n" });
    const docsHead: PullInfo = { ...pr, headSha: docs.headSha };
    await planned(g.gh, docsHead, "app");
    const kept = await approvalIs(g.gh, docsHead, "success", "the approval to survive an identical plan");
    assert.match(checkText(kept), /carol/);

    const changed = await g.gh.pushToPullRequest(pr, { "app/desired.txt": "a different plan\n" });
    const changedHead: PullInfo = { ...pr, headSha: changed.headSha };
    await planned(g.gh, changedHead, "app");
    await approvalIs(g.gh, changedHead, "failure", "a changed plan to need approval again");
    await g.e2e.idle(); // a check written before the plan ended would be a false comfort: read the settled one
    const dropped = newestCheck(g.gh, changedHead.repo, changedHead.headSha, "slipway/approval")!;
    assert.equal(dropped.conclusion, "failure", checkText(dropped));
    assert.match(checkText(dropped), MISSING);
  });

  test("a PR touching only an ungated project needs no approval", async () => {
    const repo = await g.newRepo();
    const pr = await g.gh.openPullRequest({ repo, author: "alice", branch: "web-only", files: { "web/desired.txt": "web only\n" } });
    await planned(g.gh, pr, "web");
    await approvalIs(g.gh, pr, "success", "no environment, nothing to approve");
  });
});
