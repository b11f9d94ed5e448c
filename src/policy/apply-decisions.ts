// The three meanings of `/apply` (SPEC §5, §7), each decided here with one approver rule:
// - before merge (`apply: before_merge`): apply the planned head — it must be planned cleanly,
//   approved and mergeable, and have something to apply;
// - on a merged pull request, or on the release issue of a direct push: `/apply <environment>`
//   releases an environment that waits;
// - on a drift issue: a bare `/apply` repairs the drifted project.
// Pure: the job gathers the facts (command-facts.ts).
import type { ApprovalEvaluation } from "./approvals.ts";
import { isApprover, type EnvironmentGate } from "./approvers.ts";
import {
  allow,
  refuse,
  type Actor,
  type CommandDecision,
  type DeployFacts,
  type DriftIssueFacts,
  type PullCommandFacts,
  type ReleaseIssueFacts,
} from "./command-facts.ts";
import type { Gates } from "./gates.ts";
import { plannedAt, type PlannedProjectFact } from "./planned-projects.ts";

/** `/apply [project…|environment]` on an open pull request. */
export function decideApplyBeforeMerge(targets: string[], f: PullCommandFacts): CommandDecision {
  const head = f.pull.headSha;
  const short = head.slice(0, 7);
  if (f.gates.mode === "after_merge") {
    return refuse("this repository applies after merge (`apply: after_merge`): merge the pull request to apply it.");
  }
  if (f.gates.mode === "in_merge_queue") {
    return refuse("this repository applies in the merge queue (`apply: in_merge_queue`): add the pull request to the merge queue to apply it.");
  }
  if (f.pull.state !== "open") return refuse("the pull request is closed.");
  const planned = f.plan?.projects ?? [];
  const current = plannedAt(f.plan, head);
  if (current.length === 0) return refuse(`nothing is planned at the head commit ${short}: comment \`/plan\` first.`);
  const requested = requestedProjects(targets, planned);
  const unknown = requested.filter((name) => !planned.some((p) => p.name === name));
  if (unknown.length > 0) return refuse(`${list(unknown)} ${isAre(unknown)} not planned on this pull request.`);
  const chosen = requested.length > 0 ? current.filter((p) => requested.includes(p.name)) : current;
  const stale = requested.filter((name) => !chosen.some((p) => p.name === name));
  if (stale.length > 0) return refuse(`the plan of ${list(stale)} is not for the head commit ${short}: comment \`/plan\` first.`);
  const failed = chosen.filter((p) => p.status !== "changes" && p.status !== "no_changes");
  if (failed.length > 0)
    return refuse(`the plan of ${list(failed.map((p) => p.name))} did not succeed (${failed.map((p) => p.status.replace("_", " ")).join(", ")}).`);
  const nothing = nothingToApply(chosen, head);
  if (nothing) return refuse(nothing);
  if (!f.approvals?.satisfied) return refuse(`approvals are missing: ${describeMissing(f.approvals).join("; ")}.`);
  if (f.pull.mergeable === false) return refuse("the pull request cannot be merged (conflicts with its base branch): resolve them, then plan again.");
  if (f.pull.mergeable === null) return refuse("GitHub is still checking whether the pull request can be merged: try `/apply` again in a moment.");
  return allow({ kind: "apply", projects: chosen.filter((p) => toApply(p, head)).map((p) => p.name) });
}

/** `/apply production` names an environment: its planned projects. Otherwise the names are projects. */
function requestedProjects(targets: string[], planned: PlannedProjectFact[]): string[] {
  const environment = targets.length === 1 && planned.some((p) => p.environment === targets[0]) ? targets[0] : undefined;
  return environment === undefined ? targets : planned.filter((p) => p.environment === environment).map((p) => p.name);
}

/** A plan with changes that was not applied at this head yet: the only thing an apply changes. */
const toApply = (p: PlannedProjectFact, head: string) => p.status === "changes" && p.appliedSha !== head;

