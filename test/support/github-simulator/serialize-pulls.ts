// REST shapes of issues, pull requests, comments, reviews, reactions and commits.
import type { CommitInfo } from "./git-read.ts";
import { serializeLabel, serializeRepo, serializeUser, type Urls } from "./serialize-core.ts";
import { nodeId, type CommentState, type IssueState, type PullState, type ReactionState, type RepoState, type ReviewState, type SimState } from "./state.ts";

const REACTION_KEYS: Record<string, string> = {
  "+1": "+1",
  "-1": "-1",
  laugh: "laugh",
  confused: "confused",
  heart: "heart",
  hooray: "hooray",
  rocket: "rocket",
  eyes: "eyes",
};

export function reactionSummary(state: SimState, subject: string, url: string): Record<string, unknown> {
  const counts: Record<string, number> = { "+1": 0, "-1": 0, laugh: 0, confused: 0, heart: 0, hooray: 0, rocket: 0, eyes: 0 };
  let total = 0;
  for (const r of state.reactions) {
    if (r.subject !== subject) continue;
    const key = REACTION_KEYS[r.content];
    if (key) counts[key] = (counts[key] ?? 0) + 1;
    total++;
  }
  return { url, total_count: total, ...counts };
}

/** GitHub's author_association for a user on a repo, from the simulator's grants. */
export function authorAssociation(state: SimState, repo: RepoState, login: string): string {
  if (repo.owner.login.toLowerCase() === login.toLowerCase()) return "OWNER";
  const p = state.permissionOf(repo, login);
  return p === "none" ? "NONE" : "COLLABORATOR";
}

export function serializeIssue(state: SimState, issue: IssueState, repo: RepoState, urls: Urls): Record<string, unknown> {
  const api = `${urls.api}/repos/${repo.fullName}/issues/${issue.number}`;
  const html = `${urls.base}/${repo.fullName}/${issue.isPull ? "pull" : "issues"}/${issue.number}`;
  const pull = issue.isPull ? state.pull(repo.fullName, issue.number) : undefined;
  const commentsCount = [...state.comments.values()].filter((c) => c.repo === repo.fullName && c.issueNumber === issue.number).length;
  return {
    id: issue.id,
    node_id: nodeId(issue.isPull ? "PullRequest" : "Issue", issue.id),
    url: api,
    repository_url: `${urls.api}/repos/${repo.fullName}`,
    labels_url: `${api}/labels{/name}`,
    comments_url: `${api}/comments`,
    events_url: `${api}/events`,
    html_url: html,
    number: issue.number,
    state: issue.state,
    state_reason: issue.stateReason,
    title: issue.title,
    body: issue.body,
    user: serializeUser(issue.user, urls),
    labels: issue.labels
      .map((n) => repo.labels.get(n.toLowerCase()))
      .filter((l) => !!l)
      .map((l) => serializeLabel(l, repo, urls)),
    assignee: null,
    assignees: [],
    milestone: null,
    locked: false,
    active_lock_reason: null,
    comments: commentsCount,
    closed_at: issue.closedAt,
    created_at: issue.createdAt,
    updated_at: issue.updatedAt,
    closed_by: null,
    author_association: authorAssociation(state, repo, issue.user.login),
    reactions: reactionSummary(state, `issue:${repo.fullName}#${issue.number}`, `${api}/reactions`),
    ...(pull
      ? {
          draft: pull.draft,
          pull_request: {
            url: `${urls.api}/repos/${repo.fullName}/pulls/${issue.number}`,
            html_url: html,
            diff_url: `${html}.diff`,
            patch_url: `${html}.patch`,
            merged_at: pull.mergedAt,
          },
        }
      : {}),
  };
}

export interface Mergeability {
  mergeable: boolean | null;
  mergeable_state: string;
  /** Diff stats, when the caller computed them (single-PR reads do; lists don't, like GitHub). */
  stats?: { commits: number; additions: number; deletions: number; changed_files: number };
}

function branchPoint(state: SimState, p: PullState["head"], urls: Urls): Record<string, unknown> {
  const repo = state.repo(p.repoFullName);
  return {
    label: `${repo?.owner.login ?? "unknown"}:${p.ref}`,
    ref: p.ref,
    sha: p.sha,
    user: repo ? serializeUser(repo.owner, urls) : null,
    repo: repo ? serializeRepo(repo, urls) : null,
  };
}

