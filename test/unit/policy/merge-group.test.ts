import assert from "node:assert/strict";
import { test } from "node:test";
import type { ProjectRunResult } from "../../../src/domain/types.ts";
import { decideGroupApply, groupApproved, projectStep } from "../../../src/policy/merge-group.ts";

const plan = (project: string, status: ProjectRunResult["status"], environment?: string): ProjectRunResult => ({
  project,
  dir: project,
  ...(environment ? { environment } : {}),
  status,
  output: "",
  truncated: false,
  durationMs: 0,
});
const gate = (manual: boolean) => ({ approvals: 0, approvers: [], allow_author: false, manual });

test("a group is approved only when every pull request of it is", () => {
  const ok = { satisfied: true, perEnvironment: [] };
  const missing = { satisfied: false, perEnvironment: [] };
  assert.equal(groupApproved([{ number: 1, headSha: "a", evaluation: ok }]), true);
  assert.equal(
    groupApproved([
      { number: 1, headSha: "a", evaluation: ok },
      { number: 2, headSha: "b", evaluation: missing },
    ]),
    false,
  );
  assert.equal(groupApproved([{ number: 1, headSha: "a", evaluation: null }]), false, "not planned at its head");
  assert.equal(groupApproved([]), false);
});

test("a group applies only in_merge_queue, alone, planned and approved", () => {
  const plans = [plan("staging", "changes")];
  assert.deepEqual(decideGroupApply({ mode: "after_merge", pulls: [1], plans, approved: true }), { kind: "none" });
  assert.deepEqual(decideGroupApply({ mode: "in_merge_queue", pulls: [1], plans: [], approved: true }), { kind: "none" });
  assert.deepEqual(decideGroupApply({ mode: "in_merge_queue", pulls: [1], plans, approved: true }), { kind: "apply" });
  const two = decideGroupApply({ mode: "in_merge_queue", pulls: [1, 2], plans, approved: true });
  assert.equal(two.kind, "refuse");
  assert.match(two.kind === "refuse" ? two.reason : "", /group size to 1|maximum group size to 1/);
  assert.equal(decideGroupApply({ mode: "in_merge_queue", pulls: [1], plans: [plan("staging", "error")], approved: true }).kind, "refuse");
  assert.equal(decideGroupApply({ mode: "in_merge_queue", pulls: [1], plans, approved: false }).kind, "refuse");
});

test("a manual environment and what depends on it wait; a failed upstream blocks", () => {
  assert.deepEqual(projectStep(plan("staging", "changes", "staging"), gate(false), []), { kind: "apply" });
  assert.equal(projectStep(plan("production", "changes", "production"), gate(true), []).kind, "skip");
  const after = projectStep(plan("app", "changes"), undefined, [{ name: "production", outcome: "waiting" }]);
  assert.deepEqual(after.kind === "skip" && after.conclusion, "neutral");
  const blocked = projectStep(plan("app", "changes"), undefined, [{ name: "staging", outcome: "failed" }]);
  assert.deepEqual(blocked.kind === "skip" && blocked.conclusion, "failure");
  assert.equal(projectStep(plan("app", "no_changes"), undefined, []).kind, "skip");
});

test("with an exact digest, only the approved plan is applied at the group's commit", () => {
  const withDigest = { ...plan("production", "changes", "production"), planDigest: "abc" };
  assert.deepEqual(projectStep(withDigest, gate(false), [], { digest: "abc" }), { kind: "apply" });
  const other = projectStep(withDigest, gate(false), [], { digest: "def" });
  assert.equal(other.kind === "skip" && other.conclusion, "failure");
  assert.match(other.kind === "skip" ? other.reason : "", /differs from the plan that was approved/);
  assert.equal(projectStep(withDigest, gate(false), [], { digest: undefined }).kind, "skip", "never approved: not applied");
  assert.deepEqual(projectStep(withDigest, gate(false), []), { kind: "apply" }, "a digest that is not exact binds nothing");
});
