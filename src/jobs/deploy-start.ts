// The start of a deploy: which projects the commit changes, in what order, and which of their
// environments may apply now or wait for a human. One GitHub deployment per environment.
import { NO_ENVIRONMENT, type ApprovedPlan, type DeployState, type EnvironmentDeploy } from "../domain/deploy-state.ts";
import { pullKey, type RepoRef } from "../domain/types.ts";
import { planMustMatchApproval } from "../policy/plan-match.ts";
import type { DeployIntent } from "../domain/intent.ts";
import type { RepoGitHub } from "../github/port.ts";
import { startStates } from "../policy/deploy-gates.ts";
import { effectiveGates, type Gates } from "../policy/gates.ts";
import { affectedProjects } from "../projects/affected-projects.ts";
import { applyOrder } from "../projects/dependency-graph.ts";
import type { ProjectConfig, RepoConfig } from "../repo-config/schema.ts";
import { changedFiles } from "../workspace/changed-files.ts";
import { evaluatePullApprovals, type ApprovalDeps } from "./approval-status.ts";
import type { JobDeps } from "./deps.ts";

export async function startDeploy(
  deps: Pick<JobDeps, "deploys"> & ApprovalDeps,
  gh: RepoGitHub,
  intent: DeployIntent,
  config: RepoConfig,
  worktreePath: string,
): Promise<{ created: boolean; state: DeployState }> {
  const repoName = `${intent.repo.owner}/${intent.repo.name}`;
  const merged = intent.pullNumber === undefined ? await deps.deploys.mergedPull(repoName, intent.sha) : undefined;
  const pullNumber = intent.pullNumber ?? merged?.number;
  const pullTitle = intent.pullNumber !== undefined ? intent.pullTitle : merged?.title;
  const changed = await changedFiles(worktreePath, intent.sha, intent.pullNumber === undefined ? intent.before : undefined);
  // Applied in the merge queue at this very commit (apply: in_merge_queue): not applied twice.
  const appliedInQueue = new Set(await deps.deploys.queueApplied(repoName, intent.sha));
  const projects = affectedProjects(config, changed).filter((p) => !appliedInQueue.has(p.name));
  const ordered = applyOrder(projects, config.projects)
    .flat()
    .map((name) => projects.find((p) => p.name === name)!);
  const envNames = [...new Set(ordered.map((p) => p.environment).filter((e): e is string => !!e))];
  // A commit of the default branch is its own base: its config holds the gates.
  const gates = effectiveGates(config, undefined);
  const missing = pullNumber === undefined ? null : await missingApprovals(deps, gh, pullNumber, gates);
  const starts = startStates(envNames, gates.environment, missing);
  const environments: Record<string, EnvironmentDeploy> = {};
  for (const name of envNames) {
    const s = starts[name]!;
    const deploymentId = await gh.createDeployment(intent.sha, name, `Slipway deploy of ${intent.sha.slice(0, 7)}`);
    environments[name] = { name, deploymentId, state: s.state, ...(s.state === "waiting" ? { reason: s.reason } : {}) };
  }
  if (ordered.some((p) => !p.environment)) environments[NO_ENVIRONMENT] = { name: NO_ENVIRONMENT, state: "queued" };
  const approved =
    pullNumber === undefined
      ? {}
      : await approvedPlans(
          deps,
          gh.repo,
          pullNumber,
          ordered.filter((p) => planMustMatchApproval(p, config)),
        );
  const initial: DeployState = {
    sha: intent.sha,
    ...(pullNumber !== undefined ? { pullNumber } : {}),
    ...(pullTitle ? { pullTitle } : {}),
    projects: ordered.map((p) => ({
      name: p.name,
      environment: p.environment,
      dependsOn: p.depends_on,
      ...(approved[p.name] ? { approvedPlan: approved[p.name] } : {}),
    })),
    environments,
    results: {},
    ...(appliedInQueue.size > 0 ? { appliedInQueue: [...appliedInQueue].sort() } : {}),
  };
  return deps.deploys.create(repoName, intent.sha, initial);
}

/** Approvals still missing per environment for the merged pull request's last approved head. */
async function missingApprovals(deps: ApprovalDeps, gh: RepoGitHub, pullNumber: number, gates: Gates): Promise<Map<string, number>> {
  const pull = await gh.getPull(pullNumber);
  const evaluation = await evaluatePullApprovals(deps, gh, pull.facts, gates);
  return new Map((evaluation?.perEnvironment ?? []).map((e) => [e.name, e.missing]));
}

/**
 * The plans the merged pull request's approvals were given for: its last plan at its head, for
 * the projects whose digest is exact (policy/plan-match.ts).
 */
async function approvedPlans(deps: Pick<JobDeps, "plans">, repo: RepoRef, pullNumber: number, exact: ProjectConfig[]): Promise<Record<string, ApprovedPlan>> {
  if (exact.length === 0) return {};
  const plan = await deps.plans.get(pullKey({ repo, number: pullNumber }));
  const out: Record<string, ApprovedPlan> = {};
  for (const project of exact) {
    const entry = plan?.projects[project.name];
    if (!entry || entry.headSha !== plan!.headSha || !entry.result.planDigest) continue;
    out[project.name] = { digest: entry.result.planDigest, ...(entry.result.resourceChanges ? { changes: entry.result.resourceChanges } : {}) };
  }
  return out;
}
