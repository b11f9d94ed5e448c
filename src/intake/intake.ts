// Webhook → intents → queue. Runs in the request path: no GitHub call, no slow work. A failure
// to enqueue becomes a 503 so that GitHub records a failed delivery (and it can be redelivered).
import type { Logger } from "pino";
import type { Intent, IntentSink } from "../domain/intent.ts";
import { commentIntent, mergeDeployIntent, pullClosedIntent, pushDeployIntent, reviewIntent } from "./conversation-intents.ts";
import { mergeGroupIntent } from "./merge-group-intent.ts";
import { planIntentFromPullRequest } from "./pull-request-intent.ts";

export interface WebhookEvent {
  id: string;
  name: string;
  payload: unknown;
}

const present = <T>(i: T | null): i is T => i !== null;

/** The events `intentsFor` turns into intents; every other event is answered 2xx and dropped. */
export const HANDLED_EVENTS: readonly string[] = ["pull_request", "issue_comment", "pull_request_review", "push", "merge_group"];

export function intentsFor(event: WebhookEvent): Intent[] {
  switch (event.name) {
    case "pull_request":
      return [planIntentFromPullRequest(event.payload, event.id), pullClosedIntent(event.payload, event.id), mergeDeployIntent(event.payload, event.id)].filter(
        present,
      );
    case "issue_comment":
      return [commentIntent(event.payload, event.id)].filter(present);
    case "pull_request_review":
      return [reviewIntent(event.payload, event.id)].filter(present);
    case "push":
      // A push to a PR branch is covered by pull_request.synchronize.
      return [pushDeployIntent(event.payload, event.id)].filter(present);
    case "merge_group":
      return [mergeGroupIntent(event.payload, event.id)].filter(present);
    default:
      return [];
  }
}

export class QueueUnavailableError extends Error {
  /** Read by @octokit/webhooks' middleware to choose the HTTP status. */
  readonly status = 503;
  readonly code = "queue_unavailable";
  constructor(cause: unknown) {
    super("could not enqueue the delivery: Redis is unreachable", { cause });
  }
}

export async function handleWebhook(event: WebhookEvent, sink: IntentSink, log: Logger): Promise<void> {
  const intents = intentsFor(event);
  const action = (event.payload as { action?: string }).action;
  if (intents.length === 0) {
    log.debug({ delivery: event.id, event: event.name, action }, "event not handled");
    return;
  }
  for (const intent of intents) {
    try {
      await sink.dispatch(intent);
    } catch (err) {
      log.error({ delivery: event.id, event: event.name, err: (err as Error).message }, "enqueue failed");
      throw new QueueUnavailableError(err);
    }
    const pr =
      intent.kind === "plan" ? intent.pull.number : intent.kind === "deploy" ? intent.sha : intent.kind === "merge_group" ? intent.headSha : intent.pullNumber;
    log.info({ delivery: event.id, event: event.name, action, intent: intent.kind, pr }, "enqueued");
  }
}
