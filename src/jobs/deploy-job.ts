// Merge to deploy: a new commit on the default branch applies the projects it changes, in
// depends_on order, one GitHub deployment per environment. Environments that must wait
// (manual, or merged unapproved) stay `queued` until released with `/apply <environment>`.
import type { DeployIntent, PullFacts } from "../domain/intent.ts";
import type { ProjectRunResult } from "../domain/types.ts";
import type { RepoGitHub } from "../github/port.ts";
import { withApplyMutex } from "../locks/apply-mutex.ts";
import { startStates } from "../policy/deploy-gates.ts";
import { effectiveGates, type Gates } from "../policy/gates.ts";
import { renderPlanCheck } from "../presentation/render/plan-check.ts";
import { renderPlanComment } from "../presentation/render/plan-comment.ts";
import { writeStickyComment } from "../presentation/sticky-comment.ts";
import { affectedProjects } from "../projects/affected-projects.ts";
import { applyOrder } from "../projects/dependency-graph.ts";
import type { DeployState, EnvironmentDeploy } from "../state/deploy-store.ts";
import { pullKey } from "../domain/types.ts";
import { parseRepoConfig } from "../repo-config/parse-repo-config.ts";
import type { ProjectConfig, RepoConfig } from "../repo-config/schema.ts";
import { createRedactor, secretValues } from "../runner/redact.ts";
import { changedFiles } from "../workspace/changed-files.ts";
import type { Worktree } from "../workspace/workspaces.ts";
import { evaluatePullApprovals } from "./approval-status.ts";
import { applyProject } from "./apply-project.ts";
import type { JobDeps } from "./deps.ts";
import { CONFIG_FILE, readConfigText } from "./load-configs.ts";
import { planProject, runDirOf } from "./plan-project.ts";
import { releaseLocks } from "./release-locks.ts";
import { openRevertPull } from "./revert-pull.ts";

/** Projects without an environment deploy without a GitHub deployment, under this key. */
const NO_ENVIRONMENT = "";

export async function runDeployJob(intent: DeployIntent, deps: JobDeps): Promise<{ state: Record<string, string> }> {
  const repoName = `${intent.repo.owner}/${intent.repo.name}`;
  const log = deps.log.child({ delivery: intent.deliveryId, repo: repoName, sha: intent.sha });
  log.info({ release: intent.release?.environment }, "deploy started");
  const gh = await deps.github.forRepo(intent.repo);
  const token = await gh.token();
  const worktree = await deps.workspaces.checkout({ owner: intent.repo.owner, repo: intent.repo.name, token, sha: intent.sha });
  try {
    const configText = await readConfigText(worktree.path);
    const parsed = configText === null ? null : parseRepoConfig(configText, CONFIG_FILE);
    const superseded = !(await deps.heads.isCurrent(`${repoName}@default`, intent.sha));
    // The drift schedule follows the default branch's config, commit after commit.
    if (intent.branch && !intent.release && !superseded) await deps.dispatcher.scheduleDrift(intent.repo, intent.branch, parsed?.ok ? parsed.config.drift.schedule : undefined);
    if (!parsed?.ok) {
      log.info({ config: parsed ? "invalid" : "missing" }, "nothing to deploy");
      return { state: {} };
    }
    const config = parsed.config;
    if (config.apply === "before_merge") return { state: {} }; // applied on the pull request already
    const gates = effectiveGates(config, undefined);

    let state = await deps.deploys.get(repoName, intent.sha);
    if (!state) {
      if (superseded) {
        log.info("a newer commit is on the default branch: deploy skipped as superseded");
        return { state: {} };
      }
      state = await start(deps, gh, intent, config, gates, worktree);
    } else if (intent.release) {
      state = await release(deps, gh, intent, superseded);
    } else {
      log.info("deploy of this commit already started: not run twice");
      return { state: envStates(state) };
    }
    state = await applyReady(deps, gh, intent, config, state, worktree);
    if (state.pullNumber !== undefined) await postOnPull(deps, gh, state);
    if (config.on_apply_failure === "revert_pr") state = await revertIfFailed(deps, gh, state);
    log.info({ environments: envStates(state) }, "deploy step done");
    return { state: envStates(state) };
  } finally {
    await worktree.remove();
  }
}

