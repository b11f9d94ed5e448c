// The plan pipeline end to end: simulator → webhook → queue → worker → runner → checks + comment.
// One Slipway process and one simulator serve every test; each test has its own repository.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startE2E, type E2E } from "../support/e2e.ts";
import type { PullInfo } from "../support/scenario/scenario.ts";
import { waitFor } from "../support/scenario/wait-for.ts";

const SECRET_VALUE = "tok-4f9a1c2e7b-very-secret";
let e2e: E2E;
let repoCount = 0;

async function newRepo(owner = "acme"): Promise<string> {
  const name = `infra-${++repoCount}`;
  await e2e.gh.createRepo({ owner, name, fixture: "two-projects" });
  return `${owner}/${name}`;
}

function planChecks(repo: string, headSha: string) {
  return e2e.gh.checkRuns(repo, { headSha }).filter((c) => c.name.startsWith("slipway/plan: "));
}

/** Waits until every plan check of the head is completed and the sticky comment names the head. */
async function planned(pr: PullInfo, projects: number) {
  return waitFor(
    () => {
      const checks = planChecks(pr.repo, pr.headSha);
      const done = checks.filter((c) => c.status === "completed");
      const comments = e2e.gh.comments(pr.repo, pr.number);
      const current = comments.some((c) => c.body.includes(pr.headSha.slice(0, 7)));
      return done.length === projects && current ? { checks: done, comments } : null;
    },
    { timeoutMs: 30_000, what: `${projects} completed plan check(s) and a comment for ${pr.headSha.slice(0, 7)}` },
  );
}

