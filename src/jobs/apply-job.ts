// Apply before merge: runs the apply steps of planned projects at exactly the planned commit,
// in depends_on order, one apply per project at a time across all workers.
import type { ApplyIntent } from "../domain/intent.ts";
import type { ProjectRunResult } from "../domain/types.ts";
import type { RepoGitHub } from "../github/port.ts";
import { withApplyMutex } from "../locks/apply-mutex.ts";
import { renderPlanCheck } from "../presentation/render/plan-check.ts";
import { renderPlanComment } from "../presentation/render/plan-comment.ts";
import { renderRefusal } from "../presentation/render/command-reply.ts";
import { writeStickyComment } from "../presentation/sticky-comment.ts";
import { applyOrder } from "../projects/dependency-graph.ts";
import { pullKey } from "../domain/types.ts";
import type { ProjectConfig } from "../repo-config/schema.ts";
import { createRedactor, secretValues } from "../runner/redact.ts";
import { applyProject } from "./apply-project.ts";
import type { JobDeps } from "./deps.ts";
import { loadConfigs } from "./load-configs.ts";
import { runDirOf } from "./plan-project.ts";

/** A long apply of the same project elsewhere is waited for, within reason. */
const MUTEX_WAIT_MS = 30 * 60 * 1000;

export async function runApplyJob(intent: ApplyIntent, deps: JobDeps): Promise<{ applied: string[] }> {
  const pull = intent.pull;
  const key = pullKey(pull);
  const log = deps.log.child({ delivery: intent.deliveryId, pr: key, sha: pull.headSha, requestedBy: intent.requestedBy });
  const gh = await deps.github.forRepo(pull.repo);
  const current = await gh.getPull(pull.number);
  if (current.facts.headSha !== pull.headSha || current.state !== "open") {
    const why = current.state !== "open" ? "the pull request was closed" : `the head moved to ${current.facts.headSha.slice(0, 7)}: plan and approve it again`;
    await gh.createComment(pull.number, renderRefusal("/apply", `not applied: ${why}.`));
    return { applied: [] };
  }
  const token = await gh.token();
  const worktree = await deps.workspaces.checkout({ owner: pull.repo.owner, repo: pull.repo.name, token, sha: pull.headSha, refs: [`refs/pull/${pull.number}/head`] });
  try {
    const configs = await loadConfigs(deps.workspaces, { pull, token, worktreePath: worktree.path });
    if (configs.head.kind !== "valid") throw new Error("the planned commit has no valid .slipway.yml");
    const config = configs.head.config;
    const wanted = config.projects.filter((p) => intent.projects.includes(p.name));
    const redact = createRedactor(secretValues(deps.stepEnv, deps.secretEnvNames));
    const failed = new Set<string>();
    const results: ProjectRunResult[] = [];
    for (const wave of applyOrder(wanted, config.projects)) {
      for (const name of wave) {
        const project = wanted.find((p) => p.name === name)!;
        const blocker = project.depends_on.find((d) => failed.has(d));
        const result = blocker
          ? notApplied(project, `not applied: ${blocker} failed to apply`)
          : await applyOnce(deps, gh, intent, project, async () =>
              applyProject({
                config,
                project,
                pull,
                worktreePath: worktree.path,
                runDir: runDirOf(deps.dataDir, pull),
                restorePlanFile: (target) => deps.planFiles.restore(key, pull.headSha, project.name, target),
                env: deps.stepEnv,
                redact,
                defaultTimeoutMs: deps.stepTimeoutMs,
              }),
            );
        if (result.status === "error" || result.status === "timed_out") failed.add(name);
        log.info({ project: name, status: result.status, ms: result.durationMs }, "project applied");
        results.push(result);
      }
    }
    const body = renderPlanComment({ pr: pull.number, headSha: pull.headSha, results, phase: "apply" });
    await writeStickyComment(gh, deps.sticky, { key, number: pull.number }, body);
    return { applied: results.filter((r) => r.status === "changes" || r.status === "no_changes").map((r) => r.project) };
  } finally {
    await worktree.remove();
  }
}

/**
 * Holds the project's apply mutex, and under it checks the plan was not applied already: two
 * `/apply` racing on two workers run the steps once, one after the other, never together.
 */
async function applyOnce(deps: JobDeps, gh: RepoGitHub, intent: ApplyIntent, project: ProjectConfig, run: () => Promise<ProjectRunResult>): Promise<ProjectRunResult> {
  const pull = intent.pull;
  const key = pullKey(pull);
  const outcome = await withApplyMutex(
    deps.redis,
    deps.prefix,
    { owner: pull.repo.owner, repo: pull.repo.name, project: project.name },
    async () => {
      const entry = (await deps.plans.get(key))?.projects[project.name];
      if (entry?.appliedSha === pull.headSha) return notApplied(project, `already applied at ${pull.headSha.slice(0, 7)}`, "no_changes");
      if (!entry || entry.headSha !== pull.headSha) return notApplied(project, `not applied: the plan is not for ${pull.headSha.slice(0, 7)}`);
      const checkId = await gh.createCheckRun({
        name: `slipway/apply: ${project.name}`,
        headSha: pull.headSha,
        status: "in_progress",
        output: { title: "Applying…", summary: `Applying \`${project.name}\` at ${pull.headSha.slice(0, 7)}, requested by @${intent.requestedBy}.` },
      });
      const result = await run();
      await deps.plans.recordApply(key, pull.headSha, result);
      const check = renderPlanCheck(result, { phase: "apply", headSha: pull.headSha });
      await gh.completeCheckRun(checkId, check.conclusion, { title: check.title, summary: check.summary, text: check.text });
      return result;
    },
    { waitMs: MUTEX_WAIT_MS, ttlMs: deps.jobLockMs },
  );
  return outcome.acquired ? outcome.value : notApplied(project, "not applied: another apply of this project did not finish in time");
}

function notApplied(project: ProjectConfig, reason: string, status: ProjectRunResult["status"] = "error"): ProjectRunResult {
  return { project: project.name, dir: project.dir, environment: project.environment, status, reason, output: "", truncated: false, durationMs: 0 };
}
