// Turns intents into jobs. For a new head it also records the head and tells every worker,
// so the plan of the old head stops (the "supersede" guarantee) wherever it runs.
import type { Queue } from "bullmq";
import type { ApplyIntent, DeployIntent, DriftIntent, EventIntent, Intent, PlanIntent, WorldIntent } from "../domain/intent.ts";
import type { RepoRef } from "../domain/types.ts";
import type { CancelBus } from "./cancel-bus.ts";
import type { DeployStore } from "../state/deploy-store.ts";
import {
  applyJobOptions,
  deployJobOptions,
  driftJobOptions,
  driftSchedulerId,
  eventJobOptions,
  KEEP_COMPLETED,
  KEEP_FAILED,
  mergeGroupJobOptions,
  planJobOptions,
} from "./jobs.ts";
import { pullKey } from "../domain/types.ts";
import type { PullHeadStore } from "../state/pull-head-store.ts";

export interface Queues {
  plans: Queue<PlanIntent>;
  events: Queue<EventIntent>;
  /** They change the world: never retried automatically. */
  applies: Queue<WorldIntent>;
}

export class Dispatcher {
  constructor(
    private readonly queues: Queues,
    private readonly heads: PullHeadStore,
    private readonly cancel: CancelBus,
    private readonly deploys: DeployStore,
  ) {}

  async dispatch(intent: Intent): Promise<void> {
    if (intent.kind === "plan") return this.plan(intent);
    if (intent.kind === "deploy") return this.deploy(intent);
    // A merge queue's group may apply (in_merge_queue): it runs with the jobs that change the world.
    if (intent.kind === "merge_group") {
      await this.queues.applies.add("merge_group", intent, mergeGroupJobOptions(intent));
      return;
    }
    await this.queues.events.add(intent.kind, intent, eventJobOptions(intent));
  }

  async deploy(intent: DeployIntent): Promise<void> {
    const repo = `${intent.repo.owner}/${intent.repo.name}`;
    if (intent.pullNumber !== undefined)
      await this.deploys.rememberMergedPull(repo, intent.sha, { number: intent.pullNumber, ...(intent.pullTitle ? { title: intent.pullTitle } : {}) });
    // The newest commit of the default branch: an older deploy still waiting is superseded.
    if (!intent.release) await this.heads.record(`${repo}@default`, intent.sha, Date.now());
    await this.queues.applies.add("deploy", intent, deployJobOptions(intent));
  }

  async plan(intent: PlanIntent): Promise<void> {
    const enqueue = () => this.queues.plans.add("plan", intent, planJobOptions(intent));
    if (intent.trigger !== "autoplan") {
      await enqueue();
      return;
    }
    const pull = pullKey(intent.pull);
    // The record tells every worker when this head became current, in the same round trip. An
    // out-of-order delivery of an older head is still enqueued (it may be a redelivery the job id
    // absorbs), and the job skips itself when it sees a newer head.
    await this.heads.record(pull, intent.pull.headSha, intent.pull.updatedAt, this.cancel.noticeOf(pull, intent.pull.headSha));
    await enqueue();
  }

  async drift(intent: DriftIntent): Promise<void> {
    await this.queues.applies.add("drift", intent, driftJobOptions(intent));
  }

  /**
   * Keeps the repository's drift schedule in step with `drift.schedule` on its default branch:
   * BullMQ job schedulers live in Redis, so the schedule survives restarts and fires once per tick
   * whatever the number of workers. No schedule removes it. It runs in UTC, as the config
   * reference says, whatever the time zone of the worker that registers it.
   */
  async scheduleDrift(repo: RepoRef, branch: string, pattern: string | undefined): Promise<void> {
    const id = driftSchedulerId(repo);
    if (!pattern) {
      await this.queues.applies.removeJobScheduler(id);
      return;
    }
    const template: DriftIntent = { kind: "drift", deliveryId: "scheduled", repo, branch };
    await this.queues.applies.upsertJobScheduler(
      id,
      { pattern, tz: "UTC" },
      { name: "drift", data: template, opts: { attempts: 1, removeOnComplete: KEEP_COMPLETED, removeOnFail: KEEP_FAILED } },
    );
  }

  async apply(intent: ApplyIntent): Promise<void> {
    await this.queues.applies.add("apply", intent, applyJobOptions(intent));
  }
}
