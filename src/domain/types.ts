// Types shared by every layer. Plain, serialisable data only: these cross process boundaries
// inside BullMQ jobs, so no classes, no functions, no Dates.

export type Sha = string;
export type ProjectName = string;

export interface RepoRef {
  owner: string;
  name: string;
  installationId: number;
}

export interface PullRef {
  repo: RepoRef;
  number: number;
  headSha: Sha;
  headRef: string;
  baseRef: string;
  author: string;
}

/** The three results a plan can have, by terraform's `-detailed-exitcode` convention (0, 2, other). */
export type PlanStatus = "no_changes" | "changes" | "error";

/** Resource counts, when the tool prints them (`Plan: 1 to add, 2 to change, 3 to destroy.`). */
export interface ChangeCounts {
  add: number;
  change: number;
  destroy: number;
}

/** What a user sees of one project's run (plan or apply), already redacted and ANSI-free. */
export interface ProjectRunResult {
  project: ProjectName;
  dir: string;
  environment?: string;
  status: PlanStatus | "superseded" | "timed_out" | "locked";
  counts?: ChangeCounts;
  /** Human explanation when status is not a plain result (error cause, lock holder, timeout). */
  reason?: string;
  /** Output kept for display: the runner's bounded capture, possibly already cut. */
  output: string;
  /** True when `output` is not the whole log (the runner or a renderer cut it). */
  truncated: boolean;
  /** Where the whole log can be read when `truncated`. */
  fullLogPath?: string;
  /** Normalised digest of the plan output, for approvals that survive an unchanged plan. */
  planDigest?: string;
  durationMs: number;
}

/** A failure with a stable code: errors crossing processes are matched by code, never instanceof. */
export class SlipwayError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "SlipwayError";
  }
}

/** Identifies one pull request across the stores (latest head, sticky comment, cancellation). */
export function pullKey(p: { repo: { owner: string; name: string }; number: number }): string {
  return `${p.repo.owner}/${p.repo.name}#${p.number}`;
}
