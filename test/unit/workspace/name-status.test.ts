import { test } from "node:test";
import assert from "node:assert/strict";
import { namesFromNameStatus } from "../../../src/workspace/changed-files.ts";

test("namesFromNameStatus: one path per change, both names of a rename or copy", () => {
  const out = ["M", "a.tf", "R100", "old/b.tf", "new/b.tf", "A", "dir with space/c.tf", "C75", "d.tf", "e.tf", "D", "f.tf", ""].join("\0");
  assert.deepEqual(namesFromNameStatus(out), ["a.tf", "old/b.tf", "new/b.tf", "dir with space/c.tf", "d.tf", "e.tf", "f.tf"]);
  assert.deepEqual(namesFromNameStatus(""), []);
});
