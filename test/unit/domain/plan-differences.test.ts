import assert from "node:assert/strict";
import { test } from "node:test";
import { noDifferences, planDifferences } from "../../../src/domain/plan-differences.ts";
import type { ResourceChange } from "../../../src/domain/types.ts";

const c = (address: string, action: ResourceChange["action"], deposed?: string): ResourceChange => ({ address, action, ...(deposed ? { deposed } : {}) });

test("resources added to the plan, removed from it, and with another action", () => {
  const d = planDifferences(
    [c("a.one", "create"), c("a.two", "update"), c("a.three", "delete")],
    [c("a.one", "create"), c("a.two", "replace"), c("a.four", "create")],
  );
  assert.deepEqual(d, { added: [c("a.four", "create")], removed: [c("a.three", "delete")], changed: [{ address: "a.two", from: "update", to: "replace" }] });
  assert.equal(noDifferences(d), false);
});

test("the same actions in another order are no difference", () => {
  assert.equal(noDifferences(planDifferences([c("a.one", "create"), c("a.two", "delete")], [c("a.two", "delete"), c("a.one", "create")])), true);
});

test("a deposed object is its own resource", () => {
  const d = planDifferences([c("a.one", "replace")], [c("a.one", "replace"), c("a.one", "delete", "0badcafe")]);
  assert.deepEqual(d.added, [c("a.one", "delete", "0badcafe")]);
});
