// Releases a pull request's project locks and plans again the pull requests that were waiting
// for them (the lock store queued them when they were refused).
import type { AuditVia } from "../audit/event.ts";
import type { RepoRef } from "../domain/types.ts";
import type { RepoGitHub } from "../github/port.ts";
import type { JobDeps } from "./deps.ts";

export type ReleaseLocksDeps = Pick<JobDeps, "locks" | "dispatcher" | "audit" | "log">;

/** Who released the locks, for the audit trail: the pull request's `/unlock`, its merge, its close. */
export interface ReleasedBy {
  actor: string;
  via?: AuditVia;
  reason: string;
}

export async function releaseLocks(
  deps: ReleaseLocksDeps,
  gh: RepoGitHub,
  repo: RepoRef,
  pullNumber: number,
  projects: string[],
  deliveryId: string,
  by: ReleasedBy,
): Promise<string[]> {
  const repoKey = { owner: repo.owner, repo: repo.name };
  const released =
    projects.length === 0
      ? await deps.locks.releaseAll(repoKey, pullNumber)
      : (await Promise.all(projects.map(async (project) => ((await deps.locks.release({ ...repoKey, project }, pullNumber)) ? project : null)))).filter(
          (p): p is string => p !== null,
        );
  for (const project of released)
    await deps.audit.record({
      kind: "lock.released",
      actor: by.actor,
      repo: `${repo.owner}/${repo.name}`,
      pull: pullNumber,
      project,
      outcome: "released",
      reason: by.reason,
      delivery: deliveryId,
      ...(by.via ? { via: by.via } : {}),
    });
  const waiting = new Set<number>();
  for (const project of released) for (const n of await deps.locks.takeWaiters({ ...repoKey, project })) if (n !== pullNumber) waiting.add(n);
  for (const number of waiting) {
    const other = await gh.getPull(number);
    if (other.state !== "open") continue;
    deps.log.info({ pr: number, releasedBy: pullNumber, projects: released }, "lock released: planning the waiting pull request");
    await deps.dispatcher.plan({ kind: "plan", deliveryId: `${deliveryId}-w${number}`, trigger: "command", pull: other.facts, requestedBy: "slipway" });
  }
  return released;
}
