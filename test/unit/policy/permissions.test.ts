import assert from "node:assert/strict";
import { test } from "node:test";
import { canRunCommands, decideCommand, permissionFromGitHub, PERMISSION_LEVELS } from "../../../src/policy/permissions.ts";

test("write, maintain and admin may run commands; triage, read and none may not", () => {
  assert.deepEqual(
    PERMISSION_LEVELS.filter((l) => canRunCommands(l)),
    ["admin", "maintain", "write"],
  );
});

test("a refusal names the user, the command, what is needed and what they have", () => {
  assert.deepEqual(decideCommand({ user: "bob", command: "apply", level: "read" }), {
    allow: false,
    reason: "@bob needs write access to this repository to run /apply; they have read.",
  });
  assert.deepEqual(decideCommand({ user: "eve", command: "approve_cancel", level: "none" }), {
    allow: false,
    reason: "@eve needs write access to this repository to run /approve cancel; they have no access.",
  });
  assert.equal((decideCommand({ user: "tri", command: "plan", level: "triage" }) as { reason: string }).reason.includes("/plan"), true);
});

test("writers are allowed every command, /help included", () => {
  for (const command of ["plan", "apply", "approve", "approve_cancel", "unlock", "rollback", "help"] as const) {
    assert.deepEqual(decideCommand({ user: "w", command, level: "write" }), { allow: true });
  }
});

test("GitHub's answer: role_name wins, custom roles fall back to the legacy permission, unknown is none", () => {
  assert.equal(permissionFromGitHub({ permission: "write", role_name: "maintain" }), "maintain");
  assert.equal(permissionFromGitHub({ permission: "read", role_name: "triage" }), "triage");
  assert.equal(permissionFromGitHub({ permission: "write", role_name: "deployer" }), "write");
  assert.equal(permissionFromGitHub({ permission: "read", role_name: "auditor" }), "read");
  assert.equal(permissionFromGitHub({ permission: "superuser" }), "none");
  assert.equal(permissionFromGitHub({}), "none");
});
