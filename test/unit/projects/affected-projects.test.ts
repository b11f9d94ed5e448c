import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { affectedProjects } from "../../../src/projects/affected-projects.ts";
import { normaliseChangedPath, normaliseRepoDir, resolveProjectGlob } from "../../../src/projects/repo-paths.ts";
import { parseRepoConfig } from "../../../src/repo-config/parse-repo-config.ts";
import type { RepoConfig } from "../../../src/repo-config/schema.ts";

function config(yaml: string): RepoConfig {
  const result = parseRepoConfig(`version: 1\n${yaml}`);
  if (!result.ok) assert.fail(JSON.stringify(result.errors));
  return result.config;
}

const names = (c: RepoConfig, files: string[]) => affectedProjects(c, files).map((p) => p.name);

const SPEC_LIKE = config(`projects:
  - name: network-staging
    dir: envs/staging/network
    when_modified: ["**/*", "../../modules/**"]
  - name: network-production
    dir: envs/production/network
`);

describe("affectedProjects", () => {
  test("a file inside a project's dir affects it, and only it", () => {
    assert.deepEqual(names(SPEC_LIKE, ["envs/staging/network/main.tf"]), ["network-staging"]);
    assert.deepEqual(names(SPEC_LIKE, ["envs/production/network/sub/dir/vars.tf"]), ["network-production"]);
    assert.deepEqual(names(SPEC_LIKE, ["README.md", "envs/staging/other/main.tf"]), []);
  });

  test("'../' globs resolve against the dir: ../../modules/** from envs/staging/network is envs/modules/**", () => {
    assert.deepEqual(names(SPEC_LIKE, ["envs/modules/vpc/main.tf"]), ["network-staging"]);
    assert.deepEqual(names(SPEC_LIKE, ["modules/vpc/main.tf"]), []);
  });

  test("a glob that climbs above the root never matches (the validator refuses it)", () => {
    const project = { name: "up", dir: "envs", workflow: "terraform", when_modified: ["../../modules/**"], depends_on: [] };
    const c: RepoConfig = { ...SPEC_LIKE, projects: [project] };
    assert.deepEqual(names(c, ["modules/x.tf", "../modules/x.tf"]), []);
  });

  test("a leading '/' anchors a glob at the repository root", () => {
    const c = config("projects:\n  - {dir: envs/prod, when_modified: ['**/*', '/modules/**']}\n");
    assert.deepEqual(names(c, ["modules/vpc/main.tf"]), ["envs/prod"]);
    assert.deepEqual(names(c, ["envs/prod/modules/x.tf"]), ["envs/prod"]);
  });

  test("dotfiles count as changes", () => {
    assert.deepEqual(names(SPEC_LIKE, ["envs/staging/network/.terraform.lock.hcl"]), ["network-staging"]);
    assert.deepEqual(names(SPEC_LIKE, ["envs/production/network/.config/tflint.hcl"]), ["network-production"]);
  });

  test("a project at the repository root ('.') sees every file", () => {
    const c = config("projects:\n  - {dir: ., name: root}\n  - {dir: ./, name: root-md, when_modified: ['*.md']}\n");
    assert.deepEqual(names(c, ["main.tf"]), ["root"]);
    assert.deepEqual(names(c, ["deep/nested/file.txt"]), ["root"]);
    assert.deepEqual(names(c, ["README.md"]), ["root", "root-md"]);
    assert.deepEqual(names(c, ["docs/README.md"]), ["root"]);
  });

  test("nested project dirs: a file in the inner dir affects both, the outer's own file only the outer", () => {
    const c = config("projects:\n  - {dir: infra, name: outer}\n  - {dir: infra/inner, name: inner}\n");
    assert.deepEqual(names(c, ["infra/inner/main.tf"]), ["outer", "inner"]);
    assert.deepEqual(names(c, ["infra/main.tf"]), ["outer"]);
    assert.deepEqual(names(c, ["infra-other/main.tf"]), []);
  });

  test("exclusions: a '!' glob removes files from the project", () => {
    const c = config("projects:\n  - {dir: app, when_modified: ['**/*', '!**/*.md', '!docs/**']}\n");
    assert.deepEqual(names(c, ["app/README.md"]), []);
    assert.deepEqual(names(c, ["app/docs/guide.txt"]), []);
    assert.deepEqual(names(c, ["app/README.md", "app/main.tf"]), ["app"]);
  });

  test("deleted and renamed files: every path given counts, old or new", () => {
    // GitHub lists a deletion under its old path, a rename under the new path plus previous_filename.
    assert.deepEqual(names(SPEC_LIKE, ["envs/staging/network/removed.tf"]), ["network-staging"]);
    const renamedOut = ["elsewhere/moved.tf", "envs/production/network/moved.tf"];
    assert.deepEqual(names(SPEC_LIKE, renamedOut), ["network-production"]);
  });

  test("results keep the config order, not the order of the files", () => {
    const files = ["envs/production/network/a.tf", "envs/staging/network/b.tf"];
    assert.deepEqual(names(SPEC_LIKE, files), ["network-staging", "network-production"]);
  });

  test("changed paths in odd but equivalent forms still match", () => {
    assert.deepEqual(names(SPEC_LIKE, ["./envs/staging/network/main.tf"]), ["network-staging"]);
    assert.deepEqual(names(SPEC_LIKE, ["/envs//staging/network/main.tf"]), ["network-staging"]);
  });

  test("an empty when_modified means never affected by changes", () => {
    const c = config("projects:\n  - {dir: a, when_modified: []}\n");
    assert.deepEqual(names(c, ["a/main.tf"]), []);
  });

  test("3,000 files against 300 projects: each project is found once", () => {
    const c = config(`projects:\n${Array.from({ length: 300 }, (_, i) => `  - {dir: p${i}, when_modified: ['**/*.tf', '../shared/**']}`).join("\n")}\n`);
    const files = Array.from({ length: 3000 }, (_, i) => `p${i % 400}/sub/file${i}.tf`);
    const found = affectedProjects(c, files).map((p) => p.name);
    assert.equal(new Set(found).size, 300);
    assert.equal(found.length, 300);
  });
});

describe("repo paths", () => {
  test("dirs are normalised and refused when absolute, escaping, wildcarded or backslashed", () => {
    assert.deepEqual(normaliseRepoDir("./a/b/"), { ok: true, dir: "a/b" });
    assert.deepEqual(normaliseRepoDir("a/./b/../c"), { ok: true, dir: "a/c" });
    assert.deepEqual(normaliseRepoDir("."), { ok: true, dir: "." });
    assert.deepEqual(normaliseRepoDir("./"), { ok: true, dir: "." });
    for (const bad of ["/abs", "C:/x", "..", "a/../../b", "envs/*", "a\\b", "  "]) {
      assert.equal(normaliseRepoDir(bad).ok, false, bad);
    }
  });

  test("globs resolve against the dir", () => {
    assert.deepEqual(resolveProjectGlob("envs/staging/network", "../../modules/**"), { pattern: "envs/modules/**", negated: false, escapes: false });
    assert.deepEqual(resolveProjectGlob(".", "**/*"), { pattern: "**/*", negated: false, escapes: false });
    assert.deepEqual(resolveProjectGlob("a", "!*.md"), { pattern: "a/*.md", negated: true, escapes: false });
    assert.equal(resolveProjectGlob("a", "../../x").escapes, true);
    assert.equal(normaliseChangedPath("./a//b/"), "a/b");
  });
});
