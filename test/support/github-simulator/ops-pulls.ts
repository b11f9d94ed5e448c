// Pull request life cycle shared by the REST handlers and the scenario: open, mergeability,
// merge (a real merge commit on the base branch), close.
import { failure, ok, validationFailed, type ApiReply } from "./api-types.ts";
import type { PendingEvent, SimCore } from "./core.ts";
import { commitsBetween, git, mergeCommit, mergeTree, resolveCommit, updateRef } from "./git.ts";
import { diffFiles } from "./git-read.ts";
import { syncPullRef } from "./ops-repos.ts";
import type { Mergeability } from "./serialize-pulls.ts";
import { nowIso, type PullState, type RepoState, type SimUser } from "./state.ts";
import { pullRequestPayload, pushPayload } from "./webhook-payloads.ts";

export interface OpenPullInput {
  repo: RepoState;
  headRepo: RepoState;
  headRef: string;
  baseRef: string;
  title: string;
  body: string | null;
  draft: boolean;
  user: SimUser;
  /** Known SHAs (the scenario just made them) save git lookups; the API path resolves them. */
  known?: { headSha: string; baseSha: string };
}

export type OpenPullResult = { ok: true; pull: PullState } | { ok: false; reply: ApiReply };

export async function openPull(core: SimCore, input: OpenPullInput): Promise<OpenPullResult> {
  const { repo, headRepo } = input;
  const headSha = input.known?.headSha ?? (await resolveCommit(headRepo.gitDir, `refs/heads/${input.headRef}`));
  const baseSha = input.known?.baseSha ?? (await resolveCommit(repo.gitDir, `refs/heads/${input.baseRef}`));
  if (!headSha) return { ok: false, reply: validationFailed("Validation Failed", [{ resource: "PullRequest", field: "head", code: "invalid" }]) };
  if (!baseSha) return { ok: false, reply: validationFailed("Validation Failed", [{ resource: "PullRequest", field: "base", code: "invalid" }]) };
  const dup = core.state
    .pullsOf(repo.fullName)
    .find(
      (p) =>
        !p.merged &&
        core.state.issue(repo.fullName, p.number)?.state === "open" &&
        p.head.ref === input.headRef &&
        p.head.repoFullName === headRepo.fullName &&
        p.base.ref === input.baseRef,
    );
  if (dup) {
    return {
      ok: false,
      reply: validationFailed("Validation Failed", [
        { resource: "PullRequest", code: "custom", message: `A pull request already exists for ${headRepo.owner.login}:${input.headRef}.` },
      ]),
    };
  }
  if (!input.known && headRepo === repo && (await commitsBetween(repo.gitDir, baseSha, headSha)).length === 0) {
    return {
      ok: false,
      reply: validationFailed("Validation Failed", [
        { resource: "PullRequest", code: "custom", message: `No commits between ${input.baseRef} and ${input.headRef}` },
      ]),
    };
  }
  const number = repo.nextNumber++;
  const now = nowIso();
  core.state.putIssue({
    id: core.state.nextId(),
    repo: repo.fullName,
    number,
    title: input.title,
    body: input.body,
    user: input.user,
    state: "open",
    stateReason: null,
    labels: [],
    isPull: true,
    createdAt: now,
    updatedAt: now,
    closedAt: null,
  });
  const pull: PullState = {
    id: core.state.nextId(),
    repo: repo.fullName,
    number,
    draft: input.draft,
    merged: false,
    mergedAt: null,
    mergedBy: null,
    mergeCommitSha: null,
    head: { ref: input.headRef, sha: headSha, repoFullName: headRepo.fullName },
    base: { ref: input.baseRef, sha: baseSha, repoFullName: repo.fullName },
  };
  core.state.putPull(pull);
  await syncPullRef(core, pull);
  return { ok: true, pull };
}

/** Failing or missing required contexts on a SHA (statuses and check runs both count). */
export function unmetRequiredChecks(core: SimCore, repo: RepoState, sha: string): string[] {
  const unmet: string[] = [];
  for (const context of repo.requiredChecks) {
    const status = core.state.statuses.filter((s) => s.repo === repo.fullName && s.sha === sha && s.context === context).pop();
    const run = [...core.state.checkRuns.values()].filter((r) => r.repo === repo.fullName && r.headSha === sha && r.name === context).pop();
    const passed = status?.state === "success" || (run?.status === "completed" && ["success", "neutral", "skipped"].includes(run.conclusion ?? ""));
    if (!passed) unmet.push(context);
  }
  return unmet;
}

export async function mergeability(core: SimCore, pull: PullState): Promise<Mergeability> {
  const issue = core.state.issue(pull.repo, pull.number);
  const repo = core.state.repo(pull.repo);
  if (!repo || !issue || issue.state !== "open") return { mergeable: null, mergeable_state: "unknown" };
  const key = `${pull.base.sha}:${pull.head.sha}`;
  if (pull.mergeability?.key !== key) {
    // A fork's head is reachable in the base repo through refs/pull/N/head.
    const clean = (await mergeTree(repo.gitDir, pull.base.sha, pull.head.sha)) !== undefined;
    pull.mergeability = { key, clean };
  }
  const clean = pull.mergeability.clean;
  let state = "clean";
  if (!clean) state = "dirty";
  else if (pull.draft) state = "draft";
  else if (unmetRequiredChecks(core, repo, pull.head.sha).length > 0) state = "blocked";
  return { mergeable: clean, mergeable_state: state };
}

