// Comments, reviews and closed pull requests → intents. Pure.
// Bots are ignored here (Slipway's own comments come back as webhooks too), and so are edits:
// a command runs when it is said, not again each time the comment is touched.
import type { CommentIntent, DeployIntent, PullClosedIntent, ReviewIntent } from "../domain/intent.ts";
import type { RepoRef } from "../domain/types.ts";
import { titleOf } from "./pull-request-intent.ts";

interface Common {
  action?: string;
  installation?: { id?: number };
  repository?: { name?: string; owner?: { login?: string } };
  sender?: { login?: string; type?: string };
}

function repoRef(p: Common): RepoRef | null {
  const installationId = p.installation?.id;
  const owner = p.repository?.owner?.login;
  const name = p.repository?.name;
  return installationId && owner && name ? { owner, name, installationId } : null;
}

const isBot = (user?: { login?: string; type?: string } | null) => user?.type === "Bot" || (user?.login ?? "").endsWith("[bot]");

export function commentIntent(payload: unknown, deliveryId: string): CommentIntent | null {
  const p = payload as Common & {
    issue?: { number?: number; title?: string; pull_request?: unknown; labels?: { name?: string }[]; body?: string | null };
    comment?: { id?: number; body?: string; user?: { login?: string; type?: string } | null };
  };
  // On an issue, only drift issues take commands (`/apply` remediates); the marker names the project.
  const driftProject = /<!-- slipway:drift:([^ ]+) -->/.exec(p.issue?.body ?? "")?.[1];
  const onDriftIssue = !p.issue?.pull_request && (p.issue?.labels ?? []).some((l) => l.name === "drift") && driftProject !== undefined;
  // And release issues (a direct push's waiting deploy): the marker names the commit.
  const releaseSha = /<!-- slipway:release:([0-9a-f]{40}|[0-9a-f]{64}) -->/.exec(p.issue?.body ?? "")?.[1];
  const onReleaseIssue = !p.issue?.pull_request && !onDriftIssue && (p.issue?.labels ?? []).some((l) => l.name === "release") && releaseSha !== undefined;
  const onIssue = onDriftIssue || onReleaseIssue;
  if (!p.issue || p.action !== "created" || (!p.issue.pull_request && !onIssue) || isBot(p.sender) || isBot(p.comment?.user)) return null;
  const repo = repoRef(p);
  const body = p.comment?.body ?? "";
  // Only comments with a line starting with "/" can hold commands; the rest is conversation.
  if (!repo || typeof p.issue.number !== "number" || !p.comment?.id || !/^\s*\//m.test(body)) return null;
  return {
    kind: "comment",
    deliveryId,
    repo,
    pullNumber: p.issue.number,
    ...(p.issue.pull_request ? pullTitle(p.issue.title) : {}),
    ...(onDriftIssue
      ? { driftProject: safeDecode(driftProject!), defaultBranch: (p as { repository?: { default_branch?: string } }).repository?.default_branch ?? "main" }
      : {}),
    ...(onReleaseIssue ? { releaseSha: releaseSha! } : {}),
    commentId: p.comment.id,
    user: p.comment.user?.login ?? p.sender?.login ?? "",
    body,
  };
}

export function reviewIntent(payload: unknown, deliveryId: string): ReviewIntent | null {
  const p = payload as Common & {
    pull_request?: { number?: number; title?: string };
    review?: { state?: string; commit_id?: string; user?: { login?: string; type?: string } | null };
  };
  if (p.action !== "submitted" || isBot(p.review?.user)) return null;
  const state = p.review?.state?.toLowerCase();
  if (state !== "approved" && state !== "changes_requested") return null;
  const repo = repoRef(p);
  if (!repo || typeof p.pull_request?.number !== "number" || !p.review?.commit_id) return null;
  return {
    kind: "review",
    deliveryId,
    repo,
    pullNumber: p.pull_request.number,
    ...pullTitle(p.pull_request.title),
    user: p.review.user?.login ?? "",
    state,
    commitId: p.review.commit_id,
  };
}

export function pullClosedIntent(payload: unknown, deliveryId: string): PullClosedIntent | null {
  const p = payload as Common & { pull_request?: { number?: number; title?: string; merged?: boolean } };
  if (p.action !== "closed") return null;
  const repo = repoRef(p);
  if (!repo || typeof p.pull_request?.number !== "number") return null;
  return {
    kind: "pull_closed",
    deliveryId,
    repo,
    pullNumber: p.pull_request.number,
    ...pullTitle(p.pull_request.title),
    merged: p.pull_request.merged === true,
  };
}

const NO_COMMIT = /^0+$/;

/** A merge into the default branch deploys its merge commit. */
export function mergeDeployIntent(payload: unknown, deliveryId: string): DeployIntent | null {
  const p = payload as Common & {
    repository?: { default_branch?: string };
    pull_request?: { number?: number; title?: string; merged?: boolean; merge_commit_sha?: string | null; base?: { ref?: string } };
  };
  const pr = p.pull_request;
  if (p.action !== "closed" || !pr?.merged || !pr.merge_commit_sha || pr.base?.ref !== p.repository?.default_branch) return null;
  const repo = repoRef(p);
  return repo && typeof pr.number === "number"
    ? { kind: "deploy", deliveryId, repo, sha: pr.merge_commit_sha, pullNumber: pr.number, ...pullTitle(pr.title), branch: pr.base!.ref! }
    : null;
}

/** A push to the default branch (a merge's, or a direct one) deploys its new head. */
export function pushDeployIntent(payload: unknown, deliveryId: string): DeployIntent | null {
  const p = payload as Common & { ref?: string; after?: string; before?: string; deleted?: boolean; repository?: { default_branch?: string } };
  if (p.deleted || !p.after || NO_COMMIT.test(p.after) || p.ref !== `refs/heads/${p.repository?.default_branch}`) return null;
  const repo = repoRef(p);
  if (!repo) return null;
  return {
    kind: "deploy",
    deliveryId,
    repo,
    sha: p.after,
    branch: p.repository!.default_branch!,
    ...(p.before && !NO_COMMIT.test(p.before) ? { before: p.before } : {}),
  };
}

function pullTitle(title: unknown): { pullTitle?: string } {
  const t = titleOf(title).title;
  return t !== undefined ? { pullTitle: t } : {};
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
