// Check runs of a plan: created `in_progress` when the plan starts, completed with its result.
import type { ProjectRunResult } from "../domain/types.ts";
import type { CheckConclusion, CheckOutput, RepoGitHub } from "../github/port.ts";
import type { OpenCheckStore } from "../state/open-check-store.ts";
import { renderPlanCheck } from "./render/plan-check.ts";

export function planCheckName(project: string): string {
  return `slipway/plan: ${project}`;
}

/**
 * Opens one `in_progress` check per project. Checks an earlier attempt of the same job left open
 * (its worker died, or a shutdown put it back) are closed first, so the pull request never keeps
 * a check that spins forever. `job` keys them: another job planning the same head at the same
 * time (an autoplan and a `/plan`) keeps its own checks open.
 */
export async function startPlanChecks(gh: RepoGitHub, open: OpenCheckStore, job: string, headSha: string, projects: string[]): Promise<number[]> {
  const names = projects.map(planCheckName);
  for (const [, id] of await open.leftOpen(job, headSha, names)) {
    await gh.completeCheckRun(id, "neutral", {
      title: "Interrupted",
      // Whatever ended the attempt (its worker died, a shutdown put it back, or it failed), another is under way.
      summary: "This attempt of the plan did not finish (its worker stopped, or it failed); the plan was run again: see the newer check.",
    });
  }
  return Promise.all(
    projects.map(async (project, i) => {
      const id = await gh.createCheckRun({
        name: names[i]!,
        headSha,
        status: "in_progress",
        output: { title: "Planning…", summary: `Planning \`${project}\` at ${headSha.slice(0, 7)}.` },
      });
      await open.opened(job, headSha, names[i]!, id);
      return id;
    }),
  );
}

/**
 * Completes as failed, saying why, every check the job left open on this head: the job ended
 * without finishing them and nothing will. Returns their projects.
 */
export async function failOpenPlanChecks(gh: RepoGitHub, open: OpenCheckStore, job: string, headSha: string, output: CheckOutput): Promise<string[]> {
  const left = await open.allOpen(job, headSha);
  for (const [name, id] of left) {
    await gh.completeCheckRun(id, "failure", output);
    await open.completed(job, headSha, name);
  }
  return [...left.keys()].map((name) => name.slice(planCheckName("").length));
}

export async function finishPlanCheck(
  gh: RepoGitHub,
  open: OpenCheckStore,
  job: string,
  checkId: number,
  result: ProjectRunResult,
  headSha: string,
): Promise<void> {
  const check = renderPlanCheck(result, { phase: "plan", headSha });
  await gh.completeCheckRun(checkId, check.conclusion as CheckConclusion, { title: check.title, summary: check.summary, text: check.text });
  await open.completed(job, headSha, planCheckName(result.project));
}

export async function writeConfigCheck(
  gh: RepoGitHub,
  headSha: string,
  check: { name: string; conclusion: string; title: string; summary: string; text: string },
): Promise<void> {
  await gh.createCheckRun({
    name: check.name,
    headSha,
    status: "completed",
    conclusion: check.conclusion as CheckConclusion,
    output: { title: check.title, summary: check.summary, text: check.text },
  });
}
