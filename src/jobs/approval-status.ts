// Evaluates a pull request's approvals against its gates and publishes `slipway/approval`.
// Called once a head's plan is recorded (the touched environments and plan digests are known
// then) and after every approval or withdrawal — whichever comes last publishes the check that
// counts, so an approval given while the plan ran is not lost (SPEC §7).
import type { AuditVia } from "../audit/event.ts";
import type { PullFacts } from "../domain/intent.ts";
import { pullKey } from "../domain/types.ts";
import { People } from "../github/people.ts";
import type { RepoGitHub } from "../github/port.ts";
import { evaluateApprovals, type Approval, type ApprovalEvaluation } from "../policy/approvals.ts";
import type { ApproveAction } from "../policy/command-decisions.ts";
import { effectiveGates, type Gates } from "../policy/gates.ts";
import { environmentsAt, isPlannedAt, planDigestsAt, type RecordedPlan } from "../policy/planned-projects.ts";
import { renderApprovalCheck } from "../presentation/render/approval-check.ts";
import type { RepoConfig } from "../repo-config/schema.ts";
import type { PullPlan } from "../state/pull-plan-store.ts";
import type { JobDeps } from "./deps.ts";

/** What reading and publishing approvals needs. */
export type ApprovalDeps = Pick<JobDeps, "plans" | "approvals" | "people">;
/** Recording or withdrawing an approval also tells the audit trail. */
export type ApprovalChangeDeps = ApprovalDeps & Pick<JobDeps, "audit">;
import { loadConfigs, validConfig } from "./load-configs.ts";

/** The pull request's configs, when valid, and the gates they make (policy/gates.ts). */
export interface PullConfigs {
  head?: RepoConfig;
  base?: RepoConfig;
  gates: Gates;
}

/** Reads both configs of the pull request (head: what is planned; base: the gates). */
export async function loadPullConfigs(deps: Pick<JobDeps, "workspaces">, gh: RepoGitHub, pull: PullFacts): Promise<PullConfigs> {
  const loaded = await loadConfigs(deps.workspaces, { pull, token: await gh.token() });
  const head = validConfig(loaded.head);
  const base = validConfig(loaded.base);
  return { head, base, gates: effectiveGates(base, head) };
}

/** Whether this repository gates anything: only then is `slipway/approval` published. */
export function usesApprovals(head: RepoConfig | undefined, base: RepoConfig | undefined): boolean {
  return [head, base].some((c) => c !== undefined && (Object.keys(c.environments).length > 0 || c.projects.some((p) => p.environment)));
}

/** The stored plan as the policy reads it (planned-projects.ts). */
export function recordedPlan(plan: PullPlan | null): RecordedPlan | null {
  if (!plan) return null;
  const projects = Object.values(plan.projects).map((p) => ({
    name: p.result.project,
    environment: p.result.environment,
    headSha: p.headSha,
    status: p.result.status,
    appliedSha: p.appliedSha,
    planDigest: p.result.planDigest,
  }));
  return { headSha: plan.headSha, projects };
}

export async function readPlan(deps: ApprovalDeps, pull: PullFacts): Promise<RecordedPlan | null> {
  return recordedPlan(await deps.plans.get(pullKey(pull)));
}

export async function evaluatePullApprovals(deps: ApprovalDeps, gh: RepoGitHub, pull: PullFacts, gates: Gates): Promise<ApprovalEvaluation | null> {
  const plan = await readPlan(deps, pull);
  if (!isPlannedAt(plan, pull.headSha)) return null;
  const environments = environmentsAt(plan, pull.headSha).map((name) => ({ name, config: gates.environment(name) }));
  const approvals = await deps.approvals.list(pullKey(pull));
  const named = environments.flatMap((e) => [e.config.approvers, ...(e.config.alsoApprovers ?? [])].flat());
  const userTeams = await new People(gh, deps.people).teamsOfEach(
    approvals.map((a) => a.user),
    named,
  );
  return evaluateApprovals({
    environments,
    approvals,
    author: pull.author,
    headSha: pull.headSha,
    currentDigests: planDigestsAt(plan, pull.headSha),
    survive: gates.survive,
    userTeams,
  });
}

