// A project lock released from outside the pull request (`DELETE /api/v1/locks/…`, the console):
// released here, in a worker, so the pull request is told in a comment and the pull requests
// waiting for the lock are planned — with the queue's retries if GitHub is down meanwhile.
import type { UnlockIntent } from "../domain/intent.ts";
import type { JobDeps } from "./deps.ts";
import { releaseLocks } from "./release-locks.ts";

export async function runUnlockJob(
  intent: UnlockIntent,
  deps: Pick<JobDeps, "github" | "locks" | "dispatcher" | "audit" | "log">,
): Promise<{ released: boolean }> {
  const installationId = await deps.github.installationOf(intent.repo.owner, intent.repo.name);
  const repo = { ...intent.repo, installationId };
  const gh = await deps.github.forRepo(repo);
  const where = intent.via === "api" ? "through the API" : "from the console";
  const released = await releaseLocks(deps, gh, repo, intent.pullNumber, [intent.project], intent.deliveryId, {
    actor: intent.by,
    via: intent.via,
    reason: `released ${where}`,
  });
  if (released.length === 0) {
    deps.log.info({ delivery: intent.deliveryId, pr: intent.pullNumber, project: intent.project }, "lock to release was no longer held by the pull request");
    return { released: false };
  }
  await gh.createComment(
    intent.pullNumber,
    `The lock of \`${intent.project}\` held by this pull request was released by ${intent.by} ${where}. Comment \`/plan\` to take it again.`,
  );
  return { released: true };
}
