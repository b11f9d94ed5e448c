// Merge to deploy: a new commit on the default branch applies the projects it changes, in
// depends_on order, one GitHub deployment per environment. Environments that must wait
// (manual, or merged unapproved) stay `queued` until released with `/apply <environment>`.
// The deploy's progress is the state machine in domain/deploy-state.ts; this job feeds it
// events and carries out what it asks for.
import { deploymentUpdates, nextSteps, NO_ENVIRONMENT, type DeployEvent, type DeployState, type HeldPlan } from "../domain/deploy-state.ts";
import { planDifferences } from "../domain/plan-differences.ts";
import type { ProjectRunResult } from "../domain/types.ts";
import { expectedDigest } from "../policy/plan-match.ts";
import { heldReason } from "../presentation/render/held-plan.ts";
import type { DeployIntent } from "../domain/intent.ts";
import type { RunTarget } from "../domain/run-target.ts";
import type { RepoGitHub } from "../github/port.ts";
import { writeDeployComment } from "../presentation/deploy-comment.ts";
import { parseRepoConfig } from "../repo-config/parse-repo-config.ts";
import type { RepoConfig } from "../repo-config/schema.ts";
import { startDeploy } from "./deploy-start.ts";
import type { JobDeps } from "./deps.ts";
import { CONFIG_FILE, readConfigText } from "./load-configs.ts";
import { releaseLocks } from "./release-locks.ts";
import { closeSupersededReleaseIssues, syncReleaseIssue } from "./release-issue.ts";
import { openRevertPull } from "./revert-pull.ts";
import { notRun, runAtCommit, type CommitRun, type RunAtCommitDeps } from "./run-at-commit.ts";

/** A long apply of the same project elsewhere is waited for, within reason. */
const MUTEX_WAIT_MS = 30 * 60 * 1000;

type DeployDeps = RunAtCommitDeps &
  Pick<JobDeps, "github" | "workspaces" | "heads" | "dispatcher" | "deploys" | "sticky" | "locks" | "plans" | "planFiles" | "approvals" | "people" | "metrics">;

interface Deploy {
  deps: DeployDeps;
  gh: RepoGitHub;
  intent: DeployIntent;
  repoName: string;
  config: RepoConfig;
  worktreePath: string;
}

export async function runDeployJob(intent: DeployIntent, deps: DeployDeps): Promise<{ state: Record<string, string> }> {
  const repoName = `${intent.repo.owner}/${intent.repo.name}`;
  const log = deps.log.child({ delivery: intent.deliveryId, repo: repoName, sha: intent.sha });
  log.info({ release: intent.release?.environment }, "deploy started");
  const gh = await deps.github.forRepo(intent.repo);
  const worktree = await deps.workspaces.checkout({ owner: intent.repo.owner, repo: intent.repo.name, token: await gh.token(), sha: intent.sha });
  try {
    const text = await readConfigText(worktree.path);
    const parsed = text === null ? null : parseRepoConfig(text, CONFIG_FILE);
    const superseded = !(await deps.heads.isCurrent(`${repoName}@default`, intent.sha));
    // The drift schedule follows the default branch's config, commit after commit.
    if (intent.branch && !intent.release && !superseded)
      await deps.dispatcher.scheduleDrift(intent.repo, intent.branch, parsed?.ok ? parsed.config.drift.schedule : undefined);
    if (!parsed?.ok || parsed.config.apply === "before_merge") {
      log.info({ config: parsed ? (parsed.ok ? "applied before merge" : "invalid") : "missing" }, "nothing to deploy");
      return { state: {} };
    }
    const d: Deploy = { deps, gh, intent, repoName, config: parsed.config, worktreePath: worktree.path };
    const state = await begin(d, superseded);
    if (!state) return { state: {} };
    const done = await drive(d, state);
    log.info({ environments: envStates(done) }, "deploy step done");
    return { state: envStates(done) };
  } finally {
    await worktree.remove();
  }
}

