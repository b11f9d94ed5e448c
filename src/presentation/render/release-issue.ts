// The release issue of a direct push's deploy: a commit pushed straight to the default branch has
// no pull request, so its waiting environments are released by `/apply <environment>` here. Pure.
import { INTERRUPTED, type DeployState } from "../../domain/deploy-state.ts";

export const RELEASE_LABEL = "release";

/** Found again by this marker (and read by intake to know which deploy a comment releases). */
export function releaseMarker(sha: string): string {
  return `<!-- slipway:release:${sha} -->`;
}

export function releaseIssueTitle(sha: string, environments: string[]): string {
  return `Deploy of ${sha.slice(0, 7)} to ${environments.join(", ")} waits for release`;
}

export function renderReleaseIssue(state: DeployState, environments: string[]): string {
  const waiting = environments.map((name) => `- \`${name}\`: ${state.environments[name]?.reason ?? "waiting"}`);
  return [
    releaseMarker(state.sha),
    `## Deploy of ${state.sha} waits for release`,
    "",
    "This commit was pushed straight to the default branch, so there is no pull request to release it on. Waiting:",
    "",
    ...waiting,
    "",
    ...(environments.some((name) => state.environments[name]?.interrupted)
      ? ["A worker stopped while applying: the world may be half-changed. Check the infrastructure before running it again.", ""]
      : []),
    `An approver of the environment comments \`/apply ${environments[0]}\` here to apply it at ${state.sha.slice(0, 7)}. ` +
      "Slipway closes this issue once nothing waits, or when a newer commit on the default branch supersedes this one.",
  ].join("\n");
}

/**
 * A deploy of this commit cut short by a dying worker, told on its open issue: what was being
 * applied, and how to run it again (each interrupted environment's reason says so).
 */
export function renderReleaseIssueInterrupted(state: DeployState): string {
  const interrupted = Object.values(state.environments).filter((e) => e.interrupted);
  const projects = (state.inFlight ?? []).map((p) => `\`${p}\``).join(", ");
  return [
    `The deploy of ${state.sha.slice(0, 7)} was ${INTERRUPTED}: the worker applying ${projects || "it"} stopped, so the world may be half-changed. Check the infrastructure first.`,
    "",
    ...interrupted.map((e) => `- \`${e.name}\`: ${e.reason ?? "waiting"}`),
  ].join("\n");
}

/** The last word on the issue: what became of the environments it was opened for. */
export function renderReleaseIssueClosed(state: DeployState, skipped: string[]): string {
  const short = state.sha.slice(0, 7);
  if (skipped.length > 0) {
    return `Closed: ${skipped.map((e) => `\`${e}\``).join(", ")} ${skipped.length === 1 ? "was" : "were"} not applied at ${short} because a newer commit is on the default branch; its own deploy takes over.`;
  }
  const states = Object.values(state.environments)
    .filter((e) => e.name !== "")
    .map((e) => `\`${e.name}\` ${e.state.replace("_", " ")}`);
  return `Closed: nothing waits any more at ${short} (${states.join(", ")}).`;
}

export function renderReleaseIssueSuperseded(sha: string, newer: string): string {
  return `Closed: ${newer.slice(0, 7)} is on the default branch now, and its own deploy takes over. The environments that waited here are not applied at ${sha.slice(0, 7)} (an older commit is never applied over a newer one).`;
}
