// What a deploy shows when the plan at the merge commit is not the plan that was approved
// (SPEC §7): the check run on the commit, and the note on the merged pull request listing the
// resources whose actions differ. Pure; addresses are user data, shown as inline code.
import type { PlanDifferences } from "../../domain/plan-differences.ts";
import type { CheckOutput } from "../../github/port.ts";
import { inlineCode } from "./markdown.ts";

/** A comment note is one line of at most 500 characters: a few addresses per kind of difference; the new plan's own list is in its section. */
const MAX_LISTED = 6;

export function renderHeldCheck(project: string, sha: string, reason: string): CheckOutput {
  return {
    title: `Waiting: the plan of ${project} changed since it was approved`,
    summary: `Not applied at ${sha.slice(0, 7)}: ${reason}.`,
  };
}

/** Why the plan is held, in one sentence: the check's summary and the log say it. */
export function heldReason(approvedDigest: string, digest: string): string {
  return `its plan (digest ${digest.slice(0, 12)}) is not the one approved (digest ${approvedDigest.slice(0, 12)})`;
}

/** Notes under the merged pull request's comment, one line each: what differs from the approved plan. */
export function renderPlanDifferences(project: string, environment: string, differences: PlanDifferences | undefined): string[] {
  const head = `${inlineCode(project)} waits for \`/apply ${environment}\`: its plan at the merge commit differs from the plan that was approved.`;
  if (!differences) return [`${head} (Its workflow gives no resource list; the new plan is above.)`];
  const lines = [
    ...list(
      project,
      "added",
      differences.added.map((c) => `${inlineCode(c.address)} (${c.action})`),
    ),
    ...list(
      project,
      "no longer in the plan",
      differences.removed.map((c) => `${inlineCode(c.address)} (was ${c.action})`),
    ),
    ...list(
      project,
      "another action",
      differences.changed.map((c) => `${inlineCode(c.address)}: ${c.from} → ${c.to}`),
    ),
  ];
  if (lines.length === 0) return [`${head} The same resources change, with other values: see the new plan above.`];
  return [head, ...lines];
}

function list(project: string, what: string, items: string[]): string[] {
  if (items.length === 0) return [];
  const shown = items.slice(0, MAX_LISTED);
  const more = items.length > shown.length ? `, and ${items.length - shown.length} more` : "";
  return [`${inlineCode(project)}, ${what}: ${shown.join(", ")}${more}.`];
}
