// The plan job: one pull request head → one check run per changed project and one sticky
// comment. Orchestration only: config, detection, running and rendering live in their modules.
import type { PlanIntent } from "../domain/intent.ts";
import type { RepoGitHub } from "../github/port.ts";
import { decideAutoplan } from "../policy/autoplan.ts";
import { effectiveGates } from "../policy/gates.ts";
import { finishPlanCheck, startPlanChecks, writeConfigCheck } from "../presentation/plan-checks.ts";
import { renderConfigCheck, renderNoConfigComment, renderSkippedComment } from "../presentation/render/config-check.ts";
import { renderPlanComment } from "../presentation/render/plan-comment.ts";
import { writeStickyComment } from "../presentation/sticky-comment.ts";
import { affectedProjects } from "../projects/affected-projects.ts";
import { pullKey, SlipwayError, type ProjectRunResult } from "../domain/types.ts";
import { pullChangedFiles } from "../workspace/changed-files.ts";
import { createRedactor, secretValues } from "../runner/redact.ts";
import { refreshApprovals } from "./approval-status.ts";
import type { JobDeps } from "./deps.ts";
import { CONFIG_FILE, loadConfigs, validConfig, type Configs } from "./load-configs.ts";
import type { Worktree } from "../workspace/workspaces.ts";
import type { ProjectConfig, RepoConfig } from "../repo-config/schema.ts";
import { planFilePath, planProject } from "../runner/plan-project.ts";
import { pullTarget, runDirOf } from "../domain/run-target.ts";
import { planJobId } from "../queue/jobs.ts";
import { stoppedForShutdown } from "../queue/shutdown.ts";

export type PlanJobOutcome =
  | { outcome: "superseded" }
  | { outcome: "not_planned"; reason: string }
  | { outcome: "config_error" }
  | { outcome: "no_projects" }
  | { outcome: "planned"; results: { project: string; status: ProjectRunResult["status"] }[] };

type PlanDeps = Pick<
  JobDeps,
  | "github"
  | "workspaces"
  | "heads"
  | "locks"
  | "plans"
  | "planFiles"
  | "openChecks"
  | "sticky"
  | "approvals"
  | "people"
  | "audit"
  | "dataDir"
  | "stepEnv"
  | "secretEnvNames"
  | "stepTimeoutMs"
  | "log"
>;

interface PlanRun {
  intent: PlanIntent;
  deps: PlanDeps;
  gh: RepoGitHub;
  log: PlanDeps["log"];
  key: string;
  /** The repository's mirror, holding the head and base commits (changed files are read there). */
  mirror: string;
  /** Being checked out while the plan is prepared; the steps wait for it. */
  worktree: Promise<Worktree>;
  configs: Configs;
  signal: AbortSignal;
  sticky: (body: string) => Promise<number>;
}

export async function runPlanJob(intent: PlanIntent, deps: PlanDeps, signal: AbortSignal): Promise<PlanJobOutcome> {
  const pull = intent.pull;
  const key = pullKey(pull);
  const log = deps.log.child({ delivery: intent.deliveryId, pr: key, sha: pull.headSha });
  if (!(await deps.heads.isCurrent(key, pull.headSha))) {
    log.info("head superseded before the plan started: skipped");
    return { outcome: "superseded" };
  }
  log.info({ trigger: intent.trigger }, "plan started");
  const gh = await deps.github.forRepo(pull.repo);
  const token = await gh.token();
  const where = { owner: pull.repo.owner, repo: pull.repo.name, sha: pull.headSha };
  await deps.workspaces.fetchCommit({ ...where, token, refs: [`refs/pull/${pull.number}/head`, `refs/heads/${pull.baseRef}`] }).catch((error: unknown) => {
    // Named, so that a last attempt failing here tells the pull request why (failed-plan-job.ts).
    throw new SlipwayError("head_not_fetched", `the commit could not be fetched: ${error instanceof Error ? error.message : String(error)}`);
  });
  // The worktree fills in (every file of the repository: the slow part of a checkout) while the
  // config, the changed files and the check runs are worked out from the mirror.
  const worktree = deps.workspaces.addWorktree(where);
  worktree.catch(() => undefined); // awaited where the steps need it, and in `finally`
  try {
    const headText = await deps.workspaces.readFileAtFetched({ ...where, path: CONFIG_FILE });
    const configs = await loadConfigs(deps.workspaces, { pull, token, headText });
    const sticky = (body: string) => writeStickyComment(gh, deps.sticky, { key, number: pull.number }, body);
    const mirror = deps.workspaces.mirrorPath(where.owner, where.repo);
    return await planHead({ intent, deps, gh, log, key, mirror, worktree, configs, signal, sticky });
  } finally {
    await worktree.then((w) => w.remove()).catch((error: unknown) => log.warn({ err: error }, "worktree not removed (removed at the next start)"));
  }
}