export async function publishApprovalCheck(deps: ApprovalDeps, gh: RepoGitHub, pull: PullFacts, gates: Gates): Promise<ApprovalEvaluation | null> {
  const evaluation = await evaluatePullApprovals(deps, gh, pull, gates);
  if (!evaluation) return null;
  const check = renderApprovalCheck(evaluation, pull.headSha);
  await gh.createCheckRun({
    name: check.name,
    headSha: pull.headSha,
    status: "completed",
    conclusion: check.conclusion,
    output: { title: check.title, summary: check.summary, text: check.text },
  });
  return evaluation;
}

/**
 * Brings the approvals of the head up to date with its plan: approvals recorded while the plan
 * ran get its digests, and the check is published — when the plan of the head is recorded; until
 * then there is nothing to evaluate, and the plan job calls this once it records the plan.
 *
 * One at a time per pull request: the plan job (after recording the plan) and an approval (after
 * recording it) may both publish, and the newest check is the one GitHub shows. Serialised, the
 * later one always reads what the earlier one wrote, so the last check counts every approval.
 */
export async function refreshApprovals(deps: ApprovalDeps, gh: RepoGitHub, pull: PullFacts, configs: PullConfigs): Promise<void> {
  const key = pullKey(pull);
  await deps.approvals.exclusive(key, async () => {
    const digests = planDigestsAt(await readPlan(deps, pull), pull.headSha);
    if (digests === undefined) return;
    await deps.approvals.fillPlanDigests(key, pull.headSha, digests);
    if (usesApprovals(configs.head, configs.base)) await publishApprovalCheck(deps, gh, pull, configs.gates);
  });
}

/** The approval to record for what the policy allowed. */
export function approvalOf(user: string, action: ApproveAction, source: Approval["source"]): Approval {
  return {
    user,
    environments: action.environments,
    headSha: action.headSha,
    ...(action.planDigests ? { planDigests: action.planDigests } : {}),
    source,
    at: Date.now(),
  };
}

/** Records an approval (a `/approve` or an APPROVED review) and brings the check up to date. */
export async function recordApproval(
  deps: ApprovalChangeDeps,
  gh: RepoGitHub,
  pull: PullFacts,
  configs: PullConfigs,
  approval: Approval,
  delivery: string,
): Promise<void> {
  await deps.approvals.record(pullKey(pull), approval);
  const plan = await readPlan(deps, pull);
  // `all`: each environment the plan of that head touches; before the plan is known, one event
  // for all of them.
  const named = approval.environments === "all" ? (plan ? environmentsAt(plan, approval.headSha) : []) : approval.environments;
  for (const environment of named.length > 0 ? named : [undefined]) {
    // The digests of the plans approved in this environment (one per project), when known.
    const digests = (plan?.projects ?? [])
      .filter((p) => (environment === undefined || p.environment === environment) && approval.planDigests?.[p.name] !== undefined)
      .map((p) => approval.planDigests![p.name]!);
    await deps.audit.record({
      kind: "approval",
      actor: approval.user,
      repo: `${pull.repo.owner}/${pull.repo.name}`,
      pull: pull.number,
      sha: approval.headSha,
      ...(environment !== undefined ? { environment } : { reason: "every environment the pull request touches" }),
      outcome: "recorded",
      ...(digests.length > 0 ? { plan_digest: [...new Set(digests)].join(",") } : {}),
      delivery,
      via: approval.source === "review" ? "review" : "comment",
    });
  }
  await refreshApprovals(deps, gh, pull, configs);
}

/** Withdraws every approval of `user` (`/approve cancel`, a review requesting changes). */
export async function withdrawApprovals(
  deps: ApprovalChangeDeps,
  gh: RepoGitHub,
  pull: PullFacts,
  configs: PullConfigs,
  user: string,
  by: { via: AuditVia; delivery: string },
): Promise<void> {
  await deps.approvals.withdraw(pullKey(pull), user);
  await deps.audit.record({
    kind: "approval.withdrawn",
    actor: user,
    repo: `${pull.repo.owner}/${pull.repo.name}`,
    pull: pull.number,
    sha: pull.headSha,
    outcome: "withdrawn",
    delivery: by.delivery,
    via: by.via,
  });
  await refreshApprovals(deps, gh, pull, configs);
}
