// Files a commit range changes, from git itself: no API call, and no cap (the pull request files
// API stops at 3,000 files, the compare API at 300).
import { git, type GitError } from "./git.ts";

/**
 * Paths changed between `from` and `to` in the repository at `dir` (a worktree or the mirror),
 * renames counted at both names. Without `from` (a root commit, or an unknown `before`), the
 * first parent of `to` is used, and a root commit changes every file it has.
 */
export async function changedFiles(dir: string, to: string, from?: string): Promise<string[]> {
  const base = from ?? (await firstParent(dir, to));
  const args = base ? ["diff", "--name-status", "-M", "-z", base, to] : ["ls-tree", "-r", "--name-only", "-z", to];
  const out = (await git(args, { dir })).stdout;
  return base ? namesFromNameStatus(out) : out.split("\0").filter(Boolean);
}

/** The paths of `git diff --name-status -z` output; a rename or copy gives both its names. */
export function namesFromNameStatus(out: string): string[] {
  const fields = out.split("\0").filter(Boolean);
  const files: string[] = [];
  for (let i = 0; i < fields.length;) {
    const status = fields[i++]!;
    const count = status.startsWith("R") || status.startsWith("C") ? 2 : 1;
    for (let k = 0; k < count && i < fields.length; k++) files.push(fields[i++]!);
  }
  return files;
}

async function firstParent(dir: string, sha: string): Promise<string | undefined> {
  const parents = (await git(["rev-list", "--parents", "-n", "1", sha], { dir })).stdout.trim().split(" ");
  return parents[1];
}

/**
 * What a pull request changes, as GitHub shows it: the head against its merge base with the
 * base branch (`baseRef`, already fetched into the repository at `dir`), so commits that reached
 * the base branch after the pull request was opened do not count. When the head is already on
 * the base branch (the pull request was merged before its event was handled, e.g. a webhook
 * fetched back after an outage), the base branch as it was then (`baseSha`) stands in for it.
 */
export async function pullChangedFiles(dir: string, baseRef: string, headSha: string, baseSha?: string): Promise<string[]> {
  const files = await sinceMergeBase(dir, `refs/heads/${baseRef}`, headSha);
  if (files.length > 0 || !baseSha) return files;
  return sinceMergeBase(dir, baseSha, headSha).catch(() => files);
}

/** Files `headSha` changed since its merge base with `base`; with no merge base, against `base` itself. */
async function sinceMergeBase(dir: string, base: string, headSha: string): Promise<string[]> {
  // `A...B` diffs B against the merge base of A and B: one git process, not merge-base then diff.
  try {
    return namesFromNameStatus((await git(["diff", "--name-status", "-M", "-z", `${base}...${headSha}`, "--"], { dir })).stdout);
  } catch (err) {
    // Unrelated histories have no merge base: compare with the base branch as it is.
    if (!/no merge base/i.test((err as GitError).stderr ?? "")) throw err;
    return changedFiles(dir, headSha, base);
  }
}

/** Subjects of the first-parent commits in `from..to`, oldest last (as `git log` lists them). */
export async function firstParentSubjects(dir: string, from: string, to: string): Promise<string[]> {
  return (await git(["log", "--first-parent", "--format=%s", `${from}..${to}`], { dir })).stdout.split("\n").filter(Boolean);
}
