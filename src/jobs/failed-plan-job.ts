// A plan whose last attempt threw (queue/final-failure.ts): GitHub or git failing, Redis away,
// a bug. Whatever checks it had opened would spin forever and the pull request would never hear
// of it, so the worker that saw it fail reports it as unfinished (unfinished-plan.ts), in safe
// words (domain/failure-reason.ts). Its run log has already ended (logs/job-log.ts: last attempt).
import type { PlanIntent } from "../domain/intent.ts";
import { pullKey } from "../domain/types.ts";
import { failureReason } from "../domain/failure-reason.ts";
import { renderFailedPlanCheck, renderFailedPlanComment } from "../presentation/render/failed-plan.ts";
import { reportUnfinishedPlan, type UnfinishedPlanDeps } from "./unfinished-plan.ts";

export async function reportFailedPlan(intent: PlanIntent, err: Error, deps: UnfinishedPlanDeps): Promise<void> {
  const pull = intent.pull;
  const reason = failureReason(err);
  const projects = await reportUnfinishedPlan(
    intent,
    { check: renderFailedPlanCheck(pull.headSha, reason), comment: (open) => renderFailedPlanComment(pull.headSha, reason, open), reason },
    deps,
  );
  deps.log.warn(
    { delivery: intent.deliveryId, pr: pullKey(pull), sha: pull.headSha, projects, reason },
    "plan failed on its last attempt: reported, not tried again",
  );
}