export function serializePull(state: SimState, pull: PullState, issue: IssueState, repo: RepoState, urls: Urls, m?: Mergeability): Record<string, unknown> {
  const api = `${urls.api}/repos/${repo.fullName}/pulls/${pull.number}`;
  const html = `${urls.base}/${repo.fullName}/pull/${pull.number}`;
  const base = serializeIssue(state, issue, repo, urls);
  return {
    url: api,
    id: pull.id,
    node_id: base.node_id,
    html_url: html,
    diff_url: `${html}.diff`,
    patch_url: `${html}.patch`,
    issue_url: base.url,
    commits_url: `${api}/commits`,
    review_comments_url: `${api}/comments`,
    review_comment_url: `${urls.api}/repos/${repo.fullName}/pulls/comments{/number}`,
    comments_url: base.comments_url,
    statuses_url: `${urls.api}/repos/${repo.fullName}/statuses/${pull.head.sha}`,
    number: pull.number,
    state: issue.state,
    locked: false,
    title: issue.title,
    user: base.user,
    body: issue.body,
    labels: base.labels,
    milestone: null,
    active_lock_reason: null,
    created_at: issue.createdAt,
    updated_at: issue.updatedAt,
    closed_at: issue.closedAt,
    merged_at: pull.mergedAt,
    merge_commit_sha: pull.mergeCommitSha,
    assignee: null,
    assignees: [],
    requested_reviewers: [],
    requested_teams: [],
    head: branchPoint(state, pull.head, urls),
    base: branchPoint(state, pull.base, urls),
    _links: {
      self: { href: api },
      html: { href: html },
      issue: { href: base.url },
      comments: { href: base.comments_url },
      review_comments: { href: `${api}/comments` },
      review_comment: { href: `${urls.api}/repos/${repo.fullName}/pulls/comments{/number}` },
      commits: { href: `${api}/commits` },
      statuses: { href: `${urls.api}/repos/${repo.fullName}/statuses/${pull.head.sha}` },
    },
    author_association: base.author_association,
    auto_merge: null,
    draft: pull.draft,
    merged: pull.merged,
    mergeable: m?.mergeable ?? null,
    rebaseable: m?.mergeable ?? null,
    mergeable_state: m?.mergeable_state ?? "unknown",
    merged_by: pull.mergedBy ? serializeUser(pull.mergedBy, urls) : null,
    comments: base.comments,
    review_comments: 0,
    maintainer_can_modify: false,
    ...(m?.stats ?? {}),
  };
}

export function serializeComment(state: SimState, c: CommentState, repo: RepoState, urls: Urls): Record<string, unknown> {
  const api = `${urls.api}/repos/${repo.fullName}/issues/comments/${c.id}`;
  const issue = state.issue(repo.fullName, c.issueNumber);
  return {
    id: c.id,
    node_id: nodeId("IssueComment", c.id),
    url: api,
    html_url: `${urls.base}/${repo.fullName}/${issue?.isPull ? "pull" : "issues"}/${c.issueNumber}#issuecomment-${c.id}`,
    body: c.body,
    user: serializeUser(c.user, urls),
    created_at: c.createdAt,
    updated_at: c.updatedAt,
    issue_url: `${urls.api}/repos/${repo.fullName}/issues/${c.issueNumber}`,
    author_association: authorAssociation(state, repo, c.user.login),
    performed_via_github_app: null,
    reactions: reactionSummary(state, `comment:${c.id}`, `${api}/reactions`),
  };
}

export function serializeReaction(r: ReactionState, urls: Urls): Record<string, unknown> {
  return { id: r.id, node_id: nodeId("Reaction", r.id), user: serializeUser(r.user, urls), content: r.content, created_at: r.createdAt };
}

export function serializeReview(state: SimState, r: ReviewState, repo: RepoState, urls: Urls): Record<string, unknown> {
  const html = `${urls.base}/${repo.fullName}/pull/${r.pullNumber}`;
  return {
    id: r.id,
    node_id: nodeId("PullRequestReview", r.id),
    user: serializeUser(r.user, urls),
    body: r.body,
    state: r.state,
    html_url: `${html}#pullrequestreview-${r.id}`,
    pull_request_url: `${urls.api}/repos/${repo.fullName}/pulls/${r.pullNumber}`,
    _links: { html: { href: `${html}#pullrequestreview-${r.id}` }, pull_request: { href: `${urls.api}/repos/${repo.fullName}/pulls/${r.pullNumber}` } },
    submitted_at: r.submittedAt,
    commit_id: r.commitId,
    author_association: authorAssociation(state, repo, r.user.login),
  };
}

export function serializeCommit(c: CommitInfo, repo: RepoState, urls: Urls): Record<string, unknown> {
  const api = `${urls.api}/repos/${repo.fullName}`;
  return {
    sha: c.sha,
    node_id: nodeId("Commit", parseInt(c.sha.slice(0, 8), 16)),
    url: `${api}/commits/${c.sha}`,
    html_url: `${urls.base}/${repo.fullName}/commit/${c.sha}`,
    comments_url: `${api}/commits/${c.sha}/comments`,
    commit: {
      url: `${api}/git/commits/${c.sha}`,
      author: c.author,
      committer: c.committer,
      message: c.message,
      tree: { sha: c.tree, url: `${api}/git/trees/${c.tree}` },
      comment_count: 0,
      verification: { verified: false, reason: "unsigned", signature: null, payload: null, verified_at: null },
    },
    author: null,
    committer: null,
    parents: c.parents.map((p) => ({ sha: p, url: `${api}/commits/${p}`, html_url: `${urls.base}/${repo.fullName}/commit/${p}` })),
  };
}
