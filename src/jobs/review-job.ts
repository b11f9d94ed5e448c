// A GitHub review counts as `/approve` (APPROVED) or withdraws the reviewer's approval
// (CHANGES_REQUESTED), for the commit the review was made on — also while that commit's plan is
// still running: the approval is recorded at once and counts when the plan is (SPEC §7).
import type { ReviewIntent } from "../domain/intent.ts";
import { People } from "../github/people.ts";
import { decideReview } from "../policy/command-decisions.ts";
import { approvalOf, loadPullConfigs, readPlan, recordApproval, withdrawApprovals } from "./approval-status.ts";
import type { JobDeps } from "./deps.ts";

export async function runReviewJob(
  intent: ReviewIntent,
  deps: Pick<JobDeps, "github" | "workspaces" | "plans" | "approvals" | "people" | "audit" | "log">,
): Promise<{ recorded: boolean }> {
  const gh = await deps.github.forRepo(intent.repo);
  const pull = await gh.getPull(intent.pullNumber);
  const log = deps.log.child({ delivery: intent.deliveryId, pr: `${intent.repo.owner}/${intent.repo.name}#${intent.pullNumber}`, user: intent.user });
  const decision = decideReview({
    login: intent.user,
    permission: await new People(gh, deps.people).permission(intent.user),
    state: intent.state,
    commitId: intent.commitId,
    plan: await readPlan(deps, pull.facts),
  });
  if (decision.verdict === "refuse") {
    // Not answered: a review is not a command, and anyone may review a public repository.
    log.info({ sha: intent.commitId, reason: decision.reason }, "review approval not recorded");
    return { recorded: false };
  }
  const configs = await loadPullConfigs(deps, gh, pull.facts);
  const action = decision.action;
  if (action.kind === "approve") await recordApproval(deps, gh, pull.facts, configs, approvalOf(intent.user, action, "review"), intent.deliveryId);
  else await withdrawApprovals(deps, gh, pull.facts, configs, intent.user, { via: "review", delivery: intent.deliveryId });
  log.info(
    { state: intent.state, sha: intent.commitId, head: pull.facts.headSha, planned: action.kind === "approve" && action.planDigests !== undefined },
    "review taken into account",
  );
  return { recorded: action.kind === "approve" };
}
