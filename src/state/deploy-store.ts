// State of each deploy (one per commit of the default branch): its environments with their
// GitHub deployment ids and states, its projects with their results. Shared by every worker,
// so a `/apply <environment>` on any of them continues the same deploy.
import type { Redis } from "ioredis";
import type { ProjectRunResult } from "../domain/types.ts";
import { withRedisMutex } from "./redis-mutex.ts";

const TTL_SECONDS = 90 * 24 * 3600;

export type EnvironmentState = "waiting" | "queued" | "in_progress" | "success" | "failure" | "skipped";

export interface EnvironmentDeploy {
  name: string;
  deploymentId?: number;
  state: EnvironmentState;
  /** Why it waits or was skipped, for the comment and the deployment status. */
  reason?: string;
}

export interface DeployState {
  sha: string;
  pullNumber?: number;
  /** Projects of this deploy in apply order. */
  projects: { name: string; environment?: string }[];
  environments: Record<string, EnvironmentDeploy>;
  results: Record<string, ProjectRunResult>;
  /** The projects being applied right now: what a worker that dies leaves half-done. */
  inFlight?: string[];
  /** The pull request opened to revert this deploy's merge (`on_apply_failure: revert_pr`). */
  revertPull?: number;
}

export class DeployStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async get(repo: string, sha: string): Promise<DeployState | null> {
    const raw = await this.redis.get(this.key(repo, sha));
    return raw === null ? null : (JSON.parse(raw) as DeployState);
  }

  /** Read-modify-write under the deploy's mutex; `change` returns the new state. */
  async update(repo: string, sha: string, change: (current: DeployState | null) => DeployState): Promise<DeployState> {
    const key = this.key(repo, sha);
    return withRedisMutex(this.redis, `${key}:mutex`, async () => {
      const raw = await this.redis.get(key);
      const next = change(raw === null ? null : (JSON.parse(raw) as DeployState));
      await this.redis.set(key, JSON.stringify(next), "EX", TTL_SECONDS);
      return next;
    });
  }

  /** The merge event knows the pull request, the push does not: whichever deploys first asks here. */
  async rememberMergedPull(repo: string, sha: string, pullNumber: number): Promise<void> {
    await this.redis.set(`${this.prefix}:merged:${repo}:${sha}`, String(pullNumber), "EX", TTL_SECONDS);
  }

  async mergedPull(repo: string, sha: string): Promise<number | undefined> {
    const v = await this.redis.get(`${this.prefix}:merged:${repo}:${sha}`);
    return v === null ? undefined : Number(v);
  }

  private key(repo: string, sha: string): string {
    return `${this.prefix}:deploy:${repo}:${sha}`;
  }
}
