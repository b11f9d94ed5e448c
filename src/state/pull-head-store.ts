// The newest head SHA of each pull request, shared by every process through Redis.
// Deliveries can arrive out of order (GitHub retries, parallel hooks), so a head only replaces
// the stored one when its `updated_at` is not older: the check and the write are one Lua call,
// and so is the supersede notice to every worker (one round trip on the webhook's clock).
import type { RedisConnection } from "../queue/redis.ts";

/** A pub/sub message to send once the head is recorded (see CancelBus.noticeOf). */
export interface Notice {
  channel: string;
  message: string;
}

const RECORD_IF_NEWER = `
local current = redis.call('HGET', KEYS[1], 'at')
if current and tonumber(current) > tonumber(ARGV[2]) then
  return redis.call('HGET', KEYS[1], 'sha')
end
redis.call('HSET', KEYS[1], 'sha', ARGV[1], 'at', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
if ARGV[4] ~= '' then
  redis.call('PUBLISH', ARGV[4], ARGV[5])
end
return ARGV[1]
`;

declare module "ioredis" {
  interface RedisCommander {
    recordHeadIfNewer?(key: string, sha: string, at: string, ttl: string, channel: string, message: string): Promise<unknown>;
  }
}

/** Open pull requests are rarely quiet this long; an expired entry only costs a skipped check. */
const TTL_SECONDS = 90 * 24 * 3600;

export class PullHeadStore {
  constructor(
    private readonly redis: RedisConnection,
    private readonly prefix: string,
  ) {}

  /**
   * Records `sha` as the head unless a newer one is known, and then publishes `notice` if given;
   * returns the head now stored.
   */
  async record(pull: string, sha: string, updatedAt: number, notice?: Notice): Promise<string> {
    // EVALSHA after the first call: the webhook path should not resend the script each time.
    if (!this.redis.recordHeadIfNewer) this.redis.defineCommand("recordHeadIfNewer", { numberOfKeys: 1, lua: RECORD_IF_NEWER });
    return (await this.redis.recordHeadIfNewer!(
      this.key(pull),
      sha,
      String(updatedAt),
      String(TTL_SECONDS),
      notice?.channel ?? "",
      notice?.message ?? "",
    )) as string;
  }

  async latest(pull: string): Promise<string | null> {
    return this.redis.hget(this.key(pull), "sha");
  }

  /** False only when a different, newer head is known: an unknown pull request is not superseded. */
  async isCurrent(pull: string, sha: string): Promise<boolean> {
    const latest = await this.latest(pull);
    return latest === null || latest === sha;
  }

  private key(pull: string): string {
    return `${this.prefix}:head:${pull}`;
  }
}
