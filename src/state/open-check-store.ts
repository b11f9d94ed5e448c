// Check runs created `in_progress` and not yet completed, per pull request head. A worker that
// dies mid-plan leaves its checks open; the retry finds them here and closes them.
import type { RedisConnection } from "../queue/redis.ts";

const TTL_SECONDS = 7 * 24 * 3600;

export class OpenCheckStore {
  constructor(
    private readonly redis: RedisConnection,
    private readonly prefix: string,
  ) {}

  async opened(pull: string, sha: string, name: string, checkId: number): Promise<void> {
    const key = this.key(pull, sha);
    await this.redis.multi().hset(key, name, String(checkId)).expire(key, TTL_SECONDS).exec();
  }

  async completed(pull: string, sha: string, name: string): Promise<void> {
    await this.redis.hdel(this.key(pull, sha), name);
  }

  /** Checks still open for these names, left by an earlier attempt: name → check id. */
  async leftOpen(pull: string, sha: string, names: string[]): Promise<Map<string, number>> {
    if (names.length === 0) return new Map();
    const ids = await this.redis.hmget(this.key(pull, sha), ...names);
    return new Map(names.flatMap((n, i) => (ids[i] ? [[n, Number(ids[i])] as [string, number]] : [])));
  }

  private key(pull: string, sha: string): string {
    return `${this.prefix}:open-checks:${pull}:${sha}`;
  }
}
