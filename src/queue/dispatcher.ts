// Turns intents into jobs. For a new head it also records the head and tells every worker,
// so the plan of the old head stops (the "supersede" guarantee) wherever it runs.
import type { Queue } from "bullmq";
import type { Intent, PlanIntent } from "../domain/intent.ts";
import type { CancelBus } from "./cancel-bus.ts";
import { planJobOptions, pullKey } from "./jobs.ts";
import type { PullHeadStore } from "./pull-head-store.ts";

export class Dispatcher {
  constructor(
    private readonly plans: Queue<PlanIntent>,
    private readonly heads: PullHeadStore,
    private readonly cancel: CancelBus,
  ) {}

  async dispatch(intent: Intent): Promise<void> {
    if (intent.trigger === "autoplan") {
      const pull = pullKey(intent.pull);
      const current = await this.heads.record(pull, intent.pull.headSha, intent.pull.updatedAt);
      // An out-of-order delivery of an older head is still enqueued (it may be a redelivery the
      // job id absorbs), and the job skips itself when it sees a newer head.
      if (current === intent.pull.headSha) await this.cancel.announceHead(pull, current);
    }
    await this.plans.add("plan", intent, planJobOptions(intent));
  }
}