/** With the head checked out: is there anything to plan, and then plan it. */
async function planHead(run: PlanRun): Promise<PlanJobOutcome> {
  const { intent, configs, sticky } = run;
  const pull = intent.pull;
  if (configs.head.kind === "missing") {
    if (intent.trigger === "command" || !pull.fromFork) await sticky(renderNoConfigComment());
    return { outcome: "not_planned", reason: "no .slipway.yml" };
  }
  if (configs.head.kind === "invalid") {
    const check = renderConfigCheck(configs.head.errors);
    await writeConfigCheck(run.gh, pull.headSha, check);
    await sticky(renderPlanComment({ pr: pull.number, headSha: pull.headSha, results: [], notes: [check.title, ...configErrorLines(check)] }));
    run.log.info({ errors: configs.head.errors.length }, "config invalid");
    await run.deps.audit.record({
      ...auditOf(intent),
      kind: "config.invalid",
      outcome: "failure",
      reason: [check.title, ...configErrorLines(check)].join("\n"),
    });
    return { outcome: "config_error" };
  }
  const config = configs.head.config;
  const decision = decideAutoplan({
    trigger: intent.trigger,
    draft: pull.draft,
    fromFork: pull.fromFork,
    baseAllowsForks: configs.base.kind === "valid" && configs.base.config.allow_forks,
    autoplan: config.autoplan,
  });
  if (!decision.plan) {
    if (decision.reason !== "autoplan_off") await sticky(renderSkippedComment(decision.reason));
    run.log.info({ reason: decision.reason }, "not planned");
    return { outcome: "not_planned", reason: decision.reason };
  }
  const changed = await pullChangedFiles(run.mirror, pull.baseRef, pull.headSha, pull.baseSha);
  const projects = affectedProjects(config, changed).filter((p) => !intent.projects || intent.projects.includes(p.name));
  if (projects.length === 0) {
    if ((await run.deps.sticky.get(run.key)) !== null) {
      await sticky(renderPlanComment({ pr: pull.number, headSha: pull.headSha, results: [], notes: ["No project is changed by this commit."] }));
    }
    return { outcome: "no_projects" };
  }
  const results = await planProjects(run, config, projects);
  return publishPlans(run, config, results);
}

/**
 * Each project under its lock, one check run each; a newer head cancels what is left. A shutdown
 * stops it with nothing shown: its checks stay open for the retry on another worker to close as
 * "Interrupted" next to its own (queue/shutdown.ts).
 */
async function planProjects(run: PlanRun, config: RepoConfig, projects: ProjectConfig[]): Promise<ProjectRunResult[]> {
  const { deps, gh, key, signal } = run;
  const pull = run.intent.pull;
  const stopIfShuttingDown = () => {
    if (stoppedForShutdown(signal)) throw signal.reason;
  };
  stopIfShuttingDown();
  const checks = await startPlanChecks(
    gh,
    deps.openChecks,
    planJobId(run.intent),
    pull.headSha,
    projects.map((p) => p.name),
  );
  const redact = createRedactor(secretValues(deps.stepEnv, deps.secretEnvNames));
  const worktreePath = await worktreeOrFinishChecks(run, projects, checks);
  const target = pullTarget(pull);
  const runDir = runDirOf(deps.dataDir, target);
  const results: ProjectRunResult[] = [];
  for (const project of projects) {
    stopIfShuttingDown();
    const lock = await lockProject(deps, gh, run.intent, project.name);
    const result = signal.aborted
      ? supersededResult(project.name, project.dir, project.environment)
      : lock.acquired
        ? await planProject({
            config,
            project,
            target,
            worktreePath,
            runDir,
            env: deps.stepEnv,
            redact,
            defaultTimeoutMs: deps.stepTimeoutMs,
            signal,
          })
        : lockedResult(project.name, project.dir, project.environment, lock.heldBy);
    if (result.status === "changes") await deps.planFiles.save(key, pull.headSha, project.name, planFilePath(runDir, project.name));
    run.log.info({ project: project.name, status: result.status, ms: result.durationMs }, "project planned");
    results.push(result);
  }
  stopIfShuttingDown();
  await Promise.all(results.map((r, i) => finishPlanCheck(gh, deps.openChecks, planJobId(run.intent), checks[i]!, r, pull.headSha)));
  return results;
}

/** Records the plans and shows them, unless a newer head took over meanwhile. */
async function publishPlans(run: PlanRun, config: RepoConfig, results: ProjectRunResult[]): Promise<PlanJobOutcome> {
  const { deps, key } = run;
  const pull = run.intent.pull;
  // A newer head owns the comment now; writing ours would show stale results. (A shutdown that
  // began after the checks were written lets the plan be shown: it is done.)
  const superseded = run.signal.aborted && !stoppedForShutdown(run.signal);
  if (superseded || !(await deps.heads.isCurrent(key, pull.headSha))) {
    run.log.info("superseded while planning: comment left to the newer head");
    return { outcome: "superseded" };
  }
  const stored = await deps.plans.recordPlans(key, pull.headSha, results);
  for (const r of results) {
    if (r.status === "superseded") continue;
    await deps.audit.record({
      ...auditOf(run.intent),
      kind: "plan",
      project: r.project,
      ...(r.environment ? { environment: r.environment } : {}),
      outcome: r.status,
      ...(r.reason ? { reason: r.reason } : {}),
      ...(r.planDigest ? { plan_digest: r.planDigest } : {}),
    });
  }
  const shown = Object.values(stored.projects).map((p) => p.result);
  await run.sticky(renderPlanComment({ pr: pull.number, headSha: pull.headSha, results: shown }));
  // Approvals given while this plan ran count now (SPEC §7 "No approval is lost to timing").
  const base = validConfig(run.configs.base);
  await refreshApprovals(deps, run.gh, pull, { head: config, base, gates: effectiveGates(base, config) });
  return { outcome: "planned", results: results.map((r) => ({ project: r.project, status: r.status })) };
}

