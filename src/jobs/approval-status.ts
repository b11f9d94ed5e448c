// Evaluates a pull request's approvals against its gates and publishes `slipway/approval`.
// Called after a plan (the touched environments and plan digests are known then) and after
// every approval or withdrawal.
import type { PullFacts } from "../domain/intent.ts";
import type { RepoGitHub } from "../github/port.ts";
import { evaluateApprovals, type ApprovalEvaluation, type EnvironmentGate, type UserTeams } from "../policy/approvals.ts";
import type { Gates } from "../policy/gates.ts";
import type { PermissionLevel } from "../policy/permissions.ts";
import { renderApprovalCheck } from "../presentation/render/approval-check.ts";
import { pullKey } from "../domain/types.ts";
import type { RepoConfig } from "../repo-config/schema.ts";
import type { JobDeps } from "./deps.ts";

export type ApprovalDeps = Pick<JobDeps, "plans" | "approvals" | "people">;

export interface ApprovalStatus {
  evaluation: ApprovalEvaluation;
  /** False when the plan of the head is not known yet: nothing was published. */
  published: boolean;
}

/** Whether this repository gates anything: only then is `slipway/approval` published. */
export function usesApprovals(head: RepoConfig | undefined, base: RepoConfig | undefined): boolean {
  return [head, base].some((c) => c !== undefined && (Object.keys(c.environments).length > 0 || c.projects.some((p) => p.environment)));
}

export async function evaluatePullApprovals(deps: ApprovalDeps, gh: RepoGitHub, pull: PullFacts, gates: Gates): Promise<ApprovalEvaluation | null> {
  const key = pullKey(pull);
  const plan = await deps.plans.get(key);
  if (!plan || plan.headSha !== pull.headSha) return null;
  const projects = Object.values(plan.projects).filter((p) => p.headSha === pull.headSha && p.result.status !== "superseded");
  const envNames = [...new Set(projects.map((p) => p.result.environment).filter((e): e is string => !!e))].sort();
  const environments = envNames.map((name) => ({ name, config: gates.environment(name) }));
  const approvals = await deps.approvals.list(key);
  const digests: Record<string, string> = {};
  for (const p of projects) if (p.result.planDigest) digests[p.result.project] = p.result.planDigest;
  const userTeams = await teamsOf(deps, gh, approvals.map((a) => a.user), environments.map((e) => e.config));
  return evaluateApprovals({ environments, approvals, author: pull.author, headSha: pull.headSha, currentDigests: digests, survive: gates.survive, userTeams });
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

/** Team memberships of the approving users, only for the teams the gates name. */
async function teamsOf(deps: ApprovalDeps, gh: RepoGitHub, users: string[], gates: EnvironmentGate[]): Promise<UserTeams> {
  const named = gates.flatMap((g) => [g.approvers, ...(g.alsoApprovers ?? [])].flat());
  const out: UserTeams = {};
  for (const user of new Set(users)) out[user] = await teamsOfUser(deps, gh, user, named);
  return out;
}

/** The user's permission on the repository, looked up through the API and kept a minute. */
export async function repoPermission(deps: ApprovalDeps, gh: RepoGitHub, user: string): Promise<PermissionLevel> {
  return (await deps.people.remember(`perm:${gh.repo.owner}/${gh.repo.name}:${user}`, () => gh.permission(user))) as PermissionLevel;
}

/** Which of the `@org/team` entries among `approvers` the user is an active member of. */
export async function teamsOfUser(deps: ApprovalDeps, gh: RepoGitHub, user: string, approvers: string[]): Promise<string[]> {
  const teams: string[] = [];
  for (const team of new Set(approvers.filter((a) => a.startsWith("@")))) {
    const [org, slug] = team.slice(1).split("/");
    if (!org || !slug) continue;
    if (await deps.people.remember(`team:${org}/${slug}:${user}`, () => gh.isTeamMember(org, slug, user))) teams.push(team);
  }
  return teams;
}
