// Webhook payloads: a real example for the event and action, patched with the simulator's state.
// Patches the gaps the examples have: merged closed PRs, `issue.pull_request` on PR comments,
// review states other than "commented", missing `installation`.
import type { SimCore } from "./core.ts";
import { diffFiles, readCommit } from "./git-read.ts";
import { serializeRepo, serializeUser } from "./serialize-core.ts";
import { serializeCheckRun, serializeDeployment, serializeDeploymentStatus } from "./serialize-ci.ts";
import { serializeComment, serializeIssue, serializePull, serializeReview } from "./serialize-pulls.ts";
import {
  nodeId,
  type CheckRunState,
  type CommentState,
  type DeploymentState,
  type DeploymentStatusState,
  type MergeQueueEntry,
  type PullState,
  type RepoState,
  type ReviewState,
  type SimUser,
} from "./state.ts";
import { validateWebhookPayload } from "./openapi-validator.ts";
import { overlay, pickExample } from "./webhook-examples.ts";

function envelope(
  core: SimCore,
  event: string,
  action: string | undefined,
  repo: RepoState,
  sender: SimUser,
  fallbackAction?: string,
): Record<string, unknown> {
  let p: Record<string, unknown>;
  try {
    p = pickExample(event, action);
  } catch (err) {
    if (fallbackAction === undefined) throw err;
    p = pickExample(event, fallbackAction);
  }
  p.repository = overlay((p.repository as Record<string, unknown>) ?? {}, serializeRepo(repo, core.urls));
  p.installation = { id: repo.installationId, node_id: nodeId("Installation", repo.installationId) };
  p.sender = serializeUser(sender, core.urls);
  delete p.organization;
  delete p.enterprise;
  if (repo.owner.type === "Organization") {
    // organization-simple-webhooks: every field GitHub's description requires.
    const org = `${core.urls.api}/orgs/${repo.owner.login}`;
    p.organization = {
      login: repo.owner.login,
      id: repo.owner.id,
      node_id: nodeId("Organization", repo.owner.id),
      url: org,
      repos_url: `${org}/repos`,
      events_url: `${org}/events`,
      hooks_url: `${org}/hooks`,
      issues_url: `${org}/issues`,
      members_url: `${org}/members{/member}`,
      public_members_url: `${org}/public_members{/member}`,
      avatar_url: `${core.urls.base}/avatars/${repo.owner.login}`,
      description: null,
    };
  }
  return p;
}

function repoOf(core: SimCore, fullName: string): RepoState {
  const repo = core.state.repo(fullName);
  if (!repo) throw new Error(`unknown repo ${fullName}`);
  return repo;
}

export function pullRequestPayload(
  core: SimCore,
  action: string,
  pull: PullState,
  sender: SimUser,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const repo = repoOf(core, pull.repo);
  const issue = core.state.issue(pull.repo, pull.number);
  if (!issue) throw new Error(`PR ${pull.number} has no issue record`);
  // The examples have no merged close: the state overlay below sets merged/merged_at/merge_commit_sha.
  const p = envelope(core, "pull_request", action, repo, sender, "opened");
  p.action = action;
  p.number = pull.number;
  p.pull_request = overlay((p.pull_request as Record<string, unknown>) ?? {}, serializePull(core.state, pull, issue, repo, core.urls));
  delete p.changes;
  delete p.label;
  delete p.assignee;
  delete p.requested_reviewer;
  if (action !== "synchronize") {
    delete p.before;
    delete p.after;
  }
  return Object.assign(p, extra);
}

export interface PushInfo {
  ref: string;
  before: string;
  after: string;
  /** New commits, oldest first (GitHub lists at most 20). */
  commits: string[];
  pusher: SimUser;
  forced?: boolean;
}

const ZERO = "0000000000000000000000000000000000000000";

async function pushCommit(core: SimCore, repo: RepoState, sha: string, distinct: boolean): Promise<Record<string, unknown>> {
  const c = await readCommit(repo.gitDir, sha);
  if (!c) throw new Error(`commit ${sha} not found`);
  const files = c.parents[0] ? await diffFiles(repo.gitDir, c.parents[0], sha) : [];
  const person = (x: { name: string; email: string }) => ({ name: x.name, email: x.email, username: x.name });
  return {
    id: sha,
    tree_id: c.tree,
    distinct,
    message: c.message,
    timestamp: c.committer.date,
    url: `${core.urls.base}/${repo.fullName}/commit/${sha}`,
    author: person(c.author),
    committer: person(c.committer),
    added: files.filter((f) => f.status === "added").map((f) => f.filename),
    removed: files.filter((f) => f.status === "removed").map((f) => f.filename),
    modified: files.filter((f) => f.status !== "added" && f.status !== "removed").map((f) => f.filename),
  };
}

export async function pushPayload(core: SimCore, repo: RepoState, push: PushInfo): Promise<Record<string, unknown>> {
  const p = envelope(core, "push", undefined, repo, push.pusher);
  const listed = push.commits.slice(-20);
  const commits = [];
  for (const sha of listed) commits.push(await pushCommit(core, repo, sha, true));
  const deleted = push.after === ZERO;
  const head = deleted ? null : (commits[commits.length - 1] ?? (await pushCommit(core, repo, push.after, false)));
  const short = (s: string) => s.slice(0, 12);
  Object.assign(p, {
    ref: push.ref,
    before: push.before,
    after: push.after,
    created: push.before === ZERO,
    deleted,
    forced: !!push.forced,
    base_ref: null,
    compare: `${core.urls.base}/${repo.fullName}/compare/${short(push.before)}...${short(push.after)}`,
    commits,
    head_commit: head,
    pusher: { name: push.pusher.login, email: `${push.pusher.id}+${push.pusher.login}@users.noreply.sim` },
  });
  return p;
}

