// The one way anything is applied: at an exact commit, under the project's apply mutex (so
// applies of a project never overlap, on any worker), with a `slipway/apply: <project>` check
// run on that commit. Deploys, drift checks and repairs, and applies before merge all come
// through here; they differ only in where the plan comes from and what they check first.
import type { AuditVia } from "../audit/event.ts";
import type { RunTarget } from "../domain/run-target.ts";
import { runDirOf } from "../domain/run-target.ts";
import type { ProjectRunResult } from "../domain/types.ts";
import type { RepoGitHub } from "../github/port.ts";
import { withApplyMutex } from "../locks/apply-mutex.ts";
import { renderHeldCheck } from "../presentation/render/held-plan.ts";
import { renderPlanCheck } from "../presentation/render/plan-check.ts";
import type { ProjectConfig, RepoConfig } from "../repo-config/schema.ts";
import { applyProject } from "../runner/apply-project.ts";
import { planFilePath, planProject } from "../runner/plan-project.ts";
import { createRedactor, secretValues } from "../runner/redact.ts";
import type { JobDeps } from "./deps.ts";

export type RunAtCommitDeps = Pick<JobDeps, "audit" | "redis" | "prefix" | "jobLockMs" | "dataDir" | "stepEnv" | "secretEnvNames" | "stepTimeoutMs" | "log">;

export interface CommitRun {
  target: RunTarget;
  config: RepoConfig;
  project: ProjectConfig;
  worktreePath: string;
  /**
   * `fresh`: plan at the commit first, so the plan file matches it (a deploy, a drift check).
   * `saved`: apply the plan file saved when the pull request was planned (apply before merge).
   * `fresh` with `applySaved`: plan to see whether the world still matches (`holdIf`), then
   * apply the plan file that was shown rather than the new one.
   */
  plan: { kind: "fresh"; applySaved?: (path: string) => Promise<boolean> } | { kind: "saved"; restore: (path: string) => Promise<boolean> };
  /**
   * Given a fresh plan with changes, whether to apply it (a drift check applies only when it
   * repairs). Absent: always — and then the apply check is shown from the start.
   */
  applyIf?: (plan: ProjectRunResult) => boolean;
  /**
   * Given a fresh plan with changes, a reason not to apply it yet (it is not the approved plan):
   * the apply check says so and nothing is applied. Called under the mutex, with the plan file
   * at `planFile`, so the caller may keep it.
   */
  holdIf?: (plan: ProjectRunResult, planFile: string) => Promise<string | undefined>;
  /** Checked under the mutex before anything runs: a result that ends the run (already applied, stale plan). */
  guard?: () => Promise<ProjectRunResult | undefined>;
  /** Called under the mutex just before the apply starts (a drift repair notes it is under way). */
  beforeApply?: () => Promise<void>;
  /** Recorded under the mutex once the apply ran. */
  record?: (result: ProjectRunResult) => Promise<void>;
  /** Who asked, for the check run's summary. */
  requestedBy?: string;
  /** How long to wait for another apply of the project; 0 refuses at once. */
  waitMs: number;
  /** Who the apply is for, for its `apply` audit event. */
  audit: { actor: string; via: AuditVia; delivery: string; planDigest?: string };
}

export interface CommitRunOutcome {
  /** The fresh plan, when one was made. */
  plan?: ProjectRunResult;
  /** What users see: the apply's result, or why nothing was applied. */
  result: ProjectRunResult;
  applied: boolean;
  /** Why the fresh plan was not applied (see `holdIf`). */
  held?: string;
}

export async function runAtCommit(deps: RunAtCommitDeps, gh: RepoGitHub, run: CommitRun): Promise<CommitRunOutcome | { busy: true }> {
  const key = { owner: run.target.repo.owner, repo: run.target.repo.name, project: run.project.name };
  const outcome = await withApplyMutex(
    deps.redis,
    deps.prefix,
    key,
    async (lost) => {
      lost.addEventListener("abort", () =>
        deps.log.error({ ...key, sha: run.target.sha, reason: String(lost.reason) }, "apply mutex lost: another apply of this project may start"),
      );
      return underMutex(deps, gh, run);
    },
    { waitMs: run.waitMs, ttlMs: deps.jobLockMs },
  );
  return outcome.acquired ? outcome.value : { busy: true };
}