describe("plans on pull requests", () => {
  before(async () => {
    e2e = await startE2E({ env: { DEPLOY_TOKEN: SECRET_VALUE } });
    e2e.gh.addUser("alice", { permission: "write" });
  });
  after(async () => {
    await e2e?.stop();
  });

  test("one project planned on a new pull request costs at most 5 API calls", async () => {
    const repo = await newRepo("counting-org"); // its own installation: the token is not cached yet
    const mark = e2e.sim.mark();
    const pr = await e2e.gh.openPullRequest({ repo, author: "alice", branch: "one", files: { "alpha/desired.txt": "v2\n" } });
    await planned(pr, 1);
    const calls = e2e.sim.callsSince(mark).filter((c) => c.operationId !== undefined);
    assert.ok(calls.length <= 5, `API calls: ${calls.map((c) => `${c.method} ${c.path}`).join(", ")}`);
    assert.ok(
      calls.some((c) => c.operationId === "apps/create-installation-access-token"),
      "the token is counted",
    );
  });

  test("two changed projects: two plan checks and one comment with both outputs", async () => {
    const repo = await newRepo();
    const pr = await e2e.gh.openPullRequest({
      repo,
      author: "alice",
      branch: "two",
      files: { "alpha/desired.txt": "bigger network\n", "beta/README.md": "docs only\n" },
    });
    const { checks, comments } = await planned(pr, 2);
    const alpha = checks.find((c) => c.name === "slipway/plan: alpha")!;
    const beta = checks.find((c) => c.name === "slipway/plan: beta")!;
    assert.equal(alpha.conclusion, "success", "changes");
    assert.equal(beta.conclusion, "neutral", "no changes");
    assert.match(alpha.output.text, /bigger network/);
    assert.ok(!alpha.output.text.includes("\u001b["), "ANSI codes stripped");
    assert.equal(comments.length, 1);
    const body: string = comments[0]!.body;
    assert.match(body, /alpha/);
    assert.match(body, /beta/);
    assert.match(body, /\+1/, "counts of alpha's plan");
    assert.match(body, /bigger network/);
    assert.match(body, /No changes\./);
  });

  test("a push supersedes the running plan and edits the same comment", async () => {
    const repo = await newRepo();
    const first = await e2e.gh.openPullRequest({ repo, author: "alice", branch: "slow", files: { "alpha/desired.txt": "SLOW\n" } });
    await waitFor(() => planChecks(repo, first.headSha).find((c) => c.status === "in_progress"), { what: "the slow plan to start" });
    const pushed = await e2e.gh.pushToPullRequest(first, { "alpha/desired.txt": "fast now\n" });
    const second: PullInfo = { ...first, headSha: pushed.headSha };
    const { comments } = await planned(second, 1);
    const old = await waitFor(() => planChecks(repo, first.headSha).find((c) => c.status === "completed"), { what: "the old head's check to end" });
    assert.equal(old.conclusion, "neutral");
    assert.match(`${old.output.title} ${old.output.summary}`, /supersede/i);
    assert.equal(comments.length, 1, "still one comment");
    assert.match(comments[0]!.body, /fast now/);
    assert.doesNotMatch(comments[0]!.body, new RegExp(first.headSha.slice(0, 7)));
  });

  test("a malformed .slipway.yml fails slipway/config naming the line and column", async () => {
    const repo = await newRepo();
    const broken = "version: 1\nprojects:\n  - name: alpha\n    dri: alpha\n";
    const pr = await e2e.gh.openPullRequest({ repo, author: "alice", branch: "bad-config", files: { ".slipway.yml": broken } });
    const check = await waitFor(() => e2e.gh.checkRuns(repo, { headSha: pr.headSha, name: "slipway/config" })[0], {
      timeoutMs: 30_000,
      what: "the config check",
    });
    assert.equal(check.conclusion, "failure");
    const text = `${check.output.title}\n${check.output.summary}\n${check.output.text}`;
    assert.match(text, /\.slipway\.yml:4:5/, text);
    assert.match(text, /dir/, "the hint names the key that was meant");
    assert.equal(planChecks(repo, pr.headSha).length, 0, "nothing planned");
  });

  test("a plan printing 5 MB fits the comment and the check within GitHub's limits", async () => {
    const repo = await newRepo();
    const pr = await e2e.gh.openPullRequest({ repo, author: "alice", branch: "big", files: { "alpha/desired.txt": "BIG\n" } });
    const { checks, comments } = await planned(pr, 1);
    const body: string = comments[0]!.body;
    assert.ok(body.length <= 65_536, `comment is ${body.length} characters`);
    assert.match(body, /output (cut|shortened)/i, "a note says the output was cut");
    assert.match(body, /resource line 0:/);
    assert.ok(checks[0]!.output.text.length <= 65_535);
    assert.equal(checks[0]!.conclusion, "success");
  });

  test("a step that hangs is timed out and reported", async () => {
    const repo = await newRepo();
    const config = (await e2e.gh.readFile(repo, "main", ".slipway.yml"))!.replace("timeout_seconds: 30", "timeout_seconds: 2");
    const pr = await e2e.gh.openPullRequest({ repo, author: "alice", branch: "hang", files: { ".slipway.yml": config, "alpha/desired.txt": "HANG\n" } });
    const { checks, comments } = await planned(pr, 1);
    const alpha = checks.find((c) => c.name === "slipway/plan: alpha")!;
    assert.equal(alpha.conclusion, "failure");
    assert.match(`${alpha.output.title} ${alpha.output.summary}`, /timed out/i);
    // Which limit stopped it, said by the step's own output: the 2 s of this config, not the
    // fixture's 30 s nor the end of the 600 s sleep.
    assert.match(alpha.output.text, /step timed out after 2s/, alpha.output.text);
    assert.match(comments[0]!.body, /timed out/i);
  });

  test("a failing validate step fails the plan check with its message, and plan does not run", async () => {
    const repo = await newRepo();
    const pr = await e2e.gh.openPullRequest({ repo, author: "alice", branch: "invalid", files: { "alpha/desired.txt": "INVALID\n" } });
    const { checks, comments } = await planned(pr, 1);
    assert.equal(checks[0]!.conclusion, "failure");
    assert.match(checks[0]!.output.text, /validate: desired\.txt is invalid/);
    assert.doesNotMatch(checks[0]!.output.text, /Plan: 1 to add/, "plan steps are not run after a failed validate");
    assert.match(comments[0]!.body, /error/i);
  });

  test("a secret printed by a step is *** in the comment and the check", async () => {
    const repo = await newRepo();
    const pr = await e2e.gh.openPullRequest({ repo, author: "alice", branch: "secret", files: { "alpha/desired.txt": "PRINT_SECRET\n" } });
    const { checks, comments } = await planned(pr, 1);
    for (const text of [comments[0]!.body as string, checks[0]!.output.text as string]) {
      assert.ok(!text.includes(SECRET_VALUE), "the secret value never reaches GitHub");
      assert.match(text, /token=\*\*\* to the api/);
    }
  });

  test("the same delivery sent twice plans once", async () => {
    const repo = await newRepo();
    const pr = await e2e.gh.openPullRequest({ repo, author: "alice", branch: "twice", files: { "alpha/desired.txt": "once\n" } });
    await planned(pr, 1);
    const opened = e2e.sim.deliveries.find(
      (d) => d.event === "pull_request" && d.action === "opened" && (d.payload as any).pull_request.head.sha === pr.headSha,
    )!;
    const again = await e2e.sim.redeliver(opened.id);
    assert.equal(again.status, 200);
    await e2e.idle(); // a wrong second plan would have run by now
    assert.equal(planChecks(repo, pr.headSha).length, 1, "one plan check for the head");
    assert.equal(e2e.gh.comments(repo, pr.number).length, 1);
  });

  test("a pull request from a fork is not planned, and says why", async () => {
    const repo = await newRepo();
    const pr = await e2e.gh.openPullRequest({ repo, author: "alice", branch: "from-fork", fork: true, files: { "alpha/desired.txt": "fork\n" } });
    const comment = await waitFor(() => e2e.gh.comments(repo, pr.number)[0], { timeoutMs: 30_000, what: "the fork comment" });
    assert.match(comment.body, /fork/i);
    assert.match(comment.body, /allow_forks/);
    assert.equal(planChecks(repo, pr.headSha).length, 0);
  });

  test("a draft is not planned automatically, and says how to plan it", async () => {
    const repo = await newRepo();
    const pr = await e2e.gh.openPullRequest({ repo, author: "alice", branch: "draft", draft: true, files: { "alpha/desired.txt": "draft\n" } });
    const comment = await waitFor(() => e2e.gh.comments(repo, pr.number)[0], { timeoutMs: 30_000, what: "the draft comment" });
    assert.match(comment.body, /draft/i);
    assert.equal(planChecks(repo, pr.headSha).length, 0);
  });

  test("a repository without .slipway.yml gets one short comment explaining how to add one", async () => {
    const name = `bare-${++repoCount}`;
    await e2e.gh.createRepo({ owner: "acme", name, files: { "README.md": "no config here\n" } });
    const repo = `acme/${name}`;
    const pr = await e2e.gh.openPullRequest({ repo, author: "alice", branch: "x", files: { "main.tf": "# hello\n" } });
    const comment = await waitFor(() => e2e.gh.comments(repo, pr.number)[0], { timeoutMs: 30_000, what: "the no-config comment" });
    assert.match(comment.body, /\.slipway\.yml/);
    await e2e.gh.pushToPullRequest(pr, { "main.tf": "# hello again\n" });
    await e2e.idle(); // the push's jobs have ended: a second comment would be there
    assert.equal(e2e.gh.comments(repo, pr.number).length, 1, "edited, never a second comment");
    assert.equal(e2e.gh.checkRuns(repo).length, 0, "no failing check for a repo that has not opted in");
  });

  // Tests in a file run in order, so this one sees every request the tests above caused.
  test("every request Slipway made is one GitHub would accept", () => {
    assert.deepEqual(e2e.sim.violations, []);
  });
});
