import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Octokit } from "@octokit/rest";
import { startGitHubSimulator, type GitHubSimulator } from "../../support/github-simulator/index.ts";

function statusOf(err: unknown): number {
  return (err as { status?: number }).status ?? -1;
}

describe("GitHub simulator REST API", () => {
  let sim: GitHubSimulator;
  let gh: Octokit;
  let installationId: number;
  const repo = { owner: "acme", repo: "infra" };

  before(async () => {
    sim = await startGitHubSimulator({ validateResponses: true });
    const info = await sim.scenario.createRepo({ owner: "acme", name: "infra", fixture: "simple-repo" });
    installationId = info.installationId;
    gh = new Octokit({ auth: sim.installationToken(installationId), baseUrl: sim.apiUrl });
  });
  after(async () => {
    await sim?.stop();
  });

  test("an Octokit client creates a check run, a comment and a deployment, and reads them back", async () => {
    const pr = await sim.scenario.openPullRequest({ repo: "acme/infra", author: "dev", branch: "feature", files: { "app/desired.txt": "replicas=2\n" } });
    const mark = sim.mark();

    const run = await gh.rest.checks.create({ ...repo, name: "slipway/plan: app", head_sha: pr.headSha, status: "in_progress" });
    assert.equal(run.status, 201);
    assert.equal(run.data.head_sha, pr.headSha);
    const done = await gh.rest.checks.update({ ...repo, check_run_id: run.data.id, conclusion: "success", output: { title: "1 to add", summary: "plan ok" } });
    assert.equal(done.data.status, "completed");
    assert.ok(done.data.completed_at);
    const listed = await gh.rest.checks.listForRef({ ...repo, ref: pr.headSha, check_name: "slipway/plan: app" });
    assert.equal(listed.data.total_count, 1);
    assert.equal(listed.data.check_runs[0]?.output.summary, "plan ok");

    const comment = await gh.rest.issues.createComment({ ...repo, issue_number: pr.number, body: "plan: 1 to add" });
    assert.equal(comment.status, 201);
    assert.equal(comment.data.user?.login, sim.botLogin);
    assert.deepEqual(
      sim.scenario.comments("acme/infra", pr.number).map((c) => c.body),
      ["plan: 1 to add"],
    );
    const reaction = await gh.rest.reactions.createForIssueComment({ ...repo, comment_id: comment.data.id, content: "eyes" });
    assert.equal(reaction.status, 201);
    const again = await gh.rest.reactions.createForIssueComment({ ...repo, comment_id: comment.data.id, content: "eyes" });
    assert.equal(again.status, 200, "a repeated reaction answers 200 with the existing one");

    const main = await gh.rest.repos.getBranch({ ...repo, branch: "main" });
    const dep = await gh.rest.repos.createDeployment({ ...repo, ref: main.data.commit.sha, environment: "staging", auto_merge: false, required_contexts: [] });
    assert.equal(dep.status, 201);
    const depId = (dep.data as { id: number }).id;
    await gh.rest.repos.createDeploymentStatus({ ...repo, deployment_id: depId, state: "in_progress" });
    await gh.rest.repos.createDeploymentStatus({ ...repo, deployment_id: depId, state: "success" });
    assert.deepEqual(
      sim.scenario.deploymentStatuses("acme/infra", depId).map((s) => s.state),
      ["in_progress", "success"],
    );

    const ops = sim.callsSince(mark).map((c) => `${c.operationId} ${c.status}`);
    assert.deepEqual(ops, [
      "checks/create 201",
      "checks/update 200",
      "checks/list-for-ref 200",
      "issues/create-comment 201",
      "reactions/create-for-issue-comment 201",
      "reactions/create-for-issue-comment 200",
      "repos/get-branch 200",
      "repos/create-deployment 201",
      "repos/create-deployment-status 201",
      "repos/create-deployment-status 201",
    ]);
    assert.ok(sim.callsSince(mark).every((c) => c.installationId === installationId));
    assert.deepEqual(sim.violations, []);
  });

  test("a deployment without required_contexts is refused while a check on the commit has not passed", async () => {
    const main = await gh.rest.repos.getBranch({ ...repo, branch: "main" });
    await gh.rest.checks.create({ ...repo, name: "ci", head_sha: main.data.commit.sha, status: "in_progress" });
    const err = await gh.rest.repos.createDeployment({ ...repo, ref: "main", auto_merge: false }).catch((e: unknown) => e);
    assert.equal(statusOf(err), 409);
  });

  test("a malformed body is answered 422 and recorded as a violation", async () => {
    const before = sim.violations.length;
    const res = await fetch(`${sim.apiUrl}/repos/acme/infra/check-runs`, {
      method: "POST",
      headers: { authorization: `token ${sim.installationToken(installationId)}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "x", head_sha: "abc", status: "bogus" }),
    });
    assert.equal(res.status, 422);
    const v = sim.violations.slice(before);
    assert.equal(v.length, 1);
    assert.equal(v[0]?.kind, "invalid-body");
    assert.equal(v[0]?.operationId, "checks/create");
    assert.match(v[0]?.reason ?? "", /status/);
  });

  test("unknown paths answer 404 and valid but unsimulated operations 501, both recorded", async () => {
    const before = sim.violations.length;
    const token = sim.installationToken(installationId);
    const unknown = await fetch(`${sim.apiUrl}/repos/acme/infra/no-such-thing`, { headers: { authorization: `token ${token}` } });
    assert.equal(unknown.status, 404);
    const unsimulated = await fetch(`${sim.apiUrl}/repos/acme/infra/releases`, { headers: { authorization: `token ${token}` } });
    assert.equal(unsimulated.status, 501);
    assert.deepEqual(
      sim.violations.slice(before).map((v) => v.kind),
      ["unknown-operation", "unimplemented"],
    );
    assert.equal(sim.violations.at(-1)?.operationId, "repos/list-releases");
  });

  test("GitHub's size limits: comment bodies, check run output and annotations", async () => {
    const pr = await sim.scenario.openPullRequest({ repo: "acme/infra", author: "dev", branch: "limits", files: { "app/desired.txt": "replicas=3\n" } });
    const before = sim.violations.length;
    const fits = await gh.rest.issues.createComment({ ...repo, issue_number: pr.number, body: "x".repeat(65536) });
    assert.equal(fits.status, 201);
    const tooLong = await gh.rest.issues.createComment({ ...repo, issue_number: pr.number, body: "x".repeat(65537) }).catch((e: unknown) => e);
    assert.equal(statusOf(tooLong), 422);
    const summary = await gh.rest.checks
      .create({ ...repo, name: "big", head_sha: pr.headSha, output: { title: "t", summary: "s".repeat(65536) } })
      .catch((e: unknown) => e);
    assert.equal(statusOf(summary), 422);
    const annotations = Array.from({ length: 51 }, (_, i) => ({
      path: "app/desired.txt",
      start_line: 1,
      end_line: 1,
      annotation_level: "notice" as const,
      message: `n${i}`,
    }));
    const many = await gh.rest.checks
      .create({ ...repo, name: "many", head_sha: pr.headSha, output: { title: "t", summary: "s", annotations } })
      .catch((e: unknown) => e);
    assert.equal(statusOf(many), 422);
    assert.deepEqual(
      sim.violations.slice(before).map((v) => v.kind),
      ["limit", "invalid-body", "invalid-body"],
    );
    assert.equal(sim.scenario.comments("acme/infra", pr.number).length, 1, "refused comments are not stored");
  });

  test("pull request files are paginated 30 per page with a Link header, like GitHub", async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 45; i++) files[`app/generated/file-${String(i).padStart(2, "0")}.txt`] = `${i}\n`;
    const pr = await sim.scenario.openPullRequest({ repo: "acme/infra", author: "dev", branch: "many-files", files });
    const first = await gh.rest.pulls.listFiles({ ...repo, pull_number: pr.number });
    assert.equal(first.data.length, 30);
    assert.match(first.headers.link ?? "", /rel="next"/);
    const all = await gh.paginate(gh.rest.pulls.listFiles, { ...repo, pull_number: pr.number, per_page: 100 });
    assert.equal(all.length, 45);
    assert.ok(all.every((f) => f.status === "added"));
    const paged = await gh.paginate(gh.rest.pulls.listFiles, { ...repo, pull_number: pr.number });
    assert.equal(paged.length, 45);
    assert.equal(new Set(paged.map((f) => f.filename)).size, 45);
  });

  test("pull requests, contents, compare and permissions come from real git and seeded users", async () => {
    sim.scenario.addUser("alice", { permission: "write" });
    sim.scenario.addUser("bob", { permission: { "acme/infra": "triage" } });
    sim.scenario.addUser("carol");
    sim.scenario.addTeam("acme", "sre", ["alice"]);
    const pr = await sim.scenario.openPullRequest({
      repo: "acme/infra",
      author: "alice",
      branch: "edit",
      files: { "app/desired.txt": "replicas=5\n", "README.md": null },
    });
    const pull = await gh.rest.pulls.get({ ...repo, pull_number: pr.number });
    assert.equal(pull.data.head.sha, pr.headSha);
    assert.equal(pull.data.mergeable, true);
    assert.equal(pull.data.mergeable_state, "clean");
    assert.equal(pull.data.changed_files, 2);
    const files = await gh.rest.pulls.listFiles({ ...repo, pull_number: pr.number });
    assert.deepEqual(files.data.map((f) => `${f.status} ${f.filename}`).sort(), ["modified app/desired.txt", "removed README.md"]);
    const content = await gh.rest.repos.getContent({ ...repo, path: "app/desired.txt", ref: pr.headSha });
    assert.equal(Buffer.from((content.data as { content: string }).content, "base64").toString(), "replicas=5\n");
    const compare = await gh.rest.repos.compareCommitsWithBasehead({ ...repo, basehead: `main...${pr.headSha}` });
    assert.equal(compare.data.status, "ahead");
    assert.equal(compare.data.ahead_by, 1);
    const perm = async (username: string) => (await gh.rest.repos.getCollaboratorPermissionLevel({ ...repo, username })).data;
    assert.equal((await perm("alice")).permission, "write");
    assert.equal((await perm("bob")).permission, "read");
    assert.equal((await perm("bob")).role_name, "triage");
    assert.equal((await perm("carol")).permission, "none");
    const ghost = await perm("nobody-at-all").catch((e: unknown) => e);
    assert.equal(statusOf(ghost), 404);
    const member = await gh.rest.teams.getMembershipForUserInOrg({ org: "acme", team_slug: "sre", username: "alice" });
    assert.equal(member.data.state, "active");
    assert.equal(statusOf(await gh.rest.teams.getMembershipForUserInOrg({ org: "acme", team_slug: "sre", username: "bob" }).catch((e: unknown) => e)), 404);
  });

  test("requests without valid credentials are refused with 401 Bad credentials", async () => {
    const bad = new Octokit({ auth: "ghs_notarealtoken", baseUrl: sim.apiUrl });
    const err = await bad.rest.repos.get(repo).catch((e: unknown) => e);
    assert.equal(statusOf(err), 401);
    const other = await sim.scenario.createRepo({ owner: "other-org", name: "secret" });
    const cross = await gh.rest.repos.get({ owner: "other-org", repo: "secret" }).catch((e: unknown) => e);
    assert.equal(statusOf(cross), 404, "a repo of another installation is hidden");
    assert.notEqual(other.installationId, installationId);
  });
});
