// What a plan shows when its last attempt threw (GitHub or git failing, Redis away, a bug): its
// open checks fail with why (domain/failure-reason.ts: safe words only), and the pull request is
// told how to run it again. Pure.
import type { CheckOutput } from "../../github/port.ts";
import { inlineCode } from "./markdown.ts";
import { RETRY } from "./stalled-plan.ts";

/** Where the error itself is: only its kind is shown. */
export const DETAILS = "the worker's log has the details";

export function renderFailedPlanCheck(sha: string, reason: string): CheckOutput {
  return {
    title: "Not finished: the plan failed",
    summary: `The plan at ${sha.slice(0, 7)} could not finish: ${reason} (${DETAILS}), and it is not tried again. ${RETRY}`,
  };
}

/** The comment on the pull request; `projects` are those whose checks were open (none if it failed before). */
export function renderFailedPlanComment(sha: string, reason: string, projects: string[]): string {
  const what =
    projects.length > 0 ? `The plan of ${projects.map(inlineCode).join(", ")} at ${sha.slice(0, 7)} failed` : `Slipway could not plan ${sha.slice(0, 7)}`;
  return `${what}: ${reason} (${DETAILS}), and it is not tried again. ${RETRY}`;
}
