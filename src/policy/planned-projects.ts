// What the recorded plan of a pull request says about one commit: which projects are planned
// there, which environments they touch, and their plan digests. Every command that reads the
// plan reads it through these, so "planned at the head" means the same thing everywhere. Pure.

/** One project of the recorded plan, as decisions read it (the store keeps more). */
export interface PlannedProjectFact {
  name: string;
  environment?: string;
  /** The commit this project's plan describes. */
  headSha: string;
  status: string;
  /** Set once applied before merge: the commit the apply ran at. */
  appliedSha?: string;
  /** Normalised digest of the plan output, when the workflow gives one. */
  planDigest?: string;
}

/** The recorded plan of a pull request: the head it was made for, and its projects. */
export interface RecordedPlan {
  headSha: string;
  projects: PlannedProjectFact[];
}

/** The projects planned at `sha`. A superseded plan was cancelled half-way: it describes nothing. */
export function plannedAt(plan: RecordedPlan | null, sha: string): PlannedProjectFact[] {
  return (plan?.projects ?? []).filter((p) => p.headSha === sha && p.status !== "superseded");
}

/** Whether the plan of `sha` is recorded (it may still have planned nothing, or failed). */
export function isPlannedAt(plan: RecordedPlan | null, sha: string): boolean {
  return plan !== null && plan.headSha === sha;
}

/**
 * Project → plan digest at `sha`: what an approval carries so `approvals_survive: same_plan` can
 * compare it with a later head's plan. Undefined while the plan of `sha` is not recorded — an
 * approval made then gets its digests when the plan is recorded (see approval-store.ts).
 */
export function planDigestsAt(plan: RecordedPlan | null, sha: string): Record<string, string> | undefined {
  if (!isPlannedAt(plan, sha)) return undefined;
  const digests: Record<string, string> = {};
  for (const p of plannedAt(plan, sha)) if (p.planDigest) digests[p.name] = p.planDigest;
  return digests;
}

/** The environments the plan of `sha` touches, sorted. */
export function environmentsAt(plan: RecordedPlan | null, sha: string): string[] {
  return [...new Set(plannedAt(plan, sha).flatMap((p) => (p.environment ? [p.environment] : [])))].sort();
}
