// The drift issue of a project: what differs between the default branch and the world. Pure.
import type { ProjectRunResult } from "../../domain/types.ts";
import { ISSUE_COMMENT_BODY_MAX } from "./github-limits.ts";
import { fitOutputBlock, prepareOutput } from "./output-block.ts";

export const DRIFT_LABEL = "drift";

/** Found again by this marker, so a renamed title does not open a second issue. */
export function driftMarker(project: string): string {
  return `<!-- slipway:drift:${encodeURIComponent(project)} -->`;
}

export function driftIssueTitle(project: string): string {
  return `Drift: ${project}`;
}

export function renderDriftIssue(result: ProjectRunResult, sha: string, opts: { remediate: boolean; note?: string }): string {
  const head = [
    driftMarker(result.project),
    `## Drift in \`${result.project}\``,
    "",
    `The world no longer matches \`${result.dir}\` at ${sha.slice(0, 7)} on the default branch: its plan shows changes${result.counts ? ` (+${result.counts.add} ~${result.counts.change} -${result.counts.destroy})` : ""}.`,
    opts.remediate
      ? "Slipway repairs it (`drift.remediate: true`)."
      : "An approver can comment `/apply` here to restore the desired state, or change the code to accept what the world now is.",
    ...(opts.note ? ["", opts.note] : []),
    "",
    "",
  ].join("\n");
  const budget = ISSUE_COMMENT_BODY_MAX - head.length - 200;
  return head + fitOutputBlock(prepareOutput(result), budget);
}

export function renderDriftResolved(project: string, sha: string, how: "gone" | "remediated"): string {
  return how === "remediated"
    ? `${driftMarker(project)}\nDrift in \`${project}\` was repaired by applying ${sha.slice(0, 7)}; the world matches the default branch again.`
    : `${driftMarker(project)}\nNo drift left in \`${project}\` at ${sha.slice(0, 7)}: the world matches the default branch again.`;
}

/** A repair whose worker died mid-apply: said on the drift issue (or in a new one), never re-run on its own. */
export function renderRepairInterrupted(project: string, sha: string, interrupted: string): string {
  return `The repair of \`${project}\` at ${sha.slice(0, 7)} was ${interrupted}: the worker applying it stopped, so the world may be half-repaired. Check the infrastructure, then an approver comments \`/apply\` here to repair it again.`;
}
