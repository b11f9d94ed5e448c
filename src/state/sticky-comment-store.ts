// Remembers each pull request's sticky comment id, so finding it costs no API call; and a short
// Redis mutex so two jobs of one pull request never both create "the" sticky comment.
import type { RedisConnection } from "../queue/redis.ts";
import { withRedisMutex } from "./redis-mutex.ts";

export class StickyCommentStore {
  constructor(
    private readonly redis: RedisConnection,
    private readonly prefix: string,
  ) {}

  async get(pull: string): Promise<number | null> {
    const v = await this.redis.get(this.key(pull));
    return v === null ? null : Number(v);
  }

  async set(pull: string, commentId: number): Promise<void> {
    await this.redis.set(this.key(pull), String(commentId), "EX", 180 * 24 * 3600);
  }

  async forget(pull: string): Promise<void> {
    await this.redis.del(this.key(pull));
  }

  /** Runs `fn` while holding the pull request's comment mutex. */
  async exclusive<T>(pull: string, fn: () => Promise<T>): Promise<T> {
    return withRedisMutex(this.redis, `${this.prefix}:comment-mutex:${pull}`, fn);
  }

  private key(pull: string): string {
    return `${this.prefix}:sticky:${pull}`;
  }
}
