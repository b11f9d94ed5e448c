// State of each deploy (one per commit of the default branch): its environments with their
// GitHub deployment ids and states, its projects with their results. Shared by every worker,
// so a `/apply <environment>` on any of them continues the same deploy.
import type { RedisConnection } from "../queue/redis.ts";
import { reduceDeploy, type DeployEvent, type DeployState } from "../domain/deploy-state.ts";
import { withRedisMutex } from "./redis-mutex.ts";

const TTL_SECONDS = 90 * 24 * 3600;
/** Deploys of a repository listed by `recent` (the API's and console's environments view). */
const KEEP_RECENT = 200;

export type { DeployState, EnvironmentDeploy, EnvironmentState } from "../domain/deploy-state.ts";

export interface MergedPull {
  number: number;
  title?: string;
}

export class DeployStore {
  constructor(
    private readonly redis: RedisConnection,
    private readonly prefix: string,
  ) {}

  async get(repo: string, sha: string): Promise<DeployState | null> {
    const raw = await this.redis.get(this.key(repo, sha));
    return raw === null ? null : (JSON.parse(raw) as DeployState);
  }

  /** Read-modify-write under the deploy's mutex; `change` returns the new state. */
  async update(repo: string, sha: string, change: (current: DeployState | null) => DeployState): Promise<DeployState> {
    const key = this.key(repo, sha);
    return withRedisMutex(this.redis, `${key}:mutex`, async () => {
      const raw = await this.redis.get(key);
      const next = change(raw === null ? null : (JSON.parse(raw) as DeployState));
      await this.redis.set(key, JSON.stringify(next), "EX", TTL_SECONDS);
      if (raw === null) await this.index(repo, sha);
      return next;
    });
  }

  /** Starts the deploy unless another worker already did; returns the state that holds. */
  async create(repo: string, sha: string, initial: DeployState): Promise<{ created: boolean; state: DeployState }> {
    let created = false;
    const state = await this.update(repo, sha, (current) => {
      created = current === null;
      return current ?? initial;
    });
    return { created, state };
  }

  /** Feeds one event to the deploy's state machine; returns the state before and after. */
  async apply(repo: string, sha: string, event: DeployEvent): Promise<{ before: DeployState; after: DeployState }> {
    let before: DeployState | undefined;
    const after = await this.update(repo, sha, (current) => {
      if (!current) throw new Error(`no deploy of ${repo}@${sha} to apply ${event.type} to`);
      before = current;
      return reduceDeploy(current, event);
    });
    return { before: before!, after };
  }

  /** The repository's latest deploys, newest first (at most 200, within the 90 days they are kept). */
  async recent(repo: string, count = 50): Promise<DeployState[]> {
    const members = await this.redis.zrevrange(this.indexKey(repo), 0, Math.min(count, KEEP_RECENT) - 1);
    const states = await Promise.all(
      members.map((m) => {
        const at = m.lastIndexOf("@");
        return this.get(m.slice(0, at), m.slice(at + 1));
      }),
    );
    return states.filter((s): s is DeployState => s !== null);
  }

  private async index(repo: string, sha: string): Promise<void> {
    const key = this.indexKey(repo);
    await this.redis
      .multi()
      .zadd(key, Date.now(), `${repo}@${sha}`)
      .zremrangebyrank(key, 0, -KEEP_RECENT - 1)
      .expire(key, TTL_SECONDS)
      .exec();
  }

  /** Owner and name in any spelling: one index per repository. */
  private indexKey(repo: string): string {
    return `${this.prefix}:deploys-of:${repo.toLowerCase()}`;
  }

  /** The merge event knows the pull request (and its title), the push does not: whichever deploys first asks here. */
  async rememberMergedPull(repo: string, sha: string, pull: MergedPull): Promise<void> {
    await this.redis.set(`${this.prefix}:merged:${repo}:${sha}`, JSON.stringify(pull), "EX", TTL_SECONDS);
  }

  async mergedPull(repo: string, sha: string): Promise<MergedPull | undefined> {
    const v = await this.redis.get(`${this.prefix}:merged:${repo}:${sha}`);
    if (v === null) return undefined;
    // Written before titles were kept: the number alone.
    if (/^\d+$/.test(v)) return { number: Number(v) };
    const pull = JSON.parse(v) as MergedPull;
    return { number: pull.number, ...(typeof pull.title === "string" ? { title: pull.title } : {}) };
  }

  /**
   * Projects applied at a merge queue's group commit (`apply: in_merge_queue`). The queue moves
   * the base branch to that very commit, so its deploy reads this and does not apply them again.
   */
  /**
   * Recorded before a group's apply starts: a worker that dies mid-way leaves it attempted, not
   * applied. False, and nothing recorded, once the group left the queue unmerged. Each side
   * writes before it reads (here: attempt, then gone?; `markQueueGroupGone`: gone, then
   * attempts), so a group leaving the queue while its apply starts is either not applied or its
   * apply is seen by whoever reports the group gone.
   */
  async recordQueueAttempt(repo: string, sha: string, project: string): Promise<boolean> {
    const attempted = this.groupKey(repo, sha, "attempted");
    const result = await this.redis.multi().sadd(attempted, project).expire(attempted, TTL_SECONDS).get(this.goneKey(repo, sha)).exec();
    const gone = result?.[2]?.[1];
    if (gone === null || gone === undefined) return true;
    await this.redis.srem(attempted, project);
    return false;
  }

  /** A group left the queue without merging: nothing more of it is applied. Returns what it attempted. */
  async markQueueGroupGone(repo: string, sha: string, reason: string): Promise<string[]> {
    const attempted = this.groupKey(repo, sha, "attempted");
    const result = await this.redis.multi().set(this.goneKey(repo, sha), reason, "EX", TTL_SECONDS).smembers(attempted).exec();
    return ((result?.[1]?.[1] as string[] | undefined) ?? []).sort();
  }

  async queueGroupGone(repo: string, sha: string): Promise<boolean> {
    return (await this.redis.exists(this.goneKey(repo, sha))) === 1;
  }

  private goneKey(repo: string, sha: string): string {
    return this.groupKey(repo, sha, "gone");
  }

  /** A merge queue group's keys share one hash tag: recordQueueAttempt and markQueueGroupGone read one while writing another. */
  private groupKey(repo: string, sha: string, what: "attempted" | "applied" | "gone"): string {
    return `${this.prefix}:queue-group:{${repo}:${sha}}:${what}`;
  }

  async recordQueueApplied(repo: string, sha: string, project: string): Promise<void> {
    const applied = this.groupKey(repo, sha, "applied");
    await this.redis.multi().sadd(applied, project).expire(applied, TTL_SECONDS).exec();
  }

  /** Projects a group tried to apply, failed ones included: what may have changed the world. */
  async queueAttempted(repo: string, sha: string): Promise<string[]> {
    return (await this.redis.smembers(this.groupKey(repo, sha, "attempted"))).sort();
  }

  async queueApplied(repo: string, sha: string): Promise<string[]> {
    return (await this.redis.smembers(this.groupKey(repo, sha, "applied"))).sort();
  }

  private key(repo: string, sha: string): string {
    return `${this.prefix}:deploy:${repo}:${sha}`;
  }
}
