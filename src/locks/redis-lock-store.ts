// Project locks in Redis: durable keys (no TTL) shared by every webhook server and worker, so
// they survive restarts. Every operation is one Lua script or one command (see the scripts file
// for the key layout).
import { scanKeys, type RedisConnection } from "../queue/redis.ts";
import { repoId, type AcquireResult, type HeldLock, type LockHolder, type LockStore, type ProjectKey, type RepoKey } from "./lock-store.ts";
import { ACQUIRE, ADD_WAITER, LIST, RELEASE, RELEASE_ALL, TAKE_WAITERS } from "./redis-lock-scripts.ts";

export class RedisLockStore implements LockStore {
  /** `prefix` must not contain `{` or `}`: the repository part of each key is the Cluster hash tag. */
  constructor(
    private readonly redis: RedisConnection,
    private readonly prefix: string,
  ) {
    if (/[{}]/.test(prefix)) throw new Error(`lock key prefix must not contain braces: ${prefix}`);
  }

  async tryAcquire(project: ProjectKey, holder: LockHolder): Promise<AcquireResult> {
    const k = this.keys(project);
    const [acquired, detail] = (await this.redis.eval(
      ACQUIRE,
      4,
      k.lock,
      k.held,
      k.waiters,
      k.waiting,
      project.project,
      pullArg(holder.pull),
      String(holder.since),
      holder.headSha ?? "",
      holder.author ?? "",
    )) as [number, number | string[]];
    if (acquired === 1) {
      // Outside the script: the index's key is in no repository's Cluster slot. It only ever
      // grows (one member per repository that ever held a lock), so a crash between the two
      // cannot hide a lock from a count for long: the repository's next lock adds it.
      if (detail !== 1) await this.redis.sadd(this.reposIndex(), repoId(project));
      return { acquired: true, reentrant: detail === 1 };
    }
    return { acquired: false, heldBy: parseHolder(detail as string[]) };
  }

  async release(project: ProjectKey, pull: number): Promise<boolean> {
    const k = this.keys(project);
    return (await this.redis.eval(RELEASE, 2, k.lock, k.held, project.project, pullArg(pull))) === 1;
  }

  async releaseAll(repo: RepoKey, pull: number): Promise<string[]> {
    const base = this.base(repo);
    const released = (await this.redis.eval(RELEASE_ALL, 2, `${base}:held`, `${base}:waiting`, base, pullArg(pull))) as string[];
    return released.sort();
  }

  async holder(project: ProjectKey): Promise<LockHolder | null> {
    const fields = await this.redis.hgetall(this.keys(project).lock);
    return fields.pull === undefined ? null : holderFromRecord(fields);
  }

  async listForRepo(repo: RepoKey): Promise<HeldLock[]> {
    const base = this.base(repo);
    const flat = (await this.redis.eval(LIST, 1, `${base}:held`, base)) as (string | string[])[];
    const locks: HeldLock[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      locks.push({ project: flat[i] as string, holder: parseHolder(flat[i + 1] as string[]) });
    }
    return locks.sort((a, b) => (a.project < b.project ? -1 : a.project > b.project ? 1 : 0));
  }

  async addWaiter(project: ProjectKey, pull: number): Promise<void> {
    const k = this.keys(project);
    await this.redis.eval(ADD_WAITER, 3, k.lock, k.waiters, k.waiting, project.project, pullArg(pull));
  }

  async takeWaiters(project: ProjectKey): Promise<number[]> {
    const k = this.keys(project);
    const waiting = (await this.redis.eval(TAKE_WAITERS, 2, k.waiters, k.waiting, project.project)) as string[];
    return waiting.map(Number);
  }

  /**
   * Locks held now, in every repository: for the metrics. One read of the index, then one
   * SCARD per repository that ever held a lock, sent together; no SCAN. Not a pipeline: each
   * repository has its own hash tag, so on a Cluster they live on different nodes.
   */
  async countHeld(): Promise<number> {
    const repos = await this.redis.smembers(this.reposIndex());
    const counts = await Promise.all(repos.map((r) => this.redis.scard(`${this.prefix}:locks:{${r}}:held`)));
    return counts.reduce((sum, n) => sum + n, 0);
  }

  /**
   * Adds to the index the repositories whose locks were taken before there was one (an upgrade).
   * One SCAN, run once when a webhook server starts, never at scrape time.
   */
  async indexExisting(): Promise<number> {
    let added = 0;
    for await (const keys of scanKeys(this.redis, this.heldPattern()))
      added += await this.redis.sadd(this.reposIndex(), ...keys.map((k) => this.repoOfHeld(k)));
    return added;
  }

  async forceRelease(project: ProjectKey, stalePull: number): Promise<boolean> {
    return this.release(project, stalePull);
  }

  /**
   * Repositories with at least one held lock (lowercase `owner/name`), for listings across all
   * of them (the API, the console). A SCAN (of every master, on a Cluster): fine for listings,
   * never on a job's path.
   */
  async lockedRepos(): Promise<string[]> {
    const found = new Set<string>();
    for await (const keys of scanKeys(this.redis, this.heldPattern())) for (const key of keys) found.add(this.repoOfHeld(key));
    return [...found].sort();
  }

  private heldPattern(): string {
    return `${this.prefix}:locks:{*}:held`;
  }

  private repoOfHeld(key: string): string {
    return key.slice(`${this.prefix}:locks:{`.length, -"}:held".length);
  }

  private reposIndex(): string {
    return `${this.prefix}:locks:repos`;
  }

  private base(repo: RepoKey): string {
    return `${this.prefix}:locks:{${repoId(repo)}}`;
  }

  private keys(project: ProjectKey) {
    const base = this.base(project);
    return {
      lock: `${base}:lock:${project.project}`,
      held: `${base}:held`,
      waiters: `${base}:waiters:${project.project}`,
      waiting: `${base}:waiting`,
    };
  }
}

// PR numbers are compared as strings inside Lua, so they must have one spelling.
function pullArg(pull: number): string {
  if (!Number.isSafeInteger(pull) || pull <= 0) throw new Error(`not a pull request number: ${pull}`);
  return String(pull);
}

function parseHolder(flat: string[]): LockHolder {
  const record: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) record[flat[i] as string] = flat[i + 1] as string;
  return holderFromRecord(record);
}

function holderFromRecord(record: Record<string, string>): LockHolder {
  const holder: LockHolder = { pull: Number(record.pull), since: Number(record.since) };
  if (record.headSha !== undefined) holder.headSha = record.headSha;
  if (record.author !== undefined) holder.author = record.author;
  return holder;
}
