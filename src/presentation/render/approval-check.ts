// The `slipway/approval` check: who approved what, and what is still missing. Pure.
import type { ApprovalEvaluation } from "../../policy/approvals.ts";
import { CHECK_RUN_TEXT_MAX, cutAtLineBoundary } from "./github-limits.ts";

export const APPROVAL_CHECK_NAME = "slipway/approval";

export interface RenderedApprovalCheck {
  name: string;
  conclusion: "success" | "failure";
  title: string;
  summary: string;
  text: string;
}

export function renderApprovalCheck(evaluation: ApprovalEvaluation, headSha: string): RenderedApprovalCheck {
  const envs = evaluation.perEnvironment;
  const missing = envs.filter((e) => e.missing > 0);
  const title =
    envs.length === 0
      ? "No environment of this pull request needs approval"
      : missing.length === 0
        ? "Approved"
        : `Waiting for approval: ${missing.map((e) => `${e.name} needs ${e.missing} more`).join(", ")}`;
  const rows = envs.map((e) => `| ${e.name} | ${e.approvedBy.length} of ${e.required} | ${e.approvedBy.map((u) => `@${u}`).join(", ") || "—"} |`);
  const summary = [
    `Approvals for commit ${headSha.slice(0, 7)}. A new push needs new approvals unless \`approvals_survive: same_plan\` and the plans are unchanged.`,
    "",
    ...(envs.length > 0 ? ["| environment | approvals | approved by |", "| --- | --- | --- |", ...rows] : []),
  ].join("\n");
  const ignored = envs.flatMap((e) => e.ignored.map((i) => `- ${e.name}: @${i.user} ${i.why}`));
  const text = ignored.length > 0 ? `Approvals that do not count:\n${ignored.join("\n")}` : "";
  return {
    name: APPROVAL_CHECK_NAME,
    conclusion: missing.length === 0 ? "success" : "failure",
    title: title.slice(0, 255),
    summary,
    text: cutAtLineBoundary(text, CHECK_RUN_TEXT_MAX, "\n… more not shown").text,
  };
}
