// A pull request merged or closed: its project locks are released and the pull requests that
// waited for them are planned again. Approvals stay: the deploy of a merge reads them.
import type { PullClosedIntent } from "../domain/intent.ts";
import type { JobDeps } from "./deps.ts";
import { releaseLocks } from "./release-locks.ts";

export async function runPullClosedJob(
  intent: PullClosedIntent,
  deps: Pick<JobDeps, "github" | "locks" | "dispatcher" | "audit" | "log">,
): Promise<{ released: string[] }> {
  const gh = await deps.github.forRepo(intent.repo);
  const released = await releaseLocks(deps, gh, intent.repo, intent.pullNumber, [], intent.deliveryId, {
    actor: "slipway",
    ...(intent.merged ? { via: "merge" as const } : {}),
    reason: intent.merged ? "the pull request merged" : "the pull request closed",
  });
  deps.log.info({ delivery: intent.deliveryId, pr: intent.pullNumber, merged: intent.merged, released }, "pull request closed: locks released");
  return { released };
}
