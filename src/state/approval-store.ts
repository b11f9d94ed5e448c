// Approvals of each pull request, one per user (the latest replaces the earlier), in Redis.
import type { RedisConnection } from "../queue/redis.ts";
import type { Approval } from "../policy/approvals.ts";
import { withRedisMutex } from "./redis-mutex.ts";

const TTL_SECONDS = 90 * 24 * 3600;

// Sets each field to its new value only if it still holds the value read: an approval replaced
// or withdrawn meanwhile is left as it now is.
const REPLACE_IF_UNCHANGED = `
local n = 0
for i = 1, #ARGV, 3 do
  if redis.call('HGET', KEYS[1], ARGV[i]) == ARGV[i + 1] then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 2])
    n = n + 1
  end
end
return n
`;

export class ApprovalStore {
  constructor(
    private readonly redis: RedisConnection,
    private readonly prefix: string,
  ) {}

  async record(pull: string, approval: Approval): Promise<void> {
    const key = this.key(pull);
    await this.redis.multi().hset(key, approval.user.toLowerCase(), JSON.stringify(approval)).expire(key, TTL_SECONDS).exec();
  }

  async withdraw(pull: string, user: string): Promise<boolean> {
    return (await this.redis.hdel(this.key(pull), user.toLowerCase())) > 0;
  }

  async has(pull: string, user: string): Promise<boolean> {
    return (await this.redis.hexists(this.key(pull), user.toLowerCase())) === 1;
  }

  async list(pull: string): Promise<Approval[]> {
    const all = await this.redis.hvals(this.key(pull));
    return all.map((v) => JSON.parse(v) as Approval);
  }

  /**
   * Gives the approvals of `headSha` that were recorded while its plan ran (no digests yet) the
   * digests of that plan, now recorded, so `approvals_survive: same_plan` can carry them over a
   * later push. Returns how many were filled in.
   */
  async fillPlanDigests(pull: string, headSha: string, digests: Record<string, string>): Promise<number> {
    const key = this.key(pull);
    const stored = await this.redis.hgetall(key);
    const args: string[] = [];
    for (const [field, raw] of Object.entries(stored)) {
      const approval = JSON.parse(raw) as Approval;
      if (approval.headSha === headSha && approval.planDigests === undefined) args.push(field, raw, JSON.stringify({ ...approval, planDigests: digests }));
    }
    if (args.length === 0) return 0;
    return (await this.redis.eval(REPLACE_IF_UNCHANGED, 1, key, ...args)) as number;
  }

  /**
   * Runs `fn` while holding the pull request's approval mutex: recording an approval and
   * publishing the check that counts it take turns (see jobs/approval-status.ts).
   */
  async exclusive<T>(pull: string, fn: () => Promise<T>): Promise<T> {
    return withRedisMutex(this.redis, `${this.prefix}:approval-check:${pull}:mutex`, fn);
  }

  async forget(pull: string): Promise<void> {
    await this.redis.del(this.key(pull));
  }

  private key(pull: string): string {
    return `${this.prefix}:approvals:${pull}`;
  }
}