async function start(deps: JobDeps, gh: RepoGitHub, intent: DeployIntent, config: RepoConfig, gates: Gates, worktree: Worktree): Promise<DeployState> {
  const repoName = `${intent.repo.owner}/${intent.repo.name}`;
  const pullNumber = intent.pullNumber ?? (await deps.deploys.mergedPull(repoName, intent.sha));
  const changed = await changedFiles(worktree.path, intent.sha, intent.pullNumber === undefined ? intent.before : undefined);
  const projects = affectedProjects(config, changed);
  const ordered = applyOrder(projects, config.projects).flat().map((name) => projects.find((p) => p.name === name)!);
  const envNames = [...new Set(ordered.map((p) => p.environment).filter((e): e is string => !!e))];
  const missing = pullNumber === undefined ? null : await missingApprovals(deps, gh, pullNumber, gates);
  const starts = startStates(envNames, gates.environment, missing);
  const environments: Record<string, EnvironmentDeploy> = {};
  for (const name of envNames) {
    const s = starts[name]!;
    const deploymentId = await gh.createDeployment(intent.sha, name, `Slipway deploy of ${intent.sha.slice(0, 7)}`);
    await gh.setDeploymentStatus(deploymentId, "queued", s.state === "waiting" ? s.reason : "queued");
    environments[name] = { name, deploymentId, state: s.state, ...(s.state === "waiting" ? { reason: s.reason } : {}) };
  }
  if (ordered.some((p) => !p.environment)) environments[NO_ENVIRONMENT] = { name: NO_ENVIRONMENT, state: "queued" };
  return deps.deploys.update(repoName, intent.sha, (current) =>
    current ?? { sha: intent.sha, ...(pullNumber !== undefined ? { pullNumber } : {}), projects: ordered.map((p) => ({ name: p.name, environment: p.environment })), environments, results: {} },
  );
}

/** Approvals still missing per environment for the merged pull request's last approved head. */
async function missingApprovals(deps: JobDeps, gh: RepoGitHub, pullNumber: number, gates: Gates): Promise<Map<string, number>> {
  const pull = await gh.getPull(pullNumber);
  const evaluation = await evaluatePullApprovals(deps, gh, pull.facts, gates);
  return new Map((evaluation?.perEnvironment ?? []).map((e) => [e.name, e.missing]));
}

async function release(deps: JobDeps, gh: RepoGitHub, intent: DeployIntent, superseded: boolean): Promise<DeployState> {
  const repoName = `${intent.repo.owner}/${intent.repo.name}`;
  const { environment, by } = intent.release!;
  const state = await deps.deploys.update(repoName, intent.sha, (current) => {
    const env = current!.environments[environment];
    if (env?.state === "waiting") {
      // An older commit is never applied over the newer state of the default branch.
      Object.assign(env, superseded ? { state: "skipped", reason: `${environment} skipped: a newer commit is on the default branch` } : { state: "queued", reason: `released by @${by}` });
    }
    return current!;
  });
  const env = state.environments[environment];
  if (env?.deploymentId !== undefined && env.state === "skipped") await gh.setDeploymentStatus(env.deploymentId, "inactive", env.reason ?? "skipped");
  return state;
}

