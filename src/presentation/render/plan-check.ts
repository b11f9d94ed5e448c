// The check run of one project for one phase: `slipway/plan: <project>` / `slipway/apply: <project>`.

import type { ProjectRunResult } from "../../domain/types.ts";
import { CHECK_RUN_SUMMARY_MAX, CHECK_RUN_TEXT_MAX, CHECK_RUN_TITLE_MAX, cutAtLineBoundary } from "./github-limits.ts";
import { escapeHtml, inlineCode, oneLine } from "./markdown.ts";
import { fitOutputBlock, prepareOutput } from "./output-block.ts";
import { renderResourceList } from "./resource-list.ts";
import { extraCounts, formatCounts, statusHeadline, statusIcon, statusLabel, type Phase, type RunStatus } from "./run-status.ts";

/** The conclusions Slipway sets (a subset of GitHub's). */
export type CheckConclusion = "success" | "failure" | "neutral";

export interface RenderedCheck {
  name: string;
  conclusion: CheckConclusion;
  title: string;
  summary: string;
  text: string;
}

// SPEC §6: changes succeed, no changes are neutral, failures fail. A superseded run is neutral:
// it describes an old head, so it must neither block nor pass anything. A lock held by another
// PR fails, so the PR cannot merge on a plan that never ran.
const CONCLUSIONS: Record<RunStatus, CheckConclusion> = {
  changes: "success",
  no_changes: "neutral",
  error: "failure",
  timed_out: "failure",
  locked: "failure",
  superseded: "neutral",
};

/** A check run has room: list many addresses, each bounded (resource-list.ts). */
const CHECK_RESOURCES_SHOWN = 200;

export function checkRunName(phase: Phase, project: string): string {
  return `slipway/${phase}: ${project}`;
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "unknown";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const whole = Math.round(s);
  return `${Math.floor(whole / 60)} min ${whole % 60} s`;
}

function title(result: ProjectRunResult, phase: Phase): string {
  const headline = statusHeadline(result, phase);
  const withReason = (result.status === "error" || result.status === "timed_out") && result.reason ? `${headline}: ${result.reason}` : headline;
  return oneLine(withReason, CHECK_RUN_TITLE_MAX);
}

function explanation(result: ProjectRunResult, phase: Phase, sha: string): string {
  const reason = result.reason ? escapeHtml(oneLine(result.reason, 4_000)) : "";
  switch (result.status) {
    case "superseded":
      return `This ${phase} describes ${sha}, which is no longer the head of the pull request; a newer commit replaced it.`;
    case "locked":
      return `Another pull request holds this project's lock${reason ? ` (${reason})` : ""}. It is released when that pull request is merged or closed, or when someone comments \`/unlock\` on it; then comment \`/plan\` here.`;
    case "timed_out":
      return `The ${phase} did not finish in time and was stopped.${reason ? ` ${reason}` : ""}`;
    case "error":
      return reason ? `**Reason:** ${reason}` : "";
    default:
      return "";
  }
}

function summary(result: ProjectRunResult, phase: Phase, headSha: string): string {
  const sha = inlineCode(headSha.slice(0, 7));
  const counts = result.counts ? ` (\`${formatCounts(result.counts)}\`)` : "";
  const lines = [
    `**${statusIcon(result.status)} ${escapeHtml(statusLabel(result))}**${counts}`,
    "",
    `- Project: ${inlineCode(oneLine(result.project, 200))}`,
    `- Dir: ${inlineCode(oneLine(result.dir, 300))}`,
    ...(result.environment ? [`- Environment: ${inlineCode(oneLine(result.environment, 100))}`] : []),
    `- Commit: ${sha}`,
    `- Duration: ${formatDuration(result.durationMs)}`,
  ];
  if (result.counts) {
    const c = result.counts;
    const extra = extraCounts(c);
    // Terraform counts a replacement as one add and one destroy; say so, or "1 to add, 1 to
    // destroy, 1 to replace" reads like three resources.
    const note = extra ? ` (${extra}${c.replace ? "; each replacement counts as one add and one destroy" : ""})` : "";
    lines.push(`- Resources: ${c.add} to add, ${c.change} to change, ${c.destroy} to destroy${note}`);
  }
  const resources = renderResourceList(result, CHECK_RESOURCES_SHOWN);
  if (resources) lines.push("", resources.trimEnd());
  const why = explanation(result, phase, sha);
  if (why) lines.push("", why);
  const text = lines.join("\n") + "\n";
  // Every part above is bounded; the cut is a guard, not an expected path.
  return cutAtLineBoundary(text, CHECK_RUN_SUMMARY_MAX, "").text;
}

export function renderPlanCheck(result: ProjectRunResult, opts: { phase: Phase; headSha: string }): RenderedCheck {
  return {
    name: checkRunName(opts.phase, result.project),
    conclusion: CONCLUSIONS[result.status],
    title: title(result, opts.phase),
    summary: summary(result, opts.phase, opts.headSha),
    text: fitOutputBlock(prepareOutput(result), CHECK_RUN_TEXT_MAX),
  };
}