/** Starts the deploy, or applies a release to it; null when there is nothing to drive. */
async function begin(d: Deploy, superseded: boolean): Promise<DeployState | null> {
  const { deps, intent, repoName } = d;
  const existing = await deps.deploys.get(repoName, intent.sha);
  if (intent.release && existing) {
    const { environment, by } = intent.release;
    // An older commit is never applied over the newer state of the default branch.
    const state = await record(d, superseded ? { type: "release_superseded", environment } : { type: "released", environment, by });
    await deps.audit.record({
      ...auditOf(d, state),
      kind: "deploy.released",
      actor: by,
      environment,
      outcome: superseded ? "superseded" : "released",
      ...(superseded ? { reason: "a newer commit is on the default branch" } : {}),
      via: "comment",
    });
    return state;
  }
  if (existing) {
    deps.log.info({ sha: intent.sha }, "deploy of this commit already started: not run twice");
    return null;
  }
  if (superseded) {
    deps.log.info({ sha: intent.sha }, "a newer commit is on the default branch: deploy skipped as superseded");
    return null;
  }
  const { created, state } = await startDeploy(deps, d.gh, intent, d.config, d.worktreePath);
  if (!created) return null; // another worker started it between our read and our write
  await publish(d, null, state);
  // An older direct push's environments that still wait are never applied over this commit.
  await closeSupersededReleaseIssues(d.gh, intent.sha, (sha) =>
    deps.deploys
      .apply(repoName, sha, { type: "release_issue_closed" })
      .catch((error: unknown) => deps.log.warn({ err: error, sha }, "closed a release issue whose deploy is no longer recorded")),
  );
  return (await syncReleaseIssue(d.gh, state, (event) => record(d, event))) ?? state;
}

/** Applies what the state machine says is ready, wave after wave, until nothing more may run now. */
async function drive(d: Deploy, state: DeployState): Promise<DeployState> {
  for (let steps = nextSteps(state); steps.apply.length > 0 || steps.blocked.length > 0; steps = nextSteps(state)) {
    for (const b of steps.blocked) {
      const project = d.config.projects.find((p) => p.name === b.project)!;
      state = await record(d, { type: "project_finished", result: notRun(project, `not applied: ${b.upstream} failed to apply`) });
    }
    // Independent projects apply in parallel; the next wave starts once this one is done.
    await Promise.all(steps.apply.map((name) => applyOne(d, name)));
    state = (await d.deps.deploys.get(d.repoName, d.intent.sha))!;
  }
  await writeDeployComment(d.gh, d.deps.sticky, state);
  if (d.config.on_apply_failure === "revert_pr") state = await revertIfFailed(d, state);
  return state;
}

async function applyOne(d: Deploy, name: string): Promise<void> {
  const { deps, intent } = d;
  const { before, after } = await deps.deploys.apply(d.repoName, intent.sha, { type: "project_started", project: name });
  // Another worker driving the same deploy (a release) may have claimed it first.
  if (before.results[name] || (before.inFlight ?? []).includes(name)) return;
  await publish(d, before, after);
  const project = d.config.projects.find((p) => p.name === name)!;
  const target: RunTarget = { repo: intent.repo, sha: intent.sha, purpose: "deploy", ...(after.pullNumber !== undefined ? { pull: after.pullNumber } : {}) };
  const match = approvedPlanMatch(d, after, name);
  const run = await runAtCommit(deps, d.gh, {
    target,
    config: d.config,
    project,
    worktreePath: d.worktreePath,
    ...match.options,
    waitMs: MUTEX_WAIT_MS,
    audit: { actor: intent.release?.by ?? "slipway", via: deployVia(d, after), delivery: intent.deliveryId },
  });
  if (!("busy" in run) && run.held !== undefined) {
    await record(d, { type: "plan_changed", project: name, held: match.held()! });
    return;
  }
  const result = "busy" in run ? notRun(project, "not applied: another apply of this project did not finish in time") : run.result;
  // A lock taken when an earlier attempt was interrupted is done with once this one finished;
  // pull requests that waited for it are planned again.
  if (after.pullNumber !== undefined)
    await releaseLocks(deps, d.gh, intent.repo, after.pullNumber, [name], intent.deliveryId, {
      actor: "slipway",
      via: deployVia(d, after),
      reason: `the deploy of ${intent.sha.slice(0, 7)} applied it`,
    });
  await record(d, { type: "project_finished", result });
}

/**
 * SPEC §7: the plan made at the merge commit is applied only if it is the plan that was approved
 * (or, after a release, the plan that was shown). Otherwise it is held: its plan file is kept, so
 * that a release applies exactly what was shown, and the environment waits.
 */
function approvedPlanMatch(d: Deploy, state: DeployState, name: string): { options: Pick<CommitRun, "plan" | "holdIf">; held: () => HeldPlan | undefined } {
  const entry = state.projects.find((p) => p.name === name)!;
  const shown = state.held?.[name];
  const expected = expectedDigest(entry.approvedPlan, shown);
  const kept = { key: `${d.repoName}@deploy`, sha: d.intent.sha };
  let held: HeldPlan | undefined;
  const plan: CommitRun["plan"] = shown ? { kind: "fresh", applySaved: (path) => d.deps.planFiles.restore(kept.key, kept.sha, name, path) } : { kind: "fresh" };
  if (expected === undefined) return { options: { plan }, held: () => undefined };
  const holdIf = async (now: ProjectRunResult, planFile: string): Promise<string | undefined> => {
    if (now.planDigest === expected) return undefined;
    await d.deps.planFiles.save(kept.key, kept.sha, name, planFile);
    const approvedChanges = entry.approvedPlan?.changes;
    const differences = approvedChanges && now.resourceChanges ? planDifferences(approvedChanges, now.resourceChanges) : undefined;
    held = { digest: now.planDigest ?? "", plan: now, ...(differences ? { differences } : {}) };
    return heldReason(expected, now.planDigest ?? "");
  };
  return { options: { plan, holdIf }, held: () => held };
}

