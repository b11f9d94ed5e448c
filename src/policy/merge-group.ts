// What a merge queue's group may do (SPEC §11). Pure: the job gathers the facts — the group's
// pull requests, their approvals, the plans at the group's commit — and carries the answer out.
import type { ProjectRunResult } from "../domain/types.ts";
import type { ApprovalEvaluation } from "./approvals.ts";
import type { EnvironmentGate } from "./approvers.ts";

/** One pull request of the group: its approvals at its own head, or null when it has no plan there. */
export interface GroupPull {
  number: number;
  headSha: string;
  evaluation: ApprovalEvaluation | null;
}

/** Approved when every pull request of the group has, at its own head, the approvals it needs. */
export function groupApproved(pulls: GroupPull[]): boolean {
  return pulls.length > 0 && pulls.every((p) => p.evaluation?.satisfied === true);
}

export type GroupApplyDecision = { kind: "none" } | { kind: "refuse"; reason: string } | { kind: "apply" };

/** Whether the group's plans are applied at its commit (`apply: in_merge_queue`). */
export function decideGroupApply(f: {
  mode: "after_merge" | "before_merge" | "in_merge_queue";
  pulls: number[];
  plans: ProjectRunResult[];
  approved: boolean;
}): GroupApplyDecision {
  if (f.mode !== "in_merge_queue" || f.plans.length === 0) return { kind: "none" };
  if (f.pulls.length > 1) {
    const prs = f.pulls.map((n) => `#${n}`).join(", ");
    return {
      kind: "refuse",
      reason: `this group holds ${f.pulls.length} pull requests (${prs}): with \`apply: in_merge_queue\` each pull request is applied on its own. Set the merge queue's maximum group size to 1 (branch protection → merge queue → "Maximum pull requests to merge").`,
    };
  }
  const failed = f.plans.filter((p) => p.status !== "changes" && p.status !== "no_changes");
  if (failed.length > 0)
    return { kind: "refuse", reason: `the plan of ${failed.map((p) => `\`${p.project}\``).join(", ")} at the group's commit did not succeed.` };
  if (!f.approved) return { kind: "refuse", reason: "approvals are missing (see `slipway/approval`): nothing is applied unapproved." };
  return { kind: "apply" };
}

export type ProjectStep = { kind: "apply" } | { kind: "skip"; reason: string; conclusion: "neutral" | "failure" };

/**
 * One project of an applying group, in `depends_on` order: applied, or why not. A `manual`
 * environment waits for `/apply <environment>` after merge, and so does whatever depends on it.
 */
export function projectStep(
  plan: ProjectRunResult,
  gate: EnvironmentGate | undefined,
  upstream: { name: string; outcome: "applied" | "waiting" | "failed" }[],
  /** For a project whose digest is exact (policy/plan-match.ts): the digest of the plan its approvals were given for. */
  approved?: { digest: string | undefined },
): ProjectStep {
  const failed = upstream.find((u) => u.outcome === "failed");
  if (failed) return { kind: "skip", conclusion: "failure", reason: `not applied: \`${failed.name}\` failed to apply.` };
  // SPEC §7: only the approved plan is applied. The group's commit is not the pull request's
  // head; when its plan differs from the approved one, the pull request must be planned and
  // approved again (its own plan shows the difference) before it is queued again.
  if (approved && plan.status === "changes" && approved.digest !== plan.planDigest)
    return {
      kind: "skip",
      conclusion: "failure",
      reason: `not applied: the plan at the group's commit differs from the plan that was approved${approved.digest === undefined ? " (none was)" : ""}. Comment \`/plan\` on the pull request, approve the new plan, and queue it again.`,
    };
  if (gate?.manual && plan.environment)
    return { kind: "skip", conclusion: "neutral", reason: `\`${plan.environment}\` is manual: applied after merge with \`/apply ${plan.environment}\`.` };
  const waiting = upstream.find((u) => u.outcome === "waiting");
  if (waiting) return { kind: "skip", conclusion: "neutral", reason: `waits for \`${waiting.name}\`, applied after merge.` };
  if (plan.status === "no_changes") return { kind: "skip", conclusion: "neutral", reason: "no changes: nothing to apply." };
  return { kind: "apply" };
}
