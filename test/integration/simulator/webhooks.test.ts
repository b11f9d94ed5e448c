import { afterEach, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Octokit } from "@octokit/rest";
import { Webhooks } from "@octokit/webhooks";
import { verify } from "@octokit/webhooks-methods";
import { startGitHubSimulator, type GitHubSimulator } from "../../support/github-simulator/index.ts";
import { startWebhookReceiver, type WebhookReceiver } from "../../support/github-simulator/webhook-receiver.ts";

type Json = Record<string, any>;

describe("GitHub simulator webhooks and scenario driver", () => {
  let sim: GitHubSimulator;
  let receiver: WebhookReceiver;

  beforeEach(async () => {
    sim = await startGitHubSimulator();
    receiver = await startWebhookReceiver();
    sim.setWebhookTarget(receiver.url);
  });
  afterEach(async () => {
    await sim?.stop();
    await receiver?.close();
  });

  const received = () => receiver.received.map((r) => ({ event: String(r.headers["x-github-event"]), payload: JSON.parse(r.body) as Json }));
  const names = () => received().map((r) => (r.payload.action ? `${r.event}.${r.payload.action}` : r.event));

  test("deliveries are signed with the app's secret and verify with @octokit/webhooks", async () => {
    await sim.scenario.createRepo({ owner: "acme", name: "infra", fixture: "simple-repo" });
    await sim.scenario.openPullRequest({ repo: "acme/infra", author: "dev", branch: "f", files: { "app/desired.txt": "replicas=2\n" } });
    assert.ok(receiver.received.length >= 2);
    const ids = new Set<string>();
    for (const r of receiver.received) {
      const signature = String(r.headers["x-hub-signature-256"]);
      assert.match(signature, /^sha256=[0-9a-f]{64}$/);
      assert.equal(await verify(sim.webhookSecret, r.body, signature), true);
      assert.equal(await verify("some-other-secret", r.body, signature), false);
      assert.match(String(r.headers["user-agent"]), /^GitHub-Hookshot\//);
      assert.ok(r.headers["x-github-hook-id"]);
      ids.add(String(r.headers["x-github-delivery"]));
    }
    assert.equal(ids.size, receiver.received.length, "every delivery has its own id");

    const webhooks = new Webhooks({ secret: sim.webhookSecret });
    const seen: string[] = [];
    webhooks.on("pull_request.opened", ({ payload }) => {
      seen.push(`${payload.repository.full_name}#${payload.number}`);
    });
    const opened = receiver.received.find((r) => r.headers["x-github-event"] === "pull_request");
    assert.ok(opened);
    await webhooks.verifyAndReceive({
      id: String(opened.headers["x-github-delivery"]),
      name: "pull_request",
      payload: opened.body,
      signature: String(opened.headers["x-hub-signature-256"]),
    });
    assert.deepEqual(seen, ["acme/infra#1"]);
  });

  test("redeliver sends the identical bytes under the same delivery id", async () => {
    await sim.scenario.createRepo({ owner: "acme", name: "infra" });
    const pr = await sim.scenario.openPullRequest({ repo: "acme/infra", author: "dev", branch: "f", files: { "a.txt": "a\n" } });
    const c = await sim.scenario.comment(pr, "dev", "/plan");
    const original = sim.deliveries.find((d) => d.event === "issue_comment" && (d.payload.comment as Json).id === c.id);
    assert.ok(original);
    const before = receiver.received.length;
    const again = await sim.redeliver(original.id);
    assert.equal(again.deliveryId, original.id);
    assert.equal(again.status, 202);
    const [first, second] = receiver.received.filter((r) => r.headers["x-github-delivery"] === original.id);
    assert.equal(receiver.received.length, before + 1);
    assert.equal(second?.body, first?.body);
    assert.equal(second?.headers["x-hub-signature-256"], first?.headers["x-hub-signature-256"]);
  });

  test("open PR → comment → approve → merge delivers GitHub's sequence with the simulator's state", async () => {
    const repo = await sim.scenario.createRepo({ owner: "acme", name: "infra", fixture: "simple-repo" });
    sim.scenario.addUser("dev", { permission: "write" });
    sim.scenario.addUser("lead", { permission: "admin" });
    const pr = await sim.scenario.openPullRequest({
      repo: "acme/infra",
      author: "dev",
      branch: "scale",
      title: "Scale app",
      files: { "app/desired.txt": "replicas=3\n" },
    });
    const comment = await sim.scenario.comment(pr, "dev", "/plan");
    await sim.scenario.review(pr, "lead", "APPROVED", "ship it");
    const { mergeCommitSha } = await sim.scenario.merge(pr, "lead");

    assert.deepEqual(names(), ["push", "pull_request.opened", "issue_comment.created", "pull_request_review.submitted", "pull_request.closed", "push"]);
    const [branchPush, opened, commented, reviewed, closed, mainPush] = received().map((r) => r.payload) as Json[];
    for (const p of [branchPush, opened, commented, reviewed, closed, mainPush]) {
      assert.equal(p?.installation.id, repo.installationId);
      assert.equal(p?.repository.full_name, "acme/infra");
      assert.equal(p?.repository.default_branch, "main");
      assert.equal(p?.repository.clone_url, `${sim.baseUrl}/acme/infra.git`);
    }
    assert.equal(branchPush?.ref, "refs/heads/scale");
    assert.equal(branchPush?.after, pr.headSha);
    assert.equal(opened?.pull_request.head.sha, pr.headSha);
    assert.equal(opened?.pull_request.base.sha, repo.headSha);
    assert.equal(opened?.pull_request.user.login, "dev");
    assert.equal(opened?.pull_request.title, "Scale app");
    assert.equal(commented?.comment.id, comment.id);
    assert.equal(commented?.comment.body, "/plan");
    assert.equal(commented?.issue.number, pr.number);
    assert.ok(commented?.issue.pull_request?.url, "a PR comment's issue carries pull_request");
    assert.equal(commented?.sender.login, "dev");
    assert.equal(reviewed?.review.state, "approved");
    assert.equal(reviewed?.review.commit_id, pr.headSha);
    assert.equal(closed?.pull_request.merged, true);
    assert.equal(closed?.pull_request.merge_commit_sha, mergeCommitSha);
    assert.equal(mainPush?.ref, "refs/heads/main");
    assert.equal(mainPush?.before, repo.headSha);
    assert.equal(mainPush?.after, mergeCommitSha);
    assert.equal(mainPush?.head_commit.id, mergeCommitSha);

    const gh = new Octokit({ auth: sim.installationToken(repo.installationId), baseUrl: sim.apiUrl });
    const merge = await gh.rest.git.getCommit({ owner: "acme", repo: "infra", commit_sha: mergeCommitSha });
    assert.deepEqual(
      merge.data.parents.map((p) => p.sha),
      [repo.headSha, pr.headSha],
    );
    assert.equal(await sim.scenario.readFile("acme/infra", "main", "app/desired.txt"), "replicas=3\n");
  });

  test("the app's own writes come back as webhooks from its bot user", async () => {
    const repo = await sim.scenario.createRepo({ owner: "acme", name: "infra" });
    const pr = await sim.scenario.openPullRequest({ repo: "acme/infra", author: "dev", branch: "f", files: { "a.txt": "a\n" } });
    const before = receiver.received.length;
    const gh = new Octokit({ auth: sim.installationToken(repo.installationId), baseUrl: sim.apiUrl });
    const run = await gh.rest.checks.create({ owner: "acme", repo: "infra", name: "slipway/plan: app", head_sha: pr.headSha, status: "in_progress" });
    await gh.rest.checks.update({ owner: "acme", repo: "infra", check_run_id: run.data.id, conclusion: "neutral" });
    await gh.rest.issues.createComment({ owner: "acme", repo: "infra", issue_number: pr.number, body: "plan output" });
    await sim.idle();
    const echoes = received().slice(before);
    assert.deepEqual(
      echoes.map((e) => `${e.event}.${e.payload.action}`),
      ["check_run.created", "check_run.completed", "issue_comment.created"],
    );
    for (const e of echoes) {
      assert.equal(e.payload.sender.login, sim.botLogin);
      assert.equal(e.payload.sender.type, "Bot");
    }
    assert.equal(echoes[1]?.payload.check_run.conclusion, "neutral");
    assert.equal(echoes[1]?.payload.check_run.head_sha, pr.headSha);
  });

  test("echoAppEvents: false keeps the app's own writes silent", async () => {
    await sim.stop();
    sim = await startGitHubSimulator({ echoAppEvents: false, webhookTarget: receiver.url });
    const repo = await sim.scenario.createRepo({ owner: "acme", name: "infra" });
    const pr = await sim.scenario.openPullRequest({ repo: "acme/infra", author: "dev", branch: "f", files: { "a.txt": "a\n" } });
    const before = receiver.received.length;
    const gh = new Octokit({ auth: sim.installationToken(repo.installationId), baseUrl: sim.apiUrl });
    await gh.rest.issues.createComment({ owner: "acme", repo: "infra", issue_number: pr.number, body: "quiet" });
    await sim.idle();
    assert.equal(receiver.received.length, before);
  });

  test("a push to the PR branch sends push and pull_request.synchronize with the new head", async () => {
    await sim.scenario.createRepo({ owner: "acme", name: "infra" });
    const pr = await sim.scenario.openPullRequest({ repo: "acme/infra", author: "dev", branch: "f", files: { "a.txt": "a\n" } });
    const before = receiver.received.length;
    const pushed = await sim.scenario.pushToPullRequest(pr, { "a.txt": "b\n" });
    const events = received().slice(before);
    assert.deepEqual(
      events.map((e) => (e.payload.action ? `${e.event}.${e.payload.action}` : e.event)),
      ["push", "pull_request.synchronize"],
    );
    assert.equal(events[1]?.payload.before, pr.headSha);
    assert.equal(events[1]?.payload.after, pushed.headSha);
    assert.equal(events[1]?.payload.pull_request.head.sha, pushed.headSha);
    assert.deepEqual(events[0]?.payload.head_commit.modified, ["a.txt"]);
  });

  test("waitFor rejects naming what it waited for", async () => {
    await assert.rejects(
      sim.scenario.waitFor(() => false, { timeoutMs: 100, what: "the plan comment" }),
      /waiting for the plan comment/,
    );
    assert.equal(await sim.scenario.waitFor(() => 42, { timeoutMs: 100 }), 42);
  });
});
