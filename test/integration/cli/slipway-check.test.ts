// `slipway check` as a developer runs it: the bin as a child process, in repositories made with
// real git in temp dirs.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseRepoConfig } from "../../../src/repo-config/parse-repo-config.ts";
import { renderConfigCheck } from "../../../src/presentation/render/config-check.ts";
import type { CheckReport } from "../../../src/cli/check-report.ts";

const BIN = fileURLToPath(new URL("../../../bin/slipway.mjs", import.meta.url));
const gitEnv = {
  ...process.env,
  GIT_AUTHOR_NAME: "Test",
  GIT_AUTHOR_EMAIL: "test@example.com",
  GIT_COMMITTER_NAME: "Test",
  GIT_COMMITTER_EMAIL: "test@example.com",
  GIT_CONFIG_NOSYSTEM: "1",
};

const VALID = `version: 1
projects:
  - name: network-staging
    dir: envs/staging/network
    workflow: terraform
    environment: staging
    when_modified: ["**/*", "../../../modules/**"]
  - name: network-production
    dir: envs/production/network
    workflow: terraform
    environment: production
    when_modified: ["**/*", "../../../modules/**"]
    depends_on: [network-staging]
  - name: dns
    dir: global/dns
    workflow: opentofu
environments:
  production:
    approvals: 1
    manual: true
`;

const TREE = {
  "envs/staging/network/main.tf": "# staging\n",
  "envs/production/network/main.tf": "# production\n",
  "global/dns/main.tf": "# dns\n",
  "modules/vpc/main.tf": "# vpc\n",
};

let root: string;
before(() => {
  root = mkdtempSync(join(tmpdir(), "slipway-cli-"));
});
after(() => {
  rmSync(root, { recursive: true, force: true });
});

let n = 0;
function repo(files: Record<string, string>): string {
  const dir = join(root, `repo-${++n}`);
  mkdirSync(dir, { recursive: true });
  git(dir, "init", "--quiet", "--initial-branch=main");
  write(dir, files);
  git(dir, "add", "-A");
  git(dir, "commit", "--quiet", "--allow-empty", "-m", "initial");
  return dir;
}

function write(dir: string, files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
}

function git(dir: string, ...args: string[]): string {
  return execFileSync("git", args, { cwd: dir, env: gitEnv, encoding: "utf8" }).trim();
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the bin itself (its shebang), as `npx slipway` and node_modules/.bin do. */
function slipway(cwd: string, args: string[], bin = BIN): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(bin, args, { cwd, env: gitEnv }, (error, stdout, stderr) => {
      if (error && typeof error.code !== "number") return reject(error);
      resolve({ code: typeof error?.code === "number" ? error.code : 0, stdout, stderr });
    });
  });
}

