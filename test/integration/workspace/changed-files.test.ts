import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { pullChangedFiles } from "../../../src/workspace/changed-files.ts";
import { runGit } from "./git-fixtures.ts";

const dir = mkdtempSync(join(tmpdir(), "slipway-changed-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function commit(file: string): string {
  writeFileSync(join(dir, file), `${file}\n`);
  runGit(["add", file], dir);
  runGit(["commit", "--quiet", "-m", `add ${file}`], dir);
  return runGit(["rev-parse", "HEAD"], dir);
}

test("a pull request's files: its own commits only, also when it was merged before its event was handled", async () => {
  runGit(["init", "--quiet", "--initial-branch=main"], dir);
  commit("base.txt");
  const baseAtOpen = runGit(["rev-parse", "HEAD"], dir);
  runGit(["checkout", "--quiet", "-b", "feature"], dir);
  const head = commit("feature.txt");
  runGit(["checkout", "--quiet", "main"], dir);
  commit("later-on-main.txt");

  assert.deepEqual(await pullChangedFiles(dir, "main", head, baseAtOpen), ["feature.txt"], "main's later commit does not count");

  runGit(["merge", "--quiet", "--no-ff", "-m", "merge feature", "feature"], dir);
  assert.deepEqual(await pullChangedFiles(dir, "main", head), [], "merged: against main as it is now, nothing is left");
  assert.deepEqual(await pullChangedFiles(dir, "main", head, baseAtOpen), ["feature.txt"], "merged: against main as it was when opened");
});
