import assert from "node:assert/strict";
import { test } from "node:test";
import { decideAutoplan, type AutoplanFacts } from "../../../src/policy/autoplan.ts";

const base: AutoplanFacts = { trigger: "autoplan", draft: false, fromFork: false, baseAllowsForks: false, autoplan: true };

test("an ordinary pull request is planned", () => {
  assert.deepEqual(decideAutoplan(base), { plan: true });
});

test("drafts wait for ready_for_review or /plan", () => {
  assert.deepEqual(decideAutoplan({ ...base, draft: true }), { plan: false, reason: "draft" });
  assert.deepEqual(decideAutoplan({ ...base, draft: true, trigger: "command" }), { plan: true });
});

test("forks are refused unless the base branch allows them, even on /plan", () => {
  assert.deepEqual(decideAutoplan({ ...base, fromFork: true }), { plan: false, reason: "fork" });
  assert.deepEqual(decideAutoplan({ ...base, fromFork: true, trigger: "command" }), { plan: false, reason: "fork" });
  assert.deepEqual(decideAutoplan({ ...base, fromFork: true, baseAllowsForks: true }), { plan: true });
});

test("autoplan: false leaves planning to /plan", () => {
  assert.deepEqual(decideAutoplan({ ...base, autoplan: false }), { plan: false, reason: "autoplan_off" });
  assert.deepEqual(decideAutoplan({ ...base, autoplan: false, trigger: "command" }), { plan: true });
});