/** Feeds an event to the deploy's state and tells GitHub's deployments what changed. */
async function record(d: Deploy, event: DeployEvent): Promise<DeployState> {
  const { before, after } = await d.deps.deploys.apply(d.repoName, d.intent.sha, event);
  await publish(d, before, after);
  countEnded(d, before, after);
  if (event.type === "release_issue_opened" || event.type === "release_issue_closed") return after;
  return (await syncReleaseIssue(d.gh, after, (next) => record(d, next))) ?? after;
}

export async function publish(d: Deploy, before: DeployState | null, after: DeployState): Promise<void> {
  for (const u of deploymentUpdates(before, after)) await d.gh.setDeploymentStatus(u.deploymentId, u.state, u.description);
  // Whatever made an environment wait (manual, merged unapproved, a plan that differs from the
  // approved one), it is recorded once, when the state machine puts it there.
  for (const env of Object.values(after.environments)) {
    if (env.state !== "waiting" || before?.environments[env.name]?.state === "waiting" || env.name === NO_ENVIRONMENT) continue;
    const held = heldDigests(after, env.name);
    await d.deps.audit.record({
      ...auditOf(d, after),
      kind: "deploy.waiting",
      actor: "slipway",
      environment: env.name,
      outcome: "waiting",
      ...(env.reason ? { reason: held ? `${env.reason} (approved plan ${held.approved}, plan now ${held.now})` : env.reason } : {}),
      ...(held ? { project: held.project, plan_digest: held.now } : {}),
      via: deployVia(d, after),
    });
  }
}

/** Both digests of a plan held in this environment because it is not the approved one. */
function heldDigests(state: DeployState, environment: string): { project: string; approved: string; now: string } | undefined {
  for (const [project, held] of Object.entries(state.held ?? {})) {
    const entry = state.projects.find((p) => p.name === project);
    if (entry?.environment === environment) return { project, approved: entry.approvedPlan?.digest ?? "none", now: held.digest };
  }
  return undefined;
}

/** How the deploy came: a merged pull request, or a push straight to the branch. */
function deployVia(d: Deploy, state?: DeployState): "merge" | "push" | "comment" {
  if (d.intent.release) return "comment";
  return (state?.pullNumber ?? d.intent.pullNumber) !== undefined ? "merge" : "push";
}

function auditOf(d: Deploy, state?: DeployState) {
  const pull = state?.pullNumber ?? d.intent.pullNumber;
  return {
    repo: d.repoName,
    ...(pull !== undefined ? { pull } : {}),
    sha: d.intent.sha,
    delivery: d.intent.deliveryId,
  };
}

/** An environment that reached success or failure in this step counts once (metrics). */
function countEnded(d: Deploy, before: DeployState | null, after: DeployState): void {
  for (const env of Object.values(after.environments)) {
    const was = before?.environments[env.name]?.state;
    if ((env.state === "success" || env.state === "failure") && was !== env.state) d.deps.metrics?.deploy(env.name, env.state);
  }
}

/** Opens the revert pull request once, the first time an environment of the deploy fails. */
async function revertIfFailed(d: Deploy, state: DeployState): Promise<DeployState> {
  const failed = Object.values(state.environments).some((e) => e.state === "failure");
  if (!failed || state.pullNumber === undefined || state.revertPull !== undefined) return state;
  const pull = await d.gh.getPull(state.pullNumber);
  const reason = "the merge failed to apply (`on_apply_failure: revert_pr`)";
  const revert = await openRevertPull(d.deps, d.gh, {
    repo: d.gh.repo,
    pullNumber: state.pullNumber,
    mergeSha: state.sha,
    baseRef: pull.facts.baseRef,
    reason,
    by: { actor: "slipway", via: "merge", delivery: d.intent.deliveryId },
  });
  return record(d, { type: "revert_opened", pull: revert.number });
}

function envStates(state: DeployState): Record<string, string> {
  return Object.fromEntries(
    Object.values(state.environments)
      .filter((e) => e.name !== NO_ENVIRONMENT)
      .map((e) => [e.name, e.state]),
  );
}
