import assert from "node:assert/strict";
import { test } from "node:test";
import { renderStalledPlanCheck, renderStalledPlanComment } from "../../../src/presentation/render/stalled-plan.ts";
import { CHECK_RUN_SUMMARY_MAX, CHECK_RUN_TITLE_MAX } from "../../../src/presentation/render/github-limits.ts";

const SHA = "2ad93e7f4cc51e39598914587eb9c32da8a96a45";

test("the failed check says what stopped, that it is not tried again, and how to run it again", () => {
  const check = renderStalledPlanCheck(SHA, 2);
  assert.ok(check.title.length <= CHECK_RUN_TITLE_MAX);
  assert.ok(check.summary.length <= CHECK_RUN_SUMMARY_MAX);
  assert.equal(
    check.summary,
    "The plan at 2ad93e7 could not finish: the worker running it stopped 2 times (killed or out of memory, for example), so it is not tried again. Push a new commit or comment `/plan` to run it again.",
  );
});

test("the comment names the projects whose checks were open, as code", () => {
  assert.equal(
    renderStalledPlanComment(SHA, 2, ["alpha", "be`ta"]),
    "The plan of `alpha`, ``be`ta`` at 2ad93e7 could not finish: the worker running it stopped 2 times (killed or out of memory, for example), so Slipway does not try it again. Push a new commit or comment `/plan` to run it again.",
  );
  assert.match(renderStalledPlanComment(SHA, 1, []), /^The plan at 2ad93e7 could not finish: the worker running it stopped 1 time \(/);
});
