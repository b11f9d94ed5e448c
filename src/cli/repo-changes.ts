// The git side of `slipway check`: the repository's root, the refs given, the files a diff
// touches and the `.slipway.yml` to validate. Git runs with an argv, never a shell string: the
// refs come from the user's command line.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { git, type GitError } from "../workspace/git.ts";
import { namesFromNameStatus } from "../workspace/changed-files.ts";
import type { CheckDiff } from "./check-report.ts";

export const CONFIG_FILE = ".slipway.yml";

export interface GitContext {
  /** The repository's top level. */
  root: string;
  /** git's environment: the user's own (their git config, PATH). */
  env: Record<string, string>;
}

/** The top level of the repository holding `cwd`, or undefined outside one. */
export async function repoRoot(cwd: string, env: Record<string, string>): Promise<string | undefined> {
  try {
    return (await git(["rev-parse", "--show-toplevel"], { dir: cwd, env })).stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The commit a ref names, or undefined when it names none. */
export async function resolveCommit(ctx: GitContext, ref: string): Promise<string | undefined> {
  try {
    return (await git(["rev-parse", "--verify", "--quiet", `${ref}^{commit}`], { dir: ctx.root, env: ctx.env })).stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * What the changes touch. With a base, counted from the merge base of base and head, as a pull
 * request's diff is (commits that reached the base meanwhile are not the change's). Without a
 * head, the working tree: staged, unstaged and untracked (not ignored) files alike.
 */
export async function checkDiff(ctx: GitContext, baseRef: string | undefined, headRef: string | undefined): Promise<CheckDiff> {
  const headCommit = headRef ?? (await resolveCommit(ctx, "HEAD"));
  const base = baseRef === undefined ? headCommit : ((await mergeBase(ctx, baseRef, headCommit ?? "HEAD")) ?? baseRef);
  let files: string[];
  if (headRef !== undefined) {
    files = namesFromNameStatus(await run(ctx, ["diff", "--name-status", "-M", "-z", base!, headRef]));
  } else if (base === undefined) {
    // No commit yet: every file is new.
    files = splitZ(await run(ctx, ["ls-files", "-z", "--cached", "--others", "--exclude-standard"]));
  } else {
    const tracked = namesFromNameStatus(await run(ctx, ["diff", "--name-status", "-M", "-z", base]));
    const untracked = splitZ(await run(ctx, ["ls-files", "-z", "--others", "--exclude-standard"]));
    files = [...new Set([...tracked, ...untracked])];
  }
  return { base: baseRef ?? "HEAD", head: headRef ?? null, files };
}

/** The config text: from the head commit when one is given, else the working tree; null when absent. */
export async function readConfigText(ctx: GitContext, headRef: string | undefined): Promise<string | null> {
  if (headRef === undefined) {
    try {
      return await readFile(path.join(ctx.root, CONFIG_FILE), "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw err;
    }
  }
  try {
    return await run(ctx, ["cat-file", "blob", `${headRef}:${CONFIG_FILE}`]);
  } catch (err) {
    // cat-file exits 128 for a path the commit does not have (the ref itself was verified).
    if ((err as GitError).exitCode === 128) return null;
    throw err;
  }
}

async function mergeBase(ctx: GitContext, a: string, b: string): Promise<string | undefined> {
  try {
    return (await run(ctx, ["merge-base", a, b])).trim() || undefined;
  } catch (err) {
    // Exit 1: unrelated histories. Then the base itself is compared, as the bot does.
    if ((err as GitError).exitCode === 1) return undefined;
    throw err;
  }
}

async function run(ctx: GitContext, args: string[]): Promise<string> {
  return (await git(args, { dir: ctx.root, env: ctx.env })).stdout;
}

function splitZ(out: string): string[] {
  return out.split("\0").filter(Boolean);
}
