// `/approve`, `/approve cancel`, and the GitHub review that counts as one (SPEC §5, §7). Pure.
//
// An approval is recorded for the commit it was given on, at once — also while that commit's
// plan is still running ("No approval is lost to timing"). Whether it counts is the approvals
// policy's (approvals.ts) to say, on the `slipway/approval` check; these decisions only add the
// reply a command deserves when it changes nothing (SPEC §7 "Every command gets a visible answer").
import { whyCannotApprove } from "./approvals.ts";
import { allow, refuse, type ApproveAction, type CommandDecision, type PullCommandFacts } from "./command-facts.ts";
import type { PermissionLevel } from "./permissions.ts";
import { permissionRefusal } from "./permissions.ts";
import { environmentsAt, isPlannedAt, planDigestsAt, type RecordedPlan } from "./planned-projects.ts";

/** The approval of `headSha`, with the digests of its plan when that plan is recorded already. */
function approvalFor(environments: string[], headSha: string, plan: RecordedPlan | null): ApproveAction {
  const planDigests = planDigestsAt(plan, headSha);
  return { kind: "approve", environments: environments.length > 0 ? environments : "all", headSha, ...(planDigests ? { planDigests } : {}) };
}

/** `/approve [environment…]` on an open pull request. */
export function decideApprove(named: string[], f: PullCommandFacts): CommandDecision {
  const head = f.pull.headSha;
  const short = head.slice(0, 7);
  const action = approvalFor(named, head, f.plan);
  if (!isPlannedAt(f.plan, head)) {
    // Which environments the head touches is known once it is planned: until then, say so.
    return allow(
      action,
      `Recorded for ${short}, whose plan is not recorded yet. Whether it counts shows on \`slipway/approval\` once ${short} is planned (a push before then makes it stale).`,
    );
  }
  const touched = environmentsAt(f.plan, head);
  const gated = touched.filter((env) => f.gates.environment(env).approvals > 0);
  if (named.length === 0 && gated.length === 0) return allow(action, "Recorded, but nothing this pull request touches needs an approval.");
  // A bare `/approve` is for the environments that need one; named ones are answered as named.
  const asked = named.length > 0 ? named : gated;
  const reasons = asked.flatMap((env) => whyItDoesNotCount(env, touched, f) ?? []);
  if (reasons.length === 0) return allow(action);
  const lead = reasons.length === asked.length ? "Recorded, but it does not count" : "Recorded; it counts for some of these environments, not all";
  return allow(action, `${lead}: ${reasons.join("; ")}.`);
}

function whyItDoesNotCount(env: string, touched: string[], f: PullCommandFacts): string | undefined {
  if (!touched.includes(env)) return `this pull request does not touch ${env}`;
  const why = whyCannotApprove(f.actor.login, env, f.gates.environment(env), f.pull.author, { [f.actor.login]: f.actor.teams });
  return why === undefined ? undefined : `@${f.actor.login} ${why}`;
}

/** `/approve cancel`: withdraws the actor's approvals; says so when there were none. */
export function decideApproveCancel(f: PullCommandFacts): CommandDecision {
  return f.hasApproval === false
    ? allow({ kind: "approve_cancel" }, "You have no approval on this pull request to withdraw.")
    : allow({ kind: "approve_cancel" });
}

export interface ReviewFacts {
  login: string;
  permission: PermissionLevel;
  state: "approved" | "changes_requested";
  /** The commit the review was made on. */
  commitId: string;
  plan: RecordedPlan | null;
}

/**
 * A GitHub review: APPROVED counts as `/approve` for every environment the reviewer may approve
 * (recorded as "all"; the approvals policy counts it where they may). CHANGES_REQUESTED withdraws
 * the reviewer's approvals — anyone may withdraw their own. A refusal is logged, not answered:
 * anyone may review a public repository, and a review is not a command.
 */
export function decideReview(f: ReviewFacts): CommandDecision {
  if (f.state === "changes_requested") return allow({ kind: "approve_cancel" });
  const refusal = permissionRefusal(f.login, "approve", f.permission);
  if (refusal) return refuse(refusal);
  return allow(approvalFor([], f.commitId, f.plan));
}
