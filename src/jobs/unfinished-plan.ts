// A plan that ends for good without finishing (its workers kept dying, or its last attempt threw):
// nothing else will close what it opened or tell anyone. Its open checks fail with why, the audit
// trail records it, and the pull request is told how to run it again while this is still its head.
import type { PlanIntent } from "../domain/intent.ts";
import { pullKey } from "../domain/types.ts";
import type { CheckOutput } from "../github/port.ts";
import { failOpenPlanChecks } from "../presentation/plan-checks.ts";
import { planJobId } from "../queue/jobs.ts";
import type { JobDeps } from "./deps.ts";
import { auditOf } from "./plan-job.ts";

export type UnfinishedPlanDeps = Pick<JobDeps, "github" | "heads" | "openChecks" | "audit" | "log">;

export interface Unfinished {
  check: CheckOutput;
  /** The comment, given the projects whose checks were open (none if it ended before opening any). */
  comment: (projects: string[]) => string;
  /** Why, for the audit trail: safe words only. */
  reason: string;
}

/** Returns the projects whose checks it failed. */
export async function reportUnfinishedPlan(intent: PlanIntent, why: Unfinished, deps: UnfinishedPlanDeps): Promise<string[]> {
  const pull = intent.pull;
  const gh = await deps.github.forRepo(pull.repo);
  const projects = await failOpenPlanChecks(gh, deps.openChecks, planJobId(intent), pull.headSha, why.check);
  // Like a finished plan, one `plan` event per project, its outcome an error; one without a
  // project when it ended before knowing them. Recorded before the comment, which may fail.
  for (const project of projects.length > 0 ? projects : [undefined]) {
    await deps.audit.record({ ...auditOf(intent), kind: "plan", ...(project ? { project } : {}), outcome: "error", reason: why.reason });
  }
  // A newer head has its own plan under way: a note about this one would only confuse.
  if (await deps.heads.isCurrent(pullKey(pull), pull.headSha)) {
    await gh.createComment(pull.number, why.comment(projects));
  }
  return projects;
}
