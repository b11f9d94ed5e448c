// Whether a pull request has the approvals its environments require (SPEC §5, §7). Pure over
// facts the caller gathers: recorded approvals, the gates (from the base branch, or the stricter
// of base and head), the head SHA, plan digests and team memberships. The result feeds the
// `slipway/approval` check, so every approval that does not count says why.
import { isApprover, sameUser, type EnvironmentGate, type UserTeams } from "./approvers.ts";

export { isApprover, stricterEnvironment, type EnvironmentGate, type UserTeams } from "./approvers.ts";

export interface Approval {
  user: string;
  /** "all": every environment the pull request touches (a bare `/approve`). */
  environments: string[] | "all";
  /** The head the user approved; approvals belong to a commit. */
  headSha: string;
  /** Project → plan digest at that head, so `same_plan` can carry the approval over a push. */
  planDigests?: Record<string, string>;
  source: "command" | "review";
  /** Epoch milliseconds. */
  at: number;
}

export interface ApprovalFacts {
  /** The environments the pull request touches, with their gates. */
  environments: { name: string; config: EnvironmentGate }[];
  approvals: Approval[];
  author: string;
  headSha: string;
  /** Project → plan digest at the current head; absent until the plans are done. */
  currentDigests?: Record<string, string>;
  survive: "commit" | "same_plan";
  userTeams: UserTeams;
}

export interface EnvironmentApprovals {
  name: string;
  required: number;
  /** Distinct users whose approval counts, in the order they approved. */
  approvedBy: string[];
  missing: number;
  /** One entry per user with no counting approval: why their latest approval did not count. */
  ignored: { user: string; why: string }[];
}

export interface ApprovalEvaluation {
  satisfied: boolean;
  perEnvironment: EnvironmentApprovals[];
}

export function evaluateApprovals(facts: ApprovalFacts): ApprovalEvaluation {
  // Oldest first, so `approvedBy` reads in the order people approved.
  const approvals = [...facts.approvals].sort((a, b) => a.at - b.at);
  const perEnvironment = facts.environments.map((env) => evaluateEnvironment(env.name, env.config, approvals, facts));
  return { satisfied: perEnvironment.every((e) => e.missing === 0), perEnvironment };
}

function evaluateEnvironment(name: string, gate: EnvironmentGate, approvals: Approval[], facts: ApprovalFacts): EnvironmentApprovals {
  const counted = new Map<string, string>(); // folded login → login as written
  const refused = new Map<string, { user: string; why: string }>();
  for (const approval of approvals) {
    if (approval.environments !== "all" && !approval.environments.includes(name)) continue;
    const id = approval.user.toLowerCase();
    if (counted.has(id)) continue; // a second approval by the same person adds nothing
    const why = whyNotCounted(approval, name, gate, facts);
    if (why === undefined) {
      counted.set(id, approval.user);
      refused.delete(id);
    } else {
      refused.set(id, { user: approval.user, why }); // approvals are oldest first: the latest reason wins
    }
  }
  const approvedBy = [...counted.values()];
  return {
    name,
    required: gate.approvals,
    approvedBy,
    missing: Math.max(0, gate.approvals - approvedBy.length),
    ignored: [...refused.values()],
  };
}

function whyNotCounted(approval: Approval, env: string, gate: EnvironmentGate, facts: ApprovalFacts): string | undefined {
  return whyCannotApprove(approval.user, env, gate, facts.author, facts.userTeams) ?? whyStale(approval, facts);
}

/**
 * Why `user` may not approve `env` on a pull request by `author`, whatever the commit: the rule
 * the `slipway/approval` check applies and `/approve` answers with. Undefined when they may.
 */
export function whyCannotApprove(user: string, env: string, gate: EnvironmentGate, author: string, userTeams: UserTeams): string | undefined {
  if (sameUser(user, author) && !gate.allow_author) {
    return `is the author of this pull request, and ${env} does not allow authors to approve (allow_author: false)`;
  }
  if (!isApprover(user, gate, userTeams)) {
    return `is not an approver of ${env} (approvers: ${describeApprovers(gate)})`;
  }
  return undefined;
}

function whyStale(approval: Approval, facts: ApprovalFacts): string | undefined {
  if (approval.headSha === facts.headSha) return undefined;
  const then = short(approval.headSha);
  const now = short(facts.headSha);
  if (facts.survive === "commit") return `approved ${then}, not the current head ${now}; a push invalidates approvals`;
  if (approval.planDigests === undefined) return `approved ${then} before its plans were recorded, so the approval cannot carry over to ${now}`;
  if (facts.currentDigests === undefined) return `approved ${then}; the plans of ${now} are not ready to compare yet`;
  const changed = changedProjects(approval.planDigests, facts.currentDigests);
  if (changed.length > 0) {
    return `approved ${then}; since then the plan of ${changed.join(", ")} changed (approvals survive only an unchanged plan)`;
  }
  return undefined;
}

/** Projects whose digest differs, including projects planned on one side only. */
function changedProjects(approved: Record<string, string>, current: Record<string, string>): string[] {
  const a = new Map(Object.entries(approved));
  const c = new Map(Object.entries(current));
  return [...new Set([...a.keys(), ...c.keys()])].filter((p) => a.get(p) !== c.get(p)).sort();
}

function describeApprovers(gate: EnvironmentGate): string {
  const lists = [gate.approvers, ...(gate.alsoApprovers ?? [])].filter((l) => l.length > 0);
  return lists.map((l) => l.join(", ")).join("; and also one of ");
}

const short = (sha: string) => sha.slice(0, 7);
