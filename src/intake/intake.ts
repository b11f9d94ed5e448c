// Webhook → intents → queue. Runs in the request path: no GitHub call, no slow work. A failure
// to enqueue becomes a 503 so that GitHub records a failed delivery (and it can be redelivered).
import type { Logger } from "pino";
import type { Intent } from "../domain/intent.ts";
import { planIntentFromPullRequest } from "./pull-request-intent.ts";

export interface IntentSink {
  dispatch(intent: Intent): Promise<void>;
}

export interface WebhookEvent {
  id: string;
  name: string;
  payload: unknown;
}

export function intentsFor(event: WebhookEvent): Intent[] {
  switch (event.name) {
    case "pull_request": {
      const intent = planIntentFromPullRequest(event.payload, event.id);
      return intent ? [intent] : [];
    }
    default:
      // `push` to a PR branch is covered by pull_request.synchronize; other events come later.
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
    log.info({ delivery: event.id, event: event.name, action, intent: intent.kind, pr: intent.pull.number, sha: intent.pull.headSha }, "enqueued");
  }
}