async function applyReady(deps: JobDeps, gh: RepoGitHub, intent: DeployIntent, config: RepoConfig, state: DeployState, worktree: Worktree): Promise<DeployState> {
  const repoName = `${intent.repo.owner}/${intent.repo.name}`;
  const redact = createRedactor(secretValues(deps.stepEnv, deps.secretEnvNames));
  const pull = pseudoPull(intent, state.pullNumber);
  const projects = state.projects.map((p) => config.projects.find((c) => c.name === p.name)!);

  const applyOne = async (project: ProjectConfig): Promise<void> => {
    const name = project.name;
    const current = (await deps.deploys.get(repoName, intent.sha))!;
    const env = current.environments[project.environment ?? NO_ENVIRONMENT]!;
    if (current.results[name] || (env.state !== "queued" && env.state !== "in_progress")) return;
    const upstream = project.depends_on.map((d) => ({ name: d, result: current.results[d], planned: current.projects.some((p) => p.name === d) }));
    const failedUpstream = upstream.find((u) => u.result && u.result.status !== "changes" && u.result.status !== "no_changes");
    if (upstream.some((u) => u.planned && !u.result) && !failedUpstream) return; // its upstream waits: so does it
    let result: ProjectRunResult;
    if (failedUpstream) {
      result = { project: name, dir: project.dir, environment: project.environment, status: "error", reason: `not applied: ${failedUpstream.name} failed to apply`, output: "", truncated: false, durationMs: 0 };
    } else {
      await markInFlight(deps, gh, repoName, intent.sha, env.name, name);
      result = await applyAtCommit(deps, gh, intent, config, project, pull, worktree, redact);
      // A lock taken when an earlier attempt was interrupted is done with once this one finished;
      // pull requests that waited for it are planned again.
      if (current.pullNumber !== undefined) await releaseLocks(deps, gh, intent.repo, current.pullNumber, [name], intent.deliveryId);
    }
    await deps.deploys.update(repoName, intent.sha, (s) => ({ ...s!, inFlight: (s!.inFlight ?? []).filter((p) => p !== name), results: { ...s!.results, [name]: result } }));
  };
  // Independent projects apply in parallel; a wave starts once the one before it is done.
  for (const wave of applyOrder(projects, config.projects)) {
    await Promise.all(wave.map((name) => applyOne(projects.find((p) => p.name === name)!)));
  }
  state = (await deps.deploys.get(repoName, intent.sha))!;
  for (const env of Object.values(state.environments)) {
    if (env.state !== "in_progress" && env.state !== "queued") continue;
    const own = state.projects.filter((p) => (p.environment ?? NO_ENVIRONMENT) === env.name).map((p) => state.results[p.name]);
    if (own.some((r) => !r)) continue;
    const ok = own.every((r) => r!.status === "changes" || r!.status === "no_changes");
    state = await setEnv(deps, gh, repoName, intent.sha, env.name, ok ? "success" : "failure");
  }
  return state;
}

/** Records the project as being applied, and its environment as in progress (once). */
async function markInFlight(deps: JobDeps, gh: RepoGitHub, repoName: string, sha: string, envName: string, project: string): Promise<void> {
  let started = false;
  const state = await deps.deploys.update(repoName, sha, (s) => {
    const env = s!.environments[envName]!;
    started = env.state === "queued";
    if (started) env.state = "in_progress";
    return { ...s!, inFlight: [...(s!.inFlight ?? []), project] };
  });
  const env = state.environments[envName]!;
  if (started && env.deploymentId !== undefined) await gh.setDeploymentStatus(env.deploymentId, "in_progress", `${envName}: in progress`);
}

async function setEnv(deps: JobDeps, gh: RepoGitHub, repoName: string, sha: string, name: string, next: "success" | "failure"): Promise<DeployState> {
  const state = await deps.deploys.update(repoName, sha, (s) => {
    s!.environments[name]!.state = next;
    return s!;
  });
  const env = state.environments[name]!;
  if (env.deploymentId !== undefined) await gh.setDeploymentStatus(env.deploymentId, next, `${name}: ${next.replace("_", " ")}`);
  return state;
}

