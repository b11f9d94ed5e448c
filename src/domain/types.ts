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
  /** The pull request's title, for people to recognise it (jobs queued before it was carried have none). */
  title?: string;
}

/** The three results a plan can have, by terraform's `-detailed-exitcode` convention (0, 2, other). */
export type PlanStatus = "no_changes" | "changes" | "error";

/**
 * Resource counts, when the tool gives them (`Plan: 1 to add, 2 to change, 3 to destroy.`).
 * `add`, `change` and `destroy` count as terraform's own summary line does, so the table agrees
 * with the output next to it: a replacement is one add and one destroy. The optional fields are
 * only known from a JSON plan (`terraform show -json`); absent means "not known", not zero.
 */
export interface ChangeCounts {
  add: number;
  change: number;
  destroy: number;
  /** Of `add` and `destroy`, how many pairs are replacements of one resource. */
  replace?: number;
  /** Resources imported into the state (with or without another change). */
  import?: number;
  /** Resources moved to a new address (a `moved` block), with or without another change. */
  move?: number;
  /** Resources removed from the state without being destroyed (a `removed` block). */
  forget?: number;
}

/** What a plan does to one resource, read from terraform's `change.actions`. */
export type ResourceAction = "create" | "update" | "delete" | "replace" | "read" | "forget" | "no-op";

/** One resource a plan touches. `no-op` appears only for a pure import or move. */
export interface ResourceChange {
  address: string;
  action: ResourceAction;
  /** Set when a `moved` block gives the resource a new address. */
  previousAddress?: string;
  importing?: boolean;
  /** The deposed object's key, for the leftover of a failed create-before-destroy. */
  deposed?: string;
}

/** What a user sees of one project's run (plan or apply), already redacted and ANSI-free. */
export interface ProjectRunResult {
  project: ProjectName;
  dir: string;
  environment?: string;
  status: PlanStatus | "superseded" | "timed_out" | "locked";
  counts?: ChangeCounts;
  /**
   * The resources the plan touches, by address (built-in terraform/opentofu workflows only, from
   * their JSON plan). Possibly cut to a bounded number; `resourceChangesTotal` says how many.
   */
  resourceChanges?: ResourceChange[];
  resourceChangesTotal?: number;
  /** Human explanation when status is not a plain result (error cause, lock holder, timeout). */
  reason?: string;
  /** Output kept for display: the runner's bounded capture, possibly already cut. */
  output: string;
  /** True when `output` is not the whole log (the runner or a renderer cut it). */
  truncated: boolean;
  /** Where the whole log can be read when `truncated`. */
  fullLogPath?: string;
  /** The console page with the run's whole log (SLIPWAY_PUBLIC_URL), when the run kept one. */
  fullLogUrl?: string;
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
