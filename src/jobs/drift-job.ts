// Drift: plans every project of the default branch's head against the world. A project with
// changes has drifted: one issue labelled `drift` per project says so (opened, updated, closed
// when the drift is gone), or Slipway repairs it (`drift.remediate: true`, or `/apply` on the
// issue by an approver) through the same locks and apply mutex as any apply.
import type { DriftIntent } from "../domain/intent.ts";
import type { ProjectRunResult } from "../domain/types.ts";
import type { RepoGitHub } from "../github/port.ts";
import { withApplyMutex } from "../locks/apply-mutex.ts";
import { DRIFT_LABEL, driftIssueTitle, driftMarker, renderDriftIssue, renderDriftResolved } from "../presentation/render/drift-issue.ts";
import { parseRepoConfig } from "../repo-config/parse-repo-config.ts";
import type { ProjectConfig, RepoConfig } from "../repo-config/schema.ts";
import { createRedactor, secretValues } from "../runner/redact.ts";
import type { Worktree } from "../workspace/workspaces.ts";
import { applyAtCommit, pseudoPull } from "./deploy-job.ts";
import type { JobDeps } from "./deps.ts";
import { CONFIG_FILE } from "./load-configs.ts";
import { planProject, runDirOf } from "./plan-project.ts";

type Issue = { number: number; title: string; body: string };

export async function runDriftJob(intent: DriftIntent, deps: JobDeps): Promise<Record<string, string>> {
  const log = deps.log.child({ delivery: intent.deliveryId, repo: `${intent.repo.owner}/${intent.repo.name}`, drift: true });
  const gh = await deps.github.forRepo(intent.repo);
  // Never two drift runs of one repository at once, whichever workers the schedule lands on.
  const run = await withApplyMutex(deps.redis, deps.prefix, { owner: intent.repo.owner, repo: intent.repo.name, project: "(drift run)" }, () => driftRun(intent, deps, gh), { waitMs: 0, ttlMs: deps.jobLockMs });
  if (!run.acquired) {
    log.info("a drift run of this repository is already going: skipped");
    return {};
  }
  log.info({ outcome: run.value }, "drift run done");
  return run.value;
}

async function driftRun(intent: DriftIntent, deps: JobDeps, gh: RepoGitHub): Promise<Record<string, string>> {
  const token = await gh.token();
  const where = { owner: intent.repo.owner, repo: intent.repo.name, token };
  const sha = await deps.workspaces.branchHead({ ...where, branch: intent.branch });
  const text = await deps.workspaces.readFileAt({ ...where, rev: sha, path: CONFIG_FILE });
  const parsed = text === null ? null : parseRepoConfig(text, CONFIG_FILE);
  if (!parsed?.ok) return {};
  const config = parsed.config;
  const projects = intent.remediate ? config.projects.filter((p) => p.name === intent.remediate!.project) : config.projects;
  const worktree = await deps.workspaces.checkout({ ...where, sha });
  try {
    const issues = await gh.listOpenIssues(DRIFT_LABEL);
    const outcome: Record<string, string> = {};
    for (const project of projects) outcome[project.name] = await checkProject(deps, gh, intent, config, project, sha, worktree, issues);
    return outcome;
  } finally {
    await worktree.remove();
  }
}

async function checkProject(deps: JobDeps, gh: RepoGitHub, intent: DriftIntent, config: RepoConfig, project: ProjectConfig, sha: string, worktree: Worktree, issues: Issue[]): Promise<string> {
  const redact = createRedactor(secretValues(deps.stepEnv, deps.secretEnvNames));
  const pull = pseudoPull({ repo: intent.repo, sha }, undefined);
  const common = { config, project, pull, worktreePath: worktree.path, runDir: runDirOf(deps.dataDir, pull), env: deps.stepEnv, redact, defaultTimeoutMs: deps.stepTimeoutMs };
  const plan = await planProject({ ...common, signal: new AbortController().signal });
  const existing = issues.find((i) => i.body.includes(driftMarker(project.name)));
  if (plan.status === "no_changes") {
    if (existing) await gh.updateIssue(existing.number, { body: renderDriftResolved(project.name, sha, "gone"), state: "closed" });
    return existing ? "drift gone" : "in sync";
  }
  if (plan.status !== "changes") return `plan ${plan.status}`;

  let note: string | undefined;
  if (intent.remediate?.project === project.name || config.drift.remediate) {
    const holder = await deps.locks.holder({ owner: intent.repo.owner, repo: intent.repo.name, project: project.name });
    if (holder) {
      note = `Not repaired: #${holder.pull} holds the lock of \`${project.name}\`; its change comes first.`;
    } else {
      const applied = await applyAtCommit(deps, gh, { repo: intent.repo, sha }, config, project, pull, worktree, redact);
      if (succeeded(applied)) {
        if (existing) await gh.updateIssue(existing.number, { body: renderDriftResolved(project.name, sha, "remediated"), state: "closed" });
        return "remediated";
      }
      note = `Repair failed: ${applied.reason ?? applied.status}. See the \`slipway/apply: ${project.name}\` check on ${sha.slice(0, 7)}.`;
    }
  }
  const body = renderDriftIssue(plan, sha, { remediate: false, ...(note ? { note } : {}) });
  if (existing) await gh.updateIssue(existing.number, { body });
  else await gh.createIssue({ title: driftIssueTitle(project.name), body, labels: [DRIFT_LABEL] });
  return "drifted";
}

function succeeded(r: ProjectRunResult): boolean {
  return r.status === "changes" || r.status === "no_changes";
}
