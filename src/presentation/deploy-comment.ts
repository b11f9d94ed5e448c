// The merged pull request's sticky comment during a deploy: each project's apply result, and a
// line per environment saying where it stands (and why it waits, when it does).
import { NO_ENVIRONMENT, type DeployState } from "../domain/deploy-state.ts";
import { pullKey, type ProjectRunResult } from "../domain/types.ts";
import type { RepoGitHub } from "../github/port.ts";
import type { StickyCommentStore } from "../state/sticky-comment-store.ts";
import { renderPlanDifferences } from "./render/held-plan.ts";
import { renderPlanComment } from "./render/plan-comment.ts";
import { writeStickyComment } from "./sticky-comment.ts";

export function renderDeployComment(state: DeployState & { pullNumber: number }): string {
  // A held project shows the plan it would apply: what the approver releasing it looks at.
  const shown = (name: string): ProjectRunResult | undefined => state.results[name] ?? state.held?.[name]?.plan;
  const results = state.projects.map((p) => shown(p.name)).filter((r): r is ProjectRunResult => r !== undefined);
  const notes = Object.values(state.environments)
    .filter((e) => e.name !== NO_ENVIRONMENT)
    .map(
      (e) => `Environment \`${e.name}\`: ${e.state.replace("_", " ")}${e.reason && (e.state === "waiting" || e.state === "skipped") ? ` — ${e.reason}` : ""}.`,
    );
  if (state.appliedInQueue?.length)
    notes.unshift(`Applied in the merge queue at ${state.sha.slice(0, 7)}, before merging: ${state.appliedInQueue.map((p) => `\`${p}\``).join(", ")}.`);
  for (const [project, held] of Object.entries(state.held ?? {})) {
    const environment = state.projects.find((p) => p.name === project)?.environment ?? "";
    notes.push(...renderPlanDifferences(project, environment, held.differences));
  }
  return renderPlanComment({ pr: state.pullNumber, headSha: state.sha, results, notes, phase: "apply" });
}

/** Writes the deploy's state on its merged pull request; a direct push has none to write on. */
export async function writeDeployComment(gh: RepoGitHub, sticky: StickyCommentStore, state: DeployState): Promise<void> {
  const pullNumber = state.pullNumber;
  if (pullNumber === undefined) return;
  // Everything was applied in the merge queue: the comment already shows those applies.
  if (state.projects.length === 0 && state.appliedInQueue?.length) return;
  const key = pullKey({ repo: gh.repo, number: pullNumber });
  await writeStickyComment(gh, sticky, { key, number: pullNumber }, renderDeployComment({ ...state, pullNumber }));
}