/** Plans at the merge commit (so the plan file matches it), then applies that plan. */
export async function applyAtCommit(
  deps: JobDeps,
  gh: RepoGitHub,
  intent: { repo: DeployIntent["repo"]; sha: string },
  config: RepoConfig,
  project: ProjectConfig,
  pull: PullFacts,
  worktree: Worktree,
  redact: (line: string) => string,
): Promise<ProjectRunResult> {
  const runDir = runDirOf(deps.dataDir, pull);
  const outcome = await withApplyMutex(
    deps.redis,
    deps.prefix,
    { owner: intent.repo.owner, repo: intent.repo.name, project: project.name },
    async () => {
      const checkId = await gh.createCheckRun({ name: `slipway/apply: ${project.name}`, headSha: intent.sha, status: "in_progress", output: { title: "Applying…", summary: `Applying \`${project.name}\` at ${intent.sha.slice(0, 7)}.` } });
      const common = { config, project, pull, worktreePath: worktree.path, runDir, env: deps.stepEnv, redact, defaultTimeoutMs: deps.stepTimeoutMs };
      const plan = await planProject({ ...common, signal: new AbortController().signal });
      const result =
        plan.status === "changes"
          ? await applyProject({ ...common, restorePlanFile: async () => true })
          : plan.status === "no_changes"
            ? plan
            : { ...plan, reason: `not applied: the plan at ${intent.sha.slice(0, 7)} failed${plan.reason ? ` (${plan.reason})` : ""}` };
      const check = renderPlanCheck(result, { phase: "apply", headSha: intent.sha });
      await gh.completeCheckRun(checkId, check.conclusion, { title: check.title, summary: check.summary, text: check.text });
      return result;
    },
    { waitMs: 30 * 60 * 1000, ttlMs: deps.jobLockMs },
  );
  return outcome.acquired ? outcome.value : { project: project.name, dir: project.dir, environment: project.environment, status: "error", reason: "another apply of this project did not finish in time", output: "", truncated: false, durationMs: 0 };
}

/** Opens the revert pull request once, the first time an environment of the deploy fails. */
async function revertIfFailed(deps: JobDeps, gh: RepoGitHub, state: DeployState): Promise<DeployState> {
  const failed = Object.values(state.environments).some((e) => e.state === "failure");
  if (!failed || state.pullNumber === undefined || state.revertPull !== undefined) return state;
  const repoName = `${gh.repo.owner}/${gh.repo.name}`;
  const pull = await gh.getPull(state.pullNumber);
  const revert = await openRevertPull(deps, gh, { repo: gh.repo, pullNumber: state.pullNumber, mergeSha: state.sha, baseRef: pull.facts.baseRef, reason: "the merge failed to apply (`on_apply_failure: revert_pr`)" });
  return deps.deploys.update(repoName, state.sha, (s) => ({ ...s!, revertPull: revert.number }));
}

export async function postOnPull(deps: JobDeps, gh: RepoGitHub, state: DeployState): Promise<void> {
  const pullNumber = state.pullNumber!;
  const results = state.projects.map((p) => state.results[p.name]).filter((r): r is ProjectRunResult => r !== undefined);
  const notes = Object.values(state.environments)
    .filter((e) => e.name !== NO_ENVIRONMENT)
    .map((e) => `Environment \`${e.name}\`: ${e.state.replace("_", " ")}${e.reason && (e.state === "waiting" || e.state === "skipped") ? ` — ${e.reason}` : ""}.`);
  const body = renderPlanComment({ pr: pullNumber, headSha: state.sha, results, notes, phase: "apply" });
  await writeStickyComment(gh, deps.sticky, { key: pullKey({ repo: { owner: gh.repo.owner, name: gh.repo.name }, number: pullNumber }), number: pullNumber }, body);
}

/** Step environment facts for a commit of the default branch (SLIPWAY_PR is the merged PR, if any). */
export function pseudoPull(intent: { repo: DeployIntent["repo"]; sha: string }, pullNumber: number | undefined): PullFacts {
  return { repo: intent.repo, number: pullNumber ?? 0, headSha: intent.sha, headRef: "", baseRef: "", baseSha: intent.sha, author: "", draft: false, fromFork: false, updatedAt: 0 };
}

function envStates(state: DeployState): Record<string, string> {
  return Object.fromEntries(Object.values(state.environments).filter((e) => e.name !== NO_ENVIRONMENT).map((e) => [e.name, e.state]));
}