export function issueCommentPayload(
  core: SimCore,
  action: "created" | "edited" | "deleted",
  comment: CommentState,
  sender: SimUser,
  changes?: Record<string, unknown>,
): Record<string, unknown> {
  const repo = repoOf(core, comment.repo);
  const issue = core.state.issue(comment.repo, comment.issueNumber);
  if (!issue) throw new Error(`no issue ${comment.issueNumber}`);
  const p = envelope(core, "issue_comment", action, repo, sender);
  // Replace rather than overlay the issue: examples' `issue` lacks `pull_request`, and a stale one
  // from an example would turn a plain issue into a PR.
  const exampleIssue = (p.issue as Record<string, unknown>) ?? {};
  delete exampleIssue.pull_request;
  p.issue = overlay(exampleIssue, serializeIssue(core.state, issue, repo, core.urls));
  p.comment = overlay((p.comment as Record<string, unknown>) ?? {}, serializeComment(core.state, comment, repo, core.urls));
  if (changes) p.changes = changes;
  else delete p.changes;
  return p;
}

export function reviewPayload(core: SimCore, review: ReviewState, pull: PullState): Record<string, unknown> {
  const repo = repoOf(core, pull.repo);
  const issue = core.state.issue(pull.repo, pull.number);
  if (!issue) throw new Error(`no issue ${pull.number}`);
  const p = envelope(core, "pull_request_review", "submitted", repo, review.user);
  const r = serializeReview(core.state, review, repo, core.urls);
  // Webhooks spell review states in lower case, unlike the REST API.
  r.state = review.state.toLowerCase();
  p.review = overlay((p.review as Record<string, unknown>) ?? {}, r);
  p.pull_request = overlay((p.pull_request as Record<string, unknown>) ?? {}, serializePull(core.state, pull, issue, repo, core.urls));
  return p;
}

export function checkRunPayload(core: SimCore, action: "created" | "completed", run: CheckRunState): Record<string, unknown> {
  const repo = repoOf(core, run.repo);
  const p = envelope(core, "check_run", action, repo, core.app.bot);
  const body = serializeCheckRun(run, repo, core.app, core.urls);
  const example = (p.check_run as Record<string, unknown>) ?? {};
  const suite = (example.check_suite as Record<string, unknown>) ?? {};
  overlay(suite, {
    id: (body.check_suite as { id: number }).id,
    head_sha: run.headSha,
    app: body.app,
    status: run.status,
    conclusion: run.conclusion,
    pull_requests: [],
  });
  p.check_run = overlay(example, { ...body, check_suite: suite });
  return p;
}

export function deploymentPayload(core: SimCore, d: DeploymentState): Record<string, unknown> {
  const repo = repoOf(core, d.repo);
  const p = envelope(core, "deployment", "created", repo, d.creator);
  p.deployment = overlay((p.deployment as Record<string, unknown>) ?? {}, serializeDeployment(d, repo, core.app, core.urls));
  p.workflow = null;
  p.workflow_run = null;
  return p;
}

export function deploymentStatusPayload(core: SimCore, s: DeploymentStatusState, d: DeploymentState): Record<string, unknown> {
  const repo = repoOf(core, d.repo);
  const p = envelope(core, "deployment_status", "created", repo, s.creator);
  p.deployment_status = overlay((p.deployment_status as Record<string, unknown>) ?? {}, serializeDeploymentStatus(s, d, repo, core.urls));
  p.deployment = overlay((p.deployment as Record<string, unknown>) ?? {}, serializeDeployment(d, repo, core.app, core.urls));
  delete p.check_run;
  delete p.workflow;
  delete p.workflow_run;
  return p;
}

/** `merge_group`: the recorded `checks_requested` example (the only one there is), patched to the group. */
export async function mergeGroupPayload(
  core: SimCore,
  action: "checks_requested" | "destroyed",
  entry: MergeQueueEntry,
  sender: SimUser,
  reason?: "merged" | "dequeued" | "invalidated",
): Promise<Record<string, unknown>> {
  const repo = repoOf(core, entry.repo);
  const p = envelope(core, "merge_group", "checks_requested", repo, sender);
  const c = await readCommit(repo.gitDir, entry.headSha);
  if (!c) throw new Error(`merge group commit ${entry.headSha} not found`);
  const person = (x: { name: string; email: string }) => ({ name: x.name, email: x.email });
  p.action = action;
  p.merge_group = overlay((p.merge_group as Record<string, unknown>) ?? {}, {
    head_sha: entry.headSha,
    head_ref: `refs/heads/${entry.headRef}`,
    base_sha: entry.baseSha,
    base_ref: `refs/heads/${entry.baseRef}`,
    head_commit: { id: c.sha, tree_id: c.tree, message: c.message, timestamp: c.committer.date, author: person(c.author), committer: person(c.committer) },
  });
  if (action === "destroyed") p.reason = reason;
  else delete p.reason;
  // The only example is of checks_requested: every payload the queue sends is held to the schema
  // GitHub's description gives its action, so `destroyed` is as real as the recorded one.
  const check = validateWebhookPayload(`webhook-merge-group-${action.replace("_", "-")}`, p);
  if (!check.ok) throw new Error(`merge_group.${action} payload does not match GitHub's schema: ${check.message}`);
  return p;
}
