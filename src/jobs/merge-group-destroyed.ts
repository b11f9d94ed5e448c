// A merge queue's group that left the queue. Merged: its commit is now the base branch, and its
// deploy knows what the group applied. Dequeued or invalidated after it applied
// (`apply: in_merge_queue`): the world is ahead of the default branch. The pull request is told,
// and a drift run of the base branch follows — it opens a drift issue for each project that
// differs, or with `drift.remediate: true` applies the default branch again (drift-job.ts).
import type { MergeGroupIntent } from "../domain/intent.ts";
import type { JobDeps } from "./deps.ts";

export async function runMergeGroupDestroyed(intent: MergeGroupIntent, deps: JobDeps): Promise<{ outcome: "destroyed"; notified: boolean }> {
  if (intent.reason === "merged") return { outcome: "destroyed", notified: false };
  const repoName = `${intent.repo.owner}/${intent.repo.name}`;
  // Marked first, so that an apply of the group not yet started never starts; a failed apply may
  // have changed part of the world too, so every attempt counts here.
  const applied = await deps.deploys.markQueueGroupGone(repoName, intent.headSha, intent.reason ?? "removed");
  if (applied.length === 0) return { outcome: "destroyed", notified: false };
  const gh = await deps.github.forRepo(intent.repo);
  const succeeded = new Set(await deps.deploys.queueApplied(repoName, intent.headSha));
  const list = (names: string[]) => names.map((p) => `\`${p}\``).join(", ");
  const done = applied.filter((p) => succeeded.has(p));
  const failed = applied.filter((p) => !succeeded.has(p));
  const what = [done.length > 0 ? `applied ${list(done)}` : "", failed.length > 0 ? `tried to apply ${list(failed)} (failed, possibly half-way)` : ""]
    .filter(Boolean)
    .join(" and ");
  if (intent.pullNumber !== undefined) {
    await gh.createComment(
      intent.pullNumber,
      [
        `**Applied, but not merged.** The merge queue group ${intent.headSha.slice(0, 7)} ${what}, then left the queue without merging (${intent.reason ?? "removed"}).`,
        "",
        `The world is now ahead of \`${intent.baseRef}\`: Slipway checks the base branch against it and reports the drift in an issue labelled \`drift\` (or, with \`drift.remediate: true\`, applies \`${intent.baseRef}\` again). Add this pull request to the queue again to apply and merge it.`,
      ].join("\n"),
    );
  }
  await deps.dispatcher.drift({
    kind: "drift",
    deliveryId: `queue-${intent.deliveryId}`,
    repo: intent.repo,
    branch: intent.baseRef,
    ...(intent.pullNumber !== undefined ? { afterQueueOf: intent.pullNumber } : {}),
  });
  deps.log.warn({ repo: repoName, sha: intent.headSha, reason: intent.reason, projects: applied }, "merge group applied but left the queue unmerged");
  return { outcome: "destroyed", notified: true };
}
