// Everything a job may use, built once per worker process (see app.ts).
import type { RedisConnection } from "../queue/redis.ts";
import type { Logger } from "pino";
import type { AuditRecorder } from "../audit/recorder.ts";
import type { GitHubClients } from "../github/port.ts";
import type { LockStore } from "../locks/lock-store.ts";
import type { MetricsRecorder } from "../metrics/recorder.ts";
import type { ApprovalStore } from "../state/approval-store.ts";
import type { DeployStore } from "../state/deploy-store.ts";
import type { DriftRepairStore } from "../state/drift-repair-store.ts";
import type { Dispatcher } from "../queue/dispatcher.ts";
import type { OpenCheckStore } from "../state/open-check-store.ts";
import type { PermissionCache } from "../state/permission-cache.ts";
import type { PlanFileStore } from "../state/plan-file-store.ts";
import type { PullHeadStore } from "../state/pull-head-store.ts";
import type { PullPlanStore } from "../state/pull-plan-store.ts";
import type { StickyCommentStore } from "../state/sticky-comment-store.ts";
import type { Workspaces } from "../workspace/workspaces.ts";

export interface JobDeps {
  github: GitHubClients;
  workspaces: Workspaces;
  dispatcher: Dispatcher;
  heads: PullHeadStore;
  sticky: StickyCommentStore;
  plans: PullPlanStore;
  approvals: ApprovalStore;
  people: PermissionCache;
  locks: LockStore;
  planFiles: PlanFileStore;
  deploys: DeployStore;
  openChecks: OpenCheckStore;
  driftRepairs: DriftRepairStore;
  /** The audit trail: each job records the decisions it carried out (audit/recorder.ts). */
  audit: AuditRecorder;
  /** For the cross-process apply mutex (locks/apply-mutex.ts). */
  redis: RedisConnection;
  prefix: string;
  dataDir: string;
  stepEnv: Record<string, string>;
  secretEnvNames: string[];
  stepTimeoutMs: number;
  /** How long a dead worker's claims last (its BullMQ job lock, its apply mutex). */
  jobLockMs: number;
  log: Logger;
  /** Deploy outcomes and drift verdicts for /metrics; absent in tests that do not look. */
  metrics?: Pick<MetricsRecorder, "deploy" | "drift">;
}
