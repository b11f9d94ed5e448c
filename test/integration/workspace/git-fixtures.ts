// Real git repositories for workspace tests: a bare "remote" plus a clone to commit from.
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

const env = {
  ...process.env,
  GIT_AUTHOR_NAME: "Test",
  GIT_AUTHOR_EMAIL: "test@example.com",
  GIT_COMMITTER_NAME: "Test",
  GIT_COMMITTER_EMAIL: "test@example.com",
  GIT_CONFIG_NOSYSTEM: "1",
};

export function runGit(args: string[], cwd?: string): string {
  return execFileSync("git", args, { cwd, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
}

export interface Remote {
  bare: string;
  /** Commits these files (path → content; null deletes) on `branch` and pushes; returns the SHA. */
  commit(files: Record<string, string | null>, message?: string, branch?: string): string;
}

/** A bare repository at `${root}/${owner}/${repo}.git`, the layout `gitBaseUrl` expects. */
export function createRemote(root: string, owner: string, repo: string): Remote {
  const bare = join(root, owner, `${repo}.git`);
  const work = join(root, "_work", owner, repo);
  mkdirSync(dirname(bare), { recursive: true });
  runGit(["init", "--quiet", "--bare", "--initial-branch=main", bare]);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  runGit(["init", "--quiet", "--initial-branch=main"], work);
  runGit(["remote", "add", "origin", bare], work);
  let n = 0;
  return {
    bare,
    commit(files, message = `commit ${++n}`, branch = "main") {
      const current = runGit(["symbolic-ref", "--short", "HEAD"], work);
      if (current !== branch && runGit(["branch", "--list", branch], work) === "") {
        runGit(["checkout", "--quiet", "-b", branch], work);
      } else if (current !== branch) {
        runGit(["checkout", "--quiet", branch], work);
      }
      for (const [path, content] of Object.entries(files)) {
        const full = join(work, path);
        if (content === null) rmSync(full, { force: true });
        else {
          mkdirSync(dirname(full), { recursive: true });
          writeFileSync(full, content);
        }
      }
      runGit(["add", "-A"], work);
      runGit(["commit", "--quiet", "--allow-empty", "-m", message], work);
      runGit(["push", "--quiet", "--force", "origin", `HEAD:refs/heads/${branch}`], work);
      return runGit(["rev-parse", "HEAD"], work);
    },
  };
}
