// Golden files: rendered markdown is compared with test/fixtures/golden/<name>.md.
// To accept a deliberate change of wording, rewrite them with:
//   UPDATE_GOLDEN=1 node --import tsx --test test/unit/presentation/*.test.ts
// and review the diff of test/fixtures/golden/ before committing.

import assert from "node:assert/strict";
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const GOLDEN_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "fixtures", "golden");

export function assertGolden(name: string, actual: string): void {
  const file = join(GOLDEN_DIR, `${name}.md`);
  if (process.env.UPDATE_GOLDEN === "1") {
    mkdirSync(GOLDEN_DIR, { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  let expected: string;
  try {
    expected = readFileSync(file, "utf8");
  } catch {
    assert.fail(`missing golden file ${file}; run the tests with UPDATE_GOLDEN=1 to create it`);
  }
  assert.equal(actual, expected, `rendering differs from ${file} (UPDATE_GOLDEN=1 rewrites it)`);
}
