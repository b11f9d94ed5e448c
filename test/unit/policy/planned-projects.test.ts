import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { environmentsAt, isPlannedAt, plannedAt, planDigestsAt, type RecordedPlan } from "../../../src/policy/planned-projects.ts";

const HEAD = "c".repeat(40);
const OLD = "a".repeat(40);
const plan: RecordedPlan = {
  headSha: HEAD,
  projects: [
    { name: "app", environment: "production", headSha: HEAD, status: "changes", planDigest: "d-app" },
    { name: "db", environment: "production", headSha: HEAD, status: "no_changes", planDigest: "d-db" },
    { name: "web", headSha: HEAD, status: "error" },
    { name: "cache", environment: "staging", headSha: HEAD, status: "superseded" },
  ],
};

describe("the recorded plan at a commit", () => {
  test("superseded plans describe nothing; other results count, errors included", () => {
    assert.deepEqual(
      plannedAt(plan, HEAD).map((p) => p.name),
      ["app", "db", "web"],
    );
    assert.deepEqual(plannedAt(plan, OLD), []);
    assert.deepEqual(plannedAt(null, HEAD), []);
  });

  test("is recorded only for the head it was made for", () => {
    assert.equal(isPlannedAt(plan, HEAD), true);
    assert.equal(isPlannedAt(plan, OLD), false);
    assert.equal(isPlannedAt(null, HEAD), false);
  });

  test("digests: one per project that has one; undefined (not empty) while the commit is not planned", () => {
    assert.deepEqual(planDigestsAt(plan, HEAD), { app: "d-app", db: "d-db" });
    assert.equal(planDigestsAt(plan, OLD), undefined);
    assert.deepEqual(planDigestsAt({ headSha: HEAD, projects: [] }, HEAD), {});
  });

  test("environments touched, once each, sorted; a superseded project's does not count", () => {
    assert.deepEqual(environmentsAt(plan, HEAD), ["production"]);
    assert.deepEqual(environmentsAt(plan, OLD), []);
  });
});
