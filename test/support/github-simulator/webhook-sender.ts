// Delivering webhooks as GitHub's hookshot does: exact bytes, HMAC-SHA256 signature, event and
// delivery headers. Deliveries go out one at a time in the order they were produced, so tests
// see a deterministic sequence.
import { randomUUID } from "node:crypto";
import { sign } from "@octokit/webhooks-methods";

export interface Delivery {
  /** The delivery id (`X-GitHub-Delivery`, GitHub's `guid`): shared by a delivery and its redeliveries. */
  id: string;
  /** This attempt's own number, as GitHub's delivery log (`GET /app/hook/deliveries`) numbers it. */
  attemptId: number;
  event: string;
  action: string | undefined;
  payload: Record<string, unknown>;
  /** The exact bytes sent (a redelivery sends them again). */
  body: string;
  headers: Record<string, string>;
  /** HTTP status of the app's answer; 0 when nothing was sent (no target) or the send failed. */
  status: number;
  responseBody: string;
  error?: string;
  redelivery: boolean;
  deliveredAt: string;
  /** Sent to a target (GitHub records no attempt for an app without a webhook URL). */
  attempted: boolean;
  /** The answer (or the failure to connect) is in: only then does GitHub's log list the attempt. */
  answered: boolean;
  durationMs: number;
}

export interface DeliveryResult {
  status: number;
  deliveryId: string;
  body: string;
}

export class WebhookSender {
  readonly deliveries: Delivery[] = [];
  private target: string | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  /** Deliveries queued or being sent (not yet answered). */
  private pendingCount = 0;
  /** Deliveries ever queued: a mark of progress for `sim.activity()`. */
  private queuedCount = 0;
  private readonly hookId = 100_000 + Math.floor(Math.random() * 800_000);
  private nextAttemptId = 1_000_000_000 + Math.floor(Math.random() * 1_000_000);

  constructor(readonly secret: string) {}

  setTarget(url: string | undefined): void {
    this.target = url;
  }

  get targetUrl(): string | undefined {
    return this.target;
  }

  deliver(event: string, payload: Record<string, unknown>): Promise<DeliveryResult> {
    const body = JSON.stringify(payload);
    const id = randomUUID();
    return this.enqueue(() =>
      this.send({ id, event, action: typeof payload.action === "string" ? payload.action : undefined, payload, body, redelivery: false }),
    );
  }

  /** Re-send the identical bytes under the same delivery id, as "Redeliver" in GitHub's UI does. */
  redeliver(deliveryId: string): Promise<DeliveryResult> {
    const original = this.deliveries.find((d) => d.id === deliveryId && !d.redelivery);
    if (!original) return Promise.reject(new Error(`no delivery ${deliveryId}`));
    return this.enqueue(() => this.send({ ...original, redelivery: true }));
  }

  /**
   * `POST /app/hook/deliveries/{id}/attempts`: queues a redelivery of that attempt's payload
   * under its delivery id and returns at once, as GitHub answers 202 before it sends.
   */
  redeliverAttempt(attemptId: number): boolean {
    const attempt = this.deliveries.find((d) => d.attemptId === attemptId && d.attempted);
    if (!attempt) return false;
    void this.enqueue(() => this.send({ ...attempt, redelivery: true }));
    return true;
  }

  /** Resolves when every delivery queued so far has been answered. */
  async idle(): Promise<void> {
    let seen: Promise<unknown>;
    do {
      seen = this.chain;
      await seen.catch(() => undefined);
    } while (seen !== this.chain);
  }

  /** How many deliveries are queued or in flight, and how many were ever queued. */
  get counts(): { pending: number; queued: number } {
    return { pending: this.pendingCount, queued: this.queuedCount };
  }

  private enqueue(job: () => Promise<DeliveryResult>): Promise<DeliveryResult> {
    this.pendingCount++;
    this.queuedCount++;
    const next = this.chain
      .catch(() => undefined)
      .then(job)
      .finally(() => this.pendingCount--);
    this.chain = next;
    return next;
  }

  private async send(d: Pick<Delivery, "id" | "event" | "action" | "payload" | "body" | "redelivery">): Promise<DeliveryResult> {
    const { id, event, action, payload, body, redelivery } = d;
    const headers: Record<string, string> = {
      "content-type": "application/json",
      "user-agent": "GitHub-Hookshot/sim",
      "x-github-event": d.event,
      "x-github-delivery": d.id,
      "x-github-hook-id": String(this.hookId),
      "x-github-hook-installation-target-type": "integration",
      "x-hub-signature-256": await sign(this.secret, d.body),
    };
    const started = Date.now();
    const record: Delivery = {
      id,
      event,
      action,
      payload,
      body,
      redelivery,
      attemptId: this.nextAttemptId++,
      headers,
      status: 0,
      responseBody: "",
      deliveredAt: new Date(started).toISOString(),
      attempted: this.target !== undefined,
      answered: false,
      durationMs: 0,
    };
    this.deliveries.push(record);
    if (!this.target) return { status: 0, deliveryId: d.id, body: "" };
    try {
      const res = await fetch(this.target, { method: "POST", headers, body: d.body, signal: AbortSignal.timeout(15_000) });
      record.status = res.status;
      record.responseBody = await res.text();
    } catch (err) {
      record.error = err instanceof Error ? err.message : String(err);
    }
    record.durationMs = Date.now() - started;
    record.answered = true;
    return { status: record.status, deliveryId: d.id, body: record.responseBody };
  }
}
