// Drift: plans every project of the default branch's head against the world. A project with
// changes has drifted: one issue labelled `drift` per project says so (opened, updated, closed
// when the drift is gone), or Slipway repairs it (`drift.remediate: true`, or `/apply` on the
// issue by an approver). Each project is planned, and repaired, under its own apply mutex,
// like any apply (jobs/run-at-commit.ts).
import { succeeded } from "../domain/deploy-state.ts";
import type { DriftIntent } from "../domain/intent.ts";
import type { RunTarget } from "../domain/run-target.ts";
import type { RepoGitHub } from "../github/port.ts";
import { driftRunMutexKey, withMutex } from "../locks/apply-mutex.ts";
import { DRIFT_LABEL, driftIssueTitle, driftMarker, renderDriftIssue, renderDriftResolved } from "../presentation/render/drift-issue.ts";
import { parseRepoConfig } from "../repo-config/parse-repo-config.ts";
import type { ProjectConfig, RepoConfig } from "../repo-config/schema.ts";
import type { JobDeps } from "./deps.ts";
import { CONFIG_FILE } from "./load-configs.ts";
import { runAtCommit, type RunAtCommitDeps } from "./run-at-commit.ts";

type Issue = { number: number; title: string; body: string };
type DriftDeps = RunAtCommitDeps & Pick<JobDeps, "github" | "workspaces" | "locks" | "metrics" | "driftRepairs">;

/** Verdicts of checkProject after which a project is not drifted (the rest say nothing new). */
const IN_SYNC = ["in sync", "drift gone", "remediated"];

/** A repair someone asked for waits for a running drift check or apply; a scheduled check does not. */
const REPAIR_WAIT_MS = 30 * 60 * 1000;

interface DriftRun {
  deps: DriftDeps;
  gh: RepoGitHub;
  intent: DriftIntent;
  config: RepoConfig;
  target: RunTarget;
  worktreePath: string;
  issues: Issue[];
}

export async function runDriftJob(intent: DriftIntent, deps: DriftDeps): Promise<Record<string, string>> {
  const log = deps.log.child({ delivery: intent.deliveryId, repo: `${intent.repo.owner}/${intent.repo.name}`, drift: true });
  const gh = await deps.github.forRepo(intent.repo);
  const key = driftRunMutexKey(deps.prefix, { owner: intent.repo.owner, repo: intent.repo.name });
  const waitMs = intent.remediate ? REPAIR_WAIT_MS : 0;
  const run = await withMutex(deps.redis, key, () => driftRun(intent, deps, gh), { waitMs, ttlMs: deps.jobLockMs });
  if (!run.acquired) {
    log.info("a drift run of this repository is already going: skipped");
    return {};
  }
  log.info({ outcome: run.value }, "drift run done");
  for (const [project, outcome] of Object.entries(run.value)) {
    const repo = `${intent.repo.owner}/${intent.repo.name}`;
    if (outcome === "drifted") deps.metrics?.drift(repo, project, true);
    else if (IN_SYNC.includes(outcome)) deps.metrics?.drift(repo, project, false);
  }
  return run.value;
}

async function driftRun(intent: DriftIntent, deps: DriftDeps, gh: RepoGitHub): Promise<Record<string, string>> {
  const where = { owner: intent.repo.owner, repo: intent.repo.name, token: await gh.token() };
  const sha = await deps.workspaces.branchHead({ ...where, branch: intent.branch });
  const text = await deps.workspaces.readFileAt({ ...where, rev: sha, path: CONFIG_FILE });
  const parsed = text === null ? null : parseRepoConfig(text, CONFIG_FILE);
  if (!parsed?.ok) return {};
  const config = parsed.config;
  const projects = intent.remediate ? config.projects.filter((p) => p.name === intent.remediate!.project) : config.projects;
  const worktree = await deps.workspaces.checkout({ ...where, sha });
  try {
    const run: DriftRun = {
      deps,
      gh,
      intent,
      config,
      target: { repo: intent.repo, sha, purpose: "drift" },
      worktreePath: worktree.path,
      issues: await gh.listOpenIssues(DRIFT_LABEL),
    };
    const outcome: Record<string, string> = {};
    for (const project of projects) outcome[project.name] = await checkProject(run, project);
    return outcome;
  } finally {
    await worktree.remove();
  }
}

