// A real `git revert` of a commit in a worktree: the rollback is an ordinary change that goes
// through plan, approval and deploy like any other.
import { SlipwayError } from "../domain/types.ts";
import { GitError, git } from "./git.ts";

export interface Author {
  name: string;
  email: string;
}

/**
 * Commits the revert of `sha` on top of the worktree's HEAD. A merge commit is reverted against
 * its first parent (the branch it was merged into). A conflict is a `revert_conflict` error.
 */
export async function revertCommit(dir: string, sha: string, author: Author, message: string): Promise<string> {
  const parents = (await git(["rev-list", "--parents", "-n", "1", sha], { dir })).stdout.trim().split(" ").length - 1;
  const identity = ["-c", `user.name=${author.name}`, "-c", `user.email=${author.email}`];
  try {
    await git([...identity, "revert", "--no-edit", ...(parents > 1 ? ["-m", "1"] : []), sha], { dir });
  } catch (error) {
    if (error instanceof GitError) {
      await git(["revert", "--abort"], { dir }).catch(() => undefined);
      throw new SlipwayError("revert_conflict", `reverting ${sha.slice(0, 7)} conflicts with later changes: ${error.stderr.split("\n")[0] ?? ""}`);
    }
    throw error;
  }
  await git([...identity, "commit", "--amend", "--quiet", "-m", message], { dir });
  return (await git(["rev-parse", "HEAD"], { dir })).stdout.trim();
}
