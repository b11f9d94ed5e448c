// Answers of GitHub about people (repository permission, team membership), kept a minute:
// a burst of commands costs one lookup, and a revoked permission takes effect within a minute.
import type { RedisConnection } from "../queue/redis.ts";

const TTL_SECONDS = 60;

export class PermissionCache {
  constructor(
    private readonly redis: RedisConnection,
    private readonly prefix: string,
  ) {}

  async remember<T extends string | boolean>(what: string, lookup: () => Promise<T>): Promise<T> {
    const key = `${this.prefix}:people:${what.toLowerCase()}`;
    const cached = await this.redis.get(key);
    if (cached !== null) return JSON.parse(cached) as T;
    const value = await lookup();
    await this.redis.set(key, JSON.stringify(value), "EX", TTL_SECONDS);
    return value;
  }
}
