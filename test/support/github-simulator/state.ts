// The simulator's in-memory world: plain records keyed the way GitHub keys them. Git content lives
// in bare repos on disk; these records hold only what git does not (PRs, comments, checks…).

export type Permission = "admin" | "maintain" | "write" | "triage" | "read";
export type UserType = "User" | "Bot" | "Organization";

export interface SimUser {
  login: string;
  id: number;
  type: UserType;
}

export interface Installation {
  id: number;
  account: SimUser;
}

export interface Label {
  id: number;
  name: string;
  color: string;
  description: string | null;
}

export interface RepoState {
  id: number;
  owner: SimUser;
  name: string;
  fullName: string;
  defaultBranch: string;
  private: boolean;
  gitDir: string;
  installationId: number;
  /** Per-repo grants; users without one fall back to their default permission. */
  permissions: Map<string, Permission>;
  labels: Map<string, Label>;
  nextNumber: number;
  createdAt: string;
  /** Status/check contexts branch protection requires on the default branch before a merge. */
  requiredChecks: string[];
  /** Checks the merge queue requires on each group's commit before it merges the group; absent: no queue. */
  mergeQueueChecks?: string[];
  /** Fork repos a PR head may live in (GitHub: head.repo differs from base.repo). */
  forkOf?: string;
}

export interface BranchPoint {
  ref: string;
  sha: string;
  repoFullName: string;
}

export interface IssueState {
  id: number;
  repo: string;
  number: number;
  title: string;
  body: string | null;
  user: SimUser;
  state: "open" | "closed";
  stateReason: string | null;
  labels: string[];
  isPull: boolean;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
}

export interface PullState {
  id: number;
  repo: string;
  number: number;
  draft: boolean;
  merged: boolean;
  mergedAt: string | null;
  mergedBy: SimUser | null;
  mergeCommitSha: string | null;
  head: BranchPoint;
  base: BranchPoint;
  /** Cached `git merge-tree` answer for the current base/head pair. */
  mergeability?: { key: string; clean: boolean };
}

export interface CommentState {
  id: number;
  repo: string;
  issueNumber: number;
  body: string;
  user: SimUser;
  createdAt: string;
  updatedAt: string;
}

export interface ReactionState {
  id: number;
  content: string;
  user: SimUser;
  createdAt: string;
  subject: string; // "comment:<id>" or "issue:<repo>#<n>"
}

export interface ReviewState {
  id: number;
  repo: string;
  pullNumber: number;
  user: SimUser;
  state: "APPROVED" | "CHANGES_REQUESTED" | "COMMENTED" | "DISMISSED" | "PENDING";
  body: string;
  commitId: string;
  submittedAt: string;
}

export interface CheckOutput {
  title: string | null;
  summary: string | null;
  text: string | null;
  annotations: unknown[];
}

export interface CheckRunState {
  id: number;
  repo: string;
  headSha: string;
  name: string;
  status: "queued" | "in_progress" | "completed" | "waiting" | "requested" | "pending";
  conclusion: string | null;
  output: CheckOutput;
  startedAt: string | null;
  completedAt: string | null;
  externalId: string | null;
  detailsUrl: string | null;
  actions: unknown[];
}

export interface StatusState {
  id: number;
  repo: string;
  sha: string;
  state: "error" | "failure" | "pending" | "success";
  context: string;
  description: string | null;
  targetUrl: string | null;
  creator: SimUser;
  createdAt: string;
  updatedAt: string;
}

