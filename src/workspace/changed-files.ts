// Files a commit range changes, from git itself (no API call, no 300-file cap of the compare API).
import { git } from "./git.ts";

/**
 * Paths changed between `from` and `to` in the repository at `dir` (a worktree or the mirror),
 * renames counted at both names. Without `from` (a root commit, or an unknown `before`), the
 * first parent of `to` is used, and a root commit changes every file it has.
 */
export async function changedFiles(dir: string, to: string, from?: string): Promise<string[]> {
  const base = from ?? (await firstParent(dir, to));
  const args = base ? ["diff", "--name-status", "-M", "-z", base, to] : ["ls-tree", "-r", "--name-only", "-z", to];
  const out = (await git(args, { dir })).stdout.split("\0").filter(Boolean);
  if (!base) return out;
  const files: string[] = [];
  for (let i = 0; i < out.length; ) {
    const status = out[i++]!;
    const count = status.startsWith("R") || status.startsWith("C") ? 2 : 1;
    for (let k = 0; k < count; k++) files.push(out[i++]!);
  }
  return files;
}

async function firstParent(dir: string, sha: string): Promise<string | undefined> {
  const parents = (await git(["rev-list", "--parents", "-n", "1", sha], { dir })).stdout.trim().split(" ");
  return parents[1];
}
