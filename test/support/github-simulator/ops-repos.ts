// Repository-level actions shared by the REST handlers, the git bridge and the scenario driver:
// creating repos and installations, and folding received pushes into PR state and webhooks.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { PendingEvent, SimCore } from "./core.ts";
import { commitFiles, commitsBetween, git, initBareRepo, updateRef, type FileChange } from "./git.ts";
import { nowIso, type Installation, type PullState, type RepoState, type SimUser } from "./state.ts";
import { pullRequestPayload, pushPayload } from "./webhook-payloads.ts";

export const ZERO_SHA = "0000000000000000000000000000000000000000";

export function ensureInstallation(core: SimCore, account: SimUser, id?: number): Installation {
  for (const inst of core.state.installations.values()) {
    if (id !== undefined ? inst.id === id : inst.account.login.toLowerCase() === account.login.toLowerCase()) return inst;
  }
  const inst = { id: id ?? core.state.nextId(), account };
  core.state.installations.set(inst.id, inst);
  return inst;
}

export interface CreateRepoInput {
  owner: string;
  name: string;
  files: Record<string, FileChange>;
  installationId?: number;
  private?: boolean;
  defaultBranch?: string;
  forkOf?: string;
}

export async function createRepository(core: SimCore, input: CreateRepoInput): Promise<{ repo: RepoState; sha: string }> {
  const fullName = `${input.owner}/${input.name}`;
  if (core.state.repo(fullName)) throw new Error(`repository ${fullName} already exists`);
  // An account that owns repos but was never added as a user is taken to be an organisation.
  const owner = core.state.findUser(input.owner) ?? core.state.user(input.owner, "Organization");
  const inst = ensureInstallation(core, owner, input.installationId);
  const gitDir = join(core.reposRoot, input.owner, `${input.name}.git`);
  const defaultBranch = input.defaultBranch ?? "main";
  await initBareRepo(gitDir, defaultBranch);
  const sha = await commitFiles(gitDir, {
    ref: `refs/heads/${defaultBranch}`,
    files: input.files,
    message: "Initial commit",
    author: { name: owner.login, email: `${owner.id}+${owner.login}@users.noreply.sim` },
  });
  const repo: RepoState = {
    id: core.state.nextId(),
    owner,
    name: input.name,
    fullName,
    defaultBranch,
    private: input.private ?? true,
    gitDir,
    installationId: inst.id,
    permissions: new Map(),
    labels: new Map(),
    requiredChecks: [],
    nextNumber: 1,
    createdAt: nowIso(),
    ...(input.forkOf ? { forkOf: input.forkOf } : {}),
  };
  core.state.repos.set(fullName.toLowerCase(), repo);
  return { repo, sha };
}

export interface RefUpdate {
  ref: string;
  before: string;
  after: string;
  /** The new commits when the caller knows them (saves a rev-list). */
  commits?: string[];
}

/** PRs (in any repo) whose head is `ref` of `repo`. */
export function pullsWithHead(core: SimCore, repo: RepoState, branch: string): PullState[] {
  const out: PullState[] = [];
  for (const pull of core.state.pulls.values()) {
    if (pull.head.repoFullName.toLowerCase() === repo.fullName.toLowerCase() && pull.head.ref === branch) out.push(pull);
  }
  return out;
}

/**
 * Fold branch updates into state as GitHub does after a push: open PRs on that branch get the new
 * head (and refs/pull/N/head), base SHAs follow their branch. Returns the webhooks to send.
 */
export async function applyPush(core: SimCore, repo: RepoState, updates: RefUpdate[], pusher: SimUser): Promise<PendingEvent[]> {
  const events: PendingEvent[] = [];
  for (const u of updates) {
    if (!u.ref.startsWith("refs/heads/")) continue;
    const branch = u.ref.slice("refs/heads/".length);
    const commits =
      u.commits ??
      (u.after === ZERO_SHA ? [] : await commitsBetween(repo.gitDir, u.before === ZERO_SHA ? repo.defaultBranch : u.before, u.after).catch(() => [u.after]));
    // A fork the app is not installed on gets no webhook of its own.
    if (repo.installationId > 0)
      events.push(async () => ["push", await pushPayload(core, repo, { ref: u.ref, before: u.before, after: u.after, commits, pusher })]);
    for (const pull of pullsWithHead(core, repo, branch)) {
      const issue = core.state.issue(pull.repo, pull.number);
      if (!issue || issue.state !== "open" || u.after === ZERO_SHA) continue;
      const before = pull.head.sha;
      pull.head.sha = u.after;
      await syncPullRef(core, pull);
      issue.updatedAt = nowIso();
      events.push(async () => ["pull_request", pullRequestPayload(core, "synchronize", pull, pusher, { before, after: u.after })]);
    }
    for (const pull of core.state.pullsOf(repo.fullName)) {
      if (pull.base.ref === branch && !pull.merged && u.after !== ZERO_SHA) pull.base.sha = u.after;
    }
  }
  return events;
}

/**
 * Point refs/pull/N/head of the base repo at the PR head, as GitHub does; for a fork the commits
 * are fetched across first (GitHub shares object storage between a repo and its forks).
 */
export async function syncPullRef(core: SimCore, pull: PullState): Promise<void> {
  const base = core.state.repo(pull.repo);
  const head = core.state.repo(pull.head.repoFullName);
  if (!base || !head) return;
  if (base === head) {
    await updateRef(base.gitDir, `refs/pull/${pull.number}/head`, pull.head.sha);
    return;
  }
  await git(base.gitDir, ["fetch", "--quiet", "--no-tags", head.gitDir, `+refs/heads/${pull.head.ref}:refs/pull/${pull.number}/head`]);
}

/**
 * A fork of `base` owned by `owner`, sharing its objects (GitHub's forks share storage too). The
 * app is not installed on it: installationId 0.
 */
export async function createFork(core: SimCore, base: RepoState, owner: SimUser): Promise<RepoState> {
  const fullName = `${owner.login}/${base.name}`;
  const existing = core.state.repo(fullName);
  if (existing) return existing;
  const gitDir = join(core.reposRoot, owner.login, `${base.name}.git`);
  await initBareRepo(gitDir, base.defaultBranch);
  await writeFile(join(gitDir, "objects", "info", "alternates"), `${join(base.gitDir, "objects")}\n`);
  await git(gitDir, ["fetch", "--quiet", "--no-tags", base.gitDir, "+refs/heads/*:refs/heads/*"]);
  const repo: RepoState = {
    id: core.state.nextId(),
    owner,
    name: base.name,
    fullName,
    defaultBranch: base.defaultBranch,
    private: base.private,
    gitDir,
    installationId: 0,
    permissions: new Map(),
    labels: new Map(),
    requiredChecks: [],
    nextNumber: 1,
    createdAt: nowIso(),
    forkOf: base.fullName,
  };
  core.state.repos.set(fullName.toLowerCase(), repo);
  return repo;
}
