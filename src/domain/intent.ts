// Intents: what a webhook asks Slipway to do, as plain data. Intake produces them; the queue
// carries them as job data; jobs consume them. They never hold a payload, only the facts used.
import type { PullRef, Sha } from "./types.ts";

export interface PullFacts extends PullRef {
  baseSha: Sha;
  draft: boolean;
  /** Head branch lives in another repository (a fork). */
  fromFork: boolean;
  /** `pull_request.updated_at` in epoch ms: orders heads when deliveries arrive out of order. */
  updatedAt: number;
}

export interface PlanIntent {
  kind: "plan";
  deliveryId: string;
  /** `autoplan`: opened/pushed; `command`: someone commented `/plan`. */
  trigger: "autoplan" | "command";
  pull: PullFacts;
  /** Named projects (from `/plan a b`); absent means every changed project. */
  projects?: string[];
  requestedBy?: string;
}

export type Intent = PlanIntent;
