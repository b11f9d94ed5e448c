// Opens a pull request that reverts a merged one: `/rollback`, or `on_apply_failure: revert_pr`
// when the merge failed to apply. The revert is a real commit pushed with the installation
// token, so it is planned, approved and deployed like any change. Both pull requests link.
import type { AuditVia } from "../audit/event.ts";
import type { RepoRef } from "../domain/types.ts";
import type { RepoGitHub } from "../github/port.ts";
import { revertCommit } from "../workspace/revert.ts";
import type { JobDeps } from "./deps.ts";

export interface RevertRequest {
  repo: RepoRef;
  pullNumber: number;
  mergeSha: string;
  baseRef: string;
  /** Why, for the new pull request's description: "requested by @carol", "the apply failed". */
  reason: string;
  /** Who asked, for the audit trail: a `/rollback`, or Slipway after a failed apply. */
  by: { actor: string; via: AuditVia; delivery: string };
}

export type RevertDeps = Pick<JobDeps, "workspaces" | "audit" | "log">;

export async function openRevertPull(deps: RevertDeps, gh: RepoGitHub, req: RevertRequest): Promise<{ number: number; htmlUrl: string }> {
  const token = await gh.token();
  const where = { owner: req.repo.owner, repo: req.repo.name, token };
  const head = await deps.workspaces.branchHead({ ...where, branch: req.baseRef });
  const worktree = await deps.workspaces.checkout({ ...where, sha: head });
  try {
    const title = `Revert #${req.pullNumber}`;
    await revertCommit(
      worktree.path,
      req.mergeSha,
      { name: "Slipway", email: "slipway@users.noreply.github.com" },
      `${title}\n\nThis reverts merge commit ${req.mergeSha}.`,
    );
    const branch = `slipway/revert-${req.pullNumber}-${req.mergeSha.slice(0, 7)}-${Date.now().toString(36)}`;
    await deps.workspaces.pushBranch(worktree, { ...where, branch });
    const pull = await gh.createPull({
      head: branch,
      base: req.baseRef,
      title,
      body: `Reverts #${req.pullNumber} (merge commit ${req.mergeSha}): ${req.reason}.\n\nIt is planned, approved and deployed like any other change.`,
    });
    await deps.audit.record({
      kind: "rollback",
      actor: req.by.actor,
      repo: `${req.repo.owner}/${req.repo.name}`,
      pull: req.pullNumber,
      sha: req.mergeSha,
      outcome: `opened #${pull.number}`,
      reason: req.reason,
      delivery: req.by.delivery,
      via: req.by.via,
    });
    await gh.createComment(req.pullNumber, `Opened #${pull.number} to revert this pull request (${req.reason}).`);
    deps.log.info({ pr: req.pullNumber, revert: pull.number, sha: req.mergeSha, reason: req.reason }, "revert pull request opened");
    return pull;
  } finally {
    await worktree.remove();
  }
}
