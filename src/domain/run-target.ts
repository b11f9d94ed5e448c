// What a plan or an apply runs against: a commit, and the pull request it belongs to when there
// is one. A deploy of a direct push and a drift run have no pull request; they are not given an
// invented one, and each purpose keeps its plan files and logs in a folder of its own.
import path from "node:path";
import type { PullRef, RepoRef, Sha } from "./types.ts";

export interface RunTarget {
  repo: RepoRef;
  sha: Sha;
  /** The pull request whose head (or merge) this is; absent for a direct push or a drift run. */
  pull?: number;
  /** Why it runs: a pull request's plan or apply, a deploy of the default branch, a drift check, a merge queue's group. */
  purpose: "pull" | "deploy" | "drift" | "queue";
}

export function pullTarget(pull: PullRef): RunTarget {
  return { repo: pull.repo, sha: pull.headSha, pull: pull.number, purpose: "pull" };
}

/** Where the plan files and full logs of runs at this target go. */
export function runDirOf(dataDir: string, target: RunTarget): string {
  const { owner, name } = target.repo;
  const folder = target.purpose === "pull" ? `pr-${target.pull}` : target.purpose;
  return path.join(dataDir, "runs", owner, name, folder, target.sha);
}