async function underMutex(deps: RunAtCommitDeps, gh: RepoGitHub, run: CommitRun): Promise<CommitRunOutcome> {
  const stop = await run.guard?.();
  if (stop) return { result: stop, applied: false };
  const check = run.applyIf ? undefined : await startApplyCheck(gh, run);
  const steps = stepInputs(deps, run);
  let plan: ProjectRunResult | undefined;
  if (run.plan.kind === "fresh") {
    plan = await planProject({ ...steps, signal: new AbortController().signal });
    const applies = plan.status === "changes" && (run.applyIf?.(plan) ?? true);
    if (!applies) {
      const result =
        plan.status === "changes" || plan.status === "no_changes"
          ? plan
          : { ...plan, reason: `not applied: the plan at ${run.target.sha.slice(0, 7)} failed${plan.reason ? ` (${plan.reason})` : ""}` };
      if (check !== undefined) await completeApplyCheck(gh, check, result, run);
      return { plan, result, applied: false };
    }
    const held = await run.holdIf?.(plan, planFilePath(steps.runDir, run.project.name));
    if (held !== undefined) {
      if (check !== undefined) await gh.completeCheckRun(check, "neutral", renderHeldCheck(run.project.name, run.target.sha, held));
      return { plan, result: plan, applied: false, held };
    }
  }
  const checkId = check ?? (await startApplyCheck(gh, run));
  const restore = run.plan.kind === "saved" ? run.plan.restore : (run.plan.applySaved ?? (async () => true));
  await run.beforeApply?.();
  const result = await applyProject({ ...steps, restorePlanFile: restore });
  await run.record?.(result);
  const digest = run.audit.planDigest ?? plan?.planDigest;
  await deps.audit.record({
    kind: "apply",
    actor: run.audit.actor,
    repo: `${run.target.repo.owner}/${run.target.repo.name}`,
    ...(run.target.pull !== undefined ? { pull: run.target.pull } : {}),
    sha: run.target.sha,
    project: run.project.name,
    ...(run.project.environment ? { environment: run.project.environment } : {}),
    outcome: result.status,
    ...(result.reason ? { reason: result.reason } : {}),
    ...(digest ? { plan_digest: digest } : {}),
    delivery: run.audit.delivery,
    via: run.audit.via,
  });
  await completeApplyCheck(gh, checkId, result, run);
  return { plan, result, applied: true };
}

function stepInputs(deps: RunAtCommitDeps, run: CommitRun) {
  return {
    config: run.config,
    project: run.project,
    target: run.target,
    worktreePath: run.worktreePath,
    runDir: runDirOf(deps.dataDir, run.target),
    env: deps.stepEnv,
    redact: createRedactor(secretValues(deps.stepEnv, deps.secretEnvNames)),
    defaultTimeoutMs: deps.stepTimeoutMs,
  };
}

function startApplyCheck(gh: RepoGitHub, run: CommitRun): Promise<number> {
  const by = run.requestedBy ? `, requested by @${run.requestedBy}` : "";
  return gh.createCheckRun({
    name: `slipway/apply: ${run.project.name}`,
    headSha: run.target.sha,
    status: "in_progress",
    output: { title: "Applying…", summary: `Applying \`${run.project.name}\` at ${run.target.sha.slice(0, 7)}${by}.` },
  });
}

async function completeApplyCheck(gh: RepoGitHub, checkId: number, result: ProjectRunResult, run: CommitRun): Promise<void> {
  const check = renderPlanCheck(result, { phase: "apply", headSha: run.target.sha });
  await gh.completeCheckRun(checkId, check.conclusion, { title: check.title, summary: check.summary, text: check.text });
}

/** A result for a project that was not run, saying why. */
export function notRun(project: ProjectConfig, reason: string, status: ProjectRunResult["status"] = "error"): ProjectRunResult {
  return { project: project.name, dir: project.dir, environment: project.environment, status, reason, output: "", truncated: false, durationMs: 0 };
}
