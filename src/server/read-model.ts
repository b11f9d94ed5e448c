// What the API (server/api/) and the console (a later page set) read: the audit trail, the
// locks, the runs and the environments, from the stores that own them. No HTTP here, so both
// front ends answer from the same functions.
import type { Queue } from "bullmq";
import type { AuditEvent } from "../audit/event.ts";
import type { UnlockIntent } from "../domain/intent.ts";
import { NO_ENVIRONMENT, type DeployState } from "../domain/deploy-state.ts";
import type { RedisLockStore } from "../locks/redis-lock-store.ts";
import type { AuditFilter, AuditPage, AuditStore } from "../state/audit-store.ts";
import type { DeployStore } from "../state/deploy-store.ts";
import type { DeadLetter, IntakeStream } from "../queue/intake-stream.ts";
import { findRun, listRuns, type RunState, type RunView } from "../queue/run-list.ts";

export type { RunState, RunView } from "../queue/run-list.ts";

export interface ReadModelDeps {
  audit: AuditStore;
  locks: RedisLockStore;
  deploys: DeployStore;
  queues: Queue[];
  /** The step-output redactor: failed runs' messages go through it. */
  redact?: (text: string) => string;
  /** Enqueues the release of a lock (jobs/unlock-job.ts). */
  unlock(intent: UnlockIntent): Promise<void>;
  /** Intake entries set aside after failing to become jobs (queue/forwarder.ts). */
  intake: Pick<IntakeStream, "deadLetters">;
}

export interface LockView {
  repo: string;
  project: string;
  pull: number;
  head_sha?: string;
  author?: string;
  since: string;
}

export interface EnvironmentView {
  environment: string;
  state: string;
  sha: string;
  pull?: number;
  pull_title?: string;
  reason?: string;
  projects: { name: string; status: string; reason?: string }[];
}

export class ReadModel {
  constructor(private readonly d: ReadModelDeps) {}

  /** Intents that never became jobs, newest first, redacted like any run output. */
  async deadLetters(limit: number): Promise<DeadLetter[]> {
    const redact = this.d.redact ?? ((t: string) => t);
    return (await this.d.intake.deadLetters(limit)).map((d) => ({ ...d, intents: redact(d.intents), error: redact(d.error) }));
  }

  auditPage(filter: AuditFilter, limit: number): Promise<AuditPage> {
    return this.d.audit.page(filter, limit);
  }

  auditExport(filter: AuditFilter): AsyncGenerator<AuditEvent> {
    return this.d.audit.all(filter);
  }

  async locks(repo?: string): Promise<LockView[]> {
    const repos = repo !== undefined ? [repo.toLowerCase()] : await this.d.locks.lockedRepos();
    const out: LockView[] = [];
    for (const r of repos) {
      const [owner, name] = r.split("/") as [string, string];
      for (const lock of await this.d.locks.listForRepo({ owner, repo: name })) {
        const h = lock.holder;
        out.push({
          repo: r,
          project: lock.project,
          pull: h.pull,
          ...(h.headSha ? { head_sha: h.headSha } : {}),
          ...(h.author ? { author: h.author } : {}),
          since: new Date(h.since).toISOString(),
        });
      }
    }
    return out;
  }

  /**
   * Asks for the release of a project's lock; the job does it and tells the pull request.
   * Null when the project is not locked.
   */
  async releaseLock(repo: { owner: string; name: string }, project: string, by: string, via: UnlockIntent["via"]): Promise<LockView | null> {
    const holder = await this.d.locks.holder({ owner: repo.owner, repo: repo.name, project });
    if (!holder) return null;
    await this.d.unlock({
      kind: "unlock",
      deliveryId: `${via}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`,
      repo,
      pullNumber: holder.pull,
      project,
      by,
      via,
    });
    return { repo: `${repo.owner}/${repo.name}`.toLowerCase(), project, pull: holder.pull, since: new Date(holder.since).toISOString() };
  }

  runs(filter: { repo?: string; state?: RunState }): Promise<RunView[]> {
    return listRuns(this.d.queues, filter, this.d.redact);
  }

  /** One run by id, while a queue knows it (a day after it finished). */
  run(id: string): Promise<RunView | undefined> {
    return findRun(this.d.queues, id, this.d.redact);
  }

  /** Per environment: the newest deploy that reached it, its state and its projects' results. */
  async environments(repo: string): Promise<EnvironmentView[]> {
    const seen = new Map<string, EnvironmentView>();
    for (const deploy of await this.d.deploys.recent(repo)) {
      for (const env of Object.values(deploy.environments)) {
        if (seen.has(env.name) || env.name === NO_ENVIRONMENT) continue;
        seen.set(env.name, environmentView(deploy, env.name));
      }
    }
    return [...seen.values()].sort((a, b) => a.environment.localeCompare(b.environment));
  }
}

function environmentView(deploy: DeployState, name: string): EnvironmentView {
  const env = deploy.environments[name]!;
  return {
    environment: name,
    state: env.state,
    sha: deploy.sha,
    ...(deploy.pullNumber !== undefined ? { pull: deploy.pullNumber } : {}),
    ...(deploy.pullTitle ? { pull_title: deploy.pullTitle } : {}),
    ...(env.reason ? { reason: env.reason } : {}),
    projects: deploy.projects
      .filter((p) => p.environment === name)
      .map((p) => {
        const result = deploy.results[p.name];
        return { name: p.name, status: result?.status ?? "pending", ...(result?.reason ? { reason: result.reason } : {}) };
      }),
  };
}
