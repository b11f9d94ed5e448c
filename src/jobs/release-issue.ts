// The release issue of a direct push's deploy (SPEC §5-6 for merges; README "Merge to deploy"):
// opened when an environment of the deploy first waits, closed when nothing waits any more or a
// newer commit's deploy takes over. What to do is decided by the deploy state machine
// (releaseIssueChange); this module only talks to GitHub.
import { releaseIssueChange, type DeployEvent, type DeployState } from "../domain/deploy-state.ts";
import type { RepoGitHub } from "../github/port.ts";
import {
  RELEASE_LABEL,
  releaseIssueTitle,
  releaseMarker,
  renderReleaseIssue,
  renderReleaseIssueClosed,
  renderReleaseIssueSuperseded,
} from "../presentation/render/release-issue.ts";

type Record = (event: DeployEvent) => Promise<DeployState>;

/**
 * Opens or closes the deploy's release issue as its state asks; `record` feeds the deploy the
 * event. Returns the deploy's state after it, or undefined when nothing was to be done.
 */
export async function syncReleaseIssue(gh: RepoGitHub, state: DeployState, record: Record): Promise<DeployState | undefined> {
  const change = releaseIssueChange(state);
  if (!change) return undefined;
  if ("open" in change) {
    const issue = await gh.createIssue({
      title: releaseIssueTitle(state.sha, change.open),
      body: renderReleaseIssue(state, change.open),
      labels: [RELEASE_LABEL],
    });
    return record({ type: "release_issue_opened", issue });
  }
  await gh.createComment(state.releaseIssue!, renderReleaseIssueClosed(state, change.close.skipped));
  await gh.updateIssue(state.releaseIssue!, { state: "closed" });
  return record({ type: "release_issue_closed" });
}

/**
 * A newer commit's deploy started: the release issues of older commits are closed, saying why,
 * and their deploys told (`recordClosed`), so that a later release there does not close them twice.
 */
export async function closeSupersededReleaseIssues(gh: RepoGitHub, newerSha: string, recordClosed: (sha: string) => Promise<unknown>): Promise<void> {
  for (const issue of await gh.listOpenIssues(RELEASE_LABEL)) {
    const sha = /<!-- slipway:release:([0-9a-f]+) -->/.exec(issue.body)?.[1];
    if (!sha || issue.body.includes(releaseMarker(newerSha))) continue;
    await gh.createComment(issue.number, renderReleaseIssueSuperseded(sha, newerSha));
    await gh.updateIssue(issue.number, { state: "closed" });
    await recordClosed(sha);
  }
}
