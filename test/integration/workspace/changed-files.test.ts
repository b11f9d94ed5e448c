import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pullChangedFiles } from "../../../src/workspace/changed-files.ts";
import { createRemote, runGit, type Remote } from "./git-fixtures.ts";

let root: string;
let remote: Remote;
before(async () => {
  root = await mkdtemp(join(tmpdir(), "slipway-changed-"));
  remote = createRemote(root, "acme", "infra");
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("pullChangedFiles", () => {
  test("a pull request changes what its head changed since the merge base, not what reached the base since", async () => {
    remote.commit({ "a/main.tf": "a\n", "b/main.tf": "b\n" });
    const head = remote.commit({ "a/main.tf": "a2\n" }, "change a", "feature");
    remote.commit({ "b/main.tf": "b2\n" }, "change b on main", "main");
    assert.deepEqual(await pullChangedFiles(remote.bare, "main", head), ["a/main.tf"]);
  });

  test("a head with no history in common with the base is compared with the base as it is", async () => {
    const work = join(root, "_work", "acme", "infra");
    runGit(["checkout", "--quiet", "--orphan", "unrelated"], work);
    runGit(["rm", "-r", "--quiet", "-f", "."], work);
    const head = remote.commit({ "c/main.tf": "c\n" }, "unrelated root", "unrelated");
    const changed = await pullChangedFiles(remote.bare, "main", head);
    assert.deepEqual(changed.sort(), ["a/main.tf", "b/main.tf", "c/main.tf"]);
  });

  test("merged before its event was handled: compared with the base branch as the event saw it", async () => {
    const dir = join(root, "merged");
    runGit(["init", "--quiet", "--initial-branch=main", dir]);
    const commit = (file: string) => {
      writeFileSync(join(dir, file), `${file}\n`);
      runGit(["add", file], dir);
      runGit(["commit", "--quiet", "-m", `add ${file}`], dir);
      return runGit(["rev-parse", "HEAD"], dir);
    };
    const baseAtOpen = commit("base.txt");
    runGit(["checkout", "--quiet", "-b", "feature"], dir);
    const head = commit("feature.txt");
    runGit(["checkout", "--quiet", "main"], dir);
    commit("later-on-main.txt");
    assert.deepEqual(await pullChangedFiles(dir, "main", head, baseAtOpen), ["feature.txt"], "main's later commit does not count");

    runGit(["merge", "--quiet", "--no-ff", "-m", "merge feature", "feature"], dir);
    assert.deepEqual(await pullChangedFiles(dir, "main", head), [], "merged: against main as it is now, nothing is left");
    assert.deepEqual(await pullChangedFiles(dir, "main", head, baseAtOpen), ["feature.txt"], "merged: against main as it was when opened");
  });
});
