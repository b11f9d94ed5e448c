// Queue names, job ids and options. Job ids are deterministic so that a redelivered webhook, or
// the `push` that accompanies `pull_request.opened`, adds nothing: BullMQ ignores an add whose id
// already exists while that job is kept.
import type { ApplyIntent, DeployIntent, DriftIntent, EventIntent, MergeGroupIntent, PlanIntent } from "../domain/intent.ts";
import type { JobsOptions } from "bullmq";

export const PLAN_QUEUE = "plans";
/** Comments, reviews, closed pull requests: short jobs, each answering one delivery. */
export const EVENT_QUEUE = "events";
/** Applies change the world: never retried automatically (see applyJobOptions). */
export const APPLY_QUEUE = "applies";

/** Completed jobs are kept a day: long enough to absorb GitHub's redeliveries. */
export const KEEP_COMPLETED = { age: 24 * 3600, count: 50_000 };
export const KEEP_FAILED = { age: 7 * 24 * 3600, count: 50_000 };

export function planJobId(intent: PlanIntent): string {
  const { repo, number, headSha } = intent.pull;
  // BullMQ forbids ':' in ids; GitHub names cannot contain '/', so '/' separates unambiguously.
  const base = `plan/${repo.owner}/${repo.name}/${number}/${headSha}`;
  // A command is its own request: `/plan` twice on one head plans twice, a redelivery does not.
  return intent.trigger === "command" ? `${base}/cmd/${intent.deliveryId}` : base;
}

export function planJobOptions(intent: PlanIntent): JobsOptions {
  return {
    jobId: planJobId(intent),
    // A plan is read-only and safe to retry when a worker dies mid-way.
    attempts: 2,
    backoff: { type: "fixed", delay: 1000 },
    removeOnComplete: KEEP_COMPLETED,
    removeOnFail: KEEP_FAILED,
  };
}

export function eventJobOptions(intent: EventIntent): JobsOptions {
  return {
    jobId: `${intent.kind}/${intent.deliveryId}`,
    attempts: 3,
    backoff: { type: "exponential", delay: 1000 },
    removeOnComplete: KEEP_COMPLETED,
    removeOnFail: KEEP_FAILED,
  };
}

export function applyJobOptions(intent: ApplyIntent): JobsOptions {
  const { repo, number, headSha } = intent.pull;
  return {
    jobId: `apply/${repo.owner}/${repo.name}/${number}/${headSha}/${intent.deliveryId}`,
    // An apply interrupted half-way must be looked at by a human, not run again on its own.
    attempts: 1,
    removeOnComplete: KEEP_COMPLETED,
    removeOnFail: KEEP_FAILED,
  };
}

export function deployJobOptions(intent: DeployIntent): JobsOptions {
  const base = `deploy/${intent.repo.owner}/${intent.repo.name}/${intent.sha}`;
  return {
    // One deploy per commit, whichever of `push` and `pull_request.closed` comes first; a
    // release of a waiting environment is its own request.
    jobId: intent.release ? `${base}/release/${intent.release.environment}/${intent.deliveryId}` : base,
    attempts: 1,
    removeOnComplete: KEEP_COMPLETED,
    removeOnFail: KEEP_FAILED,
  };
}

export function mergeGroupJobOptions(intent: MergeGroupIntent): JobsOptions {
  return {
    // One job per group and action: a redelivery adds nothing. The group's commit is new for
    // each group (GitHub builds it afresh), so its SHA names the group.
    jobId: `merge_group/${intent.repo.owner}/${intent.repo.name}/${intent.headSha}/${intent.action}`,
    // It may apply (in_merge_queue): never retried on its own.
    attempts: 1,
    removeOnComplete: KEEP_COMPLETED,
    removeOnFail: KEEP_FAILED,
  };
}

export function driftJobOptions(intent: DriftIntent): JobsOptions {
  return {
    jobId: `drift/${intent.repo.owner}/${intent.repo.name}/${intent.deliveryId}`,
    attempts: 1,
    removeOnComplete: KEEP_COMPLETED,
    removeOnFail: KEEP_FAILED,
  };
}

/** One drift schedule per repository: re-registering it replaces the old one. */
export function driftSchedulerId(repo: { owner: string; name: string }): string {
  return `drift/${repo.owner}/${repo.name}`;
}
