// The test driver: what users do on GitHub (open a PR, push, comment, review, merge), done with
// real git in the simulator's repos, each followed by the webhooks GitHub would send — delivered
// in order and awaited, so a test continues once the app has answered them.
import type { SimCore } from "../github-simulator/core.ts";
import { deliverAll, type PendingEvent } from "../github-simulator/core.ts";
import { commitFiles, resolveCommit, type FileChange } from "../github-simulator/git.ts";
import { readPath } from "../github-simulator/git-read.ts";
import { commentTooLong } from "../github-simulator/handlers/issues.ts";
import { advanceQueue, dequeue, enqueue } from "../github-simulator/ops-merge-queue.ts";
import { closePull, mergePull, openPull } from "../github-simulator/ops-pulls.ts";
import { applyPush, createFork, createRepository } from "../github-simulator/ops-repos.ts";
import type { GitHubSimulator } from "../github-simulator/simulator.ts";
import {
  nowIso,
  type CommentState,
  type Permission,
  type RepoState,
  type ReviewState,
  type SimUser,
  type TeamState,
  type UserType,
} from "../github-simulator/state.ts";
import { issueCommentPayload, pullRequestPayload, reviewPayload } from "../github-simulator/webhook-payloads.ts";
import { readFixture } from "./fixture-files.ts";
import { ScenarioQueries } from "./scenario-queries.ts";
import { waitFor, type WaitOptions } from "./wait-for.ts";

export interface RepoInfo {
  fullName: string;
  owner: string;
  name: string;
  installationId: number;
  defaultBranch: string;
  /** SHA of the initial commit on the default branch. */
  headSha: string;
  cloneUrl: string;
}

export interface PullInfo {
  repo: string;
  number: number;
  branch: string;
  headSha: string;
  baseSha: string;
  /** Full name of the repo holding the head branch (a fork for fork PRs). */
  headRepo: string;
}

export type PullTarget = { repo: string; number: number };
export type Files = Record<string, string | null>;

export class Scenario extends ScenarioQueries {
  constructor(readonly sim: GitHubSimulator) {
    super(sim.core);
  }

  private get core(): SimCore {
    return this.sim.core;
  }

  private repoState(fullName: string): RepoState {
    const repo = this.core.state.repo(fullName);
    if (!repo) throw new Error(`no repository ${fullName} in the simulator`);
    return repo;
  }

  private person(u: SimUser) {
    return { name: u.login, email: `${u.id}+${u.login}@users.noreply.sim` };
  }

  private deliver(events: PendingEvent[]): Promise<void> {
    return deliverAll(this.core, events);
  }

  /** A user with a default permission on every repo, or per-repo grants ({"acme/infra": "write"}). */
  addUser(login: string, opts: { permission?: Permission | Record<string, Permission>; type?: UserType } = {}): SimUser {
    const user = this.core.state.user(login, opts.type ?? "User");
    if (typeof opts.permission === "string") user.defaultPermission = opts.permission;
    else for (const [repo, p] of Object.entries(opts.permission ?? {})) this.repoState(repo).permissions.set(login.toLowerCase(), p);
    return user;
  }

  addTeam(org: string, slug: string, members: string[]): TeamState {
    for (const m of members) this.core.state.user(m);
    const team: TeamState = { id: this.core.state.nextId(), org, slug, name: slug, members: new Set(members.map((m) => m.toLowerCase())) };
    this.core.state.teams.set(`${org}/${slug}`.toLowerCase(), team);
    return team;
  }

  async createRepo(input: {
    owner: string;
    name: string;
    fixture?: string;
    files?: Record<string, FileChange>;
    installationId?: number;
    private?: boolean;
  }): Promise<RepoInfo> {
    const files = { ...(input.fixture ? await readFixture(input.fixture) : {}), ...(input.files ?? {}) };
    if (Object.keys(files).length === 0) files["README.md"] = `# ${input.name}\n`;
    const { repo, sha } = await createRepository(this.core, {
      owner: input.owner,
      name: input.name,
      files,
      ...(input.installationId ? { installationId: input.installationId } : {}),
      ...(input.private !== undefined ? { private: input.private } : {}),
    });
    return {
      fullName: repo.fullName,
      owner: repo.owner.login,
      name: repo.name,
      installationId: repo.installationId,
      defaultBranch: repo.defaultBranch,
      headSha: sha,
      cloneUrl: this.sim.gitUrl(repo.fullName),
    };
  }

  /** Branch protection: these status/check contexts must pass before a merge. */
  setRequiredChecks(repo: string, contexts: string[]): void {
    this.repoState(repo).requiredChecks = [...contexts];
  }

  /**
   * Turns on the merge queue of the repository's default branch: a group merges once these
   * checks passed on its commit, and leaves the queue when one of them fails.
   */
  setMergeQueue(repo: string, requiredChecks: string[]): void {
    this.repoState(repo).mergeQueueChecks = [...requiredChecks];
  }

