// A plan or event job whose workers died under it too often (queue/stall-limit.ts): BullMQ fails
// it without running it, so nobody else would finish what it started. A plan's open checks fail
// with why, and the pull request is told how to run it again; an event (a comment, a review, a
// close) is only logged, since how far it got before dying is unknown.
import type { EventIntent, PlanIntent } from "../domain/intent.ts";
import { pullKey } from "../domain/types.ts";
import { failOpenPlanChecks } from "../presentation/plan-checks.ts";
import { renderStalledPlanCheck, renderStalledPlanComment } from "../presentation/render/stalled-plan.ts";
import { planJobId } from "../queue/jobs.ts";
import type { JobDeps } from "./deps.ts";

type StalledOutDeps = Pick<JobDeps, "github" | "heads" | "openChecks" | "log">;

export async function reportStalledOut(intent: PlanIntent | EventIntent, stops: number, deps: StalledOutDeps): Promise<void> {
  if (intent.kind !== "plan") {
    deps.log.warn({ delivery: intent.deliveryId, kind: intent.kind, stops }, "job not finished: its workers kept stopping; not tried again");
    return;
  }
  const pull = intent.pull;
  const gh = await deps.github.forRepo(pull.repo);
  const projects = await failOpenPlanChecks(gh, deps.openChecks, planJobId(intent), pull.headSha, renderStalledPlanCheck(pull.headSha, stops));
  // A newer head has its own plan under way: a note about this one would only confuse.
  if (await deps.heads.isCurrent(pullKey(pull), pull.headSha)) {
    await gh.createComment(pull.number, renderStalledPlanComment(pull.headSha, stops, projects));
  }
  deps.log.warn(
    { delivery: intent.deliveryId, pr: pullKey(pull), sha: pull.headSha, projects, stops },
    "plan not finished: its workers kept stopping; not tried again",
  );
}
