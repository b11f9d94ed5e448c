import assert from "node:assert/strict";
import { test } from "node:test";
import { commandLabel, permissionRefusal, type PermissionLevel } from "../../../src/policy/permissions.ts";

const LEVELS: PermissionLevel[] = ["admin", "maintain", "write", "triage", "read", "none"];

test("write, maintain and admin may run commands; triage, read and none may not", () => {
  assert.deepEqual(
    LEVELS.filter((level) => permissionRefusal("u", "plan", level) === undefined),
    ["admin", "maintain", "write"],
  );
});

test("a refusal names the user, the command, what is needed and what they have", () => {
  assert.equal(permissionRefusal("bob", "apply", "read"), "@bob needs write access to this repository to run /apply; they have read.");
  assert.equal(permissionRefusal("eve", "approve_cancel", "none"), "@eve needs write access to this repository to run /approve cancel; they have no access.");
  assert.match(permissionRefusal("tri", "plan", "triage")!, /\/plan; they have triage/);
});

test("writers are refused no command, /help included", () => {
  for (const command of ["plan", "apply", "approve", "approve_cancel", "unlock", "rollback", "help"] as const) {
    assert.equal(permissionRefusal("w", command, "write"), undefined);
  }
});

test("commands read in replies as they are typed", () => {
  assert.equal(commandLabel("approve_cancel"), "/approve cancel");
  assert.equal(commandLabel("rollback"), "/rollback");
});
