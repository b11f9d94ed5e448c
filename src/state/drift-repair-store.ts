// Drift repairs under way: set just before a repair's apply starts and cleared when it ends, so
// that when the worker running it dies, whoever notices can say which repair was interrupted.
import type { RedisConnection } from "../queue/redis.ts";

const TTL_SECONDS = 7 * 24 * 3600;

export interface DriftRepair {
  project: string;
  sha: string;
  /** The drift job that runs it (its delivery id; "scheduled" for the schedule's runs). */
  delivery: string;
  /** The drift issue of the project, when there is one. */
  issue?: number;
}

export class DriftRepairStore {
  constructor(
    private readonly redis: RedisConnection,
    private readonly prefix: string,
  ) {}

  async start(repo: string, repair: DriftRepair): Promise<void> {
    const key = this.key(repo);
    await this.redis.multi().hset(key, repair.project, JSON.stringify(repair)).expire(key, TTL_SECONDS).exec();
  }

  async finish(repo: string, project: string): Promise<void> {
    await this.redis.hdel(this.key(repo), project);
  }

  /** Repairs started and never finished, in the repository. */
  async unfinished(repo: string): Promise<DriftRepair[]> {
    return Object.values(await this.redis.hgetall(this.key(repo))).map((v) => JSON.parse(v) as DriftRepair);
  }

  private key(repo: string): string {
    return `${this.prefix}:drift-repairs:${repo.toLowerCase()}`;
  }
}