/**
 * Why nothing would be applied, or undefined when something would. Running the apply steps of a
 * plan without changes changes nothing but the checks, so it is answered instead (SPEC §7).
 */
function nothingToApply(chosen: PlannedProjectFact[], head: string): string | undefined {
  if (chosen.some((p) => toApply(p, head))) return undefined;
  const short = head.slice(0, 7);
  const applied = chosen.filter((p) => p.appliedSha === head).map((p) => p.name);
  const unchanged = chosen.filter((p) => p.appliedSha !== head).map((p) => p.name);
  if (unchanged.length === 0) return `${list(applied)} ${isAre(applied)} already applied at ${short}.`;
  const also = applied.length > 0 ? `, and ${list(applied)} ${isAre(applied)} already applied` : "";
  return `nothing to apply: the plan of ${list(unchanged)} at ${short} has no changes${also}.`;
}

/** One line per environment still short of approvals. */
function describeMissing(evaluation: ApprovalEvaluation | null | undefined): string[] {
  if (!evaluation) return ["the plan of the head commit is not known"];
  return evaluation.perEnvironment
    .filter((e) => e.missing > 0)
    .map((e) => `${e.name} needs ${e.missing} more approval${e.missing === 1 ? "" : "s"} (${e.approvedBy.length} of ${e.required})`);
}

/** `/apply <environment>` on a merged pull request: an approver releases a waiting environment. */
export function decideRelease(targets: string[], f: PullCommandFacts): CommandDecision {
  return decideReleaseOf(targets, { sha: f.pull.mergeCommitSha, deploy: f.deploy, gates: f.gates, actor: f.actor });
}

/** `/apply <environment>` on the release issue of a direct push: the same rule, for its commit. */
export function decideReleaseOnIssue(targets: string[], f: ReleaseIssueFacts): CommandDecision {
  return decideReleaseOf(targets, f);
}

/** The one rule for releasing a waiting environment of the deploy of `sha`. */
function decideReleaseOf(
  targets: string[],
  f: { sha: string | undefined; deploy?: DeployFacts | null | undefined; gates: Gates; actor: Actor },
): CommandDecision {
  const sha = f.sha;
  const environment = targets.length === 1 ? targets[0]! : undefined;
  if (!sha || !environment) return refuse("name the environment to release, as in `/apply production`.");
  const state = f.deploy?.sha === sha ? f.deploy.environments[environment] : undefined;
  if (state === undefined) return refuse(`the deploy of ${sha.slice(0, 7)} has no environment \`${environment}\`.`);
  if (state !== "waiting") return refuse(`\`${environment}\` is not waiting for a release (it is ${state.replace("_", " ")}).`);
  const gate = f.gates.environment(environment);
  if (!mayApprove(f.actor, gate)) return refuse(`@${f.actor.login} is not an approver of \`${environment}\` (approvers: ${gate.approvers.join(", ")}).`);
  return allow({ kind: "release", environment, sha });
}

/** A bare `/apply` on a drift issue, by an approver of the drifted project's environment. */
export function decideDriftRepair(targets: string[], f: DriftIssueFacts): CommandDecision {
  if (targets.length > 0) return refuse("on a drift issue, only a bare `/apply` (repair the drift) is understood.");
  if (f.environment !== undefined && f.gate && !mayApprove(f.actor, f.gate)) {
    return refuse(`@${f.actor.login} is not an approver of \`${f.environment}\`, which \`${f.project}\` belongs to.`);
  }
  return allow({ kind: "repair_drift", project: f.project });
}

/** The approver rule of the two `/apply`s that act for an environment's approvers. */
function mayApprove(actor: Actor, gate: EnvironmentGate): boolean {
  return isApprover(actor.login, gate, { [actor.login]: actor.teams });
}

function list(names: string[]): string {
  return names.map((n) => `\`${n}\``).join(", ");
}

const isAre = (names: string[]) => (names.length === 1 ? "is" : "are");
