// A plan or event job whose workers died under it too often (queue/stall-limit.ts): BullMQ fails
// it without running it, so nobody else would finish what it started. A plan is reported as
// unfinished (unfinished-plan.ts); an event is logged, and a comment's commands are answered that
// they could not be completed (failed-event-job.ts): how far it got before dying is unknown.
import type { EventIntent, PlanIntent } from "../domain/intent.ts";
import { pullKey } from "../domain/types.ts";
import { renderStalledPlanCheck, renderStalledPlanComment, workersStopped } from "../presentation/render/stalled-plan.ts";
import { reportFailedEvent } from "./failed-event-job.ts";
import { reportUnfinishedPlan, type UnfinishedPlanDeps } from "./unfinished-plan.ts";

export async function reportStalledOut(intent: PlanIntent | EventIntent, stops: number, deps: UnfinishedPlanDeps): Promise<void> {
  if (intent.kind !== "plan") {
    deps.log.warn({ delivery: intent.deliveryId, kind: intent.kind, stops }, "job not finished: its workers kept stopping; not tried again");
    return reportFailedEvent(intent, workersStopped(stops), deps);
  }
  const pull = intent.pull;
  const projects = await reportUnfinishedPlan(
    intent,
    {
      check: renderStalledPlanCheck(pull.headSha, stops),
      comment: (open) => renderStalledPlanComment(pull.headSha, stops, open),
      reason: workersStopped(stops),
    },
    deps,
  );
  deps.log.warn(
    { delivery: intent.deliveryId, pr: pullKey(pull), sha: pull.headSha, projects, stops },
    "plan not finished: its workers kept stopping; not tried again",
  );
}