// Keyed by base:head SHAs, so entries never go stale.
const commitCounts = new Map<string, number>();

export async function pullStats(core: SimCore, pull: PullState): Promise<NonNullable<Mergeability["stats"]>> {
  const repo = core.state.repo(pull.repo);
  if (!repo) return { commits: 0, additions: 0, deletions: 0, changed_files: 0 };
  const files = await diffFiles(repo.gitDir, pull.base.sha, pull.head.sha);
  const key = `${pull.base.sha}:${pull.head.sha}`;
  let commits = commitCounts.get(key);
  if (commits === undefined) {
    commits = (await commitsBetween(repo.gitDir, pull.base.sha, pull.head.sha)).length;
    commitCounts.set(key, commits);
  }
  return {
    commits,
    additions: files.reduce((n, f) => n + f.additions, 0),
    deletions: files.reduce((n, f) => n + f.deletions, 0),
    changed_files: files.length,
  };
}

export interface MergeOptions {
  sha?: string;
  commitTitle?: string;
  commitMessage?: string;
  method?: "merge" | "squash" | "rebase";
  /** An admin merging past branch protection. */
  bypassProtection?: boolean;
}

export type MergeResult = { reply: ApiReply; events: PendingEvent[] };

export async function mergePull(core: SimCore, pull: PullState, user: SimUser, opts: MergeOptions = {}): Promise<MergeResult> {
  const repo = core.state.repo(pull.repo);
  const issue = core.state.issue(pull.repo, pull.number);
  if (!repo || !issue) return { reply: failure(404, "Not Found"), events: [] };
  if (pull.merged || issue.state !== "open") return { reply: failure(405, "Pull Request is not mergeable"), events: [] };
  if (opts.sha && opts.sha !== pull.head.sha) return { reply: failure(409, "Head branch was modified. Review and try the merge again."), events: [] };
  if (pull.draft) return { reply: failure(405, "Pull Request is still a draft"), events: [] };
  if ((opts.method ?? "merge") === "rebase") return { reply: failure(501, "The simulator does not do rebase merges"), events: [] };
  const unmet = opts.bypassProtection ? [] : unmetRequiredChecks(core, repo, pull.head.sha);
  if (unmet.length > 0) return { reply: failure(405, `Required status check "${unmet[0]}" is expected.`), events: [] };
  const before = await resolveCommit(repo.gitDir, `refs/heads/${pull.base.ref}`);
  if (!before) return { reply: failure(405, "Base branch was deleted"), events: [] };
  const headOwner = core.state.repo(pull.head.repoFullName)?.owner.login ?? repo.owner.login;
  const title =
    opts.commitTitle ??
    (opts.method === "squash" ? `${issue.title} (#${pull.number})` : `Merge pull request #${pull.number} from ${headOwner}/${pull.head.ref}`);
  const message = `${title}\n\n${opts.commitMessage ?? issue.title}`;
  const author = { name: user.login, email: `${user.id}+${user.login}@users.noreply.sim` };
  const sha =
    opts.method === "squash"
      ? await squashCommit(repo, before, pull.head.sha, message, author)
      : await mergeCommit(repo.gitDir, before, pull.head.sha, message, author);
  if (!sha) return { reply: failure(405, "Pull Request is not mergeable"), events: [] };
  if (!(await updateRef(repo.gitDir, `refs/heads/${pull.base.ref}`, sha, before)))
    return { reply: failure(409, "Base branch was modified. Review and try the merge again."), events: [] };
  const now = nowIso();
  Object.assign(pull, { merged: true, mergedAt: now, mergedBy: user, mergeCommitSha: sha });
  pull.base.sha = before;
  Object.assign(issue, { state: "closed", stateReason: "completed", closedAt: now, updatedAt: now });
  for (const other of core.state.pullsOf(repo.fullName)) if (!other.merged && other.base.ref === pull.base.ref) other.base.sha = sha;
  const commits = await commitsBetween(repo.gitDir, before, sha);
  const events: PendingEvent[] = [
    () => ["pull_request", pullRequestPayload(core, "closed", pull, user)],
    async () => ["push", await pushPayload(core, repo, { ref: `refs/heads/${pull.base.ref}`, before, after: sha, commits, pusher: user })],
  ];
  return { reply: ok({ sha, merged: true, message: "Pull Request successfully merged" }), events };
}

async function squashCommit(
  repo: RepoState,
  base: string,
  head: string,
  message: string,
  author: { name: string; email: string },
): Promise<string | undefined> {
  const tree = await mergeTree(repo.gitDir, base, head);
  if (!tree) return undefined;
  const env = { GIT_AUTHOR_NAME: author.name, GIT_AUTHOR_EMAIL: author.email, GIT_COMMITTER_NAME: author.name, GIT_COMMITTER_EMAIL: author.email };
  return (await git(repo.gitDir, ["commit-tree", tree, "-p", base, "-F", "-"], { input: message, env })).trim();
}

export function closePull(core: SimCore, pull: PullState, user: SimUser): PendingEvent[] {
  const issue = core.state.issue(pull.repo, pull.number);
  if (!issue || issue.state === "closed") return [];
  const now = nowIso();
  Object.assign(issue, { state: "closed", stateReason: null, closedAt: now, updatedAt: now });
  return [() => ["pull_request", pullRequestPayload(core, "closed", pull, user)]];
}
