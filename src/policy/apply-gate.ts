// Whether `/apply` may run before merge (SPEC §5, §7). Pure: the caller gathers the facts.
// "Nothing is applied that was not planned, reviewed and approved": the plan must describe the
// current head, every project must have planned cleanly, approvals must be met, and the pull
// request must be mergeable — otherwise the reply says which of these is missing.
export interface PlannedProjectFact {
  name: string;
  headSha: string;
  status: string;
  appliedSha?: string;
}

export interface ApplyGateFacts {
  mode: "after_merge" | "before_merge";
  pullOpen: boolean;
  headSha: string;
  /** Projects named in `/apply`; empty means every planned project. */
  requested: string[];
  planned: PlannedProjectFact[];
  approvalsSatisfied: boolean;
  /** What is missing, for the reply (e.g. "production needs 1 more approval"). */
  approvalsMissing: string[];
  mergeable: boolean | null;
}

export type ApplyDecision = { allow: true; projects: string[] } | { allow: false; reason: string };

export function decideApply(f: ApplyGateFacts): ApplyDecision {
  const short = f.headSha.slice(0, 7);
  if (f.mode === "after_merge") {
    return { allow: false, reason: "this repository applies after merge (`apply: after_merge`): merge the pull request to apply it." };
  }
  if (!f.pullOpen) return { allow: false, reason: "the pull request is closed." };
  const current = f.planned.filter((p) => p.headSha === f.headSha && p.status !== "superseded");
  if (current.length === 0) return { allow: false, reason: `nothing is planned at the head commit ${short}: comment \`/plan\` first.` };
  const unknown = f.requested.filter((name) => !f.planned.some((p) => p.name === name));
  if (unknown.length > 0) return { allow: false, reason: `${list(unknown)} ${unknown.length === 1 ? "is" : "are"} not planned on this pull request.` };
  const targets = f.requested.length > 0 ? current.filter((p) => f.requested.includes(p.name)) : current;
  const stale = f.requested.filter((name) => !targets.some((p) => p.name === name));
  if (stale.length > 0) return { allow: false, reason: `the plan of ${list(stale)} is not for the head commit ${short}: comment \`/plan\` first.` };
  const failed = targets.filter((p) => p.status !== "changes" && p.status !== "no_changes");
  if (failed.length > 0) return { allow: false, reason: `the plan of ${list(failed.map((p) => p.name))} did not succeed (${failed.map((p) => p.status.replace("_", " ")).join(", ")}).` };
  if (!f.approvalsSatisfied) return { allow: false, reason: `approvals are missing: ${f.approvalsMissing.join("; ")}.` };
  if (f.mergeable === false) return { allow: false, reason: "the pull request cannot be merged (conflicts with its base branch): resolve them, then plan again." };
  if (f.mergeable === null) return { allow: false, reason: "GitHub is still checking whether the pull request can be merged: try `/apply` again in a moment." };
  const pending = targets.filter((p) => p.appliedSha !== f.headSha).map((p) => p.name);
  if (pending.length === 0) return { allow: false, reason: `${list(targets.map((p) => p.name))} ${targets.length === 1 ? "is" : "are"} already applied at ${short}.` };
  return { allow: true, projects: pending };
}

function list(names: string[]): string {
  return names.map((n) => `\`${n}\``).join(", ");
}
