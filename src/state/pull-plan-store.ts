// The latest plan of each pull request: per project its result at a head SHA, whether it was
// applied, and its output for the sticky comment. Approvals, `/apply` and the comment all read
// this, from any process.
import type { RedisConnection } from "../queue/redis.ts";
import type { ProjectRunResult } from "../domain/types.ts";
import { withRedisMutex } from "./redis-mutex.ts";

/** Outputs are kept up to what one comment can show; the full log stays on the worker's disk. */
const KEPT_OUTPUT_CHARS = 60_000;
const TTL_SECONDS = 90 * 24 * 3600;

export interface PlannedProject {
  result: ProjectRunResult;
  /** The head SHA this project's plan (or apply) describes. */
  headSha: string;
  /** Set once the plan was applied: the SHA the apply ran at. */
  appliedSha?: string;
  applyResult?: ProjectRunResult;
}

export interface PullPlan {
  headSha: string;
  projects: Record<string, PlannedProject>;
}

export class PullPlanStore {
  constructor(
    private readonly redis: RedisConnection,
    private readonly prefix: string,
  ) {}

  async get(pull: string): Promise<PullPlan | null> {
    const raw = await this.redis.get(this.key(pull));
    return raw === null ? null : (JSON.parse(raw) as PullPlan);
  }

  /**
   * Records plan results of `headSha`. Results of other projects at the same head are kept
   * (a `/plan one` does not forget the others); a new head starts afresh.
   */
  async recordPlans(pull: string, headSha: string, results: ProjectRunResult[]): Promise<PullPlan> {
    return this.update(pull, (current) => {
      const plan: PullPlan = current && current.headSha === headSha ? current : { headSha, projects: {} };
      for (const result of results) plan.projects[result.project] = { result: bounded(result), headSha };
      return plan;
    });
  }

  async recordApply(pull: string, headSha: string, result: ProjectRunResult): Promise<void> {
    await this.update(pull, (current) => {
      const entry = current?.projects[result.project];
      if (!current || !entry || entry.headSha !== headSha) return current;
      if (result.status === "changes" || result.status === "no_changes") entry.appliedSha = headSha;
      entry.applyResult = bounded(result);
      return current;
    });
  }

  async forget(pull: string): Promise<void> {
    await this.redis.del(this.key(pull));
  }

  /** Read-modify-write under a per-pull-request mutex: jobs of one pull request never lose each other's update. */
  private async update(pull: string, change: (current: PullPlan | null) => PullPlan | null): Promise<PullPlan> {
    const key = this.key(pull);
    return withRedisMutex(this.redis, `${key}:mutex`, async () => {
      const raw = await this.redis.get(key);
      const next = change(raw === null ? null : (JSON.parse(raw) as PullPlan));
      if (next === null) return { headSha: "", projects: {} };
      await this.redis.set(key, JSON.stringify(next), "EX", TTL_SECONDS);
      return next;
    });
  }

  private key(pull: string): string {
    return `${this.prefix}:plan:${pull}`;
  }
}

function bounded(result: ProjectRunResult): ProjectRunResult {
  if (result.output.length <= KEPT_OUTPUT_CHARS) return result;
  // The head, like the renderers: a plan's first lines say what it will do.
  const head = result.output.slice(0, KEPT_OUTPUT_CHARS);
  return { ...result, output: head.slice(0, head.lastIndexOf("\n") + 1), truncated: true };
}
