// Project locks: a project touched by an open pull request belongs to it from its first plan
// until merge, close or `/unlock` (SPEC §7). These are durable records, not TTL mutexes: a lock
// must outlive restarts and quiet weeks. A lock of a PR that was closed while Slipway missed the
// event is freed on use: the caller sees the holder, asks GitHub, and calls `forceRelease`.
// Refusals are results; only faults (Redis down) throw.

export interface RepoKey {
  owner: string;
  repo: string;
}

export interface ProjectKey extends RepoKey {
  /** Project name from `.slipway.yml` (letters, digits, `_ . / -`); case-sensitive. */
  project: string;
}

export interface LockHolder {
  pull: number;
  headSha?: string;
  author?: string;
  /** Epoch milliseconds of the first acquisition; kept when the same PR acquires again. */
  since: number;
}

export type AcquireResult = { acquired: true; reentrant: boolean } | { acquired: false; heldBy: LockHolder };

export interface HeldLock {
  project: string;
  holder: LockHolder;
}

export interface LockStore {
  /**
   * Takes the lock for `holder.pull`, or says who holds it. The same PR acquiring again is a
   * success (`reentrant`), which refreshes `headSha`/`author` when given but keeps `since`.
   * A refused PR is queued as a waiter in the same atomic step, so a release that happens just
   * after the refusal cannot miss it; a PR that acquires leaves that project's waiting list.
   */
  tryAcquire(project: ProjectKey, holder: LockHolder): Promise<AcquireResult>;
  /** Frees the lock only if `pull` holds it; returns whether it did. */
  release(project: ProjectKey, pull: number): Promise<boolean>;
  /**
   * Frees every lock `pull` holds in the repository (merge, close, `/unlock`) and removes the PR
   * from every waiting list there: a closed PR must not be replanned, and an unlocking one stepped
   * aside. Returns the released project names, sorted.
   */
  releaseAll(repo: RepoKey, pull: number): Promise<string[]>;
  holder(project: ProjectKey): Promise<LockHolder | null>;
  /** Every held lock of the repository, sorted by project name. */
  listForRepo(repo: RepoKey): Promise<HeldLock[]>;
  /** Queues `pull` to be replanned when the project is released; no duplicates, no-op for the holder. */
  addWaiter(project: ProjectKey, pull: number): Promise<void>;
  /** Returns the waiting PRs in the order they queued, and empties the list. */
  takeWaiters(project: ProjectKey): Promise<number[]>;
  /**
   * Frees a lock on behalf of someone else: the caller found that `stalePull`, the holder it saw,
   * is closed. It is a compare-and-delete on `stalePull`, so a lock another PR took in between
   * is never broken. (Use `releaseAll(repo, stalePull)` to free all of that PR's locks at once.)
   */
  forceRelease(project: ProjectKey, stalePull: number): Promise<boolean>;
}

/**
 * GitHub owner and repository names are case-insensitive, and webhooks do not promise one
 * spelling, so locks are keyed on the lowercase form.
 */
export function repoId(repo: RepoKey): string {
  return `${repo.owner.toLowerCase()}/${repo.repo.toLowerCase()}`;
}
