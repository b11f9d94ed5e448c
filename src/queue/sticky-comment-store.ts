// Remembers each pull request's sticky comment id, so finding it costs no API call; and a short
// Redis mutex so two jobs of one pull request never both create "the" sticky comment.
import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";

const RELEASE_IF_OWNER = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

export class StickyCommentStore {
  constructor(
    private readonly redis: Redis,
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

  /**
   * Runs `fn` while holding the pull request's comment mutex. The mutex expires on its own
   * (a dead worker must not block the comment forever); `fn` is a few API calls at most.
   */
  async exclusive<T>(pull: string, fn: () => Promise<T>, { ttlMs = 30_000, waitMs = 30_000 } = {}): Promise<T> {
    const key = `${this.prefix}:comment-mutex:${pull}`;
    const token = randomUUID();
    const deadline = Date.now() + waitMs;
    while ((await this.redis.set(key, token, "PX", ttlMs, "NX")) !== "OK") {
      if (Date.now() > deadline) throw new Error(`sticky comment of ${pull} stayed locked for ${waitMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
    try {
      return await fn();
    } finally {
      await this.redis.eval(RELEASE_IF_OWNER, 1, key, token);
    }
  }

  private key(pull: string): string {
    return `${this.prefix}:sticky:${pull}`;
  }
}
