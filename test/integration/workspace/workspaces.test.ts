import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SlipwayError } from "../../../src/domain/types.ts";
import { Workspaces } from "../../../src/workspace/workspaces.ts";
import { createRemote, runGit, type Remote } from "./git-fixtures.ts";

let root: string;
let remote: Remote;
let workspaces: Workspaces;
let dataDir: string;
const TOKEN = "ghs_TopSecretInstallationToken42";
const shas: string[] = [];

before(async () => {
  root = await mkdtemp(join(tmpdir(), "slipway-ws-"));
  remote = createRemote(join(root, "remote"), "acme", "infra");
  for (let i = 0; i < 8; i++) shas.push(remote.commit({ "version.txt": `v${i}\n`, [`dir/f${i}.tf`]: `# ${i}\n` }));
  dataDir = join(root, "data");
  workspaces = new Workspaces({ dataDir, gitBaseUrl: `file://${join(root, "remote")}` });
});
after(async () => {
  await workspaces.settled();
  await rm(root, { recursive: true, force: true });
});

const mirror = () => join(dataDir, "mirrors", "acme", "infra.git");

describe("Workspaces.checkout", () => {
  test("a checkout at an older SHA has that commit's content, detached at it", async () => {
    const wt = await workspaces.checkout({ owner: "acme", repo: "infra", token: TOKEN, sha: shas[2]!, refs: ["refs/heads/main"] });
    try {
      assert.equal(wt.sha, shas[2]);
      assert.equal(await readFile(join(wt.path, "version.txt"), "utf8"), "v2\n");
      assert.ok(existsSync(join(wt.path, "dir/f2.tf")));
      assert.ok(!existsSync(join(wt.path, "dir/f3.tf")), "nothing from later commits");
      assert.equal(runGit(["rev-parse", "HEAD"], wt.path), shas[2]);
      assert.ok(wt.path.startsWith(join(dataDir, "worktrees")));
      assert.equal(runGit(["rev-parse", "refs/heads/main"], mirror()), shas[7], "requested ref fetched");
    } finally {
      await wt.remove();
    }
  });

  test("a later checkout fetches commits pushed since", async () => {
    const newer = remote.commit({ "version.txt": "v-new\n" });
    const wt = await workspaces.checkout({ owner: "acme", repo: "infra", token: TOKEN, sha: newer });
    try {
      assert.equal(await readFile(join(wt.path, "version.txt"), "utf8"), "v-new\n");
    } finally {
      await wt.remove();
    }
  });

  test("a commit reachable only from a PR ref is fetched by that ref or by SHA", async () => {
    const prSha = remote.commit({ "pr.txt": "from a PR\n" }, "pr", "feature");
    runGit(["update-ref", "refs/pull/7/head", prSha], remote.bare);
    runGit(["push", "--quiet", remote.bare, ":refs/heads/feature"], join(root, "remote", "_work", "acme", "infra"));
    const wt = await workspaces.checkout({ owner: "acme", repo: "infra", token: TOKEN, sha: prSha, refs: ["refs/pull/7/head"] });
    try {
      assert.equal(await readFile(join(wt.path, "pr.txt"), "utf8"), "from a PR\n");
      assert.equal(runGit(["rev-parse", "refs/pull/7/head"], mirror()), prSha);
    } finally {
      await wt.remove();
    }
  });

  test("8 concurrent checkouts of different SHAs all get their own content", async () => {
    const trees = await Promise.all(shas.map((sha) => workspaces.checkout({ owner: "acme", repo: "infra", token: TOKEN, sha, refs: ["refs/heads/main"] })));
    try {
      assert.equal(new Set(trees.map((t) => t.path)).size, 8);
      for (const [i, wt] of trees.entries()) {
        assert.equal(readFileSync(join(wt.path, "version.txt"), "utf8"), `v${i}\n`);
        assert.equal(runGit(["status", "--porcelain"], wt.path), "", "clean checkout");
      }
      assert.equal(runGit(["worktree", "list", "--porcelain"], mirror()).split("\n\n").length, 1 + 8);
    } finally {
      await Promise.all(trees.map((t) => t.remove()));
    }
    assert.deepEqual(readdirSync(join(dataDir, "worktrees")), []);
    assert.equal(runGit(["worktree", "list"], mirror()).split("\n").length, 1, "only the bare mirror itself");
  });

  test("two instances sharing one data dir (as two worker processes would) do not break each other", async () => {
    // Separate instances have separate in-process locks: only git's own locks and our retries help.
    for (let round = 0; round < 3; round++) {
      const shared = join(root, `shared-${round}`);
      const a = new Workspaces({ dataDir: shared, gitBaseUrl: `file://${join(root, "remote")}` });
      const b = new Workspaces({ dataDir: shared, gitBaseUrl: `file://${join(root, "remote")}` });
      const trees = await Promise.all(
        shas.map((sha, i) => (i % 2 ? a : b).checkout({ owner: "acme", repo: "infra", token: TOKEN, sha, refs: ["refs/heads/main"] })),
      );
      for (const [i, wt] of trees.entries()) assert.equal(readFileSync(join(wt.path, "version.txt"), "utf8"), `v${i}\n`);
      await Promise.all(trees.map((t) => t.remove()));
      await Promise.all([a.settled(), b.settled()]);
    }
  });

  test("remove() deletes the directory, prunes git's record, and is idempotent", async () => {
    const wt = await workspaces.checkout({ owner: "acme", repo: "infra", token: TOKEN, sha: shas[1]! });
    await writeFile(join(wt.path, "untracked.tfplan"), "x");
    await wt.remove();
    assert.ok(!existsSync(wt.path));
    assert.doesNotMatch(runGit(["worktree", "list"], mirror()), new RegExp(wt.path));
    const admin = join(mirror(), "worktrees");
    assert.deepEqual(existsSync(admin) ? readdirSync(admin) : [], []);
    await wt.remove();
    await workspaces.settled();
    assert.deepEqual(readdirSync(join(dataDir, "trash")), [], "the files are deleted from disk too, after the job");
  });

  test("removeStale deletes only worktrees older than the limit and prunes git's record", async () => {
    const old = await workspaces.checkout({ owner: "acme", repo: "infra", token: TOKEN, sha: shas[0]! });
    const fresh = await workspaces.checkout({ owner: "acme", repo: "infra", token: TOKEN, sha: shas[1]! });
    const hourAgo = new Date(Date.now() - 3600_000);
    await utimes(old.path, hourAgo, hourAgo);
    assert.deepEqual(await workspaces.removeStale(600_000), [old.path]);
    assert.ok(!existsSync(old.path));
    assert.ok(existsSync(join(fresh.path, "version.txt")));
    const listed = runGit(["worktree", "list"], mirror());
    assert.doesNotMatch(listed, new RegExp(old.path));
    assert.match(listed, new RegExp(fresh.path));
    await fresh.remove();
  });

  test("removeStale also deletes what a killed process had moved aside and not yet deleted", async () => {
    const leftover = join(dataDir, "trash", "acme-infra-0123456789ab-deadbeef-cafe0123");
    await mkdir(join(leftover, "dir"), { recursive: true });
    await writeFile(join(leftover, "dir", "f.tf"), "x");
    await workspaces.removeStale(600_000);
    assert.ok(!existsSync(leftover));
  });

  test("an unknown SHA is an error with a stable code, not a hang", async () => {
    await assert.rejects(
      workspaces.checkout({ owner: "acme", repo: "infra", token: TOKEN, sha: "0".repeat(40) }),
      (err: unknown) => err instanceof SlipwayError && err.code === "sha_not_found",
    );
  });

  test("an unreachable remote is a git_failed error", async () => {
    const other = new Workspaces({ dataDir, gitBaseUrl: `file://${join(root, "nowhere")}` });
    await assert.rejects(
      other.checkout({ owner: "acme", repo: "gone", token: TOKEN, sha: shas[0]! }),
      (err: unknown) => err instanceof SlipwayError && err.code === "git_failed" && /git fetch failed \(exit 128\)/.test(err.message),
    );
  });

  test("bad names, refs and SHAs are refused before git runs", async () => {
    const codeOf = async (p: Promise<unknown>) =>
      p.then(
        () => "ok",
        (e: SlipwayError) => e.code,
      );
    assert.equal(await codeOf(workspaces.checkout({ owner: "..", repo: "x", token: TOKEN, sha: shas[0]! })), "invalid_repo_name");
    assert.equal(await codeOf(workspaces.checkout({ owner: "acme", repo: "a/b", token: TOKEN, sha: shas[0]! })), "invalid_repo_name");
    assert.equal(await codeOf(workspaces.checkout({ owner: "acme", repo: "infra", token: TOKEN, sha: "main" })), "invalid_sha");
    assert.equal(
      await codeOf(workspaces.checkout({ owner: "acme", repo: "infra", token: TOKEN, sha: shas[0]!, refs: ["--upload-pack=touch /tmp/x"] })),
      "invalid_ref",
    );
  });

  test("the token lands nowhere in the mirror (config, FETCH_HEAD, logs)", () => {
    const base64 = Buffer.from(`x-access-token:${TOKEN}`).toString("base64");
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const full = join(dir, name);
        if (statSync(full).isDirectory()) walk(full);
        else {
          const text = readFileSync(full, "latin1");
          if (text.includes(TOKEN) || text.includes(base64)) offenders.push(full);
        }
      }
    };
    walk(dataDir);
    assert.deepEqual(offenders, []);
    assert.doesNotMatch(readFileSync(join(mirror(), "config"), "utf8"), /extraheader|ghs_|token/i);
  });
});

