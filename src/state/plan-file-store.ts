// Plan files (SLIPWAY_PLAN_FILE) outlive the worker that wrote them: the apply may run on another
// machine, so each one is kept in Redis under the pull request, head SHA and project.
import { readFile, stat, writeFile } from "node:fs/promises";
import type { RedisConnection } from "../queue/redis.ts";

/** Terraform plans are rarely over a few MB; a larger file is not kept and the apply says so. */
const MAX_BYTES = 64 * 1024 * 1024;
/** Also how long run logs are kept (src/logs/run-log-keys.ts): a log lives as long as its plan. */
export const PLAN_FILE_TTL_SECONDS = 14 * 24 * 3600;
const TTL_SECONDS = PLAN_FILE_TTL_SECONDS;

export class PlanFileStore {
  constructor(
    private readonly redis: RedisConnection,
    private readonly prefix: string,
  ) {}

  /** Stores the file if the plan wrote one; returns whether it was stored. */
  async save(pull: string, sha: string, project: string, path: string): Promise<boolean> {
    const size = await stat(path).then(
      (s) => s.size,
      () => -1,
    );
    if (size < 0 || size > MAX_BYTES) return false;
    await this.redis.set(this.key(pull, sha, project), await readFile(path), "EX", TTL_SECONDS);
    return true;
  }

  /** Writes the stored plan file to `path`; false when none was stored. */
  async restore(pull: string, sha: string, project: string, path: string): Promise<boolean> {
    const data = await this.redis.getBuffer(this.key(pull, sha, project));
    if (data === null) return false;
    await writeFile(path, data);
    return true;
  }

  private key(pull: string, sha: string, project: string): string {
    return `${this.prefix}:planfile:${pull}:${sha}:${project}`;
  }
}
