import assert from "node:assert/strict";
import { test } from "node:test";
import type { ProjectRunResult } from "../../../src/domain/types.ts";
import {
  renderGroupApplyCheck,
  renderGroupApplyFailed,
  renderGroupApprovalCheck,
  renderUntouchedCheck,
} from "../../../src/presentation/render/merge-group-checks.ts";

const SHA = "0123456789abcdef0123456789abcdef01234567";
const env = (name: string, missing: number) => ({ name, required: 1, approvedBy: missing ? [] : ["carol"], missing, ignored: [] });

test("the group's approval check names each pull request and what it still needs", () => {
  const ok = renderGroupApprovalCheck([{ number: 7, headSha: "a".repeat(40), evaluation: { satisfied: true, perEnvironment: [env("production", 0)] } }], SHA);
  assert.equal(ok.name, "slipway/approval");
  assert.equal(ok.conclusion, "success");
  assert.equal(ok.title, "Approved: #7");
  const waiting = renderGroupApprovalCheck(
    [
      { number: 7, headSha: "a".repeat(40), evaluation: { satisfied: true, perEnvironment: [] } },
      { number: 8, headSha: "b".repeat(40), evaluation: { satisfied: false, perEnvironment: [env("production", 1)] } },
      { number: 9, headSha: "c".repeat(40), evaluation: null },
    ],
    SHA,
  );
  assert.equal(waiting.conclusion, "failure");
  assert.equal(waiting.title, "Waiting for approval: #8, #9");
  assert.match(waiting.summary, /#8 at bbbbbbb: Waiting for approval: production needs 1 more/);
  assert.match(waiting.summary, /#9: not planned at its head ccccccc, so not approved/);
  assert.equal(renderGroupApprovalCheck([], SHA).conclusion, "failure", "no pull request found: not approved");
});

test("apply checks of a group that is not applied, and of a project it does not change", () => {
  const refused = renderGroupApplyCheck("staging", SHA, "failure", "set the group size to 1");
  assert.equal(refused.name, "slipway/apply: staging");
  assert.equal(refused.conclusion, "failure");
  assert.match(refused.summary, /0123456/);
  const untouched = renderUntouchedCheck("slipway/plan: production", SHA);
  assert.equal(untouched.conclusion, "neutral");
});

test("a failed apply in the queue is told on the pull request with its output", () => {
  const result: ProjectRunResult = {
    project: "staging",
    dir: "staging",
    status: "error",
    reason: "apply step exited 1",
    output: "apply failed: the API refused the change\n",
    truncated: false,
    durationMs: 5,
  };
  const body = renderGroupApplyFailed(result, SHA, "main");
  assert.match(body, /`staging` failed to apply in the merge queue\*\* \(group commit 0123456\): apply step exited 1/);
  assert.match(body, /`main` does not move/);
  assert.match(body, /the API refused the change/);
});
