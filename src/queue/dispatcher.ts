// Turns intents into jobs. For a new head it also records the head and tells every worker,
// so the plan of the old head stops (the "supersede" guarantee) wherever it runs.
import type { Queue } from "bullmq";
import type { ApplyIntent, DeployIntent, EventIntent, Intent, PlanIntent } from "../domain/intent.ts";
import type { CancelBus } from "./cancel-bus.ts";
import type { DeployStore } from "./deploy-store.ts";
import { applyJobOptions, deployJobOptions, eventJobOptions, planJobOptions, pullKey } from "./jobs.ts";
import type { PullHeadStore } from "./pull-head-store.ts";

export interface Queues {
  plans: Queue<PlanIntent>;
  events: Queue<EventIntent>;
  /** Both change the world: never retried automatically. */
  applies: Queue<ApplyIntent | DeployIntent>;
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
    await this.queues.events.add(intent.kind, intent, eventJobOptions(intent));
  }

  async deploy(intent: DeployIntent): Promise<void> {
    const repo = `${intent.repo.owner}/${intent.repo.name}`;
    if (intent.pullNumber !== undefined) await this.deploys.rememberMergedPull(repo, intent.sha, intent.pullNumber);
    // The newest commit of the default branch: an older deploy still waiting is superseded.
    if (!intent.release) await this.heads.record(`${repo}@default`, intent.sha, Date.now());
    await this.queues.applies.add("deploy", intent, deployJobOptions(intent));
  }

  async plan(intent: PlanIntent): Promise<void> {
    if (intent.trigger === "autoplan") {
      const pull = pullKey(intent.pull);
      const current = await this.heads.record(pull, intent.pull.headSha, intent.pull.updatedAt);
      // An out-of-order delivery of an older head is still enqueued (it may be a redelivery the
      // job id absorbs), and the job skips itself when it sees a newer head.
      if (current === intent.pull.headSha) await this.cancel.announceHead(pull, current);
    }
    await this.queues.plans.add("plan", intent, planJobOptions(intent));
  }

  async apply(intent: ApplyIntent): Promise<void> {
    await this.queues.applies.add("apply", intent, applyJobOptions(intent));
  }
}
