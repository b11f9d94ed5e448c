// A GitHub review counts as `/approve` (APPROVED) or withdraws the reviewer's approval
// (CHANGES_REQUESTED), for the commit the review was made on — also while that commit's plan is
// still running: the approval is recorded at once and counts when the plan is (SPEC §7).
import type { ReviewIntent } from "../domain/intent.ts";
import { People } from "../github/people.ts";
import { decideReview } from "../policy/command-decisions.ts";
import { effectiveGates } from "../policy/gates.ts";
import { approvalOf, readPlan, recordApproval, withdrawApprovals } from "./approval-status.ts";
import type { JobDeps } from "./deps.ts";
import { loadConfigs, validConfig } from "./load-configs.ts";

export async function runReviewJob(intent: ReviewIntent, deps: JobDeps): Promise<{ recorded: boolean }> {
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
  const loaded = await loadConfigs(deps.workspaces, { pull: pull.facts, token: await gh.token() });
  const head = validConfig(loaded.head);
  const base = validConfig(loaded.base);
  const configs = { head, base, gates: effectiveGates(base, head) };
  const action = decision.action;
  if (action.kind === "approve") await recordApproval(deps, gh, pull.facts, configs, approvalOf(intent.user, action, "review"));
  else await withdrawApprovals(deps, gh, pull.facts, configs, intent.user);
  log.info({ state: intent.state, sha: intent.commitId, head: pull.facts.headSha, planned: action.kind === "approve" && action.planDigests !== undefined }, "review taken into account");
  return { recorded: action.kind === "approve" };
}