async function checkProject(run: DriftRun, project: ProjectConfig): Promise<string> {
  const { deps, gh, intent, target } = run;
  const repairAsked = intent.remediate?.project === project.name || run.config.drift.remediate;
  // An open pull request that holds the project's lock changes it next: its change comes first.
  const held = repairAsked ? await deps.locks.holder({ owner: intent.repo.owner, repo: intent.repo.name, project: project.name }) : null;
  const holder = held && held.pull !== intent.afterQueueOf ? held : null;
  const existing = run.issues.find((i) => i.body.includes(driftMarker(project.name)));
  const result = await underway(run, project, existing?.number, (beforeApply) =>
    runAtCommit(deps, gh, {
      target,
      config: run.config,
      project,
      worktreePath: run.worktreePath,
      plan: { kind: "fresh" },
      applyIf: () => repairAsked && !holder,
      beforeApply,
      requestedBy: intent.remediate?.by,
      waitMs: intent.remediate ? REPAIR_WAIT_MS : 0,
      audit: driftAudit(intent),
    }),
  );
  if ("busy" in result) return "being applied: checked next run";
  const plan = result.plan!;
  if (plan.status === "no_changes" || (result.applied && succeeded(result.result))) {
    const how = plan.status === "no_changes" ? "gone" : "remediated";
    if (existing) await gh.updateIssue(existing.number, { body: renderDriftResolved(project.name, target.sha, how), state: "closed" });
    if (how === "remediated") await recordDrift(run, project, "drift.remediated", "remediated", plan.planDigest);
    return how === "remediated" ? how : existing ? "drift gone" : "in sync";
  }
  if (plan.status !== "changes") return `plan ${plan.status}`;
  const note = holder
    ? `Not repaired: #${holder.pull} holds the lock of \`${project.name}\`; its change comes first.`
    : result.applied
      ? `Repair failed: ${result.result.reason ?? result.result.status}. See the \`slipway/apply: ${project.name}\` check on ${target.sha.slice(0, 7)}.`
      : undefined;
  const body = renderDriftIssue(plan, target.sha, { remediate: false, ...(note ? { note } : {}) });
  if (existing) await gh.updateIssue(existing.number, { body });
  else await gh.createIssue({ title: driftIssueTitle(project.name), body, labels: [DRIFT_LABEL] });
  await recordDrift(run, project, "drift.detected", "drifted", plan.planDigest, note);
  return "drifted";
}

function driftAudit(intent: DriftIntent) {
  return { actor: intent.remediate?.by ?? "slipway", via: intent.remediate ? ("comment" as const) : ("schedule" as const), delivery: intent.deliveryId };
}

async function recordDrift(
  run: DriftRun,
  project: ProjectConfig,
  kind: "drift.detected" | "drift.remediated",
  outcome: string,
  planDigest: string | undefined,
  reason?: string,
): Promise<void> {
  const { actor, via, delivery } = driftAudit(run.intent);
  await run.deps.audit.record({
    kind,
    actor,
    repo: `${run.intent.repo.owner}/${run.intent.repo.name}`,
    sha: run.target.sha,
    project: project.name,
    ...(project.environment ? { environment: project.environment } : {}),
    outcome,
    ...(reason ? { reason } : {}),
    ...(planDigest ? { plan_digest: planDigest } : {}),
    delivery,
    via,
  });
}

/**
 * Runs a drift check whose repair, once its apply starts, is noted as under way until it ends:
 * if the worker dies in between, the note is how the repair is reported interrupted
 * (jobs/interrupted-job.ts) rather than silently lost.
 */
async function underway<T>(run: DriftRun, project: ProjectConfig, issue: number | undefined, fn: (beforeApply: () => Promise<void>) => Promise<T>): Promise<T> {
  const repo = `${run.intent.repo.owner}/${run.intent.repo.name}`;
  let started = false;
  const beforeApply = async () => {
    started = true;
    await run.deps.driftRepairs.start(repo, {
      project: project.name,
      sha: run.target.sha,
      delivery: run.intent.deliveryId,
      ...(issue !== undefined ? { issue } : {}),
    });
  };
  try {
    return await fn(beforeApply);
  } finally {
    if (started) await run.deps.driftRepairs.finish(repo, project.name);
  }
}
