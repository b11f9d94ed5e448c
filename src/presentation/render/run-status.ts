// How a project's result reads, in one place so the comment and the checks say the same thing.

import type { ChangeCounts, ProjectRunResult } from "../../domain/types.ts";
import { oneLine } from "./markdown.ts";

export type RunStatus = ProjectRunResult["status"];
export type Phase = "plan" | "apply";

const LABELS: Record<RunStatus, string> = {
  changes: "changes",
  no_changes: "no changes",
  error: "error",
  superseded: "superseded",
  timed_out: "timed out",
  locked: "locked",
};

const ICONS: Record<RunStatus, string> = {
  changes: "📝",
  no_changes: "✅",
  error: "❌",
  superseded: "⏭️",
  timed_out: "⏱️",
  locked: "🔒",
};

const EXTRA_COUNTS = ["replace", "import", "move", "forget"] as const;

/** "1 to replace, 2 to import": the counts only a JSON plan gives, when not zero; "" otherwise. */
export function extraCounts(counts: ChangeCounts): string {
  return EXTRA_COUNTS.filter((k) => (counts[k] ?? 0) > 0)
    .map((k) => `${counts[k]} to ${k}`)
    .join(", ");
}

/** `+1 ~2 -3`, `+1 ~0 -1 (1 to replace)`, or "" when the tool printed no counts. */
export function formatCounts(counts: ChangeCounts | undefined): string {
  if (!counts) return "";
  const extra = extraCounts(counts);
  return `+${counts.add} ~${counts.change} -${counts.destroy}${extra ? ` (${extra})` : ""}`;
}

/**
 * The short result users scan for: "changes", "no changes", "locked by #12", "timed out"…
 * A lock's reason names the holder; it is shown as given ("locked by #12") when it reads as one.
 */
export function statusLabel(result: ProjectRunResult): string {
  if (result.status === "locked" && result.reason) {
    const reason = oneLine(result.reason, 80);
    return /^locked\b/i.test(reason) ? reason : `locked: ${reason}`;
  }
  return LABELS[result.status];
}

export function statusIcon(status: RunStatus): string {
  return ICONS[status];
}

/** The sentence a check title starts from, per phase. */
export function statusHeadline(result: ProjectRunResult, phase: Phase): string {
  const counts = result.counts;
  switch (result.status) {
    case "changes":
      if (!counts) return phase === "plan" ? "Changes planned" : "Changes applied";
      return phase === "plan"
        ? `Plan: ${counts.add} to add, ${counts.change} to change, ${counts.destroy} to destroy${extraCounts(counts) ? ` (${extraCounts(counts)})` : ""}`
        : `Applied: ${counts.add} added, ${counts.change} changed, ${counts.destroy} destroyed`;
    case "no_changes":
      return phase === "plan" ? "No changes" : "Applied: no changes";
    case "error":
      return phase === "plan" ? "Plan failed" : "Apply failed";
    case "superseded":
      return "Superseded by a newer commit";
    case "timed_out":
      return phase === "plan" ? "Plan timed out" : "Apply timed out";
    case "locked":
      return statusLabel(result).replace(/^locked/, "Locked");
  }
}
