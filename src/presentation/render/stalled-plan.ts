// What a plan shows when its workers died under it more often than the queue allows (SIGKILL, out
// of memory) and it is failed without being run again (queue/stall-limit.ts): its open checks
// fail with why, and the pull request is told how to run it again. Pure.
import type { CheckOutput } from "../../github/port.ts";
import { inlineCode } from "./markdown.ts";

/** Why it stopped, as the check, the comment and the audit event say it. */
export function workersStopped(stops: number): string {
  return `the worker running it stopped ${stops} time${stops === 1 ? "" : "s"} (killed or out of memory, for example)`;
}

export const RETRY = "Push a new commit or comment `/plan` to run it again.";

export function renderStalledPlanCheck(sha: string, stops: number): CheckOutput {
  return {
    title: "Not finished: its worker kept stopping",
    summary: `The plan at ${sha.slice(0, 7)} could not finish: ${workersStopped(stops)}, so it is not tried again. ${RETRY}`,
  };
}

/** The comment on the pull request; `projects` are those whose checks were open (none if it died before). */
export function renderStalledPlanComment(sha: string, stops: number, projects: string[]): string {
  const what = projects.length > 0 ? `The plan of ${projects.map(inlineCode).join(", ")}` : "The plan";
  return `${what} at ${sha.slice(0, 7)} could not finish: ${workersStopped(stops)}, so Slipway does not try it again. ${RETRY}`;
}