export interface DeploymentState {
  id: number;
  repo: string;
  sha: string;
  ref: string;
  task: string;
  payload: unknown;
  environment: string;
  originalEnvironment: string;
  description: string | null;
  creator: SimUser;
  transient: boolean;
  production: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface DeploymentStatusState {
  id: number;
  deploymentId: number;
  state: string;
  description: string;
  environment: string;
  logUrl: string;
  environmentUrl: string;
  creator: SimUser;
  createdAt: string;
}

export interface TeamState {
  id: number;
  org: string;
  slug: string;
  name: string;
  members: Set<string>;
}

export interface UserRecord extends SimUser {
  defaultPermission?: Permission;
}

export function nowIso(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** GitHub's legacy node ids are base64 of "<len>:<Type><id>"; the shape is what clients see. */
export function nodeId(type: string, id: number): string {
  return Buffer.from(`0${type.length}:${type}${id}`).toString("base64").replace(/=+$/, "");
}

/** One entry of a merge queue: a group of pull requests merged on top of the entries ahead of it. */
export interface MergeQueueEntry {
  repo: string;
  pulls: number[];
  baseRef: string;
  /** What the group was built on: the base branch, or the group ahead of it. */
  baseSha: string;
  headSha: string;
  /** `gh-readonly-queue/<base>/pr-<N>-<sha>`, without `refs/heads/`. */
  headRef: string;
  enqueuedBy: SimUser;
  state: "pending" | "merged" | "dequeued" | "invalidated";
}

export class SimState {
  private ids = 1000;
  readonly users = new Map<string, UserRecord>();
  readonly installations = new Map<number, Installation>();
  readonly repos = new Map<string, RepoState>();
  readonly issues = new Map<string, IssueState>(); // key "owner/repo#n"
  readonly pulls = new Map<string, PullState>();
  readonly comments = new Map<number, CommentState>();
  readonly reactions: ReactionState[] = [];
  readonly reviews: ReviewState[] = [];
  readonly checkRuns = new Map<number, CheckRunState>();
  readonly statuses: StatusState[] = [];
  readonly deployments = new Map<number, DeploymentState>();
  readonly deploymentStatuses: DeploymentStatusState[] = [];
  readonly teams = new Map<string, TeamState>(); // key "org/slug"
  /** Merge queue entries of every repository, oldest first; done ones stay for assertions. */
  readonly mergeQueue: MergeQueueEntry[] = [];

  nextId(): number {
    return ++this.ids;
  }

  user(login: string, type: UserType = "User"): UserRecord {
    let u = this.users.get(login.toLowerCase());
    if (!u) {
      u = { login, id: this.nextId(), type };
      this.users.set(login.toLowerCase(), u);
    }
    return u;
  }

  findUser(login: string): UserRecord | undefined {
    return this.users.get(login.toLowerCase());
  }

  repo(fullName: string): RepoState | undefined {
    return this.repos.get(fullName.toLowerCase());
  }

  issue(repo: string, n: number): IssueState | undefined {
    return this.issues.get(`${repo.toLowerCase()}#${n}`);
  }

  pull(repo: string, n: number): PullState | undefined {
    return this.pulls.get(`${repo.toLowerCase()}#${n}`);
  }

  putIssue(issue: IssueState): void {
    this.issues.set(`${issue.repo.toLowerCase()}#${issue.number}`, issue);
  }

  putPull(pull: PullState): void {
    this.pulls.set(`${pull.repo.toLowerCase()}#${pull.number}`, pull);
  }

  pullsOf(repo: string): PullState[] {
    const prefix = `${repo.toLowerCase()}#`;
    return [...this.pulls.entries()].filter(([k]) => k.startsWith(prefix)).map(([, v]) => v);
  }

  issuesOf(repo: string): IssueState[] {
    const prefix = `${repo.toLowerCase()}#`;
    return [...this.issues.entries()].filter(([k]) => k.startsWith(prefix)).map(([, v]) => v);
  }

  /** Effective permission of a user on a repo: explicit grant, owner, or the user's default. */
  permissionOf(repo: RepoState, login: string): Permission | "none" {
    const explicit = repo.permissions.get(login.toLowerCase());
    if (explicit) return explicit;
    if (repo.owner.login.toLowerCase() === login.toLowerCase()) return "admin";
    return this.findUser(login)?.defaultPermission ?? "none";
  }
}