describe("Workspaces.readFileAt", () => {
  test("returns a file at a revision, null for a missing file or a directory", async () => {
    assert.equal(await workspaces.readFileAt({ owner: "acme", repo: "infra", rev: shas[3]!, path: "version.txt" }), "v3\n");
    assert.equal(await workspaces.readFileAt({ owner: "acme", repo: "infra", rev: shas[3]!, path: "dir/f3.tf" }), "# 3\n");
    assert.equal(await workspaces.readFileAt({ owner: "acme", repo: "infra", rev: shas[3]!, path: "dir/f4.tf" }), null);
    assert.equal(await workspaces.readFileAt({ owner: "acme", repo: "infra", rev: shas[3]!, path: "dir" }), null);
    assert.equal(await workspaces.readFileAt({ owner: "acme", repo: "infra", rev: shas[3]!, path: ".slipway.yml" }), null);
  });

  test("fetches a revision the mirror lacks, by SHA or by branch name", async () => {
    const sha = remote.commit({ ".slipway.yml": "version: 1\n" }, "config", "release");
    assert.equal(await workspaces.readFileAt({ owner: "acme", repo: "infra", token: TOKEN, rev: sha, path: ".slipway.yml" }), "version: 1\n");
    const fresh = new Workspaces({ dataDir: join(root, "data-2"), gitBaseUrl: `file://${join(root, "remote")}` });
    assert.equal(await fresh.readFileAt({ owner: "acme", repo: "infra", rev: "release", path: ".slipway.yml" }), "version: 1\n");
  });

  test("an unknown revision is an error with a code", async () => {
    await assert.rejects(
      workspaces.readFileAt({ owner: "acme", repo: "infra", rev: "no-such-branch", path: "x" }),
      (err: unknown) => err instanceof SlipwayError && err.code === "rev_not_found",
    );
  });
});