  /**
   * "Merge when ready" with a merge queue: builds the group's commit on a
   * `gh-readonly-queue/<base>/pr-<N>-<sha>` branch and sends `merge_group.checks_requested`; the
   * queue then merges or drops it as the required checks on that commit turn out
   * (github-simulator/ops-merge-queue.ts). Several pull requests make one group of all of them,
   * as a queue with a maximum group size above 1 does.
   */
  async enqueue(prs: PullTarget | PullTarget[], user: string): Promise<{ headSha: string; baseSha: string; headRef: string }> {
    const list = Array.isArray(prs) ? prs : [prs];
    const repo = this.repoState(list[0]!.repo);
    if (!repo.mergeQueueChecks) throw new Error(`${repo.fullName} has no merge queue: call setMergeQueue first`);
    const pulls = list.map((pr) => this.pullState(pr));
    const { entry, events } = await this.core.withRepoLock(repo.fullName, () => enqueue(this.core, repo, pulls, this.core.state.user(user)));
    await this.deliver(events);
    // Checks may already have passed (or none be required): the queue looks once now.
    this.core.after(repo.fullName, () => advanceQueue(this.core, repo));
    return { headSha: entry!.headSha, baseSha: entry!.baseSha, headRef: entry!.headRef };
  }

  /** Takes the pull request out of the merge queue (`merge_group.destroyed`, reason `dequeued`). */
  async dequeue(pr: PullTarget): Promise<void> {
    const repo = this.repoState(pr.repo);
    const events = await this.core.withRepoLock(repo.fullName, () => dequeue(this.core, repo, pr.number));
    await this.deliver(events);
  }

  /** The merge queue's entries of a repository, oldest first (done ones included). */
  mergeQueue(repo: string): { pulls: number[]; headSha: string; baseSha: string; headRef: string; state: string }[] {
    const full = this.repoState(repo).fullName;
    return this.core.state.mergeQueue
      .filter((e) => e.repo === full)
      .map((e) => ({ pulls: [...e.pulls], headSha: e.headSha, baseSha: e.baseSha, headRef: e.headRef, state: e.state }));
  }

  async openPullRequest(input: {
    repo: string;
    author: string;
    branch: string;
    title?: string;
    body?: string;
    files: Files;
    draft?: boolean;
    fork?: boolean;
    base?: string;
  }): Promise<PullInfo> {
    const repo = this.repoState(input.repo);
    const author = this.core.state.user(input.author);
    const baseRef = input.base ?? repo.defaultBranch;
    const title = input.title ?? `Change ${input.branch}`;
    const { pull, events } = await this.core.withRepoLock(repo.fullName, async () => {
      const headRepo = input.fork ? await createFork(this.core, repo, author) : repo;
      const baseSha = await resolveCommit(repo.gitDir, `refs/heads/${baseRef}`);
      if (!baseSha) throw new Error(`no branch ${baseRef} in ${repo.fullName}`);
      if (await resolveCommit(headRepo.gitDir, `refs/heads/${input.branch}`)) throw new Error(`branch ${input.branch} already exists in ${headRepo.fullName}`);
      const headSha = await commitFiles(headRepo.gitDir, {
        ref: `refs/heads/${input.branch}`,
        parent: baseSha,
        files: input.files,
        message: title,
        author: this.person(author),
      });
      // GitHub sends the branch's push before the PR exists.
      const pushEvents = await applyPush(
        this.core,
        headRepo,
        [{ ref: `refs/heads/${input.branch}`, before: "0".repeat(40), after: headSha, commits: [headSha] }],
        author,
      );
      const opened = await openPull(this.core, {
        repo,
        headRepo,
        headRef: input.branch,
        baseRef,
        title,
        body: input.body ?? null,
        draft: !!input.draft,
        user: author,
        known: { headSha, baseSha },
      });
      if (!opened.ok) throw new Error(`could not open PR: ${JSON.stringify(opened.reply.body)}`);
      const p = opened.pull;
      return {
        pull: p,
        events: [...pushEvents, () => ["pull_request", pullRequestPayload(this.core, "opened", p, author)] as [string, Record<string, unknown>]],
      };
    });
    await this.deliver(events);
    return { repo: repo.fullName, number: pull.number, branch: input.branch, headSha: pull.head.sha, baseSha: pull.base.sha, headRepo: pull.head.repoFullName };
  }

  /** A new commit on the PR's branch: `push` (unless the head is a fork) and `pull_request.synchronize`. */
  async pushToPullRequest(pr: PullTarget, files: Files, opts: { author?: string; message?: string } = {}): Promise<{ before: string; headSha: string }> {
    const pull = this.pullState(pr);
    const headRepo = this.repoState(pull.head.repoFullName);
    const author = this.core.state.user(opts.author ?? this.core.state.issue(pull.repo, pull.number)?.user.login ?? "octocat");
    const { before, after, events } = await this.core.withRepoLock(pull.repo, async () => {
      const before = pull.head.sha;
      const after = await commitFiles(headRepo.gitDir, {
        ref: `refs/heads/${pull.head.ref}`,
        parent: before,
        files,
        message: opts.message ?? "Update",
        author: this.person(author),
      });
      const events = await applyPush(this.core, headRepo, [{ ref: `refs/heads/${pull.head.ref}`, before, after, commits: [after] }], author);
      return { before, after, events };
    });
    await this.deliver(events);
    return { before, headSha: after };
  }

