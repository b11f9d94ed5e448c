// Approvals of each pull request, one per user (the latest replaces the earlier), in Redis.
import type { Redis } from "ioredis";
import type { Approval } from "../policy/approvals.ts";

const TTL_SECONDS = 90 * 24 * 3600;

export class ApprovalStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async record(pull: string, approval: Approval): Promise<void> {
    const key = this.key(pull);
    await this.redis.multi().hset(key, approval.user.toLowerCase(), JSON.stringify(approval)).expire(key, TTL_SECONDS).exec();
  }

  async withdraw(pull: string, user: string): Promise<boolean> {
    return (await this.redis.hdel(this.key(pull), user.toLowerCase())) > 0;
  }

  async list(pull: string): Promise<Approval[]> {
    const all = await this.redis.hvals(this.key(pull));
    return all.map((v) => JSON.parse(v) as Approval);
  }

  async forget(pull: string): Promise<void> {
    await this.redis.del(this.key(pull));
  }

  private key(pull: string): string {
    return `${this.prefix}:approvals:${pull}`;
  }
}
