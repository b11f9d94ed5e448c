// Intents: what a webhook asks Slipway to do, as plain data. Intake produces them; the queue
// carries them as job data; jobs consume them. They never hold a payload, only the facts used.
import type { PullRef, RepoRef, Sha } from "./types.ts";

export interface PullFacts extends PullRef {
  baseSha: Sha;
  draft: boolean;
  /** Head branch lives in another repository (a fork). */
  fromFork: boolean;
  /** `pull_request.updated_at` in epoch ms: orders heads when deliveries arrive out of order. */
  updatedAt: number;
}

export interface PlanIntent {
  kind: "plan";
  deliveryId: string;
  /** `autoplan`: opened/pushed; `command`: someone commented `/plan` (or a lock was released). */
  trigger: "autoplan" | "command";
  pull: PullFacts;
  /** Named projects (from `/plan a b`); absent means every changed project. */
  projects?: string[];
  requestedBy?: string;
}

/** A comment on a pull request that may hold commands; parsed by the job, where replies can be sent. */
export interface CommentIntent {
  kind: "comment";
  deliveryId: string;
  repo: RepoRef;
  /** The pull request, or the issue (a drift issue) the comment is on. */
  pullNumber: number;
  /** The pull request's title (not set on a drift issue). */
  pullTitle?: string;
  /** Set when the comment is on a drift issue (not a pull request): the project it reports. */
  driftProject?: string;
  /** The repository's default branch (drift issues describe it). */
  defaultBranch?: string;
  /** Set when the comment is on a release issue (a direct push's waiting deploy): the deploy's commit. */
  releaseSha?: string;
  commentId: number;
  user: string;
  body: string;
}

export interface ReviewIntent {
  kind: "review";
  deliveryId: string;
  repo: RepoRef;
  pullNumber: number;
  pullTitle?: string;
  user: string;
  state: "approved" | "changes_requested";
  /** The commit the review was made on. */
  commitId: Sha;
}

export interface PullClosedIntent {
  kind: "pull_closed";
  deliveryId: string;
  repo: RepoRef;
  pullNumber: number;
  pullTitle?: string;
  merged: boolean;
}

/** Enqueued by the comment job once `/apply` passed its checks; the apply job checks again. */
export interface ApplyIntent {
  kind: "apply";
  deliveryId: string;
  pull: PullFacts;
  projects: string[];
  requestedBy: string;
}

/**
 * A new commit on the default branch — a merge or a direct push: whatever is on it is the
 * desired state. The `push` and the `pull_request.closed` of one merge name the same SHA and
 * become one deploy.
 */
export interface DeployIntent {
  kind: "deploy";
  deliveryId: string;
  repo: RepoRef;
  sha: Sha;
  /** The previous head of the branch, when known (a push says it). */
  before?: Sha;
  /** The merged pull request, when known (a merge says it; a push does not). */
  pullNumber?: number;
  /** The merged pull request's title, when known (shown next to its number on the console). */
  pullTitle?: string;
  /** Releases an environment that waits (`manual`, or merged without approvals). */
  release?: { environment: string; by: string };
  /** The default branch's name, for the drift schedule that follows it. */
  branch?: string;
}

/** Plans the default branch's projects against the world; reports drift, or repairs it. */
export interface DriftIntent {
  kind: "drift";
  deliveryId: string;
  repo: RepoRef;
  branch: string;
  /** `/apply` on a drift issue: remediate this project now, whatever `drift.remediate` says. */
  remediate?: { project: string; by: string; issueNumber: number };
  /**
   * A merge queue group of this pull request applied and then left the queue unmerged: the world
   * holds its change, so its own lock does not stop a repair (`drift.remediate`) of the branch.
   */
  afterQueueOf?: number;
}

/**
 * A merge queue's group (SPEC §11): `checks_requested` asks for Slipway's checks on its head
 * commit (and, with `apply: in_merge_queue`, its apply); `destroyed` says it left the queue.
 */
export interface MergeGroupIntent {
  kind: "merge_group";
  deliveryId: string;
  action: "checks_requested" | "destroyed";
  repo: RepoRef;
  /** The group's commit: the base branch with the group's pull requests merged on top. */
  headSha: Sha;
  /** `gh-readonly-queue/<base>/pr-<N>-<sha>`, without `refs/heads/`. */
  headRef: string;
  baseSha: Sha;
  /** The branch the queue merges into, without `refs/heads/`. */
  baseRef: string;
  /** The pull request named by the head ref: the last one of the group. */
  pullNumber?: number;
  /** Why a group was destroyed: `merged`, `dequeued` or `invalidated`. */
  reason?: string;
}

/**
 * A lock released from outside a pull request (the API, the console): the job frees it, plans
 * the pull requests that waited, and tells the holding pull request who released it.
 */
export interface UnlockIntent {
  kind: "unlock";
  deliveryId: string;
  /** Only the name: the API does not know the installation; the job asks GitHub for it. */
  repo: { owner: string; name: string };
  /** The pull request that held the lock when it was asked; a lock taken since is left alone. */
  pullNumber: number;
  project: string;
  by: string;
  via: "api" | "console";
}

export type EventIntent = CommentIntent | ReviewIntent | PullClosedIntent | UnlockIntent;
export type Intent = PlanIntent | EventIntent | DeployIntent | MergeGroupIntent;
/** Jobs that change the world run on one queue that never retries. */
export type WorldIntent = ApplyIntent | DeployIntent | DriftIntent | MergeGroupIntent;
/** Everything a job is made from: what webhooks ask, and what jobs and schedules ask in turn. */
export type JobIntent = Intent | ApplyIntent | DriftIntent;

/** Where intake puts intents: the intake stream (queue/intake-stream.ts), or a test's recorder. */
export interface IntentSink {
  dispatch(intent: Intent): Promise<void>;
}
