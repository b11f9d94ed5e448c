// The simulator's merge queue on its own (no Slipway): groups built on `gh-readonly-queue/…`
// branches, merged when the required checks pass on their commit, dropped when one fails, the
// entries behind a dropped one built again; every merge_group payload matches GitHub's schema.
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
import { Octokit } from "@octokit/rest";
import { startGitHubSimulator, type GitHubSimulator } from "../../support/github-simulator/index.ts";
import { startWebhookReceiver, type WebhookReceiver } from "../../support/github-simulator/webhook-receiver.ts";
import { validateWebhookPayload } from "../../support/github-simulator/openapi-validator.ts";

type Json = Record<string, any>;

describe("GitHub simulator merge queue", () => {
  let sim: GitHubSimulator;
  let receiver: WebhookReceiver;
  let gh: Octokit;
  const repo = { owner: "acme", repo: "infra" };

  beforeEach(async () => {
    sim = await startGitHubSimulator();
    receiver = await startWebhookReceiver();
    sim.setWebhookTarget(receiver.url);
    const info = await sim.scenario.createRepo({ owner: "acme", name: "infra", fixture: "simple-repo" });
    sim.scenario.addUser("dev", { permission: "write" });
    sim.scenario.setMergeQueue("acme/infra", ["ci"]);
    gh = new Octokit({ auth: sim.installationToken(info.installationId), baseUrl: sim.apiUrl });
  });
  afterEach(async () => {
    await sim?.stop();
    await receiver?.close();
  });

  const received = () => receiver.received.map((r) => ({ event: String(r.headers["x-github-event"]), payload: JSON.parse(r.body) as Json }));
  const groupEvents = () => received().filter((r) => r.event === "merge_group");
  const ci = (sha: string, conclusion: "success" | "failure") => gh.rest.checks.create({ ...repo, name: "ci", head_sha: sha, status: "completed", conclusion });

  test("a group is built on a queue branch, announced, and merged once its required check passed", async () => {
    const pr = await sim.scenario.openPullRequest({ repo: "acme/infra", author: "dev", branch: "f", files: { "app/desired.txt": "replicas=2\n" } });
    const before = await sim.scenario.branchSha("acme/infra", "main");
    const group = await sim.scenario.enqueue(pr, "dev");
    const [requested] = groupEvents();
    assert.equal(requested?.payload.action, "checks_requested");
    assert.equal(requested?.payload.merge_group.head_sha, group.headSha);
    assert.equal(requested?.payload.merge_group.base_sha, before);
    assert.equal(requested?.payload.merge_group.head_ref, `refs/heads/gh-readonly-queue/main/pr-${pr.number}-${pr.headSha}`);
    assert.equal(requested?.payload.merge_group.base_ref, "refs/heads/main");
    assert.equal(await sim.scenario.branchSha("acme/infra", group.headRef), group.headSha, "the queue branch exists");
    await sim.idle();
    assert.equal(await sim.scenario.branchSha("acme/infra", "main"), before, "not merged before the check");

    await ci(group.headSha, "success");
    await sim.idle();
    assert.equal(await sim.scenario.branchSha("acme/infra", "main"), group.headSha, "fast-forwarded to the group's commit");
    assert.equal(await sim.scenario.branchSha("acme/infra", group.headRef), undefined, "queue branch deleted");
    const pull = await gh.rest.pulls.get({ ...repo, pull_number: pr.number });
    assert.equal(pull.data.merged, true);
    assert.equal(pull.data.merge_commit_sha, group.headSha);
    const tail = received()
      .slice(-3)
      .map((r) => `${r.event}.${r.payload.action ?? ""}`);
    assert.deepEqual(tail, ["pull_request.closed", "push.", "merge_group.destroyed"]);
    assert.equal(groupEvents().at(-1)?.payload.reason, "merged");
    for (const e of groupEvents())
      assert.deepEqual(validateWebhookPayload(`webhook-merge-group-${e.payload.action.replace("_", "-")}`, e.payload), { ok: true });
    assert.deepEqual(sim.violations, []);
  });

  test("a failed required check drops the group; the group behind it is invalidated and built again without it", async () => {
    const first = await sim.scenario.openPullRequest({ repo: "acme/infra", author: "dev", branch: "a", files: { "a.txt": "a\n" } });
    const second = await sim.scenario.openPullRequest({ repo: "acme/infra", author: "dev", branch: "b", files: { "b.txt": "b\n" } });
    const before = await sim.scenario.branchSha("acme/infra", "main");
    const g1 = await sim.scenario.enqueue(first, "dev");
    const g2 = await sim.scenario.enqueue(second, "dev");
    assert.equal(g2.baseSha, g1.headSha, "the second group is built on the first");

    await ci(g1.headSha, "failure");
    await sim.idle();
    const states = sim.scenario.mergeQueue("acme/infra").map((e) => `${e.pulls.join("+")}:${e.state}`);
    assert.deepEqual(states, [`${first.number}:dequeued`, `${second.number}:invalidated`, `${second.number}:pending`]);
    const rebuilt = sim.scenario.mergeQueue("acme/infra").at(-1)!;
    assert.equal(rebuilt.baseSha, before, "built again on main");
    assert.deepEqual(
      groupEvents().map((e) => `${e.payload.action}${e.payload.reason ? `:${e.payload.reason}` : ""}`),
      ["checks_requested", "checks_requested", "destroyed:dequeued", "destroyed:invalidated", "checks_requested"],
    );

    await ci(rebuilt.headSha, "success");
    await sim.idle();
    assert.equal(await sim.scenario.branchSha("acme/infra", "main"), rebuilt.headSha);
    assert.equal((await gh.rest.pulls.get({ ...repo, pull_number: first.number })).data.merged, false);
    assert.deepEqual(sim.violations, []);
  });

  test("several pull requests make one group; dequeue takes a group out", async () => {
    const a = await sim.scenario.openPullRequest({ repo: "acme/infra", author: "dev", branch: "a", files: { "a.txt": "a\n" } });
    const b = await sim.scenario.openPullRequest({ repo: "acme/infra", author: "dev", branch: "b", files: { "b.txt": "b\n" } });
    const group = await sim.scenario.enqueue([a, b], "dev");
    assert.match(group.headRef, new RegExp(`/pr-${b.number}-`));
    await sim.scenario.dequeue(a);
    await sim.idle();
    assert.equal(groupEvents().at(-1)?.payload.reason, "dequeued");
    assert.deepEqual(
      sim.scenario.mergeQueue("acme/infra").map((e) => e.state),
      ["dequeued"],
    );
    assert.deepEqual(sim.violations, []);
  });
});