/** The worktree's path; if it could not be made, the checks just started say so before the job fails. */
async function worktreeOrFinishChecks(run: PlanRun, projects: ProjectConfig[], checks: number[]): Promise<string> {
  try {
    return (await run.worktree).path;
  } catch (error) {
    const reason = `the commit could not be checked out: ${error instanceof Error ? error.message : String(error)}`;
    await Promise.all(
      projects.map((p, i) =>
        finishPlanCheck(
          run.gh,
          run.deps.openChecks,
          planJobId(run.intent),
          checks[i]!,
          { ...supersededResult(p.name, p.dir, p.environment), status: "error", reason },
          run.intent.pull.headSha,
        ),
      ),
    );
    throw error;
  }
}

function supersededResult(project: string, dir: string, environment: string | undefined): ProjectRunResult {
  return { project, dir, environment, status: "superseded", output: "", truncated: false, durationMs: 0 };
}

function lockedResult(project: string, dir: string, environment: string | undefined, holder: { number: number; url: string }): ProjectRunResult {
  return {
    project,
    dir,
    environment,
    status: "locked",
    reason: `locked by #${holder.number} (${holder.url}): one pull request at a time may change a project. It is planned here once #${holder.number} merges, closes or comments \`/unlock\`.`,
    output: "",
    truncated: false,
    durationMs: 0,
  };
}

/**
 * Takes the project's lock for this pull request. A lock held by a pull request that is closed
 * (its close event was missed) is freed on the spot: locks must not outlive their pull request.
 */
async function lockProject(
  deps: PlanDeps,
  gh: RepoGitHub,
  intent: PlanIntent,
  project: string,
): Promise<{ acquired: true } | { acquired: false; heldBy: { number: number; url: string } }> {
  const pull = intent.pull;
  const key = { owner: pull.repo.owner, repo: pull.repo.name, project };
  const holder = { pull: pull.number, headSha: pull.headSha, author: pull.author, since: Date.now() };
  const acquired = () => deps.audit.record({ ...auditOf(intent), kind: "lock.acquired", project, outcome: "acquired" });
  const first = await deps.locks.tryAcquire(key, holder);
  if (first.acquired) {
    if (!first.reentrant) await acquired();
    return { acquired: true };
  }
  const other = await gh.getPull(first.heldBy.pull);
  // A merged pull request holds a lock on purpose only for a deploy of its merge commit that was
  // interrupted (see interrupted-job.ts): that one waits for a human, it is not stale.
  const heldForDeploy = other.merged && other.mergeCommitSha !== undefined && first.heldBy.headSha === other.mergeCommitSha;
  if (other.state === "open" || heldForDeploy) return { acquired: false, heldBy: { number: other.facts.number, url: other.htmlUrl } };
  if (await deps.locks.forceRelease(key, first.heldBy.pull))
    await deps.audit.record({
      ...auditOf(intent),
      kind: "lock.released",
      actor: "slipway",
      pull: first.heldBy.pull,
      sha: first.heldBy.headSha,
      project,
      outcome: "released",
      reason: `#${first.heldBy.pull} is closed`,
    });
  const second = await deps.locks.tryAcquire(key, holder);
  if (second.acquired) {
    await acquired();
    return { acquired: true };
  }
  // Taken by yet another pull request in between: name it without a further lookup.
  return { acquired: false, heldBy: { number: second.heldBy.pull, url: other.htmlUrl.replace(/\/\d+$/, `/${second.heldBy.pull}`) } };
}

/** The plan's part of every event it records: who asked, on which head, how. */
export function auditOf(intent: PlanIntent) {
  const pull = intent.pull;
  const asked = intent.requestedBy !== undefined && intent.requestedBy !== "slipway";
  return {
    actor: intent.requestedBy ?? "slipway",
    repo: `${pull.repo.owner}/${pull.repo.name}`,
    pull: pull.number,
    sha: pull.headSha,
    delivery: intent.deliveryId,
    // A plan Slipway asked for itself (a lock it waited for was released) has no `via` of its own.
    ...(asked ? { via: "comment" as const } : intent.trigger === "autoplan" ? { via: "push" as const } : {}),
  };
}

function configErrorLines(check: { text?: string }): string[] {
  return check.text ? [check.text] : [];
}
