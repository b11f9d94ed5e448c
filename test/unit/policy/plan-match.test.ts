import assert from "node:assert/strict";
import { test } from "node:test";
import { expectedDigest, planMustMatchApproval } from "../../../src/policy/plan-match.ts";
import { parseRepoConfig } from "../../../src/repo-config/parse-repo-config.ts";
import type { RepoConfig } from "../../../src/repo-config/schema.ts";

function config(text: string): RepoConfig {
  const parsed = parseRepoConfig(`version: 1\n${text}`);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.config;
}

const project = (c: RepoConfig, name: string) => c.projects.find((p) => p.name === name)!;

test("built-in terraform and opentofu compare plans; ansible and custom workflows do not unless they opt in", () => {
  const c = config(`projects:
  - {name: tf, dir: tf, workflow: terraform, environment: prod}
  - {name: tofu, dir: tofu, workflow: opentofu, environment: prod}
  - {name: play, dir: play, workflow: ansible, environment: prod}
  - {name: sh, dir: sh, workflow: shell, environment: prod}
  - {name: exact, dir: exact, workflow: exact, environment: prod}
workflows:
  shell: {plan: [{run: "sh plan.sh"}]}
  exact: {plan: [{run: "sh plan.sh"}], exact_plan: true}
`);
  assert.deepEqual(
    ["tf", "tofu", "play", "sh", "exact"].map((n) => planMustMatchApproval(project(c, n), c)),
    [true, true, false, false, true],
  );
});

test("a custom workflow that replaces terraform by name must opt in itself", () => {
  const c = config(`projects:
  - {name: tf, dir: tf, workflow: terraform, environment: prod}
workflows:
  terraform: {plan: [{run: "sh plan.sh"}]}
`);
  assert.equal(planMustMatchApproval(project(c, "tf"), c), false);
});

test("a project without an environment has no approvals to match", () => {
  const c = config(`projects:\n  - {name: tf, dir: tf, workflow: terraform}\n`);
  assert.equal(planMustMatchApproval(project(c, "tf"), c), false);
});

test("after a hold, the plan shown is what must match; before, the approved one", () => {
  assert.equal(expectedDigest({ digest: "approved" }, undefined), "approved");
  assert.equal(expectedDigest({ digest: "approved" }, { digest: "shown" }), "shown");
  assert.equal(expectedDigest(undefined, undefined), undefined);
});
