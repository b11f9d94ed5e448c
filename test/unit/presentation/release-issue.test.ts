import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { reduceDeploy, type DeployState } from "../../../src/domain/deploy-state.ts";
import { renderReleaseIssue, renderReleaseIssueInterrupted } from "../../../src/presentation/render/release-issue.ts";

const SHA = "b".repeat(40);

/** A direct push (no pull request) whose staging apply was under way when its worker died. */
function interrupted(): DeployState {
  const running: DeployState = {
    sha: SHA,
    projects: [{ name: "net-staging", environment: "staging" }],
    environments: { staging: { name: "staging", deploymentId: 1, state: "in_progress" } },
    results: {},
    inFlight: ["net-staging"],
  };
  return reduceDeploy(running, { type: "interrupted" });
}

describe("release issue of a direct push whose deploy was interrupted", () => {
  test("the comment on its open issue says what was cut short and how to run it again, there", () => {
    const text = renderReleaseIssueInterrupted(interrupted());
    assert.match(text, /^The deploy of bbbbbbb was interrupted, not re-run automatically: the worker applying `net-staging` stopped/);
    assert.match(text, /Check the infrastructure/);
    assert.match(text, /- `staging`: .*`\/apply staging` on the release issue of this commit to run it again/);
    assert.doesNotMatch(text, /pull request/, "a direct push has none");
  });

  test("an issue opened for it says the world may be half-changed; one opened for a manual environment does not", () => {
    const body = renderReleaseIssue(interrupted(), ["staging"]);
    assert.match(body, /<!-- slipway:release:b{40} -->/);
    assert.match(body, /A worker stopped while applying: the world may be half-changed/);
    assert.match(body, /`\/apply staging` here/);
    assert.doesNotMatch(body, /merged pull request/);
    const manual: DeployState = { ...interrupted(), environments: { staging: { name: "staging", state: "waiting", reason: "staging is manual" } } };
    assert.doesNotMatch(renderReleaseIssue(manual, ["staging"]), /half-changed/);
  });
});
