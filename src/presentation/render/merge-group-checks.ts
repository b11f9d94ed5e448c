// Checks on a merge queue's group commit: its approval (every pull request of the group) and the
// apply checks of a group that is not applied, saying why. Pure.
import type { ProjectRunResult } from "../../domain/types.ts";
import type { GroupPull } from "../../policy/merge-group.ts";
import { APPROVAL_CHECK_NAME, renderApprovalCheck } from "./approval-check.ts";
import { CHECK_RUN_TEXT_MAX, cutAtLineBoundary, ISSUE_COMMENT_BODY_MAX } from "./github-limits.ts";
import { fitOutputBlock, prepareOutput } from "./output-block.ts";

export interface RenderedCheck {
  name: string;
  conclusion: "success" | "failure" | "neutral";
  title: string;
  summary: string;
  text?: string;
}

export function renderGroupApprovalCheck(pulls: GroupPull[], headSha: string): RenderedCheck {
  const missing = pulls.filter((p) => p.evaluation?.satisfied !== true);
  const lines = pulls.map((p) => {
    if (!p.evaluation) return `- #${p.number}: not planned at its head ${p.headSha.slice(0, 7)}, so not approved`;
    const own = renderApprovalCheck(p.evaluation, p.headSha);
    return `- #${p.number} at ${p.headSha.slice(0, 7)}: ${own.title}`;
  });
  const title =
    pulls.length === 0
      ? "No pull request found in this merge group"
      : missing.length === 0
        ? `Approved: ${pulls.map((p) => `#${p.number}`).join(", ")}`
        : `Waiting for approval: ${missing.map((p) => `#${p.number}`).join(", ")}`;
  const summary = [
    `Merge queue group at ${headSha.slice(0, 7)}: each pull request needs, at its own head, the approvals its environments require.`,
    "",
    ...lines,
  ].join("\n");
  return {
    name: APPROVAL_CHECK_NAME,
    conclusion: pulls.length > 0 && missing.length === 0 ? "success" : "failure",
    title: title.slice(0, 255),
    summary: cutAtLineBoundary(summary, CHECK_RUN_TEXT_MAX, "\n… more not shown").text,
  };
}

export function renderGroupApplyCheck(project: string, headSha: string, conclusion: "neutral" | "failure", reason: string): RenderedCheck {
  const title = conclusion === "failure" ? `Not applied: ${reason}` : `Not applied in the queue: ${reason}`;
  return {
    name: `slipway/apply: ${project}`,
    conclusion,
    title: title.slice(0, 255),
    summary: `Merge queue group at ${headSha.slice(0, 7)}: \`${project}\` ${conclusion === "failure" ? "was refused" : "is not applied here"} — ${reason}`,
  };
}

/** A project the group does not change: its required check passes, saying so. */
export function renderUntouchedCheck(name: string, headSha: string): RenderedCheck {
  return {
    name,
    conclusion: "neutral",
    title: "Not changed by this merge group",
    summary: `The merge queue group at ${headSha.slice(0, 7)} changes no file of this project: nothing to plan or apply.`,
  };
}

/** On the pull request: its apply in the merge queue failed, so the queue takes it out. */
export function renderGroupApplyFailed(result: ProjectRunResult, headSha: string, baseRef: string): string {
  const head = [
    `**\`${result.project}\` failed to apply in the merge queue** (group commit ${headSha.slice(0, 7)}): ${result.reason ?? result.status.replace("_", " ")}.`,
    "",
    `The failed \`slipway/apply: ${result.project}\` check takes this pull request out of the queue, and \`${baseRef}\` does not move. The apply may have changed part of the world: check it, fix the change, and add the pull request to the queue again.`,
    "",
    "",
  ].join("\n");
  return head + fitOutputBlock(prepareOutput(result), ISSUE_COMMENT_BODY_MAX - head.length - 200);
}
