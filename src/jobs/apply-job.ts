// Apply before merge: runs the apply steps of planned projects at exactly the planned commit,
// with the plan files the plan wrote, in depends_on order, one apply per project at a time
// across all workers (jobs/run-at-commit.ts).
import type { ApplyIntent } from "../domain/intent.ts";
import { pullTarget } from "../domain/run-target.ts";
import { pullKey, type ProjectRunResult } from "../domain/types.ts";
import type { RepoGitHub } from "../github/port.ts";
import { renderPlanComment } from "../presentation/render/plan-comment.ts";
import { renderRefusal } from "../presentation/render/command-reply.ts";
import { writeStickyComment } from "../presentation/sticky-comment.ts";
import { applyOrder } from "../projects/dependency-graph.ts";
import type { ProjectConfig, RepoConfig } from "../repo-config/schema.ts";
import type { JobDeps } from "./deps.ts";
import { loadConfigs } from "./load-configs.ts";
import { notRun, runAtCommit, type RunAtCommitDeps } from "./run-at-commit.ts";

/** A long apply of the same project elsewhere is waited for, within reason. */
const MUTEX_WAIT_MS = 30 * 60 * 1000;

type ApplyDeps = RunAtCommitDeps & Pick<JobDeps, "github" | "workspaces" | "plans" | "planFiles" | "sticky">;

export async function runApplyJob(intent: ApplyIntent, deps: ApplyDeps): Promise<{ applied: string[] }> {
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
  const worktree = await deps.workspaces.checkout({
    owner: pull.repo.owner,
    repo: pull.repo.name,
    token,
    sha: pull.headSha,
    refs: [`refs/pull/${pull.number}/head`],
  });
  try {
    const configs = await loadConfigs(deps.workspaces, { pull, token, worktreePath: worktree.path });
    if (configs.head.kind !== "valid") throw new Error("the planned commit has no valid .slipway.yml");
    const results = await applyInOrder(deps, gh, intent, configs.head.config, worktree.path);
    for (const r of results) log.info({ project: r.project, status: r.status, ms: r.durationMs }, "project applied");
    const body = renderPlanComment({ pr: pull.number, headSha: pull.headSha, results, phase: "apply" });
    await writeStickyComment(gh, deps.sticky, { key, number: pull.number }, body);
    return { applied: results.filter((r) => r.status === "changes" || r.status === "no_changes").map((r) => r.project) };
  } finally {
    await worktree.remove();
  }
}

async function applyInOrder(deps: ApplyDeps, gh: RepoGitHub, intent: ApplyIntent, config: RepoConfig, worktreePath: string): Promise<ProjectRunResult[]> {
  const wanted = config.projects.filter((p) => intent.projects.includes(p.name));
  const failed = new Set<string>();
  const results: ProjectRunResult[] = [];
  for (const name of applyOrder(wanted, config.projects).flat()) {
    const project = wanted.find((p) => p.name === name)!;
    const blocker = project.depends_on.find((d) => failed.has(d));
    const result = blocker ? notRun(project, `not applied: ${blocker} failed to apply`) : await applyOne(deps, gh, intent, config, project, worktreePath);
    if (result.status === "error" || result.status === "timed_out") failed.add(name);
    results.push(result);
  }
  return results;
}

/**
 * Under the project's apply mutex, checks the plan was not applied already: two `/apply`
 * racing on two workers run the steps once, one after the other, never together.
 */
async function applyOne(
  deps: ApplyDeps,
  gh: RepoGitHub,
  intent: ApplyIntent,
  config: RepoConfig,
  project: ProjectConfig,
  worktreePath: string,
): Promise<ProjectRunResult> {
  const pull = intent.pull;
  const key = pullKey(pull);
  const sha = pull.headSha.slice(0, 7);
  // The digest of the plan the guard found for this head: the plan this apply carries out.
  let planDigest: string | undefined;
  const run = await runAtCommit(deps, gh, {
    target: pullTarget(pull),
    config,
    project,
    worktreePath,
    plan: { kind: "saved", restore: (path) => deps.planFiles.restore(key, pull.headSha, project.name, path) },
    guard: async () => {
      const entry = (await deps.plans.get(key))?.projects[project.name];
      if (entry?.appliedSha === pull.headSha) return notRun(project, `already applied at ${sha}`, "no_changes");
      if (!entry || entry.headSha !== pull.headSha) return notRun(project, `not applied: the plan is not for ${sha}`);
      planDigest = entry.result.planDigest;
      return undefined;
    },
    record: (result) => deps.plans.recordApply(key, pull.headSha, result),
    requestedBy: intent.requestedBy,
    waitMs: MUTEX_WAIT_MS,
    audit: {
      actor: intent.requestedBy,
      via: "comment",
      delivery: intent.deliveryId,
      get planDigest() {
        return planDigest;
      },
    },
  });
  return "busy" in run ? notRun(project, "not applied: another apply of this project did not finish in time") : run.result;
}
