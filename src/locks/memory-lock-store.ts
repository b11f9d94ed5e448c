// The lock store in process memory, for unit tests of callers and single-process experiments.
// It passes the same contract suite as the Redis store. Every method does its whole work
// without awaiting, which is what makes it atomic on one event loop.
import { repoId, type AcquireResult, type HeldLock, type LockHolder, type LockStore, type ProjectKey, type RepoKey } from "./lock-store.ts";

interface RepoState {
  locks: Map<string, LockHolder>;
  waiters: Map<string, number[]>;
}

export class MemoryLockStore implements LockStore {
  private readonly repos = new Map<string, RepoState>();

  async tryAcquire(project: ProjectKey, holder: LockHolder): Promise<AcquireResult> {
    const state = this.state(project);
    const current = state.locks.get(project.project);
    if (current === undefined) {
      state.locks.set(project.project, copyHolder(holder));
      this.removeWaiter(state, project.project, holder.pull);
      return { acquired: true, reentrant: false };
    }
    if (current.pull === holder.pull) {
      if (holder.headSha !== undefined) current.headSha = holder.headSha;
      if (holder.author !== undefined) current.author = holder.author;
      return { acquired: true, reentrant: true };
    }
    this.queue(state, project.project, holder.pull);
    return { acquired: false, heldBy: copyHolder(current) };
  }

  async release(project: ProjectKey, pull: number): Promise<boolean> {
    const state = this.state(project);
    if (state.locks.get(project.project)?.pull !== pull) return false;
    state.locks.delete(project.project);
    return true;
  }

  async releaseAll(repo: RepoKey, pull: number): Promise<string[]> {
    const state = this.state(repo);
    const released: string[] = [];
    for (const [project, holder] of state.locks) {
      if (holder.pull === pull) released.push(project);
    }
    for (const project of released) state.locks.delete(project);
    for (const project of [...state.waiters.keys()]) this.removeWaiter(state, project, pull);
    return released.sort();
  }

  async holder(project: ProjectKey): Promise<LockHolder | null> {
    const holder = this.state(project).locks.get(project.project);
    return holder === undefined ? null : copyHolder(holder);
  }

  async listForRepo(repo: RepoKey): Promise<HeldLock[]> {
    return [...this.state(repo).locks]
      .map(([project, holder]) => ({ project, holder: copyHolder(holder) }))
      .sort((a, b) => (a.project < b.project ? -1 : a.project > b.project ? 1 : 0));
  }

  async addWaiter(project: ProjectKey, pull: number): Promise<void> {
    const state = this.state(project);
    if (state.locks.get(project.project)?.pull === pull) return;
    this.queue(state, project.project, pull);
  }

  async takeWaiters(project: ProjectKey): Promise<number[]> {
    const state = this.state(project);
    const waiting = state.waiters.get(project.project) ?? [];
    state.waiters.delete(project.project);
    return waiting;
  }

  async forceRelease(project: ProjectKey, stalePull: number): Promise<boolean> {
    return this.release(project, stalePull);
  }

  private state(repo: RepoKey): RepoState {
    const id = repoId(repo);
    let state = this.repos.get(id);
    if (state === undefined) {
      state = { locks: new Map(), waiters: new Map() };
      this.repos.set(id, state);
    }
    return state;
  }

  private queue(state: RepoState, project: string, pull: number): void {
    const waiting = state.waiters.get(project) ?? [];
    if (!waiting.includes(pull)) waiting.push(pull);
    state.waiters.set(project, waiting);
  }

  private removeWaiter(state: RepoState, project: string, pull: number): void {
    const waiting = state.waiters.get(project);
    if (waiting === undefined) return;
    const rest = waiting.filter((p) => p !== pull);
    if (rest.length === 0) state.waiters.delete(project);
    else state.waiters.set(project, rest);
  }
}

// Callers get copies: mutating a returned holder must not change the stored lock.
function copyHolder(h: LockHolder): LockHolder {
  const copy: LockHolder = { pull: h.pull, since: h.since };
  if (h.headSha !== undefined) copy.headSha = h.headSha;
  if (h.author !== undefined) copy.author = h.author;
  return copy;
}
