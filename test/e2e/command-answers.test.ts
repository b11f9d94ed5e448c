// SPEC §7 end to end: "Every command gets a visible answer" — a command that is accepted but
// changes nothing is answered with a reply saying why — and "No approval is lost to timing" — an
// approval that arrives while the head's plan runs counts once the plan is recorded. The timing
// tests hold the plan (held-plan-repo's plan.sh waits for a file) and deliver the approval in
// between: no sleeps, no race.
import assert from "node:assert/strict";
import { access, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import type { PullInfo } from "../support/scenario/scenario.ts";
import { applyRecords, botReplies, checkText, eyesOn, hasEyes, planned, replyTo, startGated, waitForCheck, type Gated } from "./change-control-helpers.ts";

let g: Gated;
let heldRepos = 0;
const WAIT_MS = 30_000;

/** A pull request whose plan is recorded: its approval check is published after that, not its plan check. */
async function openAppPr(branch: string): Promise<PullInfo> {
  const pr = await g.gh.openPullRequest({ repo: await g.newRepo(), author: "alice", branch, files: { "app/desired.txt": `${branch}\n` } });
  await planned(g.gh, pr, "app");
  await approvalCheck(pr, "the plan to be recorded");
  return pr;
}

/** A repository whose plans wait until the test releases them (test/fixtures/held-plan-repo). */
async function newHeldRepo(): Promise<string> {
  const name = `held-${++heldRepos}`;
  await g.gh.createRepo({ owner: "acme", name, fixture: "held-plan-repo" });
  return `acme/${name}`;
}

const worldFile = (name: string) => path.join(g.worldDir, name);

/** Waits until the plan of `sha` is running (its step has started and holds). */
function planRunning(sha: string): Promise<boolean> {
  return g.gh.waitFor(
    () =>
      access(worldFile(`planning-${sha}`)).then(
        () => true,
        () => false,
      ),
    { timeoutMs: WAIT_MS, what: `the plan of ${sha.slice(0, 7)} to start` },
  );
}

function releasePlan(sha: string): Promise<void> {
  return writeFile(worldFile(`release-${sha}`), "");
}

/** The newest approval check of the head, once there is one. */
function approvalCheck(pr: PullInfo, what: string) {
  return waitForCheck(g.gh, pr, "slipway/approval", () => true, what);
}

/** Waits until Slipway has handled the review of `sha`, whatever it made of it (it is not answered on GitHub). */
function reviewHandled(sha: string, user: string): Promise<boolean> {
  const handled = /"msg":"review (taken into account|approval not recorded)"/;
  return g.gh.waitFor(
    () =>
      g.e2e.slipway
        .logs()
        .split("\n")
        .some((line) => handled.test(line) && line.includes(sha) && line.includes(`"user":"${user}"`)),
    {
      timeoutMs: WAIT_MS,
      what: `${user}'s review of ${sha.slice(0, 7)} to be handled`,
    },
  );
}

// One simulator and one Slipway for the file; each test has its own repository.
before(async () => {
  g = await startGated("command-answers");
});
after(async () => {
  await g?.stop();
});

describe("every command gets a visible answer", () => {
  test("the author's own /approve under allow_author: false is answered: it does not count, and why", async () => {
    const pr = await openAppPr("own-approval");
    const command = await g.gh.comment(pr, "alice", "/approve");
    const reply = await replyTo(g.gh, pr, command, "a reply to the author's /approve");
    assert.match(reply.body, /does not count/, reply.body);
    assert.match(reply.body, /author/i, reply.body);
    assert.match(reply.body, /allow_author: false/, reply.body);
    assert.ok(hasEyes(g.gh, command.id), "accepted: the approval is recorded, and the check lists it");
    const check = await waitForCheck(g.gh, pr, "slipway/approval", (c) => /alice/.test(checkText(c)), "the approval check to list alice's approval");
    assert.equal(check.conclusion, "failure");
  });

  test("an /approve from a writer outside `approvers` is answered with who may approve, paging nobody", async () => {
    const pr = await openAppPr("outsider");
    const command = await g.gh.comment(pr, "erin", "/approve");
    const reply = await replyTo(g.gh, pr, command, "a reply to erin's /approve");
    assert.match(reply.body, /does not count/, reply.body);
    assert.match(reply.body, /not an approver of production/, reply.body);
    assert.match(reply.body, /`@acme\/sre`/, "the approver team is named in a code span, where GitHub notifies nobody");
    assert.doesNotMatch(reply.body, /(^|[^`])@acme\/sre/, reply.body);
  });

  test("/plan on a pull request from a fork is answered: the base branch does not allow forks", async () => {
    const repo = await g.newRepo();
    const pr = await g.gh.openPullRequest({ repo, author: "alice", branch: "from-fork", fork: true, files: { "app/desired.txt": "fork\n" } });
    const command = await g.gh.comment(pr, "carol", "/plan");
    const reply = await replyTo(g.gh, pr, command, "a reply to /plan on a fork");
    assert.match(reply.body, /fork/i, reply.body);
    assert.match(reply.body, /allow_forks/, reply.body);
    assert.equal(hasEyes(g.gh, command.id), false, "refused, so no 👀");
    assert.deepEqual(g.gh.checkRuns(repo, { headSha: pr.headSha, name: "slipway/plan: app" }), [], "fork code was not planned");
  });

  test("/apply with nothing to apply (a plan without changes) is answered, and no apply runs", async () => {
    const repo = await g.newRepo();
    const noChanges = "#!/bin/sh\necho 'No changes. Your infrastructure matches the configuration.'\nexit 0\n";
    const pr = await g.gh.openPullRequest({ repo, author: "alice", branch: "no-changes", files: { "web/desired.txt": "same\n", "web/plan.sh": noChanges } });
    await waitForCheck(g.gh, pr, "slipway/plan: web", (c) => c.conclusion === "neutral", "a plan of web without changes");
    await approvalCheck(pr, "the plan to be recorded");
    const command = await g.gh.comment(pr, "alice", "/apply");
    const applyChecks = () => g.gh.checkRuns(repo, { headSha: pr.headSha, name: "slipway/apply: web" });
    await g.gh.waitFor(() => botReplies(g.gh, pr, command.id).length > 0 || applyChecks().length > 0, {
      timeoutMs: WAIT_MS,
      what: "a reply to /apply, or an apply",
    });
    const reply = botReplies(g.gh, pr, command.id)[0];
    assert.ok(
      reply,
      `no reply; apply checks: ${applyChecks()
        .map((c) => c.output?.title)
        .join(", ")}`,
    );
    assert.match(reply.body, /nothing to apply/, reply.body);
    assert.match(reply.body, /no changes/, reply.body);
    assert.deepEqual(applyChecks(), [], "no apply check");
    assert.deepEqual(await applyRecords(g.worldDir, pr.headSha), [], "apply.sh never ran");
  });
});

describe("no approval is lost to timing", () => {
  test("an APPROVED review that arrives while the head's plan runs counts once the plan is recorded", async () => {
    const pr = await g.gh.openPullRequest({
      repo: await newHeldRepo(),
      author: "alice",
      branch: "review-mid-plan",
      files: { "app/desired.txt": "reviewed early\n" },
    });
    await planRunning(pr.headSha);
    await g.gh.review(pr, "dave", "APPROVED");
    await reviewHandled(pr.headSha, "dave");
    await releasePlan(pr.headSha);
    await planned(g.gh, pr, "app");
    const check = await approvalCheck(pr, "the approval check once the plan is recorded");
    assert.equal(check.conclusion, "success", checkText(check));
    assert.match(checkText(check), /dave/);
  });

  test("an /approve that arrives while the head's plan runs is answered, and counts once the plan is recorded", async () => {
    const pr = await g.gh.openPullRequest({
      repo: await newHeldRepo(),
      author: "alice",
      branch: "approve-mid-plan",
      files: { "app/desired.txt": "approved early\n" },
    });
    await planRunning(pr.headSha);
    const command = await g.gh.comment(pr, "carol", "/approve");
    const reply = await replyTo(g.gh, pr, command, "the answer to an /approve given mid-plan");
    assert.ok(hasEyes(g.gh, command.id), `accepted, not refused:\n${reply.body}`);
    assert.match(reply.body, /once \S+ is planned/, reply.body);
    await releasePlan(pr.headSha);
    await planned(g.gh, pr, "app");
    const check = await approvalCheck(pr, "the approval check once the plan is recorded");
    assert.equal(check.conclusion, "success", checkText(check));
    assert.match(checkText(check), /carol/);
  });

  test("an approval given mid-plan of a commit that a push then replaces does not count for the new head", async () => {
    const pr = await g.gh.openPullRequest({ repo: await newHeldRepo(), author: "alice", branch: "pushed-over", files: { "app/desired.txt": "first\n" } });
    await planRunning(pr.headSha);
    await eyesOn(g.gh, await g.gh.comment(pr, "carol", "/approve"));
    const pushed = await g.gh.pushToPullRequest(pr, { "app/desired.txt": "second\n" });
    const next: PullInfo = { ...pr, headSha: pushed.headSha };
    await releasePlan(pr.headSha);
    await planRunning(next.headSha);
    await releasePlan(next.headSha);
    await planned(g.gh, next, "app");
    const check = await approvalCheck(next, "the new head's approval check");
    assert.equal(check.conclusion, "failure", checkText(check));
    assert.match(checkText(check), /carol approved \w{7}, not the current head/, checkText(check));
  });

  test("with approvals_survive: same_plan, an approval given mid-plan carries over a push that leaves the plan unchanged", async () => {
    const repo = await newHeldRepo();
    const config = (await g.gh.readFile(repo, "main", ".slipway.yml"))!.replace("apply: before_merge\n", "apply: before_merge\napprovals_survive: same_plan\n");
    assert.match(config, /approvals_survive: same_plan/);
    await g.gh.pushToDefaultBranch(repo, { ".slipway.yml": config }); // gates come from the base branch
    const pr = await g.gh.openPullRequest({ repo, author: "alice", branch: "same-plan-mid-plan", files: { "app/desired.txt": "kept\n" } });
    await planRunning(pr.headSha);
    await eyesOn(g.gh, await g.gh.comment(pr, "carol", "/approve"));
    await releasePlan(pr.headSha);
    await planned(g.gh, pr, "app");
    assert.equal((await approvalCheck(pr, "the first head's approval check")).conclusion, "success");

    const docs = await g.gh.pushToPullRequest(pr, { "app/NOTES.md": "only words change\n" });
    const next: PullInfo = { ...pr, headSha: docs.headSha };
    await planRunning(next.headSha);
    await releasePlan(next.headSha);
    await planned(g.gh, next, "app");
    const kept = await approvalCheck(next, "the approval to carry over an unchanged plan");
    assert.equal(kept.conclusion, "success", checkText(kept));
    assert.match(checkText(kept), /carol/);
  });
});
