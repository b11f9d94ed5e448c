// Apply before merge end to end: `/apply` runs only an approved, current, mergeable plan, and runs
// exactly the commit that was planned (apply.sh records the SHA it ran at).
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import type { PullInfo } from "../support/scenario/scenario.ts";
import { applyRecords, approvalIs, checkText, eyesOn, planned, replyTo, startGated, sticky, waitForCheck, type Gated } from "./change-control-helpers.ts";

let g: Gated;

async function openAppPr(branch: string, desired: string): Promise<PullInfo> {
  const repo = await g.newRepo();
  const pr = await g.gh.openPullRequest({ repo, author: "alice", branch, files: { "app/desired.txt": desired } });
  await planned(g.gh, pr, "app");
  return pr;
}

describe("apply before merge", () => {
  before(async () => {
    g = await startGated("cc-apply");
  });
  after(async () => {
    await g?.stop();
  });

  test("/apply without the approvals is refused with a reply, and nothing runs", async () => {
    const pr = await openAppPr("unapproved", "unapproved\n");
    await approvalIs(g.gh, pr, "failure", "the PR to be unapproved");
    const command = await g.gh.comment(pr, "alice", "/apply");
    const reply = await replyTo(g.gh, pr, command, "the refusal of an unapproved /apply");
    assert.match(reply.body, /approv/i, reply.body);
    await g.e2e.idle();
    assert.deepEqual(await applyRecords(g.worldDir, pr.headSha), [], "apply.sh never ran");
    const applyChecks = g.gh.checkRuns(pr.repo, { headSha: pr.headSha, name: "slipway/apply: app" });
    assert.ok(
      applyChecks.every((c) => c.conclusion !== "success"),
      "no successful apply check",
    );
  });

  test("/apply after approval applies exactly the planned head and reports it", async () => {
    const opened = await openAppPr("approved", "v1\n");
    const pushed = await g.gh.pushToPullRequest(opened, { "app/desired.txt": "v2 approved\n" });
    const pr: PullInfo = { ...opened, headSha: pushed.headSha };
    await planned(g.gh, pr, "app");
    await g.gh.comment(pr, "carol", "/approve");
    await approvalIs(g.gh, pr, "success", "carol's approval");

    const command = await g.gh.comment(pr, "alice", "/apply");
    await eyesOn(g.gh, command);
    const check = await waitForCheck(g.gh, pr, "slipway/apply: app", () => true, "the apply to end");
    assert.equal(check.conclusion, "success", checkText(check));
    assert.match(checkText(check), /applied app: v2 approved/, "the check shows the apply output");

    const records = await applyRecords(g.worldDir);
    const mine = records.filter((r) => r.sha === pr.headSha);
    assert.deepEqual(
      mine.map((r) => `${r.phase} ${r.project}`),
      ["start app", "end app"],
      "one run of app at the approved head",
    );
    assert.ok(!records.some((r) => r.sha === opened.headSha), "the superseded head was never applied");
    assert.equal(await readFile(path.join(g.worldDir, "app.txt"), "utf8"), "v2 approved\n");
    await g.gh.waitFor(() => /applied app: v2 approved/.test(sticky(g.gh, pr)?.body ?? ""), {
      timeoutMs: 30_000,
      what: "the apply output in the sticky comment",
    });
  });

  test("/apply on a PR that no longer merges cleanly is refused", async () => {
    const pr = await openAppPr("conflicted", "mine\n");
    await g.gh.comment(pr, "carol", "/approve");
    await approvalIs(g.gh, pr, "success", "carol's approval");
    await g.gh.pushToDefaultBranch(pr.repo, { "app/desired.txt": "someone else's\n" });
    const command = await g.gh.comment(pr, "alice", "/apply");
    const reply = await replyTo(g.gh, pr, command, "the refusal of an /apply that cannot merge");
    assert.match(reply.body, /merge|conflict/i, reply.body);
    await g.e2e.idle();
    assert.deepEqual(await applyRecords(g.worldDir, pr.headSha), [], "apply.sh never ran");
  });
});