  /** A direct push to the default branch (no PR): `push`. */
  async pushToDefaultBranch(repoName: string, files: Files, opts: { author?: string; message?: string } = {}): Promise<{ before: string; after: string }> {
    const repo = this.repoState(repoName);
    const author = this.core.state.user(opts.author ?? repo.owner.login);
    const { before, after, events } = await this.core.withRepoLock(repo.fullName, async () => {
      const ref = `refs/heads/${repo.defaultBranch}`;
      const before = (await resolveCommit(repo.gitDir, ref)) as string;
      const after = await commitFiles(repo.gitDir, { ref, parent: before, files, message: opts.message ?? "Direct push", author: this.person(author) });
      return { before, after, events: await applyPush(this.core, repo, [{ ref, before, after, commits: [after] }], author) };
    });
    await this.deliver(events);
    return { before, after };
  }

  async comment(pr: PullTarget, user: string, body: string): Promise<CommentState> {
    const issue = this.core.state.issue(pr.repo, pr.number);
    if (!issue) throw new Error(`no issue or PR #${pr.number} in ${pr.repo}`);
    const refused = commentTooLong(body);
    if (refused) throw new Error(refused.violation);
    const author = this.core.state.user(user);
    const now = nowIso();
    const comment: CommentState = {
      id: this.core.state.nextId(),
      repo: this.repoState(pr.repo).fullName,
      issueNumber: pr.number,
      body,
      user: author,
      createdAt: now,
      updatedAt: now,
    };
    this.core.state.comments.set(comment.id, comment);
    await this.deliver([() => ["issue_comment", issueCommentPayload(this.core, "created", comment, author)]]);
    return comment;
  }

  async editComment(commentId: number, user: string, body: string): Promise<CommentState> {
    const comment = this.core.state.comments.get(commentId);
    if (!comment) throw new Error(`no comment ${commentId}`);
    const from = comment.body;
    Object.assign(comment, { body, updatedAt: nowIso() });
    await this.deliver([() => ["issue_comment", issueCommentPayload(this.core, "edited", comment, this.core.state.user(user), { body: { from } })]]);
    return comment;
  }

  async review(pr: PullTarget, user: string, state: "APPROVED" | "CHANGES_REQUESTED" | "COMMENTED", body = ""): Promise<ReviewState> {
    const pull = this.pullState(pr);
    const review: ReviewState = {
      id: this.core.state.nextId(),
      repo: pull.repo,
      pullNumber: pull.number,
      user: this.core.state.user(user),
      state,
      body,
      commitId: pull.head.sha,
      submittedAt: nowIso(),
    };
    this.core.state.reviews.push(review);
    await this.deliver([() => ["pull_request_review", reviewPayload(this.core, review, pull)]]);
    return review;
  }

  /** A real merge commit on the base branch, then `pull_request.closed` (merged) and `push`. */
  async merge(pr: PullTarget, user: string, opts: { method?: "merge" | "squash"; bypassProtection?: boolean } = {}): Promise<{ mergeCommitSha: string }> {
    const pull = this.pullState(pr);
    const result = await this.core.withRepoLock(pull.repo, () => mergePull(this.core, pull, this.core.state.user(user), opts));
    if (result.reply.status !== 200) throw new Error(`merge of #${pr.number} refused (${result.reply.status}): ${JSON.stringify(result.reply.body)}`);
    await this.deliver(result.events);
    return { mergeCommitSha: (result.reply.body as { sha: string }).sha };
  }

  async closePullRequest(pr: PullTarget, user?: string): Promise<void> {
    const pull = this.pullState(pr);
    const closer = this.core.state.user(user ?? this.core.state.issue(pull.repo, pull.number)?.user.login ?? "octocat");
    await this.deliver(closePull(this.core, pull, closer));
  }

  /** The commit a branch points at, or undefined when there is no such branch. */
  async branchSha(repoName: string, branch: string): Promise<string | undefined> {
    return resolveCommit(this.repoState(repoName).gitDir, `refs/heads/${branch}`);
  }

  /** File content at a ref (branch, tag or SHA), or undefined if the path is not a file there. */
  async readFile(repoName: string, ref: string, path: string): Promise<string | undefined> {
    const repo = this.repoState(repoName);
    const sha = await resolveCommit(repo.gitDir, ref);
    if (!sha) return undefined;
    const found = await readPath(repo.gitDir, sha, path);
    return found.kind === "file" ? found.content.toString("utf8") : undefined;
  }

  waitFor<T>(predicate: () => T | Promise<T>, opts: WaitOptions = {}): Promise<NonNullable<T>> {
    return waitFor(predicate, opts);
  }
}
