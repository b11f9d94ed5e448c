// Check runs of a plan: created `in_progress` when the plan starts, completed with its result.
import type { ProjectRunResult } from "../domain/types.ts";
import type { CheckConclusion, RepoGitHub } from "../github/port.ts";
import { renderPlanCheck } from "./render/plan-check.ts";

export function planCheckName(project: string): string {
  return `slipway/plan: ${project}`;
}

export async function startPlanChecks(gh: RepoGitHub, headSha: string, projects: string[]): Promise<number[]> {
  return Promise.all(
    projects.map((project) =>
      gh.createCheckRun({
        name: planCheckName(project),
        headSha,
        status: "in_progress",
        output: { title: "Planning…", summary: `Planning \`${project}\` at ${headSha.slice(0, 7)}.` },
      }),
    ),
  );
}

export async function finishPlanCheck(gh: RepoGitHub, checkId: number, result: ProjectRunResult, headSha: string): Promise<void> {
  const check = renderPlanCheck(result, { phase: "plan", headSha });
  await gh.completeCheckRun(checkId, check.conclusion as CheckConclusion, { title: check.title, summary: check.summary, text: check.text });
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
