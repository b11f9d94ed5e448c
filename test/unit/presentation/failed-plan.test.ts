import assert from "node:assert/strict";
import { test } from "node:test";
import { renderFailedPlanCheck, renderFailedPlanComment } from "../../../src/presentation/render/failed-plan.ts";
import { CHECK_RUN_SUMMARY_MAX, CHECK_RUN_TITLE_MAX } from "../../../src/presentation/render/github-limits.ts";

const SHA = "2ad93e7f4cc51e39598914587eb9c32da8a96a45";

test("the failed check says why, that it is not tried again, and how to run it again", () => {
  const check = renderFailedPlanCheck(SHA, "a request to GitHub failed (HTTP 502)");
  assert.equal(check.title, "Not finished: the plan failed");
  assert.ok(check.title.length <= CHECK_RUN_TITLE_MAX);
  assert.ok(check.summary.length <= CHECK_RUN_SUMMARY_MAX);
  assert.equal(
    check.summary,
    "The plan at 2ad93e7 could not finish: a request to GitHub failed (HTTP 502) (the worker's log has the details), and it is not tried again. Push a new commit or comment `/plan` to run it again.",
  );
});

test("the comment names the projects whose checks were open, or says the commit was not planned at all", () => {
  assert.equal(
    renderFailedPlanComment(SHA, "a git command failed", ["alpha", "be`ta"]),
    "The plan of `alpha`, ``be`ta`` at 2ad93e7 failed: a git command failed (the worker's log has the details), and it is not tried again. Push a new commit or comment `/plan` to run it again.",
  );
  assert.equal(
    renderFailedPlanComment(SHA, "the commit could not be fetched from GitHub", []),
    "Slipway could not plan 2ad93e7: the commit could not be fetched from GitHub (the worker's log has the details), and it is not tried again. Push a new commit or comment `/plan` to run it again.",
  );
});
