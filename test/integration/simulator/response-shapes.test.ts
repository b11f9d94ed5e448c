import { test } from "node:test";
import assert from "node:assert/strict";
import { Octokit } from "@octokit/rest";
import { startGitHubSimulator } from "../../support/github-simulator/index.ts";

// Every answer below is checked by the simulator against the response schema in GitHub's own
// description (validateResponses): a missing or mistyped field becomes a violation.
test("answers of every simulated operation match GitHub's documented response schemas", async () => {
  const sim = await startGitHubSimulator({ validateResponses: true });
  try {
    const info = await sim.scenario.createRepo({ owner: "acme", name: "infra", fixture: "simple-repo" });
    sim.scenario.addUser("alice", { permission: "write" });
    sim.scenario.addTeam("acme", "sre", ["alice"]);
    const gh = new Octokit({ auth: sim.installationToken(info.installationId), baseUrl: sim.apiUrl });
    const repo = { owner: "acme", repo: "infra" };
    const pr = await sim.scenario.openPullRequest({ repo: "acme/infra", author: "dev", branch: "feature", files: { "app/desired.txt": "replicas=2\n" } });
    const c = await sim.scenario.comment(pr, "alice", "hi");
    await sim.scenario.review(pr, "alice", "APPROVED");
    await gh.rest.repos.get(repo);
    await gh.rest.pulls.get({ ...repo, pull_number: pr.number });
    await gh.rest.pulls.list(repo);
    await gh.rest.pulls.listFiles({ ...repo, pull_number: pr.number });
    await gh.rest.pulls.listReviews({ ...repo, pull_number: pr.number });
    await gh.rest.pulls.listCommits({ ...repo, pull_number: pr.number });
    await gh.rest.issues.get({ ...repo, issue_number: pr.number });
    await gh.rest.issues.listComments({ ...repo, issue_number: pr.number });
    const mine = await gh.rest.issues.createComment({ ...repo, issue_number: pr.number, body: "x" });
    await gh.rest.issues.updateComment({ ...repo, comment_id: mine.data.id, body: "y" });
    await gh.rest.issues.getComment({ ...repo, comment_id: c.id });
    await gh.rest.reactions.createForIssueComment({ ...repo, comment_id: c.id, content: "eyes" });
    await gh.rest.reactions.listForIssueComment({ ...repo, comment_id: c.id });
    await gh.rest.issues.create({ ...repo, title: "drift", labels: ["drift"] });
    await gh.rest.issues.listForRepo({ ...repo, labels: "drift" });
    await gh.rest.issues.addLabels({ ...repo, issue_number: pr.number, labels: ["x"] });
    await gh.rest.issues.listLabelsForRepo(repo);
    const run = await gh.rest.checks.create({ ...repo, name: "n", head_sha: pr.headSha, status: "in_progress" });
    await gh.rest.checks.update({ ...repo, check_run_id: run.data.id, conclusion: "success", output: { title: "t", summary: "s" } });
    await gh.rest.checks.get({ ...repo, check_run_id: run.data.id });
    await gh.rest.checks.listForRef({ ...repo, ref: pr.headSha });
    await gh.rest.repos.createCommitStatus({ ...repo, sha: pr.headSha, state: "success", context: "c" });
    await gh.rest.repos.getCombinedStatusForRef({ ...repo, ref: pr.headSha });
    await gh.rest.repos.listCommitStatusesForRef({ ...repo, ref: pr.headSha });
    const dep = await gh.rest.repos.createDeployment({ ...repo, ref: "main", required_contexts: [], auto_merge: false, environment: "staging" });
    const depId = (dep.data as { id: number }).id;
    await gh.rest.repos.createDeploymentStatus({ ...repo, deployment_id: depId, state: "success" });
    await gh.rest.repos.listDeploymentStatuses({ ...repo, deployment_id: depId });
    await gh.rest.repos.getDeployment({ ...repo, deployment_id: depId });
    await gh.rest.repos.listDeployments(repo);
    await gh.rest.repos.getContent({ ...repo, path: "app/desired.txt" });
    await gh.rest.repos.getContent({ ...repo, path: "app" });
    await gh.rest.repos.compareCommitsWithBasehead({ ...repo, basehead: `main...${pr.headSha}` });
    await gh.rest.repos.getCollaboratorPermissionLevel({ ...repo, username: "alice" });
    await gh.rest.teams.getMembershipForUserInOrg({ org: "acme", team_slug: "sre", username: "alice" });
    await gh.rest.git.getRef({ ...repo, ref: "heads/main" });
    await gh.rest.git.createRef({ ...repo, ref: "refs/heads/copy", sha: pr.headSha });
    await gh.rest.repos.getCommit({ ...repo, ref: pr.headSha });
    await gh.rest.git.getCommit({ ...repo, commit_sha: pr.headSha });
    await gh.rest.repos.getBranch({ ...repo, branch: "main" });
    await gh.rest.pulls.merge({ ...repo, pull_number: pr.number });
    assert.deepEqual(sim.violations, []);
    assert.ok(sim.calls.length >= 40);
  } finally {
    await sim.stop();
  }
});