describe("slipway check: a valid config", () => {
  test("lists the projects the working tree touches (uncommitted and untracked), their environments and apply order, from a subdirectory", async () => {
    const dir = repo({ ".slipway.yml": VALID, ...TREE });
    write(dir, { "modules/vpc/main.tf": "# vpc, changed\n", "global/dns/new.tf": "# untracked\n" });
    const r = await slipway(join(dir, "envs", "staging"), ["check"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      [
        ".slipway.yml: valid",
        "Working tree against HEAD: 2 changed files",
        "",
        "Projects touched (3):",
        "  network-staging  dir envs/staging/network  workflow terraform  environment staging (0 approvals)",
        "  network-production  dir envs/production/network  workflow terraform  environment production (1 approval, manual: waits for /apply production)",
        "  dns  dir global/dns  workflow opentofu  no environment",
        "",
        "Apply order:",
        "  1. network-staging, dns",
        "  2. network-production",
        "",
      ].join("\n"),
    );
  });

  test("a staged change counts too; nothing changed says so", async () => {
    const dir = repo({ ".slipway.yml": VALID, ...TREE });
    const clean = await slipway(dir, ["check"]);
    assert.equal(clean.code, 0);
    assert.match(clean.stdout, /^Working tree against HEAD: 0 changed files\nNo project is touched by these changes\.$/m);
    write(dir, { "global/dns/main.tf": "# staged\n" });
    git(dir, "add", "global/dns/main.tf");
    const staged = await slipway(dir, ["check"]);
    assert.match(staged.stdout, /^ {2}1\. dns$/m);
  });

  test("--base/--head: the head's changes since its merge base, with the head's config", async () => {
    const dir = repo({ ".slipway.yml": VALID, ...TREE });
    git(dir, "checkout", "--quiet", "-b", "feature");
    write(dir, { "global/dns/main.tf": "# feature\n" });
    git(dir, "commit", "--quiet", "-am", "dns");
    git(dir, "checkout", "--quiet", "main");
    // main moves on after the branch: not the feature's change, so staging must not be listed.
    write(dir, { "envs/staging/network/main.tf": "# main moved\n" });
    git(dir, "commit", "--quiet", "-am", "staging");
    // Uncommitted work is not part of a --head range either.
    write(dir, { "envs/production/network/main.tf": "# uncommitted\n" });
    const r = await slipway(dir, ["check", "--base", "main", "--head=feature", "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as CheckReport;
    assert.deepEqual(report.diff, { base: "main", head: "feature", files: ["global/dns/main.tf"] });
    assert.deepEqual(
      report.projects?.map((p) => p.name),
      ["dns"],
    );
  });

  test("--base alone: the branch's commits since the merge base plus uncommitted work", async () => {
    const dir = repo({ ".slipway.yml": VALID, ...TREE });
    git(dir, "checkout", "--quiet", "-b", "feature");
    write(dir, { "global/dns/main.tf": "# feature\n" });
    git(dir, "commit", "--quiet", "-am", "dns");
    git(dir, "checkout", "--quiet", "main");
    write(dir, { "envs/staging/network/main.tf": "# main moved\n" });
    git(dir, "commit", "--quiet", "-am", "staging");
    git(dir, "checkout", "--quiet", "feature");
    write(dir, { "envs/production/network/extra.tf": "# untracked\n" });
    const r = await slipway(dir, ["check", "--base", "main", "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as CheckReport;
    assert.deepEqual(report.diff, { base: "main", head: null, files: ["global/dns/main.tf", "envs/production/network/extra.tf"] });
    // network-staging is not touched: production does not wait for it here.
    assert.deepEqual(report.apply_order, [["network-production", "dns"]]);
  });

  test("--json: the documented shape", async () => {
    const dir = repo({ ".slipway.yml": VALID, ...TREE });
    write(dir, { "modules/vpc/main.tf": "# changed\n" });
    const r = await slipway(dir, ["check", "--json"]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), {
      valid: true,
      config: { file: ".slipway.yml", found: true, errors: [] },
      diff: { base: "HEAD", head: null, files: ["modules/vpc/main.tf"] },
      projects: [
        { name: "network-staging", dir: "envs/staging/network", workflow: "terraform", environment: "staging", depends_on: [], approvals: 0, manual: false },
        {
          name: "network-production",
          dir: "envs/production/network",
          workflow: "terraform",
          environment: "production",
          depends_on: ["network-staging"],
          approvals: 1,
          manual: true,
        },
      ],
      apply_order: [["network-staging"], ["network-production"]],
    });
  });

  test("through node_modules/.bin from another project's directory", async () => {
    const dir = repo({ ".slipway.yml": VALID, ...TREE });
    // npm links a dependency's bin like this: a symlink to the file in the package.
    mkdirSync(join(dir, "node_modules", ".bin"), { recursive: true });
    symlinkSync(BIN, join(dir, "node_modules", ".bin", "slipway"));
    const r = await slipway(dir, ["check"], join(dir, "node_modules", ".bin", "slipway"));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\.slipway\.yml: valid$/m);
  });
});

describe("slipway check: an invalid config exits 1 with the slipway/config check's messages", () => {
  async function invalid(yaml: string, expected: RegExp): Promise<void> {
    const dir = repo({ ".slipway.yml": yaml, ...TREE });
    const r = await slipway(dir, ["check"]);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, expected);
    const parsed = parseRepoConfig(yaml);
    assert.equal(parsed.ok, false);
    const check = renderConfigCheck(parsed.ok ? [] : parsed.errors);
    for (const e of parsed.ok ? [] : parsed.errors) {
      // The same location and message as the check run, compiler-style, and its fix.
      assert.ok(r.stderr.includes(`.slipway.yml:${e.line}:${e.column}: ${e.message}`), r.stderr);
      assert.ok(check.summary.includes(`.slipway.yml:${e.line}:${e.column}`));
      if (e.hint) assert.ok(r.stderr.includes(`  Fix: ${e.hint}`), r.stderr);
    }
  }

  test("invalid YAML names its line and column", () => invalid("version: 1\nprojects:\n  - name: [oops\n", /^\.slipway\.yml:\d+:\d+: /m));
  test("an unknown key", () => invalid(VALID.replace("    depends_on:", "    depend_on:"), /^\.slipway\.yml:13:5: unknown key `depend_on`/m));
  test("a dependency cycle", () =>
    invalid(
      VALID.replace(
        "    workflow: terraform\n    environment: staging\n",
        "    workflow: terraform\n    environment: staging\n    depends_on: [network-production]\n",
      ),
      /cycle/,
    ));

  test("--json carries the errors with file, line, column, path, message and hint", async () => {
    const dir = repo({ ".slipway.yml": "version: 2\nprojects: []\n" });
    const r = await slipway(dir, ["check", "--json"]);
    assert.equal(r.code, 1);
    const report = JSON.parse(r.stdout) as CheckReport;
    assert.equal(report.valid, false);
    assert.deepEqual(Object.keys(report.config.errors[0]!).sort(), ["column", "file", "hint", "line", "message", "path"]);
    assert.equal(report.projects, undefined);
  });

  test("no config: exit 1, saying how to add one", async () => {
    const dir = repo(TREE);
    const r = await slipway(dir, ["check"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^\.slipway\.yml: not found at the root of this repository/);
    assert.match(r.stderr, /^ {2}version: 1$/m);
  });
});

describe("slipway check: usage errors exit 2 with one line", () => {
  test("an unknown flag", async () => {
    const r = await slipway(repo(TREE), ["check", "--bsae", "main"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^slipway: unknown option "--bsae"\nusage: slipway check/);
  });

  test("a ref that names no commit, even with an invalid config", async () => {
    const r = await slipway(repo({ ".slipway.yml": "nope: [" }), ["check", "--base", "no-such-branch"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^slipway: --base "no-such-branch" names no commit in this repository$/m);
  });

  test("--head without --base, and an unknown command", async () => {
    const dir = repo(TREE);
    assert.equal((await slipway(dir, ["check", "--head", "main"])).code, 2);
    assert.equal((await slipway(dir, ["chekc"])).code, 2);
  });

  test("outside a git repository", async () => {
    const dir = join(root, "not-a-repo");
    mkdirSync(dir, { recursive: true });
    const r = await slipway(dir, ["check"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^slipway: not inside a git repository/);
  });
});
