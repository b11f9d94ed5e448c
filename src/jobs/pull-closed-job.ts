// A pull request merged or closed: its project locks are released and the pull requests that
// waited for them are planned again. Approvals go with it.
import type { PullClosedIntent } from "../domain/intent.ts";
import { pullKey } from "../queue/jobs.ts";
import type { JobDeps } from "./deps.ts";
import { releaseLocks } from "./release-locks.ts";

export async function runPullClosedJob(intent: PullClosedIntent, deps: JobDeps): Promise<{ released: string[] }> {
  const gh = await deps.github.forRepo(intent.repo);
  const released = await releaseLocks(deps, gh, intent.repo, intent.pullNumber, [], intent.deliveryId);
  await deps.approvals.forget(pullKey({ repo: intent.repo, number: intent.pullNumber }));
  deps.log.info({ delivery: intent.deliveryId, pr: intent.pullNumber, merged: intent.merged, released }, "pull request closed: locks released");
  return { released };
}
