// The one table from an intent's kind to the job that carries it out. A newcomer reads here what
// Slipway does for each thing GitHub tells it; the queue that carries each kind is chosen in
// queue/jobs.ts (plans are cancellable, world-changing jobs never retried).
import type { JobIntent } from "../domain/intent.ts";
import { runApplyJob } from "./apply-job.ts";
import { runCommentJob } from "./comment-job.ts";
import { runDeployJob } from "./deploy-job.ts";
import type { JobDeps } from "./deps.ts";
import { runDriftJob } from "./drift-job.ts";
import { runMergeGroupJob } from "./merge-group-job.ts";
import { runPlanJob } from "./plan-job.ts";
import { runPullClosedJob } from "./pull-closed-job.ts";
import { runReviewJob } from "./review-job.ts";
import { runUnlockJob } from "./unlock-job.ts";

type Handler<K extends JobIntent["kind"]> = (intent: Extract<JobIntent, { kind: K }>, deps: JobDeps, signal: AbortSignal) => Promise<unknown>;

export const routes: { [K in JobIntent["kind"]]: Handler<K> } = {
  /** A pull request head to plan (opened, pushed, `/plan`, a lock released). */
  plan: runPlanJob,
  /** A comment with commands on a pull request or a drift issue. */
  comment: (intent, deps) => runCommentJob(intent, deps),
  /** An APPROVED or CHANGES_REQUESTED review. */
  review: (intent, deps) => runReviewJob(intent, deps),
  /** A pull request merged or closed: its locks go. */
  pull_closed: (intent, deps) => runPullClosedJob(intent, deps),
  /** A new commit on the default branch, or a release of one of its waiting environments. */
  deploy: (intent, deps) => runDeployJob(intent, deps),
  /** `/apply` before merge. */
  apply: (intent, deps) => runApplyJob(intent, deps),
  /** A lock released through the API or the console. */
  unlock: (intent, deps) => runUnlockJob(intent, deps),
  /** A drift check (scheduled), or a repair asked on a drift issue. */
  drift: (intent, deps) => runDriftJob(intent, deps),
  /** A merge queue's group to check (and apply, with `apply: in_merge_queue`), or one that left the queue. */
  merge_group: (intent, deps) => runMergeGroupJob(intent, deps),
};

export function runJob(intent: JobIntent, deps: JobDeps, signal: AbortSignal): Promise<unknown> {
  // TypeScript cannot correlate the union with the table's key; the table's type guarantees it.
  const handler = routes[intent.kind] as Handler<typeof intent.kind>;
  return handler(intent as never, deps, signal);
}
