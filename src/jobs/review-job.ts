// A GitHub review counts as `/approve` (APPROVED) or withdraws the reviewer's approval
// (CHANGES_REQUESTED), for the commit the review was made on.
import type { ReviewIntent } from "../domain/intent.ts";
import { effectiveGates } from "../policy/gates.ts";
import { canRunCommands } from "../policy/permissions.ts";
import { pullKey } from "../domain/types.ts";
import { publishApprovalCheck, repoPermission, usesApprovals } from "./approval-status.ts";
import type { JobDeps } from "./deps.ts";
import { loadConfigs, validConfig } from "./load-configs.ts";

export async function runReviewJob(intent: ReviewIntent, deps: JobDeps): Promise<{ recorded: boolean }> {
  const gh = await deps.github.forRepo(intent.repo);
  const pull = await gh.getPull(intent.pullNumber);
  const key = pullKey(pull.facts);
  const log = deps.log.child({ delivery: intent.deliveryId, pr: key, user: intent.user });
  let recorded = false;
  if (intent.state === "changes_requested") {
    await deps.approvals.withdraw(key, intent.user);
  } else {
    // Anyone may review a public repository; only people who may run commands may approve.
    const level = await repoPermission(deps, gh, intent.user);
    const plan = await deps.plans.get(key);
    if (!canRunCommands(level) || !plan || plan.headSha !== intent.commitId) {
      log.info({ level, planned: plan?.headSha, reviewed: intent.commitId }, "review approval not recorded");
      return { recorded: false };
    }
    const digests: Record<string, string> = {};
    for (const p of Object.values(plan.projects)) if (p.headSha === intent.commitId && p.result.planDigest) digests[p.result.project] = p.result.planDigest;
    await deps.approvals.record(key, { user: intent.user, environments: "all", headSha: intent.commitId, planDigests: digests, source: "review", at: Date.now() });
    recorded = true;
  }
  log.info({ state: intent.state, sha: intent.commitId }, "review taken into account");
  const configs = await loadConfigs(deps.workspaces, { pull: pull.facts, token: await gh.token() });
  const head = validConfig(configs.head);
  const base = validConfig(configs.base);
  if (usesApprovals(head, base)) await publishApprovalCheck(deps, gh, pull.facts, effectiveGates(base, head));
  return { recorded };
}
