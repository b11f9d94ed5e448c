// Check runs created `in_progress` and not yet completed, per job and head. A worker that dies
// mid-plan leaves its checks open; the job's retry finds them here and closes them.
import type { RedisConnection } from "../queue/redis.ts";

const TTL_SECONDS = 7 * 24 * 3600;

export class OpenCheckStore {
  constructor(
    private readonly redis: RedisConnection,
    private readonly prefix: string,
  ) {}

  async opened(job: string, sha: string, name: string, checkId: number): Promise<void> {
    const key = this.key(job, sha);
    await this.redis.multi().hset(key, name, String(checkId)).expire(key, TTL_SECONDS).exec();
  }

  async completed(job: string, sha: string, name: string): Promise<void> {
    await this.redis.hdel(this.key(job, sha), name);
  }

  /** Checks still open for these names, left by an earlier attempt: name → check id. */
  async leftOpen(job: string, sha: string, names: string[]): Promise<Map<string, number>> {
    if (names.length === 0) return new Map();
    const ids = await this.redis.hmget(this.key(job, sha), ...names);
    return new Map(names.flatMap((n, i) => (ids[i] ? [[n, Number(ids[i])] as [string, number]] : [])));
  }

  /** Every check of the job still open on this head: name → check id. */
  async allOpen(job: string, sha: string): Promise<Map<string, number>> {
    const all = await this.redis.hgetall(this.key(job, sha));
    return new Map(Object.entries(all).map(([n, id]) => [n, Number(id)] as [string, number]));
  }

  private key(job: string, sha: string): string {
    return `${this.prefix}:open-checks:${job}:${sha}`;
  }
}
