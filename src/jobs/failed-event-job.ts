// An event job failed for good (queue/final-failure.ts): its last attempt threw — GitHub or Redis
// failing, a bug — or its workers kept dying. A comment's commands would otherwise go unanswered,
// so its pull request (or issue) is told once, by the worker that saw it fail, in safe words
// (presentation/render/failed-command.ts). Reviews, closes and the API's unlocks are only logged:
// nobody waits on a reply to them.
import type { EventIntent } from "../domain/intent.ts";
import { failedCommandReply } from "../presentation/render/failed-command.ts";
import type { JobDeps } from "./deps.ts";

export type FailedEventDeps = Pick<JobDeps, "github" | "audit" | "log">;

/** `reason`: safe words only (domain/failure-reason.ts, or how often its workers stopped). */
export async function reportFailedEvent(intent: EventIntent, reason: string, deps: FailedEventDeps): Promise<void> {
  const reply = failedCommandReply(intent, reason);
  // Already logged by the worker ("job failed", or stalled-out-job.ts).
  if (!reply || intent.kind !== "comment") return;
  const repo = intent.repo;
  // SPEC §9 has no kind for a command that could not be completed: the command kind, with outcome
  // `error` (a refusal's is `refused`), says it was not (fully) carried out. Recorded before the
  // reply, which may fail too.
  await deps.audit.record({
    kind: "command.refused",
    actor: intent.user,
    repo: `${repo.owner}/${repo.name}`,
    pull: intent.pullNumber,
    ...(intent.releaseSha ? { sha: intent.releaseSha } : {}),
    outcome: "error",
    reason: `${reply.commands.join(", ")}: ${reason}`,
    delivery: intent.deliveryId,
    via: "comment",
  });
  const gh = await deps.github.forRepo(repo);
  await gh.createComment(intent.pullNumber, reply.body);
  deps.log.warn(
    { delivery: intent.deliveryId, pr: `${repo.owner}/${repo.name}#${intent.pullNumber}`, commands: reply.commands, reason },
    "commands failed for good: answered, not tried again",
  );
}
